"""MobileOne S0-S4 in PyTorch: the reference the C code is tested against.

This is the project's own code, written to be faithful to Apple's `mobileone.py`
(apple/ml-mobileone): the same modules, the same state_dict names, the same reparameterization
(see architecture.md section 1). One difference: dilation is applied to every branch conv, so a
dilated unfused model and its fused twin compute the same thing (Apple's code only dilates the
fused conv). Dilation is used for output strides 16 and 8 (DeepLab backbones).

Layouts are PyTorch's: activations NCHW, conv weights OIHW.

State-dict names (Apple's, canonical in this project):
    unfused: stage0.rbr_conv.0.conv.weight, stageN.j.rbr_conv.i.bn.*,
             stageN.j.rbr_scale.conv.weight, stageN.j.rbr_scale.bn.*, stageN.j.rbr_skip.*,
             stageN.j.se.reduce.*, stageN.j.se.expand.*
    fused:   stage0.reparam_conv.{weight,bias}, stageN.j.reparam_conv.{weight,bias}, se.* unchanged
    head:    linear.{weight,bias}
timm's names map onto these through NAME_TABLE (apple_to_timm / timm_to_apple).
"""

import copy
import re

import torch
import torch.nn as nn
import torch.nn.functional as F

BN_EPS = 1e-5
NUM_BLOCKS = (2, 8, 10, 1)
BASE_WIDTHS = (64, 128, 256, 512)
SE_RATIO = 0.0625

# Apple's PARAMS: width multipliers of stages 1..4, conv branches k, SE (S4 only).
VARIANTS = {
    "s0": {"width_multipliers": (0.75, 1.0, 1.0, 2.0), "k": 4, "use_se": False},
    "s1": {"width_multipliers": (1.5, 1.5, 2.0, 2.5), "k": 1, "use_se": False},
    "s2": {"width_multipliers": (1.5, 2.0, 2.5, 4.0), "k": 1, "use_se": False},
    "s3": {"width_multipliers": (2.0, 2.5, 3.0, 4.0), "k": 1, "use_se": False},
    "s4": {"width_multipliers": (3.0, 3.5, 3.5, 4.0), "k": 1, "use_se": True},
}

# timm's crop_pct per variant (architecture.md 1.6).
CROP_PCT = {"s0": 0.875, "s1": 0.9, "s2": 0.9, "s3": 0.9, "s4": 0.9}


