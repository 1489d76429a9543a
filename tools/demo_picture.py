"""Makes the README's picture: one synth test frame with the shipped detector's boxes, next to
the shipped segmenter's color overlay of the same frame.

    python3 tools/demo_picture.py --mobileone build/mobileone \\
        --image out/demo/scenes/images/000002.jpg --out docs/demo.jpg
"""

import argparse
import os
import subprocess
import sys
import tempfile

import torch
import torchvision.io as tvio


def run(argv):
    r = subprocess.run(argv, capture_output=True, text=True)
    if r.returncode:
        raise SystemExit("%s failed: %s" % (" ".join(argv), r.stderr[-1000:]))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--mobileone", required=True, help="the mobileone binary")
    p.add_argument("--image", required=True, help="the frame")
    p.add_argument("--out", required=True, help="the PNG to write")
    p.add_argument("--conf", default="0.3", help="detection display threshold (default 0.3)")
    p.add_argument("--gap", type=int, default=8, help="white pixels between the halves")
    args = p.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        boxes = os.path.join(tmp, "boxes.png")
        run([args.mobileone, "detect", "--conf", args.conf, "--output", boxes, args.image])
        run([args.mobileone, "segment", "--overlay", "--output", tmp, args.image])
        stem = os.path.splitext(os.path.basename(args.image))[0]
        left = tvio.read_image(boxes, tvio.ImageReadMode.RGB)
        right = tvio.read_image(os.path.join(tmp, stem + "_overlay.png"),
                                tvio.ImageReadMode.RGB)
    if left.shape != right.shape:
        raise SystemExit("the two images differ in size: %s %s" % (left.shape, right.shape))
    gap = torch.full((3, left.shape[1], args.gap), 255, dtype=torch.uint8)
    both = torch.cat([left, gap, right], 2)
    if args.out.lower().endswith((".jpg", ".jpeg")):
        tvio.write_jpeg(both, args.out, 90)  # the textures make a PNG five times larger
    else:
        tvio.write_png(both, args.out, 9)
    print("wrote %s" % args.out)


if __name__ == "__main__":
    sys.exit(main())
