"""Trains MobileOne-S0 (unfused, k = 4) under the SSDLite head on the synth data, from scratch.

The model is ssdlite_ref.py's: torchvision's SSD with SSDLiteHead and DefaultBoxGenerator
around the MobileOne feature extractor (stage3 at OS16, stage4 at OS32, four extra blocks),
7 classes (background + circle, square, triangle, star, ring, cross), 320x320. The loss is
torchvision's SSD loss: smooth-L1 box regression on the anchors matched at IoU 0.5 (every
ground truth keeps its best anchor) plus cross-entropy with hard negative mining (3 negatives
per positive). The anchors' smallest scale (min_ratio) is 0.1 rather than torchvision's 0.2
(synth objects go down to 20 px at 320 px); it is written into the exported config, which the
C side reads.

    mobileone synth --out out/synth/train --split train --images 6000
    mobileone synth --out out/synth/val --split val --images 500
    python3 tools/train_detect.py --train out/synth/train --val out/synth/val \\
        --ckpt out/runs/detect --max-minutes 115 --resume \\
        --export models/ssdlite_s0_synth.safetensors

Run it again with --resume until the last epoch is done (each session trains at most
--max-minutes and checkpoints); then it exports, evaluates on --val (a close Python AP, and
the C pipeline's pycocotools-exact one when the mobileone binary is found) and writes
the results next to the export. See models/README.md for the schedule.
"""

import argparse
import json
import os
import re
import subprocess
import sys
import time
from functools import partial

import torch
import torch.nn as nn
from torchvision.models.detection.anchor_utils import DefaultBoxGenerator
from torchvision.models.detection.ssd import SSD
from torchvision.models.detection.ssdlite import SSDLiteHead

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mobileone_ref as mo  # noqa: E402
import safetensors_io as st  # noqa: E402
import ssdlite_ref as ssd_ref  # noqa: E402
import train_common as tc  # noqa: E402

NUM_CLASSES = 7
CLASS_NAMES = ["__background__"] + tc.CLASS_NAMES
CATEGORY_IDS = [0] + tc.CATEGORY_IDS
MIN_RATIO, MAX_RATIO = 0.1, 0.95
SMALL_SCALE = 0.05  # the OS8 map's anchors (--first-stage 2): 16 px at 320


def anchor_scales(min_ratio, first_stage=3, small_scale=SMALL_SCALE):
    """Every map's anchor scale and the closing 1.0: torchvision's rule over the six maps of
    first_stage 3, and with first_stage 2 the OS8 map's small_scale in front of them."""
    levels = 5 - first_stage + len(ssd_ref.EXTRA_WIDTHS)
    return ssd_ref.anchor_scales(levels, min_ratio, MAX_RATIO,
                                 small_scale if first_stage == 2 else None)


def build_model(size, min_ratio=MIN_RATIO, variant="s0", arch=None, extra_widths=None,
                num_classes=NUM_CLASSES, first_stage=3, small_scale=SMALL_SCALE):
    """The unfused MobileOne-SSDLite, torchvision's init for extras and heads (normal 0.03).
    first_stage 2 adds an OS8 map (stage 2's output) in front, its anchors at small_scale."""
    backbone = mo.MobileOne(variant=variant if arch is None else None, arch=arch, num_classes=1)
    features = ssd_ref.MobileOneSSDFeatures(backbone, extra_widths or ssd_ref.EXTRA_WIDTHS,
                                            first_stage)
    anchors = ssd_ref.make_anchor_generator(len(features.out_channels),
                                            anchor_scales(min_ratio, first_stage, small_scale))
    norm = partial(nn.BatchNorm2d, eps=ssd_ref.BN_EPS, momentum=0.03)
    head = SSDLiteHead(features.out_channels, anchors.num_anchors_per_location(), num_classes,
                       norm)
    for m in features.extra.modules():
        if isinstance(m, nn.Conv2d):
            nn.init.normal_(m.weight, 0.0, 0.03)
            if m.bias is not None:
                nn.init.zeros_(m.bias)
    return SSD(features, anchors, (size, size), num_classes, image_mean=tc.IMAGENET_MEAN,
               image_std=tc.IMAGENET_STD, head=head, score_thresh=0.001, nms_thresh=0.55,
               detections_per_img=300, topk_candidates=300)


