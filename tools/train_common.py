"""What train_detect.py and train_segment.py share: synth data, augmentation, the fast unfused
MobileOne forward, the schedule, checkpoints with resume, the CSV loss log and its plot.

Data: the folders `mobileone synth` writes (DIR/images/NNNNNN.jpg, DIR/annotations.json with
COCO category ids 1 2 4 5 7 9, DIR/masks/NNNNNN.png index PNGs: 0 background, 1..6 classes,
255 ignore). Images and masks are decoded with torchvision.io (libjpeg / libpng inside
Debian's python3-torchvision); a palette PNG is read as its indices.

Determinism: the sample order of epoch e is a permutation seeded by (seed, e), and the
augmentation of sample i in epoch e draws from a generator seeded by (seed, e, i), so a run
resumed from a checkpoint sees exactly the batches an uninterrupted run would have seen (the
network's own numerics may still differ in the last bits between thread counts and machines).

Checkpoints: CKPT_DIR/last.pt (model, optimizer, step, epoch, batch within the epoch, the RNG
states, the arguments and the elapsed training time), written to a temporary name and renamed,
every --ckpt-minutes and at the end of a session (--max-minutes, Ctrl-C, the last step).
CKPT_DIR/loss.csv logs every --log-every steps; CKPT_DIR/loss.png plots it (matplotlib when
installed, else a small built-in PNG renderer).
"""

import csv
import json
import math
import os
import random
import shutil
import signal
import struct
import subprocess
import sys
import time
import zlib

import torch
import torch.nn.functional as F
import torchvision.io as tvio

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mobileone_ref as mo  # noqa: E402

CLASS_NAMES = ["circle", "square", "triangle", "star", "ring", "cross"]
CATEGORY_IDS = [1, 2, 4, 5, 7, 9]  # synth's COCO category ids, in mask-index order
IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


# ---------------------------------------------------------------------------------------------
# Device and threads

def pick_device(name):
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise SystemExit("--device cuda: no CUDA device (this PyTorch: cuda %s)"
                         % torch.cuda.is_available())
    return torch.device(name)


def set_threads(n):
    if n and n > 0:
        torch.set_num_threads(n)
    return torch.get_num_threads()


# ---------------------------------------------------------------------------------------------
# The fast unfused forward: a MobileOneBlock's k conv branches (and its 1x1 scale branch,
# zero-padded to KxK) run as ONE convolution with k(+1) times the output channels, then ONE
# BatchNorm over those channels (BN is per channel, so this is exactly k(+1) separate BNs),
# then a sum over the branches. Same parameters, same state_dict names, same values and
# gradients as the branch-by-branch forward of mobileone_ref.py; running statistics are
# written back to every branch's BN.

def _stack(tensors, interleave):
    return torch.stack(tensors, 1).reshape(-1) if interleave else torch.cat(tensors, 0)


def _batch_norm_cat(y, bns, interleave):
    nb = len(bns)
    w = _stack([b.weight for b in bns], interleave)
    b = _stack([b.bias for b in bns], interleave)
    bn0 = bns[0]
    if bn0.training:
        with torch.no_grad():
            rm = _stack([m.running_mean for m in bns], interleave)
            rv = _stack([m.running_var for m in bns], interleave)
        out = F.batch_norm(y, rm, rv, w, b, True, bn0.momentum, bn0.eps)
        with torch.no_grad():
            rm = rm.view(-1, nb).t() if interleave else rm.view(nb, -1)
            rv = rv.view(-1, nb).t() if interleave else rv.view(nb, -1)
            for j, m in enumerate(bns):
                m.running_mean.copy_(rm[j])
                m.running_var.copy_(rv[j])
                m.num_batches_tracked.add_(1)
        return out
    rm = _stack([m.running_mean for m in bns], interleave)
    rv = _stack([m.running_var for m in bns], interleave)
    return F.batch_norm(y, rm, rv, w, b, False, 0.0, bn0.eps)


def _fast_block_forward(self, x):
    if hasattr(self, "reparam_conv"):
        return self.activation(self.se(self.reparam_conv(x)))
    ws = [br.conv.weight for br in self.rbr_conv]
    bns = [br.bn for br in self.rbr_conv]
    if self.rbr_scale is not None:
        p = self.kernel_size // 2
        ws.append(F.pad(self.rbr_scale.conv.weight, [p, p, p, p]))
        bns.append(self.rbr_scale.bn)
    nb = len(ws)
    depthwise = self.groups == self.cin == self.cout and self.groups > 1
    if depthwise:  # group g's outputs are channels g*nb .. g*nb+nb-1
        w = torch.stack(ws, 1).reshape(nb * self.cout, *ws[0].shape[1:])
    else:
        w = torch.cat(ws, 0)
    y = F.conv2d(x, w, None, self.stride, self.padding, self.dilation, self.groups)
    channels_last = y.dim() == 4 and y.is_contiguous(memory_format=torch.channels_last) \
        and not y.is_contiguous()
    y = _batch_norm_cat(y, bns, depthwise)
    if channels_last and y.requires_grad:
        y = _ChannelsLastGrad.apply(y)
    n, _, h, wd = y.shape
    if depthwise:
        out = y.view(n, self.cout, nb, h, wd).sum(2)
    else:
        out = y.view(n, nb, self.cout, h, wd).sum(1)
    if channels_last:
        out = out.contiguous(memory_format=torch.channels_last)
    if self.rbr_skip is not None:
        out = out + self.rbr_skip(x)
    return self.activation(self.se(out))


class _ChannelsLastGrad(torch.autograd.Function):
    """Identity whose backward hands on the gradient in channels_last layout: BatchNorm's
    backward in PyTorch 1.13 is many times slower when its input is channels_last and its
    gradient is not (as the gradient of a view + sum is)."""

    @staticmethod
    def forward(ctx, x):
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad):
        return grad.contiguous(memory_format=torch.channels_last)