def variant_arch(variant):
    """The explicit architecture of a named variant, as a dict:
    widths (C0..C4), blocks (per stage 1..4), k, se_blocks (SE block pairs at the end of each
    stage 1..4)."""
    if variant not in VARIANTS:
        raise ValueError("unknown variant '%s' (known: %s)" % (variant, ", ".join(VARIANTS)))
    v = VARIANTS[variant]
    w = v["width_multipliers"]
    widths = [min(64, int(64 * w[0]))] + [int(b * m) for b, m in zip(BASE_WIDTHS, w)]
    # Apple: stage3 gets n//2 SE block pairs, stage4 all of its n; none elsewhere.
    se_blocks = [0, 0, NUM_BLOCKS[2] // 2, NUM_BLOCKS[3]] if v["use_se"] else [0, 0, 0, 0]
    return {"widths": widths, "blocks": list(NUM_BLOCKS), "k": v["k"], "se_blocks": se_blocks}


def find_variant(arch):
    """The name of the variant whose architecture equals `arch`, or None. k None (a fused
    model, where k is gone) matches any k."""
    for name in VARIANTS:
        v = variant_arch(name)
        if (list(arch["widths"]) == v["widths"] and list(arch["blocks"]) == v["blocks"]
                and list(arch["se_blocks"]) == v["se_blocks"]
                and arch["k"] in (None, v["k"])):
            return name
    return None


def conv_bn(cin, cout, kernel_size, stride, padding, dilation, groups):
    """One branch: Conv2d without bias, then BatchNorm2d. Names: `.conv`, `.bn`."""
    branch = nn.Sequential()
    branch.add_module("conv", nn.Conv2d(cin, cout, kernel_size, stride=stride, padding=padding,
                                        dilation=dilation, groups=groups, bias=False))
    branch.add_module("bn", nn.BatchNorm2d(cout, eps=BN_EPS))
    return branch


class SEBlock(nn.Module):
    """Apple's squeeze-excite: mean over H x W -> reduce (1x1, bias) -> ReLU -> expand (1x1,
    bias) -> sigmoid -> x * s. Reduced width int(C * 0.0625)."""

    def __init__(self, channels, rd_ratio=SE_RATIO):
        super().__init__()
        rd = int(channels * rd_ratio)
        if rd < 1:
            raise ValueError("SE on %d channels would reduce to 0 channels (need >= 16)" % channels)
        self.reduce = nn.Conv2d(channels, rd, 1, bias=True)
        self.expand = nn.Conv2d(rd, channels, 1, bias=True)

    def forward(self, x):
        s = F.avg_pool2d(x, kernel_size=[x.shape[2], x.shape[3]])
        s = torch.sigmoid(self.expand(F.relu(self.reduce(s))))
        return x * s


class MobileOneBlock(nn.Module):
    """y = ReLU(SE(sum_i BN_i(conv_i(x)) + BN_s(conv1x1_s(x)) + BN_id(x))), or after
    reparameterize(): y = ReLU(SE(reparam_conv(x))).

    rbr_scale exists when kernel_size > 1. rbr_skip exists when has_skip (by default
    cin == cout and stride == 1; the model passes the nominal OS32 stride so that removing a
    stride for a dilated backbone does not add a skip BN). Padding is dilation * (K // 2)."""

    def __init__(self, cin, cout, kernel_size, stride=1, dilation=1, groups=1, k=1,
                 use_se=False, inference_mode=False, has_skip=None):
        super().__init__()
        self.cin, self.cout, self.groups = cin, cout, groups
        self.kernel_size, self.stride, self.dilation = kernel_size, stride, dilation
        self.padding = dilation * (kernel_size // 2)
        self.k = k
        self.se = SEBlock(cout) if use_se else nn.Identity()
        self.activation = nn.ReLU()
        if has_skip is None:
            has_skip = cin == cout and stride == 1
        if inference_mode:
            self.reparam_conv = self._fused_conv()
        else:
            self.rbr_skip = nn.BatchNorm2d(cin, eps=BN_EPS) if has_skip else None
            self.rbr_conv = nn.ModuleList([
                conv_bn(cin, cout, kernel_size, stride, self.padding, dilation, groups)
                for _ in range(k)])
            self.rbr_scale = None
            if kernel_size > 1:
                self.rbr_scale = conv_bn(cin, cout, 1, stride, 0, 1, groups)

    def _fused_conv(self):
        return nn.Conv2d(self.cin, self.cout, self.kernel_size, stride=self.stride,
                         padding=self.padding, dilation=self.dilation, groups=self.groups,
                         bias=True)

    def forward(self, x):
        if hasattr(self, "reparam_conv"):
            return self.activation(self.se(self.reparam_conv(x)))
        out = 0
        if self.rbr_skip is not None:
            out = self.rbr_skip(x)
        if self.rbr_scale is not None:
            out = out + self.rbr_scale(x)
        for branch in self.rbr_conv:
            out = out + branch(x)
        return self.activation(self.se(out))

    def _fuse_bn(self, kernel, bn):
        """Folds BN into a bias-free conv kernel: W * t, beta - mean * t, t = gamma / std."""
        t = bn.weight / torch.sqrt(bn.running_var + bn.eps)
        return kernel * t.reshape(-1, 1, 1, 1), bn.bias - bn.running_mean * t

    def _identity_kernel(self):
        """[Cin, Cin/groups, K, K] zeros with 1 at [i, i % (Cin/groups), K//2, K//2]."""
        per_group = self.cin // self.groups
        kernel = torch.zeros(self.cin, per_group, self.kernel_size, self.kernel_size,
                             dtype=self.rbr_skip.weight.dtype, device=self.rbr_skip.weight.device)
        centre = self.kernel_size // 2
        for i in range(self.cin):
            kernel[i, i % per_group, centre, centre] = 1.0
        return kernel

    def fused_kernel_bias(self):
        """The fused (weight, bias), summed in Apple's order: conv branches, scale, identity."""
        kernel, bias = 0, 0
        for branch in self.rbr_conv:
            w, b = self._fuse_bn(branch.conv.weight, branch.bn)
            kernel, bias = kernel + w, bias + b
        if self.rbr_scale is not None:
            w, b = self._fuse_bn(self.rbr_scale.conv.weight, self.rbr_scale.bn)
            pad = self.kernel_size // 2
            kernel, bias = kernel + F.pad(w, [pad, pad, pad, pad]), bias + b
        if self.rbr_skip is not None:
            w, b = self._fuse_bn(self._identity_kernel(), self.rbr_skip)
            kernel, bias = kernel + w, bias + b
        return kernel, bias

    @torch.no_grad()
    def reparameterize(self):
        """Replaces the branches by one conv with bias (in place)."""
        if hasattr(self, "reparam_conv"):
            return
        kernel, bias = self.fused_kernel_bias()
        self.reparam_conv = self._fused_conv()
        self.reparam_conv.weight.copy_(kernel)
        self.reparam_conv.bias.copy_(bias)
        del self.rbr_conv, self.rbr_scale, self.rbr_skip


class MobileOne(nn.Module):
    """MobileOne: stage0 (stem) .. stage4, gap, linear.

    MobileOne("s0", num_classes=1000) or MobileOne(arch={"widths": [C0..C4], "blocks": [4 ints],
    "k": k, "se_blocks": [4 ints]}). output_stride 32 (classification), 16 (stage4's first dw
    gets stride 1) or 8 (also stage3's first dw gets stride 1). In a dilated stage the first dw
    keeps the previous dilation and the following dws use twice that (padding = dilation).
    """

    def __init__(self, variant=None, num_classes=1000, inference_mode=False, output_stride=32,
                 arch=None):
        super().__init__()
        if (variant is None) == (arch is None):
            raise ValueError("give exactly one of variant and arch")
        if output_stride not in (8, 16, 32):
            raise ValueError("output_stride must be 8, 16 or 32, not %r" % (output_stride,))
        arch = variant_arch(variant) if variant is not None else arch
        self.arch = {"widths": list(arch["widths"]), "blocks": list(arch["blocks"]),
                     "k": arch["k"], "se_blocks": list(arch["se_blocks"])}
        if self.arch["k"] is None and not inference_mode:
            raise ValueError("an unfused model needs k (the number of conv branches)")
        self.output_stride = output_stride
        self.num_classes = num_classes
        widths, blocks = self.arch["widths"], self.arch["blocks"]
        # The stem always has k = 1 (Apple does not pass k to stage0).
        self.stage0 = MobileOneBlock(3, widths[0], 3, stride=2, k=1,
                                     inference_mode=inference_mode)
        # Stages whose stride is removed: stage4 for OS16, stages 3 and 4 for OS8.
        undilated = {32: 4, 16: 3, 8: 2}[output_stride]
        dilation = 1
        for n in range(1, 5):
            dilate = n > undilated
            stage = self._make_stage(widths[n - 1], widths[n], blocks[n - 1],
                                     self.arch["se_blocks"][n - 1], dilate, dilation,
                                     inference_mode)
            setattr(self, "stage%d" % n, stage)
            if dilate:
                dilation *= 2
        self.gap = nn.AdaptiveAvgPool2d(output_size=1)
        self.linear = nn.Linear(widths[4], num_classes)

    def _make_stage(self, cin, cout, num_blocks, num_se_blocks, dilate, dilation, inference_mode):
        if num_se_blocks > num_blocks:
            raise ValueError("more SE blocks (%d) than blocks (%d)" % (num_se_blocks, num_blocks))
        layers = []
        for i in range(num_blocks):
            nominal_stride = 2 if i == 0 else 1
            stride, dw_dilation = nominal_stride, 1
            if dilate:
                stride = 1
                dw_dilation = dilation if i == 0 else 2 * dilation
            use_se = i >= num_blocks - num_se_blocks
            layers.append(MobileOneBlock(cin, cin, 3, stride=stride, dilation=dw_dilation,
                                         groups=cin, k=self.arch["k"], use_se=use_se,
                                         inference_mode=inference_mode,
                                         has_skip=nominal_stride == 1))
            layers.append(MobileOneBlock(cin, cout, 1, stride=1, k=self.arch["k"], use_se=use_se,
                                         inference_mode=inference_mode))
            cin = cout
        return nn.Sequential(*layers)

    def forward_stages(self, x):
        """The outputs of stage0 .. stage4, a list of 5 NCHW tensors."""
        outs = []
        for n in range(5):
            x = getattr(self, "stage%d" % n)(x)
            outs.append(x)
        return outs

    def forward_features(self, x):
        """The feature taps for detection / segmentation heads: (stage3, stage4) outputs."""
        outs = self.forward_stages(x)
        return outs[3], outs[4]

    def forward_head(self, x):
        return self.linear(torch.flatten(self.gap(x), 1))

    def forward(self, x):
        return self.forward_head(self.forward_stages(x)[4])


def reparameterize_model(model):
    """A fused copy of `model` (the original is left unchanged)."""
    model = copy.deepcopy(model)
    for module in model.modules():
        if isinstance(module, MobileOneBlock):
            module.reparameterize()
    return model


def count_params(model):
    return sum(p.numel() for p in model.parameters())


# ---------------------------------------------------------------------------------------------
# Names: the single Apple <-> timm mapping table (architecture.md 1.7).
# Each row maps a run of dotted name parts; the stage prefix is handled separately because timm
# shifts the stage index by one (stageN.j -> stages.{N-1}.j, stage0 -> stem).
NAME_TABLE = [
    # (Apple parts, timm parts)
    (("rbr_conv",), ("conv_kxk",)),
    (("rbr_scale",), ("conv_scale",)),
    (("rbr_skip",), ("identity",)),
    (("se", "reduce"), ("attn", "fc1")),
    (("se", "expand"), ("attn", "fc2")),
    (("linear",), ("head", "fc")),
]


def _replace_parts(parts, table):
    out, i = [], 0
    while i < len(parts):
        for src, dst in table:
            if tuple(parts[i:i + len(src)]) == src:
                out.extend(dst)
                i += len(src)
                break
        else:
            out.append(parts[i])
            i += 1
    return out


def apple_to_timm(name):
    parts = name.split(".")
    if parts[0] == "stage0":
        parts = ["stem"] + parts[1:]
    else:
        m = re.fullmatch(r"stage([1-4])", parts[0])
        if m:
            parts = ["stages", str(int(m.group(1)) - 1)] + parts[1:]
    return ".".join(_replace_parts(parts, NAME_TABLE))


def timm_to_apple(name):
    parts = name.split(".")
    if parts[0] == "stem":
        parts = ["stage0"] + parts[1:]
    elif parts[0] == "stages" and len(parts) > 1 and parts[1] in ("0", "1", "2", "3"):
        parts = ["stage%d" % (int(parts[1]) + 1)] + parts[2:]
    return ".".join(_replace_parts(parts, [(dst, src) for src, dst in NAME_TABLE]))


def is_timm_state_dict(names):
    return any(n.startswith("stem.") or n.startswith("stages.") or n.startswith("head.")
               for n in names)


# ---------------------------------------------------------------------------------------------
# Inferring the architecture from a state_dict in Apple's names (the variant is never guessed
# from a file name).

def _block_out_channels(sd, prefix):
    for name in (prefix + ".reparam_conv.weight", prefix + ".rbr_conv.0.conv.weight"):
        if name in sd:
            return sd[name].shape[0]
    raise ValueError("no conv weight for block '%s'" % prefix)


def infer_arch(sd):
    """(arch, fused, num_classes) from an Apple-named state_dict (arch["k"] is None when
    fused). Raises ValueError with a one-line message when it is not a MobileOne."""
    if "stage0.reparam_conv.weight" in sd:
        fused = True
    elif "stage0.rbr_conv.0.conv.weight" in sd:
        fused = False
    else:
        raise ValueError("no 'stage0.reparam_conv.weight' or 'stage0.rbr_conv.0.conv.weight': "
                         "not a MobileOne state_dict")
    if "linear.weight" not in sd:
        raise ValueError("no 'linear.weight': a classifier head is needed")
    widths = [_block_out_channels(sd, "stage0")]
    blocks, se_blocks = [], []
    for n in range(1, 5):
        mods = set()
        for name in sd:
            m = re.match(r"stage%d\.(\d+)\." % n, name)
            if m:
                mods.add(int(m.group(1)))
        if not mods or sorted(mods) != list(range(len(mods))) or len(mods) % 2:
            raise ValueError("stage%d has modules %s, expected 0..2n-1" % (n, sorted(mods)))
        nb = len(mods) // 2
        blocks.append(nb)
        widths.append(_block_out_channels(sd, "stage%d.%d" % (n, 2 * nb - 1)))
        se = [("stage%d.%d.se.reduce.weight" % (n, 2 * i)) in sd for i in range(nb)]
        num_se = sum(se)
        if se != [False] * (nb - num_se) + [True] * num_se:
            raise ValueError("stage%d: SE must sit on the last block pairs, found %s" % (n, se))
        se_blocks.append(num_se)
    if fused:
        k = None  # the branch count does not survive fusion
    else:
        k = len({name for name in sd if re.match(r"stage1\.0\.rbr_conv\.\d+\.conv\.weight$", name)})
    arch = {"widths": widths, "blocks": blocks, "k": k, "se_blocks": se_blocks}
    return arch, fused, sd["linear.weight"].shape[0]
