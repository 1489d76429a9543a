"""DeepLabv3 over MobileOne in PyTorch: the reference the C segmentation is tested against.

The network (architecture.md section 3.3): the project's MobileOne (mobileone_ref.py) at output
stride 16 or 8 (dilated, every branch conv included), its stage4 output fed to torchvision's
DeepLabHead structure built by hand, because DeepLabHead hard-codes the rates (12, 24, 36):
    classifier = Sequential(ASPP(in, rates, A), Conv2d(A, A, 3, padding=1, bias=False),
                            BatchNorm2d(A), ReLU(), Conv2d(A, classes, 1))
with torchvision.models.segmentation.deeplabv3.ASPP, which gives torchvision's state_dict keys
(classifier.0.convs.{0..4}..., classifier.0.project..., classifier.{1,2,4}...). A = 256 as in
torchvision; the small test goldens use fewer channels. The logits are upsampled to the input
size with F.interpolate(bilinear, align_corners=False). The backbone's names get the prefix
`backbone.` (its avgpool and linear are dropped, as IntermediateLayerGetter does).

Modes (each writes safetensors files with the config embedded, see make_goldens.py):
    --small --out DIR   reduced-width cases (committed as tests/golden/segment/)
    --full  --out DIR   S0 and S1 at real widths, 21 classes, A = 256, 512x512, OS16 and OS8
                        (for ctest, into the build folder; never committed)
    --resize OUT        bilinear resize and double-resize + argmax goldens on odd sizes
                        (committed as tests/golden/seg_resize.safetensors)
Each case folder holds model_unfused.safetensors (with an aux_classifier in some cases, which
the C loader ignores), model_fused.safetensors (backbone reparameterized by PyTorch) and
io_<H>x<W>.safetensors: input (1, 3, H, W) and logits (1, classes, H, W), from the unfused model
in eval() mode. Deterministic: each case seeds torch.
"""

import argparse
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
from torchvision.models.segmentation.deeplabv3 import ASPP
from torchvision.models.segmentation.fcn import FCNHead

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import make_goldens as mg  # noqa: E402
import mobileone_ref as mo  # noqa: E402
import safetensors_io as st  # noqa: E402

DEFAULT_RATES = {16: (6, 12, 18), 8: (12, 24, 36)}


class DeepLabV3MobileOne(nn.Module):
    """MobileOne (variant or arch) at output_stride 16 / 8 under a DeepLabv3 head."""

    def __init__(self, variant=None, arch=None, num_classes=21, output_stride=16, rates=None,
                 aspp_channels=256, aux=False, inference_mode=False):
        super().__init__()
        self.backbone = mo.MobileOne(variant=variant, arch=arch, num_classes=1,
                                     inference_mode=inference_mode, output_stride=output_stride)
        self.rates = tuple(rates or DEFAULT_RATES[output_stride])
        c4, a = self.backbone.arch["widths"][4], aspp_channels
        self.classifier = nn.Sequential(
            ASPP(c4, list(self.rates), a), nn.Conv2d(a, a, 3, padding=1, bias=False),
            nn.BatchNorm2d(a), nn.ReLU(), nn.Conv2d(a, num_classes, 1))
        # torchvision's training-only auxiliary head on stage3 (ignored by the C loader).
        self.aux_classifier = FCNHead(self.backbone.arch["widths"][3], num_classes) if aux else None

    def drop_backbone_head(self):
        del self.backbone.gap, self.backbone.linear
        return self

    def forward(self, x):
        features = self.backbone.forward_stages(x)[4]
        out = self.classifier(features)
        return F.interpolate(out, size=x.shape[-2:], mode="bilinear", align_corners=False)


@torch.no_grad()
def randomize_head_(model):
    """Random conv weights (Kaiming, ReLU gain) and BN statistics for the head (in place)."""
    heads = [model.classifier] + ([model.aux_classifier] if model.aux_classifier else [])
    for head in heads:
        for module in head.modules():
            if isinstance(module, nn.Conv2d):
                mg._fill_conv(module, 1.0)
            elif isinstance(module, nn.BatchNorm2d):
                mg._fill_bn(module)
    last = model.classifier[4]
    last.weight.normal_(0.0, 1.0 / math.sqrt(last.weight.shape[1]))