def enable_fast_branches(model):
    """Switches every unfused MobileOneBlock of `model` to the one-conv forward (in place);
    blocks it cannot handle (grouped but not depthwise) keep the reference forward."""
    n = 0
    for m in model.modules():
        if isinstance(m, mo.MobileOneBlock) and not hasattr(m, "reparam_conv"):
            if m.groups == 1 or m.groups == m.cin == m.cout:
                m.forward = _fast_block_forward.__get__(m, mo.MobileOneBlock)
                n += 1
    return n


# ---------------------------------------------------------------------------------------------
# Data

def read_rgb(path):
    """(3, H, W) uint8."""
    return tvio.read_image(path, tvio.ImageReadMode.RGB)


def read_mask(path):
    """(H, W) uint8 indices (a palette PNG is read as its indices, not expanded)."""
    m = tvio.read_image(path, tvio.ImageReadMode.UNCHANGED)
    if m.shape[0] != 1:
        raise ValueError("%s: a mask must be a 1-channel index PNG, got %d channels"
                         % (path, m.shape[0]))
    return m[0]


def load_coco(folder):
    """(images, anns_by_image): images sorted by id, each {id, file_name, width, height,
    path}; anns_by_image[id] = [(x, y, w, h, category_id)]."""
    with open(os.path.join(folder, "annotations.json")) as f:
        coco = json.load(f)
    images = sorted(coco["images"], key=lambda im: im["id"])
    for im in images:
        im["path"] = os.path.join(folder, "images", im["file_name"])
    anns = {im["id"]: [] for im in images}
    for a in coco["annotations"]:
        if a.get("iscrowd", 0):
            continue
        x, y, w, h = a["bbox"]
        anns[a["image_id"]].append((x, y, w, h, a["category_id"]))
    return images, anns


def load_folders(spec):
    """load_coco over one folder or several, comma-separated (e.g. synth runs of different
    seeds). Image ids of the k-th folder are offset by k * 10^7 so they stay unique; each image
    also keeps its "folder"."""
    images, anns = [], {}
    for k, folder in enumerate(spec.split(",")):
        ims, an = load_coco(folder)
        for im in ims:
            anns[im["id"] + k * 10**7] = an[im["id"]]
            im["id"] += k * 10**7
            im["folder"] = folder
        images += ims
    return images, anns


def sample_generator(seed, epoch, index):
    return torch.Generator().manual_seed((seed * 1000003 + epoch) * 1000003 + index)


def epoch_order(n, seed, epoch):
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed * 7919 + epoch))


def _u(g, lo, hi):
    return lo + (hi - lo) * float(torch.rand((), generator=g))


def photometric(img, g):
    """img (3, H, W) float in [0, 1]: brightness, contrast, saturation jitter and a channel
    permutation (colour says nothing of a synth class)."""
    if _u(g, 0, 1) < 0.8:
        img = img * _u(g, 0.7, 1.3)
        mean = img.mean()
        img = (img - mean) * _u(g, 0.7, 1.3) + mean
        grey = img.mean(0, keepdim=True)
        img = (img - grey) * _u(g, 0.6, 1.4) + grey
    if _u(g, 0, 1) < 0.5:
        img = img[torch.randperm(3, generator=g)]
    return img.clamp_(0, 1)


def resize(img, size_hw, mode="bilinear"):
    """(C, H, W) float -> (C, h, w)."""
    if tuple(img.shape[-2:]) == tuple(size_hw):
        return img
    if mode == "nearest":
        return F.interpolate(img[None], size=size_hw, mode="nearest")[0]
    shrink = size_hw[0] < img.shape[-2] or size_hw[1] < img.shape[-1]
    return F.interpolate(img[None], size=size_hw, mode="bilinear", align_corners=False,
                         antialias=shrink)[0]


def detect_augment(img, boxes, labels, g, size_hw):
    """SSD-style: photometric jitter, zoom out (p 0.5, canvas up to 2x, ImageNet-mean fill),
    random crop (p 0.6, 40-100% of each side, boxes kept when their centre is inside and at
    least 25% of their area survives), resize to size_hw, horizontal and vertical flips.
    img (3, H, W) float [0, 1], boxes (n, 4) xyxy pixels -> the same at size_hw."""
    img = photometric(img, g)
    _, h, w = img.shape
    if _u(g, 0, 1) < 0.5:
        r = _u(g, 1.0, 2.0)
        ch, cw = int(h * r), int(w * r)
        top, left = int(_u(g, 0, ch - h)), int(_u(g, 0, cw - w))
        canvas = torch.tensor(IMAGENET_MEAN).view(3, 1, 1).expand(3, ch, cw).clone()
        canvas[:, top:top + h, left:left + w] = img
        img, h, w = canvas, ch, cw
        boxes = boxes + torch.tensor([left, top, left, top], dtype=boxes.dtype)
    if _u(g, 0, 1) < 0.6:
        for _ in range(10):
            cw, ch = int(w * _u(g, 0.4, 1.0)), int(h * _u(g, 0.4, 1.0))
            if not 0.5 <= cw / ch <= 2.0:
                continue
            left, top = int(_u(g, 0, w - cw)), int(_u(g, 0, h - ch))
            cx, cy = (boxes[:, 0] + boxes[:, 2]) / 2, (boxes[:, 1] + boxes[:, 3]) / 2
            inside = (cx > left) & (cx < left + cw) & (cy > top) & (cy < top + ch)
            nb = boxes - torch.tensor([left, top, left, top], dtype=boxes.dtype)
            nb[:, 0::2] = nb[:, 0::2].clamp(0, cw)
            nb[:, 1::2] = nb[:, 1::2].clamp(0, ch)
            area0 = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
            area1 = (nb[:, 2] - nb[:, 0]) * (nb[:, 3] - nb[:, 1])
            keep = inside & (area1 >= 0.25 * area0)
            img = img[:, top:top + ch, left:left + cw]
            boxes, labels, h, w = nb[keep], labels[keep], ch, cw
            break
    sy, sx = size_hw[0] / h, size_hw[1] / w
    img = resize(img, size_hw)
    boxes = boxes * torch.tensor([sx, sy, sx, sy], dtype=boxes.dtype)
    H, W = size_hw
    if _u(g, 0, 1) < 0.5:
        img = img.flip(-1)
        boxes = torch.stack([W - boxes[:, 2], boxes[:, 1], W - boxes[:, 0], boxes[:, 3]], 1)
    if _u(g, 0, 1) < 0.5:
        img = img.flip(-2)
        boxes = torch.stack([boxes[:, 0], H - boxes[:, 3], boxes[:, 2], H - boxes[:, 1]], 1)
    ok = ((boxes[:, 2] - boxes[:, 0]) >= 2) & ((boxes[:, 3] - boxes[:, 1]) >= 2)
    return img.contiguous(), boxes[ok].reshape(-1, 4), labels[ok]


