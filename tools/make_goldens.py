"""Makes golden data for the C classification tests from random-weight MobileOne models.

Each case gets a directory <out>/<case>/ with
    model_unfused.safetensors  Apple's train-time names, F32 (num_batches_tracked as I64), with
                               __metadata__ mobileone.config = {"task": "classify", "variant": ..,
                               "num_classes": N, "input_size": [H, W]}
    model_fused.safetensors    the same model after reparameterize() (Apple's reparam_conv names)
    model_timm.safetensors     the unfused weights under timm's names (some cases only)
    io.safetensors             (--small) or io_<H>x<W>.safetensors (--full, one per size):
                               input [1,3,H,W], logits [1,N] and stage0..stage4 feature maps,
                               all F32 NCHW, computed by the UNFUSED model in eval() mode.
Weights are random but not trivial: every BN has random statistics and affine parameters, and
conv weights are scaled so that activations keep a sane magnitude through all stages.

    --small --out DIR   reduced-width cases covering the C code paths (committed as
                        tests/golden/classify/)
    --full  --out DIR   S0-S4 at real widths, 1000 classes, sizes 224x224 and 193x161 (for CI,
                        never committed) [--variants s0,s1] [--sizes 224x224,193x161]
Deterministic: each case seeds torch with its own fixed seed.
"""

import argparse
import json
import math
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mobileone_ref as mo  # noqa: E402
import safetensors_io as st  # noqa: E402

# Reduced test configs. widths are C0..C4, blocks and se_blocks per stage 1..4.
SMALL_CASES = {
    # S0-like: k = 4, C0 == C1 so stage1's first pw has a skip BN; odd input size.
    "k4_skip_33x29": {"arch": {"widths": [8, 8, 12, 16, 20], "blocks": [2, 1, 1, 1], "k": 4,
                               "se_blocks": [0, 0, 0, 0]},
                      "num_classes": 10, "size": (33, 29), "timm": False, "seed": 1},
    # S1..S4-like: k = 1, widening first pw, SE in stage3's last pair and stage4; even size;
    # also written with timm's names.
    "k1_se_32x32": {"arch": {"widths": [8, 12, 16, 24, 32], "blocks": [1, 1, 2, 1], "k": 1,
                             "se_blocks": [0, 0, 1, 1]},
                    "num_classes": 10, "size": (32, 32), "timm": True, "seed": 2},
    # Generic paths: k = 2, C1 == C2 == C3 (first pws with a skip), two stage4 pairs, SE in
    # three stages (16 channels: the smallest SE width, reduced to 1), an odd size.
    "k2_se_25x19": {"arch": {"widths": [8, 16, 16, 16, 24], "blocks": [1, 1, 2, 2], "k": 2,
                             "se_blocks": [0, 1, 1, 1]},
                    "num_classes": 7, "size": (25, 19), "timm": False, "seed": 3},
}
FULL_SIZES = [(224, 224), (193, 161)]
FULL_NUM_CLASSES = 1000


def _fill_bn(bn):
    bn.running_mean.normal_(0.0, float(torch.empty(1).uniform_(0.1, 0.5)))
    bn.running_var.uniform_(0.5, 2.0)
    bn.weight.uniform_(0.5, 1.5)
    bn.bias.normal_(0.0, 0.1)


def _fill_conv(conv, scale):
    """Kaiming-normal (ReLU gain) times `scale`; bias N(0, 0.1) when present."""
    fan_in = conv.weight[0].numel()
    conv.weight.normal_(0.0, scale * math.sqrt(2.0 / fan_in))
    if conv.bias is not None:
        conv.bias.normal_(0.0, 0.1)


@torch.no_grad()
def randomize_(model):
    """Random weights and BN statistics for an unfused model (in place)."""
    for module in model.modules():
        if isinstance(module, mo.MobileOneBlock):
            branches = list(module.rbr_conv)
            if module.rbr_scale is not None:
                branches.append(module.rbr_scale)
            terms = len(branches) + (module.rbr_skip is not None)
            for branch in branches:
                # The terms of the branch sum add up: keep their total variance near one.
                _fill_conv(branch.conv, 1.0 / math.sqrt(terms))
                _fill_bn(branch.bn)
            if module.rbr_skip is not None:
                _fill_bn(module.rbr_skip)
                module.rbr_skip.weight.mul_(1.0 / math.sqrt(terms))
        elif isinstance(module, mo.SEBlock):
            _fill_conv(module.reduce, 1.0)
            _fill_conv(module.expand, 0.5)
            module.expand.bias.add_(1.0)  # gates mostly open (sigmoid(1) = 0.73)
    fan_in = model.linear.weight.shape[1]
    model.linear.weight.normal_(0.0, 1.0 / math.sqrt(fan_in))
    model.linear.bias.normal_(0.0, 0.1)


