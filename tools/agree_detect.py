"""Checks that the C pipeline and PyTorch detect the same objects with a trained SSDLite model.

The first N images of a folder are decoded once (torchvision.io) and written as PNGs, so both
sides see the same pixels: these are the "decoded test tensors". PyTorch runs the model file
(unfused, as exported by train_detect.py; the maps' first stage and the anchor scales from its
embedded config) in eval mode on them; `mobileone detect --conf T --jsonl` runs the C pipeline
on the PNGs. Per image, the two sets of detections must agree:
each PyTorch detection has one C detection of the same class with every box coordinate within
--box-tol px and the score within --score-tol, and no C detection is left over. A detection
whose score is within --score-tol of the threshold may be missing on either side (it sits on
the cut). With test-time augmentation (--tta, or the config's detect.tta) both sides average
the passes over the input's symmetries (ssdlite_ref.tta_detect); with a zoom (--zoom, or the
config's detect.zoom) both add the pass on the enlarged input. Exit 0 when every image agrees.

    python3 tools/agree_detect.py --model models/ssdlite_s0_synth.safetensors \\
        --images out/synth/test/images --n 50 --mobileone build/mobileone --work out/agree
"""

import argparse
import json
import os
import subprocess
import sys

import torch
import torchvision.io as tvio

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402
import ssdlite_ref as ssd_ref  # noqa: E402
import train_detect as td  # noqa: E402


def load_model(path):
    """The PyTorch SSDLite of a model file (unfused weights and its embedded config)."""
    tensors, meta = st.load(path)
    cfg = st.load_config(meta) or {}
    if cfg.get("task") != "detect":
        raise SystemExit("%s: not a detection model (config task %r)" % (path, cfg.get("task")))
    h, w = cfg.get("input_size", [320, 320])
    if h != w:
        raise SystemExit("%s: a square input is expected, got %dx%d" % (path, h, w))
    det = cfg.get("detect", {})
    anchors = det.get("anchors", {})
    min_ratio = anchors.get("min_ratio", 0.2)
    first_stage = det.get("first_stage", 3)
    model = td.build_model(h, min_ratio, variant=cfg.get("variant", "s0"),
                           num_classes=cfg["num_classes"], first_stage=first_stage)
    # The anchors as the C side makes them: the file's scales, else min..max over the levels.
    levels = len(model.backbone.out_channels)
    scales = anchors.get("scales") or ssd_ref.anchor_scales(levels, min_ratio,
                                                            anchors.get("max_ratio", 0.95))
    model.anchor_generator = ssd_ref.make_anchor_generator(levels, scales)
    model.load_state_dict(tensors)
    model.score_thresh = det.get("score_thresh", 0.001)
    model.nms_thresh = det.get("nms_thresh", 0.55)
    model.topk_candidates = det.get("topk", 300)
    model.detections_per_img = det.get("max_dets", 300)
    return model.eval(), cfg


def decoded_images(folder, n, out_dir):
    """Decodes the first n images of folder (sorted by name) into out_dir as PNGs; returns
    [(name, u8 tensor (3, H, W))]."""
    names = sorted(f for f in os.listdir(folder)
                   if f.lower().endswith((".jpg", ".jpeg", ".png")))[:n]
    if len(names) < n:
        raise SystemExit("%s: %d images, %d wanted" % (folder, len(names), n))
    os.makedirs(out_dir, exist_ok=True)
    out = []
    for name in names:
        img = tvio.read_image(os.path.join(folder, name), tvio.ImageReadMode.RGB)
        png = os.path.splitext(name)[0] + ".png"
        tvio.write_png(img, os.path.join(out_dir, png))
        out.append((png, img))
    return out


@torch.no_grad()
def torch_detections(model, images, category_ids, passes=1, zoom=1, zoom_max_side=0.2):
    """{png name: [(category_id, [x0, y0, x1, y1], score)]}; passes > 1 or zoom > 1: test-time
    augmentation and the zoomed pass (ssdlite_ref.tta_detect)."""
    out = {}
    for name, img in images:
        x = img.float() / 255
        if passes > 1 or zoom > 1:
            det = ssd_ref.tta_detect(model, x, passes, zoom, zoom_max_side)
        else:
            det = model([x])[0]
        out[name] = [(category_ids[int(l)] if category_ids else int(l), b, s)
                     for b, s, l in zip(det["boxes"].tolist(), det["scores"].tolist(),
                                        det["labels"].tolist())]
    return out


def c_detections(binary, model_path, png_dir, conf, threads, jsonl, tta, zoom):
    cmd = [binary, "detect", "--model", model_path, "--conf", repr(conf), "--threads",
           str(threads), "--tta", tta, "--zoom", str(zoom), "--jsonl", jsonl, png_dir]
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit("mobileone detect failed (%d): %s" % (r.returncode, r.stderr[-2000:]))
    out = {}
    with open(jsonl) as f:
        for line in f:
            o = json.loads(line)
            out[os.path.basename(o["image"])] = [
                (d["category_id"], [d["bbox"][0], d["bbox"][1], d["bbox"][0] + d["bbox"][2],
                                    d["bbox"][1] + d["bbox"][3]], d["score"])
                for d in o["detections"]]
    return out