class DetectionData:
    """A synth folder for SSD training: item(i, epoch) -> (image (3, H, W) float [0, 1] at
    size_hw, {"boxes": (n, 4) xyxy, "labels": (n,) int64 label indices 1..6})."""

    def __init__(self, folder, size_hw, seed, augment, limit=0):
        self.images, self.anns = load_folders(folder)
        if limit:
            self.images = self.images[:limit]
        self.size_hw, self.seed, self.augment = tuple(size_hw), seed, augment
        self.label_of = {c: i + 1 for i, c in enumerate(CATEGORY_IDS)}

    def __len__(self):
        return len(self.images)

    def item(self, i, epoch):
        im = self.images[i]
        img = read_rgb(im["path"]).float().div_(255)
        a = self.anns[im["id"]]
        boxes = torch.tensor([[x, y, x + w, y + h] for x, y, w, h, _ in a],
                             dtype=torch.float32).reshape(-1, 4)
        labels = torch.tensor([self.label_of[c] for *_, c in a], dtype=torch.int64)
        if self.augment:
            img, boxes, labels = detect_augment(img, boxes, labels,
                                                sample_generator(self.seed, epoch, i),
                                                self.size_hw)
        else:
            sy, sx = self.size_hw[0] / img.shape[1], self.size_hw[1] / img.shape[2]
            img = resize(img, self.size_hw)
            boxes = boxes * torch.tensor([sx, sy, sx, sy])
        return img, {"boxes": boxes, "labels": labels}


def segment_augment(img, mask, g, size_hw, base_scale):
    """Photometric jitter, random scale (0.6-1.6 of the test-time scale base_scale), random
    crop to size_hw (padding: ImageNet mean, mask 255), horizontal and vertical flips."""
    img = photometric(img, g)
    s = base_scale * _u(g, 0.6, 1.6)
    h, w = max(1, round(img.shape[1] * s)), max(1, round(img.shape[2] * s))
    img = resize(img, (h, w))
    mask = resize(mask[None].float(), (h, w), "nearest")[0].to(torch.uint8)
    H, W = size_hw
    if h < H or w < W:
        ph, pw = max(H, h), max(W, w)
        canvas = torch.tensor(IMAGENET_MEAN).view(3, 1, 1).expand(3, ph, pw).clone()
        mcanvas = torch.full((ph, pw), 255, dtype=torch.uint8)
        top, left = int(_u(g, 0, ph - h)), int(_u(g, 0, pw - w))
        canvas[:, top:top + h, left:left + w] = img
        mcanvas[top:top + h, left:left + w] = mask
        img, mask, h, w = canvas, mcanvas, ph, pw
    top, left = int(_u(g, 0, h - H)), int(_u(g, 0, w - W))
    img, mask = img[:, top:top + H, left:left + W], mask[top:top + H, left:left + W]
    if _u(g, 0, 1) < 0.5:
        img, mask = img.flip(-1), mask.flip(-1)
    if _u(g, 0, 1) < 0.5:
        img, mask = img.flip(-2), mask.flip(-2)
    return img.contiguous(), mask.contiguous()


class SegmentationData:
    """A synth folder for DeepLabv3: item(i, epoch) -> (image (3, h, w) float [0, 1], mask
    (h, w) int64). Augmented: crops of size_hw; else the whole image and mask as stored."""

    def __init__(self, folder, size_hw, seed, augment, limit=0):
        self.images, _ = load_folders(folder)
        if limit:
            self.images = self.images[:limit]
        for im in self.images:
            stem = os.path.splitext(os.path.basename(im["file_name"]))[0]
            im["mask"] = os.path.join(im["folder"], "masks", stem + ".png")
        self.size_hw, self.seed, self.augment = tuple(size_hw), seed, augment

    def __len__(self):
        return len(self.images)

    def item(self, i, epoch):
        im = self.images[i]
        img = read_rgb(im["path"]).float().div_(255)
        mask = read_mask(im["mask"])
        if self.augment:
            base = min(self.size_hw[0] / img.shape[1], self.size_hw[1] / img.shape[2])
            img, mask = segment_augment(img, mask, sample_generator(self.seed, epoch, i),
                                        self.size_hw, base)
        return img, mask.long()


class _RunBatches(torch.utils.data.Dataset):
    """Batches first..total-1 of a run (batch b of epoch e is global index e * per_epoch + b),
    each a list of data.item() results: what the training loop would build itself, so
    workers change the speed and nothing else. One loader serves the whole run: no restart
    of the workers at each epoch."""

    def __init__(self, data, seed, batch, per_epoch, first, total):
        self.data, self.seed, self.batch = data, seed, batch
        self.per_epoch, self.first, self.total = per_epoch, first, total
        self.orders = {}

    def __len__(self):
        return self.total - self.first

    def __getitem__(self, j):
        epoch, b = divmod(self.first + j, self.per_epoch)
        if epoch not in self.orders:
            self.orders = {epoch: epoch_order(len(self.data), self.seed, epoch)}
        order = self.orders[epoch]
        return [self.data.item(int(i), epoch) for i in order[b * self.batch:(b + 1) * self.batch]]