def make_model(seed, **kwargs):
    """A random unfused model in eval() mode."""
    torch.manual_seed(seed)
    model = DeepLabV3MobileOne(**kwargs)
    mg.randomize_(model.backbone)  # also fills the backbone's linear, dropped next
    model.drop_backbone_head()
    randomize_head_(model)
    return model.eval()


def fused_copy(model):
    """The model with every MobileOneBlock reparameterized (the original is unchanged)."""
    fused = mo.reparameterize_model(model).eval()
    fused.aux_classifier = None
    return fused


def save_model(path, model, config):
    sd = {k: v for k, v in model.state_dict().items()}
    st.save_state_dict(path, sd, config)


@torch.no_grad()
def run_io(model, fused, size, seed):
    torch.manual_seed(seed)
    x = torch.randn(1, 3, size[0], size[1])
    logits = model(x)
    std = float(logits.std())
    if not std > 0.1:
        raise RuntimeError("degenerate golden: logits std %.3g" % std)
    rel = mg.relative_diff(fused(x), logits)
    if not rel < 1e-5:
        raise RuntimeError("fused and unfused logits differ: relative %.3g" % rel)
    print("  %dx%d: logits std %.3f, fused vs unfused relative %.2e" % (size[0], size[1], std, rel))
    return {"input": x, "logits": logits}


def write_case(out_dir, name, model, config, sizes, seed):
    case_dir = os.path.join(out_dir, name)
    os.makedirs(case_dir, exist_ok=True)
    print("%s: %s OS%d rates %s" % (name, model.backbone.arch, model.backbone.output_stride,
                                   model.rates))
    fused = fused_copy(model)
    save_model(os.path.join(case_dir, "model_unfused.safetensors"), model, config)
    save_model(os.path.join(case_dir, "model_fused.safetensors"), fused, config)
    for size in sizes:
        io = run_io(model, fused, size, seed + 1000)
        st.save(os.path.join(case_dir, "io_%dx%d.safetensors" % size), io)


# Reduced cases: small widths, A = 16, small rates so that dilated taps land inside the small
# feature maps (64x64 gives 4x4 at OS16 and 8x8 at OS8).
SMALL_CASES = {
    "os16_k4": {"arch": {"widths": [8, 8, 12, 16, 24], "blocks": [1, 1, 2, 1], "k": 4,
                         "se_blocks": [0, 0, 0, 0]},
                "output_stride": 16, "rates": (1, 2, 3), "num_classes": 6, "aux": True,
                "seed": 21},
    "os8_k1_se": {"arch": {"widths": [8, 12, 16, 24, 32], "blocks": [1, 1, 2, 1], "k": 1,
                           "se_blocks": [0, 0, 1, 1]},
                  "output_stride": 8, "rates": (2, 3, 5), "num_classes": 5, "aux": False,
                  "seed": 22},
    # The default rates (not in the config): (12, 24, 36) at OS8, k = 2.
    "os8_k2_default_rates": {"arch": {"widths": [8, 16, 16, 16, 24], "blocks": [1, 1, 2, 1],
                                      "k": 2, "se_blocks": [0, 0, 0, 0]},
                             "output_stride": 8, "rates": None, "num_classes": 4, "aux": False,
                             "seed": 23, "sizes": [(57, 45)]},
    # Two block pairs in stage4 at OS8: its dws run at dilation 2, then 4 (and stage3's at 1, 2).
    "os8_deep_stage4": {"arch": {"widths": [8, 8, 12, 16, 16], "blocks": [1, 1, 2, 2], "k": 1,
                                 "se_blocks": [0, 0, 0, 0]},
                        "output_stride": 8, "rates": (1, 2, 3), "num_classes": 3, "aux": False,
                        "seed": 24, "sizes": [(57, 45)]},
}
SMALL_SIZES = [(64, 64), (57, 45)]
SMALL_ASPP = 16
FULL_CASES = [("s0", 16), ("s0", 8), ("s1", 16), ("s1", 8)]
FULL_SIZE = (512, 512)
FULL_NUM_CLASSES = 21


