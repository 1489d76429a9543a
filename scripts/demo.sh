#!/bin/sh
# The README's demo, after the build: a synthetic video of moving shapes, detection on it with
# the shipped SSDLite model (annotated video + JSON Lines), then segmentation of a few frames
# with the shipped DeepLabv3 model (label PNGs + color overlays).
#
#   sh scripts/demo.sh [BUILD_DIR [OUT_DIR]]      (default: build, out/demo)
set -eu

build=${1:-build}
out=${2:-out/demo}
mobileone="$build/mobileone"
[ -x "$mobileone" ] || { echo "demo: $mobileone not found: build first (see README)" >&2; exit 1; }
mkdir -p "$out"

echo "== 1/3 a synthetic scene video (test split's seed, never seen in training)"
"$mobileone" synth --out "$out/scenes" --split test --images 4 --video "$out/scenes.avi" \
    --frames 120

echo "== 2/3 detection on the video"
"$mobileone" detect --output "$out/detections.avi" --jsonl "$out/detections.jsonl" \
    "$out/scenes.avi"

echo "== 3/3 segmentation of four frames"
"$mobileone" segment --overlay --output "$out/segments" "$out/scenes/images"

cat <<EOF

Outputs in $out/:
  scenes.avi                 the input video (120 frames, 320x320, 10 fps; truth: scenes.avi.json)
  detections.avi             the video with boxes, class names and scores
  detections.jsonl           one line per frame: {"frame","t_ms","detections":[...]}
  segments/<id>.png          class indices (0 background, 1..6 the shapes; scenes/names.txt)
  segments/<id>_overlay.png  the frame blended with the class colors
EOF