def run_batches(data, seed, batch, per_epoch, first, total, workers):
    """Iterates over the run's batches first..total-1, built in `workers` processes (0: in
    this one). Data loading on a GPU machine needs workers to keep up."""
    ds = _RunBatches(data, seed, batch, per_epoch, first, total)
    if workers <= 0:
        return (ds[j] for j in range(len(ds)))
    return iter(torch.utils.data.DataLoader(ds, batch_size=None, shuffle=False,
                                            num_workers=workers, collate_fn=lambda x: x,
                                            prefetch_factor=4, persistent_workers=False))


def normalize(batch):
    """(N, 3, H, W) in [0, 1] -> ImageNet-normalized."""
    mean = torch.tensor(IMAGENET_MEAN, device=batch.device).view(1, 3, 1, 1)
    std = torch.tensor(IMAGENET_STD, device=batch.device).view(1, 3, 1, 1)
    return (batch - mean) / std


# ---------------------------------------------------------------------------------------------
# Optimizer and schedule

def make_optimizer(model, lr, weight_decay):
    """AdamW; no weight decay on BatchNorm parameters and biases."""
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        if not p.requires_grad:
            continue
        (no_decay if p.ndim <= 1 else decay).append(p)
    return torch.optim.AdamW([{"params": decay, "weight_decay": weight_decay},
                              {"params": no_decay, "weight_decay": 0.0}], lr=lr)


def lr_at(step, total_steps, base_lr, warmup_steps, final_frac=0.01):
    """Linear warmup from 1% to base_lr, then cosine down to final_frac * base_lr."""
    if step < warmup_steps:
        return base_lr * (0.01 + 0.99 * step / max(1, warmup_steps))
    t = (step - warmup_steps) / max(1, total_steps - warmup_steps)
    t = min(1.0, t)
    return base_lr * (final_frac + (1 - final_frac) * 0.5 * (1 + math.cos(math.pi * t)))


# ---------------------------------------------------------------------------------------------
# Checkpoints

def rng_state():
    s = {"torch": torch.get_rng_state(), "python": random.getstate()}
    if torch.cuda.is_available():
        s["cuda"] = torch.cuda.get_rng_state_all()
    return s


def set_rng_state(s):
    torch.set_rng_state(s["torch"])
    random.setstate(s["python"])
    if "cuda" in s and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(s["cuda"])


def save_checkpoint(ckpt_dir, state):
    os.makedirs(ckpt_dir, exist_ok=True)
    path = os.path.join(ckpt_dir, "last.pt")
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)
    return path


def load_checkpoint(ckpt_dir, device):
    path = os.path.join(ckpt_dir, "last.pt")
    if not os.path.exists(path):
        return None
    return torch.load(path, map_location=device)


class StopFlag:
    """Set by SIGINT / SIGTERM: the loop finishes its step, checkpoints and exits."""

    def __init__(self):
        self.stop = False
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, self._handler)

    def _handler(self, signum, frame):
        if self.stop:
            raise KeyboardInterrupt
        self.stop = True
        print("\nstopping after this step (signal %d); again to abort" % signum, flush=True)


# ---------------------------------------------------------------------------------------------
# The loss log and its plot

class LossLog:
    """CKPT_DIR/loss.csv: step, epoch, images, lr, the loss terms, images/s, hours of training.
    Rows past a resumed step are dropped when a run resumes (they were never checkpointed)."""

    def __init__(self, ckpt_dir, fields, resume_step=None):
        self.path = os.path.join(ckpt_dir, "loss.csv")
        self.fields = ["step", "epoch", "images", "lr"] + list(fields) + ["img_per_s", "hours"]
        rows = []
        if resume_step is not None and os.path.exists(self.path):
            with open(self.path) as f:
                rows = [r for r in csv.DictReader(f) if int(r["step"]) <= resume_step]
        os.makedirs(ckpt_dir, exist_ok=True)
        with open(self.path, "w", newline="") as f:
            w = csv.DictWriter(f, self.fields)
            w.writeheader()
            for r in rows:
                w.writerow({k: r.get(k, "") for k in self.fields})

    def add(self, row):
        with open(self.path, "a", newline="") as f:
            csv.DictWriter(f, self.fields).writerow(
                {k: ("%.6g" % v if isinstance(v, float) else v) for k, v in row.items()})


def read_log(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def plot_log(csv_path, png_path, keys, title, x="step"):
    """Plots the loss columns `keys` against the column x (the step by default): matplotlib
    when installed, else the built-in renderer (log-scale y, a legend of coloured bars in
    column order)."""
    rows = read_log(csv_path)
    if len(rows) < 2:
        return None
    steps = [float(r[x]) for r in rows]
    series = [(k, [float(r[k]) for r in rows]) for k in keys if r_has(rows, k)]
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        write_plot_png(png_path, steps, series)
        return png_path
    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=100)
    for name, ys in series:
        ax.plot(steps, ys, label=name, linewidth=1)
    ax.set_yscale("log")
    ax.set_xlabel(x)
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.grid(True, alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(png_path)
    plt.close(fig)
    return png_path


def r_has(rows, k):
    return all(r.get(k) not in (None, "") for r in rows)


# A 3x5 pixel font for tick labels (digits, '.', '-', 'e'): each glyph is 5 rows of 3 bits.
_FONT = {
    "0": [7, 5, 5, 5, 7], "1": [2, 6, 2, 2, 7], "2": [7, 1, 7, 4, 7], "3": [7, 1, 7, 1, 7],
    "4": [5, 5, 7, 1, 1], "5": [7, 4, 7, 1, 7], "6": [7, 4, 7, 5, 7], "7": [7, 1, 1, 1, 1],
    "8": [7, 5, 7, 5, 7], "9": [7, 5, 7, 1, 7], ".": [0, 0, 0, 0, 2], "-": [0, 0, 7, 0, 0],
    "e": [0, 7, 7, 4, 7], " ": [0, 0, 0, 0, 0], "k": [4, 5, 6, 5, 5],
}
_COLORS = [(31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189)]


def write_png(path, width, height, rgb_rows):
    """rgb_rows: a bytearray of height * width * 3 bytes."""
    raw = b"".join(b"\x00" + bytes(rgb_rows[y * width * 3:(y + 1) * width * 3])
                   for y in range(height))

    def chunk(tag, data):
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data) & 0xffffffff))

    png = (b"\x89PNG\r\n\x1a\n"
           + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))
    with open(path, "wb") as f:
        f.write(png)