def config_for(num_classes, size, output_stride, rates, variant="custom"):
    seg = {"output_stride": output_stride}
    if rates is not None:
        seg["aspp_rates"] = list(rates)
    return {"task": "segment", "variant": variant, "num_classes": num_classes,
            "input_size": list(size), "segment": seg}


def make_small(out_dir):
    for name, c in SMALL_CASES.items():
        model = make_model(c["seed"], arch=c["arch"], num_classes=c["num_classes"],
                           output_stride=c["output_stride"], rates=c["rates"],
                           aspp_channels=SMALL_ASPP, aux=c["aux"])
        config = config_for(c["num_classes"], SMALL_SIZES[0], c["output_stride"], c["rates"])
        write_case(out_dir, name, model, config, c.get("sizes", SMALL_SIZES), c["seed"])


def make_full(out_dir, cases):
    for i, (variant, os_) in enumerate(cases):
        model = make_model(200 + i, variant=variant, num_classes=FULL_NUM_CLASSES,
                           output_stride=os_)
        config = config_for(FULL_NUM_CLASSES, FULL_SIZE, os_, None, variant)
        write_case(out_dir, "%s_os%d" % (variant, os_), model, config, [FULL_SIZE], 200 + i)


# (channels, in HxW, out HxW): up- and down-sampling, odd sizes, 1-pixel edges, identity.
RESIZE_CASES = [(3, (7, 5), (57, 45)), (4, (57, 45), (13, 11)), (2, (1, 1), (5, 3)),
                (5, (5, 3), (5, 3)), (3, (4, 4), (64, 64)), (2, (33, 29), (1, 2)),
                (3, (16, 12), (67, 49))]
# (classes, small, middle, out): the label map of a double resize, as a PyTorch pipeline does.
LABEL_CASES = [(5, (4, 3), (57, 45), (101, 77)), (21, (8, 8), (64, 64), (37, 53)),
               (3, (3, 3), (24, 24), (24, 24))]


def make_resize(path):
    torch.manual_seed(31)
    tensors = {}
    for i, (c, src, dst) in enumerate(RESIZE_CASES):
        x = torch.randn(1, c, *src)
        tensors["in_%d" % i] = x
        tensors["out_%d" % i] = F.interpolate(x, size=dst, mode="bilinear", align_corners=False)
    for i, (c, small, mid, out) in enumerate(LABEL_CASES):
        x = torch.randn(1, c, *small)
        m = F.interpolate(x, size=mid, mode="bilinear", align_corners=False)
        y = F.interpolate(m, size=out, mode="bilinear", align_corners=False)
        tensors["small_%d" % i] = x
        tensors["mid_size_%d" % i] = torch.tensor(mid, dtype=torch.float32)
        tensors["labels_%d" % i] = y.argmax(dim=1).to(torch.float32)
    st.save(path, tensors)
    print("%s: %d resize and %d label cases" % (path, len(RESIZE_CASES), len(LABEL_CASES)))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    mode = p.add_mutually_exclusive_group(required=True)
    mode.add_argument("--small", action="store_true", help="reduced-width committed goldens")
    mode.add_argument("--full", action="store_true", help="S0 and S1 at real widths, 512x512")
    mode.add_argument("--resize", metavar="OUT", help="resize / label-map golden file")
    p.add_argument("--out", help="output directory (--small, --full)")
    args = p.parse_args()
    torch.set_num_threads(max(1, min(8, os.cpu_count() or 1)))
    if args.resize:
        make_resize(args.resize)
    elif not args.out:
        p.error("--out is required with --small and --full")
    elif args.small:
        make_small(args.out)
    else:
        make_full(args.out, FULL_CASES)


if __name__ == "__main__":
    main()