def compare(ref, ours, thresh, box_tol, score_tol):
    """Matches one image's detections; returns (matched, boundary misses, worst box, worst
    score, failures [text])."""
    used = [False] * len(ours)
    worst_b = worst_s = 0.0
    fails, edge, matched = [], 0, 0
    for cat, box, score in sorted(ref, key=lambda d: -d[2]):
        best = None
        for i, (c2, b2, s2) in enumerate(ours):
            if used[i] or c2 != cat:
                continue
            eb = max(abs(a - b) for a, b in zip(box, b2))
            es = abs(score - s2)
            if eb <= box_tol and es <= score_tol and (best is None or eb < best[1]):
                best = (i, eb, es)
        if best is None:
            if score - thresh <= score_tol:
                edge += 1
                continue
            fails.append("PyTorch's class %d %.5f [%.2f %.2f %.2f %.2f] has no C match"
                         % (cat, score, *box))
            continue
        used[best[0]] = True
        matched += 1
        worst_b, worst_s = max(worst_b, best[1]), max(worst_s, best[2])
    for i, (cat, box, score) in enumerate(ours):
        if not used[i]:
            if score - thresh <= score_tol:
                edge += 1
            else:
                fails.append("C's class %d %.5f [%.2f %.2f %.2f %.2f] has no PyTorch match"
                             % (cat, score, *box))
    return matched, edge, worst_b, worst_s, fails


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--model", required=True, help="detection model file (unfused export)")
    p.add_argument("--images", required=True, help="folder of test images")
    p.add_argument("--n", type=int, default=50, help="images to compare (default 50)")
    p.add_argument("--mobileone", required=True, help="the mobileone binary")
    p.add_argument("--work", required=True, help="folder for the PNGs and the C output")
    p.add_argument("--conf", type=float, default=0.001, help="score threshold (default 0.001)")
    p.add_argument("--box-tol", type=float, default=0.5, help="px (default 0.5)")
    p.add_argument("--score-tol", type=float, default=1e-4, help="(default 1e-4)")
    p.add_argument("--tta", choices=sorted(ssd_ref.TTA_PASSES),
                   help="test-time augmentation on both sides (default: the model's config, "
                        "detect.tta, else none)")
    p.add_argument("--zoom", type=int, choices=range(1, 5),
                   help="the zoomed pass on both sides (default: the model's config, "
                        "detect.zoom, else 1: none)")
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--skip-missing", action="store_true",
                   help="exit 77 (skipped, for ctest) when --model does not exist")
    args = p.parse_args()
    if args.skip_missing and not os.path.exists(args.model):
        print("SKIPPED: %s is absent (train it: models/README.md)" % args.model)
        return 77
    torch.set_num_threads(args.threads)
    # An enlarged (zoomed) input is smooth: subnormal activations would make PyTorch's pass
    # there ten times slower; flushing them moves nothing near the tolerances.
    torch.set_flush_denormal(True)
    model, cfg = load_model(args.model)
    model.score_thresh = args.conf
    png_dir = os.path.join(args.work, "tensors")
    images = decoded_images(args.images, args.n, png_dir)
    det_cfg = cfg.get("detect", {})
    tta = args.tta or det_cfg.get("tta", "none")
    zoom = args.zoom or det_cfg.get("zoom", 1)
    ref = torch_detections(model, images, cfg.get("category_ids"), ssd_ref.TTA_PASSES[tta],
                           zoom, det_cfg.get("zoom_max_side", 0.2))
    ours = c_detections(args.mobileone, args.model, png_dir, args.conf, args.threads,
                        os.path.join(args.work, "c.jsonl"), tta, zoom)
    total = edge_total = 0
    worst_b = worst_s = 0.0
    failed = []
    for name, _ in images:
        if name not in ours:
            failed.append("%s: no C output" % name)
            continue
        m, e, b, s, fails = compare(ref[name], ours[name], args.conf, args.box_tol,
                                    args.score_tol)
        total, edge_total = total + m, edge_total + e
        worst_b, worst_s = max(worst_b, b), max(worst_s, s)
        failed += ["%s: %s" % (name, f) for f in fails]
    print("%d images, test-time augmentation %s, zoom %d: %d detections matched (score > %g), "
          "%d on the threshold; worst box %.2e px, worst score %.2e"
          % (len(images), tta, zoom, total, args.conf, edge_total, worst_b, worst_s))
    if failed:
        print("DISAGREE: %d detections\n  %s" % (len(failed), "\n  ".join(failed[:20])))
        return 1
    print("C and PyTorch agree (boxes within %g px, scores within %g)"
          % (args.box_tol, args.score_tol))
    return 0


if __name__ == "__main__":
    sys.exit(main())