def write_plot_png(path, xs, series, width=800, height=450):
    """A minimal line plot without text labels but with numeric ticks: log10 y axis."""
    px = bytearray(b"\xff" * (width * height * 3))
    L, R, T, B = 60, 20, 20, 40

    def put(x, y, c):
        if 0 <= x < width and 0 <= y < height:
            i = (y * width + x) * 3
            px[i:i + 3] = bytes(c)

    def text(x, y, s, c=(0, 0, 0), scale=2):
        for ch in s:
            for r, bits in enumerate(_FONT.get(ch, _FONT[" "])):
                for b in range(3):
                    if bits >> (2 - b) & 1:
                        for dy in range(scale):
                            for dx in range(scale):
                                put(x + b * scale + dx, y + r * scale + dy, c)
            x += 4 * scale

    def line(x0, y0, x1, y1, c):
        n = max(abs(x1 - x0), abs(y1 - y0), 1)
        for i in range(n + 1):
            put(round(x0 + (x1 - x0) * i / n), round(y0 + (y1 - y0) * i / n), c)

    vals = [v for _, ys in series for v in ys if v > 0]
    if not vals:
        return
    lo, hi = math.floor(math.log10(min(vals))), math.ceil(math.log10(max(vals)))
    if hi == lo:
        hi = lo + 1
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1

    def X(x):
        return round(L + (x - x0) / (x1 - x0) * (width - L - R))

    def Y(v):
        return round(T + (hi - math.log10(max(v, 10.0 ** lo))) / (hi - lo) * (height - T - B))

    for d in range(lo, hi + 1):  # horizontal decades and their labels
        for m in (1, 2, 5):
            v = m * 10.0 ** d
            if v > 10.0 ** hi:
                break
            y = Y(v)
            for x in range(L, width - R, 1 if m == 1 else 4):
                put(x, y, (200, 200, 200) if m == 1 else (230, 230, 230))
            if m == 1:
                text(4, y - 5, ("%g" % v)[:7])
    for i in range(6):  # x ticks
        xv = x0 + (x1 - x0) * i / 5
        x = X(xv)
        line(x, height - B, x, height - B + 5, (0, 0, 0))
        label = "%d" % xv if xv < 10000 else "%dk" % (xv / 1000)
        text(x - len(label) * 4, height - B + 10, label)
    line(L, T, L, height - B, (0, 0, 0))
    line(L, height - B, width - R, height - B, (0, 0, 0))
    for k, (_, ys) in enumerate(series):
        c = _COLORS[k % len(_COLORS)]
        for i in range(1, len(xs)):
            line(X(xs[i - 1]), Y(ys[i - 1]), X(xs[i]), Y(ys[i]), c)
        for dy in range(6):  # legend: a bar per series, top right, in column order
            for dx in range(30):
                put(width - R - 40 - dx, T + 8 + k * 14 + dy, c)
    write_png(path, width, height, px)


# ---------------------------------------------------------------------------------------------
# Small helpers

def elapsed_str(seconds):
    return "%dh%02dm%02ds" % (seconds // 3600, seconds % 3600 // 60, seconds % 60)


def git_describe():
    """The commit of the tools' repository (for the model card), or None."""
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, cwd=os.path.dirname(os.path.abspath(__file__)),
                              timeout=10).stdout.strip() or None
    except Exception:
        return None


def find_binary(explicit=None):
    """The `mobileone` binary: explicit, else $MO_BINARY_DIR/mobileone, else None."""
    cands = [explicit] if explicit else []
    bdir = os.environ.get("MO_BINARY_DIR")
    if bdir:
        cands += [os.path.join(bdir, "mobileone"), os.path.join(bdir, "apps", "mobileone")]
    for c in cands:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


# ---------------------------------------------------------------------------------------------
# Quick evaluation in Python (the C pipeline, `mobileone eval coco|miou`, is the reference)

def _iou_xywh(d, g):
    """(nd, 4) x (ng, 4) xywh -> (nd, ng) IoU, as pycocotools (no crowd)."""
    dx2, dy2 = d[:, 0] + d[:, 2], d[:, 1] + d[:, 3]
    gx2, gy2 = g[:, 0] + g[:, 2], g[:, 1] + g[:, 3]
    iw = (torch.min(dx2[:, None], gx2[None]) - torch.max(d[:, None, 0], g[None, :, 0])).clamp(0)
    ih = (torch.min(dy2[:, None], gy2[None]) - torch.max(d[:, None, 1], g[None, :, 1])).clamp(0)
    inter = iw * ih
    union = (d[:, 2] * d[:, 3])[:, None] + (g[:, 2] * g[:, 3])[None] - inter
    return inter / union


