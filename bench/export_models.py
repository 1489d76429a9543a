"""Makes the benchmark models: for each variant, one random unfused network (BatchNorm
statistics randomized), fused by the reference, written three ways -- our safetensors, ONNX
(for ONNX Runtime) and frozen TorchScript timings -- plus an input and the reference output.

Tasks: classify (MobileOne + linear, logits), detect (SSDLite at 320x320: the network up to
the head outputs, no anchors or NMS; with --first-stage 2 the seven-map SSDLite whose first
map is stage 2's OS8 output, as the shipped detector) and segment (DeepLabv3 at OS16: the
network up to the classifier's stride-16 logits, without the final upsample). Each engine
times the same part.

usage: export_models.py --out DIR --task classify --variants s0,s1 --size 224 --threads 1,2
Prints one JSON line per (variant, threads) with TorchScript's median, and writes
DIR/<name>/{model.safetensors, model.onnx, input.bin, logits.bin}, name = variant for
classify, det_<variant> (det8_<variant> with the OS8 map) or seg_<variant> otherwise.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import deeplabv3_ref  # noqa: E402
import make_goldens  # noqa: E402
import mobileone_ref as mo  # noqa: E402
import safetensors_io as st  # noqa: E402
import ssdlite_ref  # noqa: E402
import train_detect  # noqa: E402


class DetectNetwork(torch.nn.Module):
    """SSDLite up to the head outputs (what `mobileone bench` times for a detect model)."""

    def __init__(self, ssd):
        super().__init__()
        self.features, self.head = ssd.backbone, ssd.head

    def forward(self, x):
        out = self.head(list(self.features(x).values()))
        return out["cls_logits"], out["bbox_regression"]


class SegmentNetwork(torch.nn.Module):
    """DeepLabv3 up to the classifier's logits at the feature stride."""

    def __init__(self, deeplab):
        super().__init__()
        self.backbone, self.classifier = deeplab.backbone, deeplab.classifier

    def forward(self, x):
        return self.classifier(self.backbone.forward_stages(x)[4])


def build(task, variant, size, seed, first_stage=3):
    """(name, unfused model, fused network to time, config)."""
    if task == "classify":
        model = make_goldens.make_model(variant=variant, num_classes=1000, seed=seed)
        config = {"task": "classify", "variant": variant, "num_classes": 1000,
                  "input_size": [size, size]}
        return variant, model, mo.reparameterize_model(model).eval(), config
    if task == "detect":
        # the OS8 map's anchors as the shipped detector's (they do not change the timed part)
        scales = (train_detect.anchor_scales(train_detect.MIN_RATIO, first_stage)
                  if first_stage == 2 else None)
        model = ssdlite_ref.make_model(variant=variant, num_classes=91, size_hw=(size, size),
                                       seed=seed, first_stage=first_stage, scales=scales)
        fused = ssdlite_ref.fused_copy(model)
        config = ssdlite_ref.detect_config(91, (size, size), variant, first_stage=first_stage,
                                           scales=scales)
        name = ("det8_" if first_stage == 2 else "det_") + variant
        return name, fused, DetectNetwork(fused).eval(), config
    model = deeplabv3_ref.make_model(seed, variant=variant, num_classes=21, output_stride=16)
    fused = deeplabv3_ref.fused_copy(model)
    config = deeplabv3_ref.config_for(21, (size, size), 16, None, variant)
    return "seg_" + variant, fused, SegmentNetwork(fused).eval(), config


def check_agrees(eager, optimized):
    """The timed TorchScript module computes what the eager model does (1e-4 relative)."""
    eager = eager if isinstance(eager, tuple) else (eager,)
    optimized = optimized if isinstance(optimized, tuple) else (optimized,)
    for e, o in zip(eager, optimized):
        rel = float((e - o).abs().max() / e.abs().max().clamp(min=1e-30))
        if rel > 1e-4:
            sys.exit(f"export_models.py: TorchScript differs from the eager model: {rel:.2e}")


def time_torchscript(model, x, expected, threads, runs, warmup):
    torch.set_num_threads(threads)
    with torch.no_grad():
        # optimize_for_inference freezes and moves convolutions to oneDNN's layouts; a plain
        # frozen trace runs Debian's ATen convolutions, which take S0 76 ms at one thread
        # against 4 ms this way: no fair anchor.
        frozen = torch.jit.optimize_for_inference(torch.jit.trace(model, x).eval())
        for _ in range(max(warmup, 20)):  # the profiling executor optimizes after a few runs
            frozen(x)
        check_agrees(expected, frozen(x))
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            frozen(x)
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--task", default="classify", choices=["classify", "detect", "segment"])
    ap.add_argument("--variants", default="s0,s1,s2,s3,s4")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--first-stage", type=int, default=3, choices=[2, 3],
                    help="detect: 2 adds the OS8 map in front (seven maps)")
    ap.add_argument("--no-torch", action="store_true", help="skip the TorchScript timings")
    args = ap.parse_args()
    for i, variant in enumerate(args.variants.split(",")):
        name, model, net, config = build(args.task, variant, args.size, 100 + i,
                                         args.first_stage)
        d = os.path.join(args.out, name)
        os.makedirs(d, exist_ok=True)
        st.save_state_dict(os.path.join(d, "model.safetensors"), model.state_dict(), config)
        torch.manual_seed(7)
        x = torch.randn(1, 3, args.size, args.size)
        with torch.no_grad():
            out = net(x)
        first = out[0] if isinstance(out, tuple) else out
        x.numpy().astype("<f4").tofile(os.path.join(d, "input.bin"))
        first.numpy().astype("<f4").tofile(os.path.join(d, "logits.bin"))
        torch.onnx.export(net, x, os.path.join(d, "model.onnx"), input_names=["input"],
                          opset_version=13)
        for threads in [int(t) for t in args.threads.split(",")]:
            ms = None if args.no_torch else time_torchscript(net, x, out, threads, args.runs,
                                                              args.warmup)
            print(json.dumps({"engine": "torchscript", "model": name, "threads": threads,
                              "median_ms": ms}), flush=True)


if __name__ == "__main__":
    main()