def export_config(size, min_ratio, variant="s0", first_stage=3, small_scale=SMALL_SCALE):
    anchors = {"aspect_ratios": [[2, 3]], "min_ratio": min_ratio, "max_ratio": MAX_RATIO}
    detect = {"score_thresh": 0.001, "nms_thresh": 0.55, "topk": 300, "max_dets": 300,
              "anchors": anchors}
    if first_stage != 3:
        # The C side reads the maps' first stage and every scale (a map more than min/max
        # describe); min_ratio and max_ratio stay for the reader.
        detect["first_stage"] = first_stage
        anchors["scales"] = anchor_scales(min_ratio, first_stage, small_scale)
    return {"task": "detect", "variant": variant, "input_size": [size, size],
            "num_classes": NUM_CLASSES, "class_names": CLASS_NAMES, "category_ids": CATEGORY_IDS,
            "mean": tc.IMAGENET_MEAN, "std": tc.IMAGENET_STD, "detect": detect}


def export(model, path, size, min_ratio, variant="s0", first_stage=3, small_scale=SMALL_SCALE):
    sd = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    tmp = path + ".tmp"
    st.save_state_dict(tmp, sd, export_config(size, min_ratio, variant, first_stage,
                                              small_scale))
    os.replace(tmp, path)
    print("exported %s (%d tensors, unfused)" % (path, len(sd)))


def head_shift(first_stage):
    """init_from's renaming: a file without the OS8 map fills levels 1.. of a model with it
    (its level 0 keeps the fresh init)."""
    if first_stage == 3:
        return None
    pat = re.compile(r"^(head\.(?:classification|regression)_head\.module_list\.)(\d+)\.")

    def rename(name):
        return pat.sub(lambda m: "%s%d." % (m.group(1), int(m.group(2)) + 1), name)
    return rename


def loss_fn(model, items, device):
    images = [img.to(device, non_blocking=True) for img, _ in items]
    targets = [{k: v.to(device) for k, v in t.items()} for _, t in items]
    return model(images, targets)  # {"bbox_regression", "classification"}


@torch.no_grad()
def detect_folder(model, folder, device, limit=0, batch=8):
    """COCO results of the (fused copy of the) model on a synth folder, with torchvision's
    postprocessing (score 0.001, NMS 0.55, 300 per image); (results, gt_by_image)."""
    fused = mo.reparameterize_model(model).eval()
    images, anns = tc.load_coco(folder)
    if limit:
        images = images[:limit]
    results = []
    for s in range(0, len(images), batch):
        chunk = images[s:s + batch]
        imgs = [tc.read_rgb(im["path"]).float().div_(255).to(device) for im in chunk]
        for im, det in zip(chunk, fused(imgs)):
            for box, score, label in zip(det["boxes"].tolist(), det["scores"].tolist(),
                                         det["labels"].tolist()):
                x0, y0, x1, y1 = box
                results.append({"image_id": im["id"], "category_id": CATEGORY_IDS[label],
                                "bbox": [round(x0, 3), round(y0, 3), round(x1 - x0, 3),
                                         round(y1 - y0, 3)], "score": round(score, 5)})
    return results, {im["id"]: anns[im["id"]] for im in images}


def evaluate(model, args, device, out_prefix):
    if not args.val:
        return None
    t = time.time()
    results, gt = detect_folder(model, args.val, device, args.eval_limit)
    ap, ap50 = tc.coco_ap(gt, results)
    path = out_prefix + "_py_results.json"
    with open(path, "w") as f:
        json.dump(results, f)
    print("val (Python, %d images, %.0f s): AP %.4f AP50 %.4f; results %s"
          % (len(gt), time.time() - t, ap, ap50, path))
    return {"ap": ap, "ap50": ap50, "images": len(gt), "results": path}