def coco_ap(gt_by_image, dets, max_dets=100):
    """COCO bbox AP@[.5:.95] and AP50 (area 'all', 101-point interpolation, greedy matching
    as pycocotools, no crowd): a close approximation for monitoring. gt_by_image[id] =
    [(x, y, w, h, category_id)]; dets = [{"image_id", "category_id", "bbox", "score"}]."""
    thresholds = [0.5 + 0.05 * i for i in range(10)]
    cats = sorted({c for g in gt_by_image.values() for *_, c in g})
    by = {}
    for d in dets:
        by.setdefault((d["image_id"], d["category_id"]), []).append(d)
    aps = []
    for c in cats:
        scores, tps, npos = [], [[] for _ in thresholds], 0
        for img_id, gts in gt_by_image.items():
            g = torch.tensor([gg[:4] for gg in gts if gg[4] == c], dtype=torch.float64)
            npos += g.shape[0]
            ds = sorted(by.get((img_id, c), []), key=lambda d: -d["score"])[:max_dets]
            if not ds:
                continue
            scores += [d["score"] for d in ds]
            if g.shape[0] == 0:
                for t in range(len(thresholds)):
                    tps[t] += [0] * len(ds)
                continue
            iou = _iou_xywh(torch.tensor([d["bbox"] for d in ds], dtype=torch.float64), g)
            for t, thr in enumerate(thresholds):
                used = [False] * g.shape[0]
                for i in range(len(ds)):
                    best, bj = min(thr, 1 - 1e-10), -1
                    for j in range(g.shape[0]):
                        if not used[j] and iou[i, j] >= best:
                            best, bj = iou[i, j], j
                    if bj >= 0:
                        used[bj] = True
                    tps[t].append(1 if bj >= 0 else 0)
        if npos == 0:
            continue
        order = sorted(range(len(scores)), key=lambda i: -scores[i])
        ap_c = []
        for t in range(len(thresholds)):
            tp = torch.tensor([tps[t][i] for i in order], dtype=torch.float64)
            ctp, cfp = tp.cumsum(0), (1 - tp).cumsum(0)
            rec = ctp / npos
            prec = ctp / (ctp + cfp).clamp(min=1e-12)
            for i in range(len(prec) - 2, -1, -1):
                prec[i] = max(prec[i], prec[i + 1])
            q = 0.0
            for r in [i / 100 for i in range(101)]:
                k = int(torch.searchsorted(rec, torch.tensor(r, dtype=torch.float64)))
                q += float(prec[k]) if k < len(prec) else 0.0
            ap_c.append(q / 101)
        aps.append(ap_c)
    if not aps:
        return 0.0, 0.0
    ap = sum(sum(a) / len(a) for a in aps) / len(aps)
    ap50 = sum(a[0] for a in aps) / len(aps)
    return ap, ap50


def confusion(pred, gt, num_classes, ignore_index=255):
    """(num_classes, num_classes) int64 counts [gt, pred], pixels with gt == ignore left out."""
    keep = gt != ignore_index
    idx = gt[keep] * num_classes + pred[keep]
    return torch.bincount(idx, minlength=num_classes * num_classes).view(num_classes,
                                                                          num_classes)


def miou(conf):
    """mmseg's IoUMetric from a confusion matrix: (mIoU over classes present in GT or
    prediction, per-class IoU (nan where the union is empty), aAcc)."""
    conf = conf.double()
    inter = conf.diag()
    union = conf.sum(0) + conf.sum(1) - inter
    iou = inter / union  # nan for 0/0
    valid = ~torch.isnan(iou)
    m = float(iou[valid].mean()) if valid.any() else float("nan")
    return m, iou.tolist(), float(inter.sum() / conf.sum().clamp(min=1))


# ---------------------------------------------------------------------------------------------
# The training loop both scripts run

def c_info(binary, model_path):
    """`mobileone info` on an export: its text, printed; a failure ends the run."""
    r = subprocess.run([binary, "info", model_path], capture_output=True, text=True)
    text = (r.stdout + r.stderr).strip()
    print("mobileone info:\n" + text)
    if r.returncode:
        raise SystemExit("mobileone info failed on %s" % model_path)
    return text


def write_record(args, summary):
    """After an export: copies CKPT's loss curve next to it (<export>_loss.png / .csv) and
    writes <export>_train.json: `summary` (the evaluations), every argument, the commit and
    the hours trained."""
    prefix = os.path.splitext(args.export)[0]
    csv_path = os.path.join(args.ckpt, "loss.csv")
    if os.path.exists(os.path.join(args.ckpt, "loss.png")):
        shutil.copyfile(os.path.join(args.ckpt, "loss.png"), prefix + "_loss.png")
        shutil.copyfile(csv_path, prefix + "_loss.csv")
    summary = dict(summary)
    summary.update({"args": {k: v for k, v in vars(args).items()
                             if k not in ("device", "mobileone")},
                    "commit": git_describe(),
                    "train_hours": read_log(csv_path)[-1]["hours"]
                    if os.path.exists(csv_path) else None})
    with open(prefix + "_train.json", "w") as f:
        json.dump(summary, f, indent=1)


