"""Makes the benchmark models: for each variant, one random unfused MobileOne (BatchNorm
statistics randomized), fused by the reference, written three ways -- our safetensors, ONNX
(for ONNX Runtime) and frozen TorchScript timings -- plus an input and the reference logits.

usage: export_models.py --out DIR --variants s0,s1 --size 224 --threads 1,2 --runs N
Prints one JSON line per (variant, threads) with TorchScript's median, and writes
DIR/<variant>/{model.safetensors, model.onnx, input.bin, logits.bin}.
"""
import argparse
import json
import os
import statistics
import sys
import time

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tools"))
import make_goldens  # noqa: E402
import mobileone_ref as mo  # noqa: E402
import safetensors_io as st  # noqa: E402


def time_torchscript(model, x, threads, runs, warmup):
    torch.set_num_threads(threads)
    with torch.no_grad():
        frozen = torch.jit.freeze(torch.jit.trace(model, x).eval())
        for _ in range(warmup):
            frozen(x)
        times = []
        for _ in range(runs):
            t0 = time.perf_counter()
            frozen(x)
            times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True)
    ap.add_argument("--variants", default="s0,s1,s2,s3,s4")
    ap.add_argument("--size", type=int, default=224)
    ap.add_argument("--threads", default="1,2")
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--no-torch", action="store_true", help="skip the TorchScript timings")
    args = ap.parse_args()
    for i, variant in enumerate(args.variants.split(",")):
        d = os.path.join(args.out, variant)
        os.makedirs(d, exist_ok=True)
        model = make_goldens.make_model(variant=variant, num_classes=1000, seed=100 + i)
        fused = mo.reparameterize_model(model).eval()
        config = {"task": "classify", "variant": variant, "num_classes": 1000,
                  "input_size": [args.size, args.size]}
        st.save_state_dict(os.path.join(d, "model.safetensors"), fused.state_dict(), config)
        torch.manual_seed(7)
        x = torch.randn(1, 3, args.size, args.size)
        with torch.no_grad():
            logits = model(x)
        x.numpy().astype("<f4").tofile(os.path.join(d, "input.bin"))
        logits.numpy().astype("<f4").tofile(os.path.join(d, "logits.bin"))
        torch.onnx.export(fused, x, os.path.join(d, "model.onnx"), input_names=["input"],
                          output_names=["logits"], opset_version=13)
        for threads in [int(t) for t in args.threads.split(",")]:
            ms = None if args.no_torch else time_torchscript(fused, x, threads, args.runs,
                                                              args.warmup)
            print(json.dumps({"engine": "torchscript", "model": variant, "threads": threads,
                              "median_ms": ms}), flush=True)


if __name__ == "__main__":
    main()