def make_model(arch=None, variant=None, num_classes=10, seed=0):
    """A random unfused model in eval() mode (deterministic from `seed`)."""
    torch.manual_seed(seed)
    model = mo.MobileOne(variant=variant, arch=arch, num_classes=num_classes)
    randomize_(model)
    return model.eval()


def relative_diff(a, b):
    """max|a - b| / max|b| over the whole tensor."""
    return float((a - b).abs().max() / b.abs().max())


@torch.no_grad()
def run_io(model, fused, size, seed):
    """The io tensors for one input size, checked for degeneracy and against the fused twin."""
    torch.manual_seed(seed)
    x = torch.randn(1, 3, size[0], size[1])
    stages = model.forward_stages(x)
    logits = model.forward_head(stages[4])
    std = float(logits.std())
    if not std > 0.1:
        raise RuntimeError("degenerate golden: logits std %.3g" % std)
    rel = relative_diff(fused(x), logits)
    if not rel < 1e-5:
        raise RuntimeError("fused and unfused logits differ: relative %.3g" % rel)
    io = {"input": x, "logits": logits}
    for n, s in enumerate(stages):
        io["stage%d" % n] = s
    print("  %dx%d: logits std %.3f, stage stds %s, fused vs unfused relative %.2e"
          % (size[0], size[1], std, " ".join("%.2f" % float(s.std()) for s in stages), rel))
    return io


def write_case(out_dir, name, model, config, sizes, io_names, timm, seed):
    case_dir = os.path.join(out_dir, name)
    os.makedirs(case_dir, exist_ok=True)
    print("%s: %s" % (name, json.dumps(model.arch)))
    fused = mo.reparameterize_model(model).eval()
    sd = model.state_dict()
    st.save_state_dict(os.path.join(case_dir, "model_unfused.safetensors"), sd, config)
    st.save_state_dict(os.path.join(case_dir, "model_fused.safetensors"), fused.state_dict(),
                       config)
    if timm:
        timm_sd = {mo.apple_to_timm(k): v for k, v in sd.items()}
        st.save_state_dict(os.path.join(case_dir, "model_timm.safetensors"), timm_sd, config)
    for size, io_name in zip(sizes, io_names):
        io = run_io(model, fused, size, seed + 1000)
        st.save(os.path.join(case_dir, io_name), io)


def make_small(out_dir):
    for name, case in SMALL_CASES.items():
        model = make_model(arch=case["arch"], num_classes=case["num_classes"], seed=case["seed"])
        config = {"task": "classify", "variant": "custom", "num_classes": case["num_classes"],
                  "input_size": list(case["size"])}
        write_case(out_dir, name, model, config, [case["size"]], ["io.safetensors"],
                   case["timm"], case["seed"])


def make_full(out_dir, variants, sizes):
    for i, variant in enumerate(variants):
        model = make_model(variant=variant, num_classes=FULL_NUM_CLASSES, seed=100 + i)
        config = {"task": "classify", "variant": variant, "num_classes": FULL_NUM_CLASSES,
                  "input_size": list(sizes[0])}
        io_names = ["io_%dx%d.safetensors" % s for s in sizes]
        write_case(out_dir, variant, model, config, sizes, io_names, variant == "s0", 100 + i)


def parse_size(text):
    h, w = text.lower().split("x")
    return int(h), int(w)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--small", action="store_true", help="reduced-width committed goldens")
    mode.add_argument("--full", action="store_true", help="S0-S4 at real widths")
    p.add_argument("--out", required=True, help="output directory")
    p.add_argument("--variants", default="s0,s1,s2,s3,s4", help="--full: comma-separated")
    p.add_argument("--sizes", default="224x224,193x161", help="--full: HxW, comma-separated")
    args = p.parse_args()
    torch.set_num_threads(max(1, min(8, os.cpu_count() or 1)))
    if args.small:
        make_small(args.out)
    else:
        variants = [v.strip() for v in args.variants.split(",") if v.strip()]
        for v in variants:
            if v not in mo.VARIANTS:
                p.error("unknown variant '%s' (known: %s)" % (v, ", ".join(mo.VARIANTS)))
        make_full(args.out, variants, [parse_size(s) for s in args.sizes.split(",")])


if __name__ == "__main__":
    main()