def add_train_args(p, batch, lr, epochs, size):
    p.add_argument("--train", help="synth train folder (mobileone synth --split train), or "
                   "several, comma-separated")
    p.add_argument("--val", help="synth val folder, for the evaluation after training")
    p.add_argument("--ckpt", required=True, help="checkpoint folder (last.pt, loss.csv, loss.png)")
    p.add_argument("--resume", action="store_true", help="continue from CKPT/last.pt")
    p.add_argument("--epochs", type=int, default=epochs, help="epochs (default %d)" % epochs)
    p.add_argument("--batch", type=int, default=batch, help="batch size (default %d)" % batch)
    p.add_argument("--lr", type=float, default=lr, help="AdamW peak lr (default %g)" % lr)
    p.add_argument("--wd", type=float, default=0.05, help="AdamW weight decay (not on BN, "
                   "biases) (default 0.05)")
    p.add_argument("--warmup", type=float, default=0.03,
                   help="warmup, a fraction of all steps (default 0.03)")
    p.add_argument("--size", type=int, default=size, help="input size (default %d)" % size)
    p.add_argument("--seed", type=int, default=1, help="seed of init, order, augmentation")
    p.add_argument("--limit", type=int, default=0, help="use the first N train images only")
    p.add_argument("--max-minutes", type=float, default=0,
                   help="stop (checkpoint) after this many minutes of this session; 0: none")
    p.add_argument("--time-budget", type=float, default=0, metavar="MINUTES",
                   help="end training after MINUTES of training time, the learning-rate "
                        "schedule following the share of the budget spent (or of the epochs, "
                        "if further): for a machine of unknown speed, with a large --epochs")
    p.add_argument("--ckpt-minutes", type=float, default=10, help="checkpoint every N minutes")
    p.add_argument("--log-every", type=int, default=10, help="log every N steps")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--threads", type=int, default=0, help="torch threads (default: torch's)")
    p.add_argument("--workers", type=int, default=0,
                   help="data loading processes (default 0: in the training process; on a "
                        "GPU machine use several, e.g. 8)")
    p.add_argument("--channels-last", type=int, default=0, choices=[0, 1],
                   help="NHWC activations (1) or NCHW (0, default)")
    p.add_argument("--amp", default="none", choices=["none", "bf16"],
                   help="on a GPU, run the network (not the loss) in bf16 autocast "
                        "(default none: F32)")
    p.add_argument("--fast-branches", type=int, default=1, choices=[0, 1],
                   help="run the k branches of a block as one conv (1, default; same maths)")
    p.add_argument("--export", metavar="OUT.safetensors",
                   help="write the unfused model with its config (after training, or from "
                        "CKPT/last.pt when there is nothing left to train)")
    p.add_argument("--eval-limit", type=int, default=0, help="evaluate the first N val images")
    p.add_argument("--bench", type=int, default=0, metavar="STEPS",
                   help="measure training throughput over STEPS steps (after 2 warm-up steps) "
                        "and exit; nothing is written")
    p.add_argument("--mobileone", help="the mobileone binary, to check the export "
                   "(default: $MO_BINARY_DIR/mobileone)")
    p.add_argument("--init-backbone", metavar="BACKBONE.pt",
                   help="start a fresh run from the backbone train_crops.py pretrained on the "
                        "same synth train split (ignored on --resume)")
    p.add_argument("--init-from", metavar="MODEL.safetensors",
                   help="start a fresh run from a whole exported model of the same kind (F16 "
                        "or F32), for a further schedule (ignored on --resume)")


def _to_float(out):
    if torch.is_tensor(out):
        return out.float()
    if isinstance(out, dict):
        return type(out)((k, _to_float(v)) for k, v in out.items())
    if isinstance(out, (list, tuple)):
        return type(out)(_to_float(v) for v in out)
    return out


def autocast_modules(modules, amp, device):
    """--amp bf16 on a GPU: each module's forward runs in bf16 autocast and hands on F32
    outputs (so anchors, box targets and losses stay F32). Returns an undo function (a deep
    copy of a wrapped module would call the original's forward)."""
    if amp == "none" or device.type != "cuda":
        if amp != "none":
            print("--amp %s: only on a GPU; training in F32" % amp)
        return lambda: None
    for module in modules:
        inner = module.forward

        def forward(*a, _inner=inner, **k):
            with torch.autocast("cuda", dtype=torch.bfloat16):
                out = _inner(*a, **k)
            return _to_float(out)
        module.forward = forward

    def undo():
        for module in modules:
            module.__dict__.pop("forward", None)
    return undo


def init_backbone(model, path):
    """Copies the backbone of a train_crops.py export (Apple's names) into model's
    `backbone.` weights; every tensor must find its place."""
    sd = torch.load(path, map_location="cpu", weights_only=True)["backbone"]
    own = model.state_dict()
    moved = {}
    for k, v in sd.items():
        name = "backbone." + k
        if name not in own or own[name].shape != v.shape:
            raise SystemExit("%s: %s has no place in this model" % (path, k))
        moved[name] = v.to(own[name].device)
    model.load_state_dict(moved, strict=False)
    print("backbone initialized from %s (%d tensors)" % (path, len(moved)))


def init_model(model, path, rename=None):
    """Starts from a whole exported model (e.g. an F16 export, to train it further with a new
    schedule): every tensor of the model must be in the file with its shape. When the file
    lacks some, rename(name) maps its names to the model's, and the model's tensors left
    unfilled keep their init (a part the file's model lacks, e.g. a new SSD map)."""
    import safetensors_io as st
    tensors, _ = st.load(path)
    own = model.state_dict()
    if rename is not None and any(k not in tensors for k in own):
        tensors = {rename(k): v for k, v in tensors.items()}
        fresh = [k for k in own if k not in tensors]
        tensors.update({k: own[k] for k in fresh})
        print("%s: %d tensors of the model not in the file keep their init" % (path, len(fresh)))
    missing = [k for k in own if k not in tensors]
    wrong = [k for k in own if k in tensors and tensors[k].shape != own[k].shape]
    if missing or wrong:
        raise SystemExit("%s: not this model (%d tensors missing, e.g. %s; %d of another shape)"
                         % (path, len(missing), (missing or wrong)[0], len(wrong)))
    model.load_state_dict({k: tensors[k].to(own[k].dtype) for k in own})
    print("model initialized from %s (%d tensors)" % (path, len(own)))


def start(parser, build, name):
    """Parses the arguments; sets the threads, the device and the seed; builds the model
    (build(args)) and prepares it. Returns (args, device, model)."""
    args = parser.parse_args()
    set_threads(args.threads)
    device = pick_device(args.device)
    torch.manual_seed(args.seed)
    model = build(args)
    prepare_model(model, args, device)
    print("%s (unfused k=4): %.2fM parameters, device %s, %d threads"
          % (name, mo.count_params(model) / 1e6, device, torch.get_num_threads()))
    if not args.train:
        parser.error("--train is required")
    return args, device, model


def prepare_model(model, args, device):
    if args.fast_branches:
        enable_fast_branches(model)
    model.to(device)
    if args.channels_last:
        model.to(memory_format=torch.channels_last)
    return model


def train(args, model, data, loss_fn, loss_keys, title, init_rename=None):
    """Trains model on data: loss_fn(model, [items], device) -> dict of losses (summed).
    Returns (model, done): done is False when the session stopped before the last epoch."""
    device = pick_device(args.device)
    torch.manual_seed(args.seed)
    random.seed(args.seed)
    steps_per_epoch = len(data) // args.batch
    if steps_per_epoch < 1:
        raise SystemExit("%d training images for batch %d" % (len(data), args.batch))
    total = steps_per_epoch * args.epochs
    warmup = int(args.warmup * total)
    opt = make_optimizer(model, args.lr, args.wd)
    step, train_s = 0, 0.0
    ckpt = load_checkpoint(args.ckpt, device) if args.resume else None
    if ckpt is not None:
        model.load_state_dict(ckpt["model"])
        opt.load_state_dict(ckpt["optimizer"])
        step, train_s = ckpt["step"], ckpt["train_seconds"]
        set_rng_state(ckpt["rng"])
        if ckpt["steps_per_epoch"] != steps_per_epoch:
            raise SystemExit("the checkpoint has %d steps per epoch, this run %d: same --train, "
                             "--limit and --batch please" % (ckpt["steps_per_epoch"],
                                                            steps_per_epoch))
        print("resumed %s at step %d/%d (%s trained)" % (args.ckpt, step, total,
                                                           elapsed_str(train_s)))
    elif args.resume:
        print("no checkpoint in %s: starting fresh" % args.ckpt)
    if ckpt is None and getattr(args, "init_backbone", None):
        init_backbone(model, args.init_backbone)
    if ckpt is None and getattr(args, "init_from", None):
        init_model(model, args.init_from, init_rename)
    log = None if args.bench else LossLog(args.ckpt, ["loss"] + loss_keys, step)
    stop = StopFlag()
    t_session = time.time()
    t_ckpt = time.time()
    acc, acc_n, t_log, img_log = {}, 0, time.time(), 0
    bench_t, bench_data_t = [], []

    def checkpoint():
        save_checkpoint(args.ckpt, {
            "model": model.state_dict(), "optimizer": opt.state_dict(), "step": step,
            "steps_per_epoch": steps_per_epoch, "train_seconds": train_s, "rng": rng_state(),
            "args": vars(args)})

    model.train()
    if device.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed input sizes
    budget_s = 60 * (getattr(args, "time_budget", 0) or 0)

    def progress_steps():
        """Where the schedule stands, in steps: the step, or with --time-budget the share of
        the budget trained so far, whichever is further."""
        return max(step, total * train_s / budget_s) if budget_s else step

    batches = run_batches(data, args.seed, args.batch, steps_per_epoch, step, total,
                          getattr(args, "workers", 0))
    while progress_steps() < total:
        t0 = time.time()
        items = next(batches)
        t1 = time.time()
        lr = lr_at(progress_steps(), total, args.lr, warmup)
        for g in opt.param_groups:
            g["lr"] = lr
        losses = loss_fn(model, items, device)
        loss = sum(losses.values())
        if not torch.isfinite(loss):
            raise SystemExit("step %d: the loss is %s" % (step, float(loss)))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        step += 1
        t2 = time.time()
        train_s += t2 - t0
        if args.bench:
            bench_t.append(t2 - t0)
            bench_data_t.append(t1 - t0)
            if step >= args.bench + 2:
                n = args.bench
                s, d = sum(bench_t[2:]), sum(bench_data_t[2:])
                print("bench: batch %d, %d steps, %.2f s/step (data %.2f s), %.2f images/s, "
                      "threads %d, channels_last %d, fast_branches %d, loss %.3f" % (
                          args.batch, n, s / n, d / n, n * args.batch / s,
                          torch.get_num_threads(), args.channels_last, args.fast_branches,
                          float(loss)))
                return model, False
            continue
        for k, v in losses.items():
            acc[k] = acc.get(k, 0.0) + float(v)
        acc_n += 1
        img_log += len(items)
        if step % args.log_every == 0 or progress_steps() >= total:
            now = time.time()
            row = {"step": step, "epoch": step / steps_per_epoch, "images": step * args.batch,
                   "lr": lr, "img_per_s": img_log / max(1e-9, now - t_log),
                   "hours": train_s / 3600}
            row.update({k: v / acc_n for k, v in acc.items()})
            row["loss"] = sum(v / acc_n for k, v in acc.items() if k != "loss")
            log.add(row)
            print("step %d/%d ep %.2f lr %.2e loss %.4f (%s) %.1f img/s %s" % (
                step, total, row["epoch"], lr, row["loss"],
                " ".join("%s %.4f" % (k, v / acc_n) for k, v in acc.items()),
                row["img_per_s"], elapsed_str(train_s)), flush=True)
            acc, acc_n, t_log, img_log = {}, 0, now, 0
        out_of_time = args.max_minutes and time.time() - t_session > args.max_minutes * 60
        if time.time() - t_ckpt > args.ckpt_minutes * 60 or stop.stop or out_of_time:
            checkpoint()
            plot_log(log.path, os.path.join(args.ckpt, "loss.png"), ["loss"] + loss_keys, title)
            t_ckpt = time.time()
            if stop.stop or out_of_time:
                print("stopped at step %d/%d; resume with --resume" % (step, total))
                return model, False
    if log is not None and not (ckpt is not None and ckpt["step"] >= total):
        checkpoint()
        plot_log(log.path, os.path.join(args.ckpt, "loss.png"), ["loss"] + loss_keys, title)
    return model, True
