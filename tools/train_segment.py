"""Trains MobileOne-S0 (unfused, k = 4) under the DeepLabv3 head on the synth masks, from
scratch.

The model is deeplabv3_ref.py's DeepLabV3MobileOne: the backbone at output stride 16 (stage4
without its stride, dilated), torchvision's ASPP (rates 6, 12, 18, 256 channels), 3x3 + 1x1
classifier, bilinear upsampling; 7 classes (0 background, 1..6 circle, square, triangle, star,
ring, cross), cross-entropy with ignore 255. Training crops are 256x256 at 0.6-1.6 times the
test-time scale (the C pipeline resizes a whole image to the network's 256x256 and the logits
back to the image's size).

    mobileone synth --out out/synth/train --split train --images 6000
    mobileone synth --out out/synth/val --split val --images 500
    python3 tools/train_segment.py --train out/synth/train --val out/synth/val \\
        --ckpt out/runs/segment --max-minutes 115 --resume \\
        --export models/deeplabv3_s0_synth.safetensors

Run it again with --resume until the last epoch is done; then it exports, evaluates mIoU on
--val in Python (mmseg's IoUMetric semantics) and, when the mobileone binary is found, with
`mobileone segment` + `mobileone eval miou` (the C pipeline).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deeplabv3_ref as dl  # noqa: E402
import mobileone_ref as mo  # noqa: E402
import safetensors_io as st  # noqa: E402
import train_common as tc  # noqa: E402

NUM_CLASSES = 7
CLASS_NAMES = ["background"] + tc.CLASS_NAMES
OUTPUT_STRIDE = 16


def build_model(variant="s0", arch=None, aspp_channels=256):
    model = dl.DeepLabV3MobileOne(variant=variant if arch is None else None, arch=arch,
                                  num_classes=NUM_CLASSES, output_stride=OUTPUT_STRIDE,
                                  aspp_channels=aspp_channels)
    return model.drop_backbone_head()


def export_config(size, variant="s0", flip=False):
    return {"task": "segment", "variant": variant, "input_size": [size, size],
            "num_classes": NUM_CLASSES, "class_names": CLASS_NAMES,
            "mean": tc.IMAGENET_MEAN, "std": tc.IMAGENET_STD,
            "segment": {"output_stride": OUTPUT_STRIDE, "aspp_rates": [6, 12, 18],
                        "ignore_index": 255, "palette": "voc", "flip": flip}}


def export(model, path, size, variant="s0", flip=False):
    sd = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    st.save_state_dict(tmp, sd, export_config(size, variant, flip))
    os.replace(tmp, path)
    print("exported %s (%d tensors, unfused)" % (path, len(sd)))


def loss_fn(model, items, device):
    x = tc.normalize(torch.stack([img for img, _ in items]).to(device))
    if next(model.parameters()).is_contiguous(memory_format=torch.channels_last):
        x = x.contiguous(memory_format=torch.channels_last)
    y = torch.stack([m for _, m in items]).to(device)
    return {"ce": F.cross_entropy(model(x), y, ignore_index=255)}


@torch.no_grad()
def predict(fused, img, size, device, flip=False):
    """As the C pipeline: resize to size x size (bilinear, align_corners False), network (with
    flip, the mean of its logits and of the mirrored input's, mirrored back), logits resized back
    to the image's size, argmax. img (3, H, W) float [0, 1]."""
    h, w = img.shape[-2:]
    x = F.interpolate(img[None].to(device), size=(size, size), mode="bilinear",
                      align_corners=False)
    x = tc.normalize(x)
    logits = fused(x)
    if flip:
        logits = 0.5 * (logits + fused(x.flip(-1)).flip(-1))
    logits = F.interpolate(logits, size=(h, w), mode="bilinear", align_corners=False)
    return logits.argmax(1)[0].cpu()


def test_size(args):
    """The network input at inference: --test-size, else the crop size."""
    return getattr(args, "test_size", 0) or args.size


def evaluate(model, args, device):
    if not args.val:
        return None
    t = time.time()
    fused = mo.reparameterize_model(model).eval()
    data = tc.SegmentationData(args.val, (args.size, args.size), args.seed, False,
                               args.eval_limit)
    conf = torch.zeros(NUM_CLASSES, NUM_CLASSES, dtype=torch.int64)
    for i in range(len(data)):
        img, mask = data.item(i, 0)
        conf += tc.confusion(predict(fused, img, test_size(args), device,
                                     getattr(args, "test_flip", 0)),
                             mask, NUM_CLASSES)
    m, ious, acc = tc.miou(conf)
    print("val (Python, %d images, %.0f s): mIoU %.4f aAcc %.4f IoU %s"
          % (len(data), time.time() - t, m, acc, " ".join("%.3f" % v for v in ious)))
    return {"miou": m, "iou": ious, "aacc": acc, "images": len(data)}


def check_with_c(binary, model_path, val, limit):
    """`mobileone info` on the export, then `segment` + `eval miou` on the val folder."""
    out = {"info": tc.c_info(binary, model_path)}
    if not val:
        return out
    images = tc.load_coco(val)[0][:limit or None]
    with tempfile.TemporaryDirectory() as tmp:
        listing = os.path.join(tmp, "list.txt")
        with open(listing, "w") as f:
            f.write("".join(im["path"] + "\n" for im in images))
        pred = os.path.join(tmp, "pred")
        r = subprocess.run([binary, "segment", "--model", model_path, "--output", pred, listing],
                           capture_output=True, text=True)
        if r.returncode:
            raise SystemExit("mobileone segment failed: " + r.stderr[-2000:])
        names = os.path.join(tmp, "names.txt")
        with open(names, "w") as f:
            f.write("".join(os.path.splitext(os.path.basename(im["file_name"]))[0] + "\n"
                            for im in images))
        r = subprocess.run([binary, "eval", "miou", "--num-classes", str(NUM_CLASSES),
                            "--gt-dir", os.path.join(val, "masks"), "--pred-dir", pred,
                            "--list", names], capture_output=True, text=True)
        out["eval"] = (r.stdout + r.stderr).strip()
    print("mobileone eval miou (C pipeline):\n" + out["eval"])
    return out


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    tc.add_train_args(p, batch=16, lr=1e-3, epochs=6, size=256)
    p.add_argument("--test-size", type=int, default=0,
                   help="network input at inference, written into the export's config and "
                        "used for --val (default: --size); the crops are --size at random "
                        "scales, so a larger input can score better (synth: see models/)")
    p.add_argument("--test-flip", type=int, choices=(0, 1), default=0,
                   help="1: test-time flipping (the mean of the logits of the image and its "
                        "mirror), written into the export's config and used for --val")
    args, device, model = tc.start(p, lambda a: build_model(), "MobileOne-S0 DeepLabv3 OS16")
    data = tc.SegmentationData(args.train, (args.size, args.size), args.seed, True, args.limit)
    model, done = tc.train(args, model, data, loss_fn, ["ce"],
                           "MobileOne-S0 DeepLabv3 on synth")
    if args.bench or not done or not args.export:
        return
    export(model, args.export, test_size(args), flip=bool(args.test_flip))
    summary = {"python_val": evaluate(model, args, device)}
    binary = tc.find_binary(args.mobileone)
    if binary:
        summary["c"] = check_with_c(binary, args.export, args.val, args.eval_limit)
    else:
        print("no mobileone binary (--mobileone or MO_BINARY_DIR): C checks skipped")
    tc.write_record(args, summary)

if __name__ == "__main__":
    main()
