"""Pretrains the MobileOne-S0 backbone (unfused, k = 4) on windows cut from the synth train
split: a 7-way classifier (0 background, 1..6 circle, square, triangle, star, ring, cross).

Why: from scratch, the detector and the segmenter spend their first hours at the class prior
(on these scenes an object's outline, not its colour, says what it is, and distractor shapes
are background). A window around one object is a far easier lesson -- one centred shape, one
label -- and costs a 16th of a 256x256 image at 64x64, so the backbone learns the shapes in
minutes; train_detect.py and train_segment.py then start from it (--init-backbone). Nothing
but the synth train split is used: still trained from scratch on it.

Windows: per object a square around its box (1.2-1.8 times its longer side, shifted by up to
15 % of the window); per image one background window (40-160 px, the one of ten random tries
that holds the fewest object pixels of the mask). Then 64x64, the photometric jitter of
train_common, flips and quarter turns.

    python3 tools/train_crops.py --train out/synth/train --val out/synth/val \\
        --ckpt out/runs/crops --resume --export out/runs/crops/backbone.pt
"""

import argparse
import os
import sys

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mobileone_ref as mo  # noqa: E402
import train_common as tc  # noqa: E402

NUM_CLASSES = 7


def build_model(variant="s0", arch=None):
    return mo.MobileOne(variant=variant if arch is None else None, arch=arch,
                        num_classes=NUM_CLASSES)


def export_backbone(model, path, summary=None):
    """The backbone's weights (the classifier's linear layer left out), for --init-backbone."""
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    sd = {k: v.detach().cpu() for k, v in model.state_dict().items()
          if not k.startswith("linear.")}
    torch.save({"backbone": sd, "val": summary}, path + ".tmp")
    os.replace(path + ".tmp", path)
    print("backbone written to %s (%d tensors)" % (path, len(sd)))


class CropData:
    """item(i, epoch) -> (window (3, size, size) float [0, 1], label 0..6)."""

    def __init__(self, folder, size, seed, augment, limit=0):
        images, anns = tc.load_coco(folder)
        if limit:
            images = images[:limit]
        label_of = {c: i + 1 for i, c in enumerate(tc.CATEGORY_IDS)}
        self.images, self.size, self.seed, self.augment = images, size, seed, augment
        self.items = []  # (image index, (x, y, w, h) or None for background, label)
        for i, im in enumerate(images):
            stem = os.path.splitext(os.path.basename(im["file_name"]))[0]
            im["mask"] = os.path.join(folder, "masks", stem + ".png")
            for x, y, w, h, c in anns[im["id"]]:
                self.items.append((i, (x, y, w, h), label_of[c]))
            self.items.append((i, None, 0))

    def __len__(self):
        return len(self.items)

    def _window(self, box, im, g):
        if box is not None:
            x, y, w, h = box
            side = max(w, h) * (tc._u(g, 1.2, 1.8) if self.augment else 1.5)
            shift = 0.15 * side if self.augment else 0.0
            cx = x + w / 2 + tc._u(g, -shift, shift)
            cy = y + h / 2 + tc._u(g, -shift, shift)
            return cx - side / 2, cy - side / 2, side
        mask = tc.read_mask(im["mask"])
        best = None
        for _ in range(10):
            side = tc._u(g, 40, 160)
            left, top = tc._u(g, 0, im["width"] - side), tc._u(g, 0, im["height"] - side)
            win = mask[int(top):int(top + side), int(left):int(left + side)]
            objects = float(((win > 0) & (win < 255)).float().mean()) if win.numel() else 1.0
            if best is None or objects < best[0]:
                best = (objects, left, top, side)
        return best[1], best[2], best[3]

    def item(self, i, epoch):
        index, box, label = self.items[i]
        im = self.images[index]
        g = tc.sample_generator(self.seed, epoch, i)
        img = tc.read_rgb(im["path"]).float().div_(255)
        left, top, side = self._window(box, im, g)
        # The window through an affine grid: parts outside the image are the ImageNet mean.
        h, w = img.shape[1:]
        theta = torch.tensor([[[side / w, 0, (2 * left + side) / w - 1],
                               [0, side / h, (2 * top + side) / h - 1]]], dtype=torch.float32)
        grid = F.affine_grid(theta, (1, 3, self.size, self.size), align_corners=False)
        mean = torch.tensor(tc.IMAGENET_MEAN).view(1, 3, 1, 1)
        crop = F.grid_sample(img[None] - mean, grid, mode="bilinear", padding_mode="zeros",
                             align_corners=False)[0] + mean[0]
        if self.augment:
            crop = tc.photometric(crop.clamp(0, 1), g)
            if tc._u(g, 0, 1) < 0.5:
                crop = crop.flip(-1)
            crop = torch.rot90(crop, int(tc._u(g, 0, 4)) % 4, (1, 2))
        return crop.contiguous(), label


def loss_fn(model, items, device):
    x = tc.normalize(torch.stack([c for c, _ in items]).to(device))
    y = torch.tensor([label for _, label in items], device=device)
    return {"ce": F.cross_entropy(model(x), y)}


@torch.no_grad()
def evaluate(model, args, device):
    if not args.val:
        return None
    data = CropData(args.val, args.size, args.seed, False, args.eval_limit)
    model.eval()
    correct = torch.zeros(NUM_CLASSES)
    total = torch.zeros(NUM_CLASSES)
    for start in range(0, len(data), 256):
        items = [data.item(i, 0) for i in range(start, min(len(data), start + 256))]
        x = tc.normalize(torch.stack([c for c, _ in items]).to(device))
        y = torch.tensor([label for _, label in items])
        pred = model(x).argmax(1).cpu()
        for k in range(NUM_CLASSES):
            total[k] += float((y == k).sum())
            correct[k] += float(((y == k) & (pred == k)).sum())
    model.train()
    acc = float(correct.sum() / total.sum())
    print("val windows: %d, accuracy %.4f; per class %s" % (
        int(total.sum()), acc, " ".join("%.3f" % float(c / max(t, 1))
                                        for c, t in zip(correct, total))))
    return {"accuracy": acc, "windows": int(total.sum())}


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    tc.add_train_args(p, batch=64, lr=2e-3, epochs=8, size=64)
    args, device, model = tc.start(p, lambda a: build_model(), "MobileOne-S0 window classifier")
    data = CropData(args.train, args.size, args.seed, True, args.limit)
    print("%d windows from %d images" % (len(data), len(data.images)))
    model, done = tc.train(args, model, data, loss_fn, ["ce"],
                           "MobileOne-S0 on synth windows")
    if args.bench or not done or not args.export:
        return
    export_backbone(model, args.export, evaluate(model, args, device))


if __name__ == "__main__":
    main()