def check_with_c(binary, model_path, val, limit, work_dir):
    """`mobileone info` on the export, then `detect` + `eval coco` on the val folder."""
    out = {"info": tc.c_info(binary, model_path)}
    if not val:
        return out
    images = tc.load_coco(val)[0][:limit or None]
    prefix = os.path.join(work_dir, "val")
    listing, dt = prefix + "_list.txt", prefix + "_c_results.json"
    with open(listing, "w") as f:
        f.write("".join(im["path"] + "\n" for im in images))
    gt = os.path.join(val, "annotations.json")
    r = subprocess.run([binary, "detect", "--model", model_path, "--conf", "0.001", "--json", dt,
                        "--coco-gt", gt, listing], capture_output=True, text=True)
    if r.returncode:
        raise SystemExit("mobileone detect failed: " + r.stderr[-2000:])
    if limit:  # score only the images that were run
        with open(gt) as f:
            g = json.load(f)
        ids = {im["id"] for im in images}
        g["images"] = [im for im in g["images"] if im["id"] in ids]
        g["annotations"] = [a for a in g["annotations"] if a["image_id"] in ids]
        gt = prefix + "_gt_subset.json"
        with open(gt, "w") as f:
            json.dump(g, f)
    r = subprocess.run([binary, "eval", "coco", "--gt", gt, "--dt", dt], capture_output=True,
                       text=True)
    out["eval"] = r.stdout.strip()
    print("mobileone eval coco (C pipeline):\n" + out["eval"])
    for p in (listing,):
        os.remove(p)
    return out


def build_for_args(args):
    model = build_model(args.size, args.min_ratio, first_stage=args.first_stage,
                        small_scale=args.small_scale)
    if args.channels_last:
        model.backbone.register_forward_pre_hook(
            lambda mod, inp: (inp[0].contiguous(memory_format=torch.channels_last),))
    return model


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    tc.add_train_args(p, batch=16, lr=2e-3, epochs=6, size=320)
    p.add_argument("--min-ratio", type=float, default=MIN_RATIO,
                   help="smallest anchor scale (default %g; torchvision's ssdlite320: 0.2)"
                        % MIN_RATIO)
    p.add_argument("--first-stage", type=int, default=3, choices=[2, 3],
                   help="the backbone stage of the first SSD map: 3 (OS16, default) or 2 (adds "
                        "an OS8 map for small objects)")
    p.add_argument("--small-scale", type=float, default=SMALL_SCALE,
                   help="--first-stage 2: the OS8 map's anchor scale (default %g)" % SMALL_SCALE)
    args, device, model = tc.start(p, build_for_args, "MobileOne-S0 SSDLite")
    data = tc.DetectionData(args.train, (args.size, args.size), args.seed, True, args.limit)
    undo_amp = tc.autocast_modules([model.backbone, model.head], args.amp, device)
    model, done = tc.train(args, model, data, loss_fn, ["bbox_regression", "classification"],
                           "MobileOne-S0 SSDLite on synth", head_shift(args.first_stage))
    undo_amp()
    if args.bench or not done:
        return
    if args.export:
        export(model, args.export, args.size, args.min_ratio, "s0", args.first_stage,
               args.small_scale)
        summary = {"python_val": evaluate(model, args, device, os.path.join(args.ckpt, "val"))}
        binary = tc.find_binary(args.mobileone)
        if binary:
            summary["c"] = check_with_c(binary, args.export, args.val, args.eval_limit,
                                        args.ckpt)
        else:
            print("no mobileone binary (--mobileone or MO_BINARY_DIR): C checks skipped")
        tc.write_record(args, summary)


if __name__ == "__main__":
    main()
