#!/bin/sh
# Scores a detector and/or a segmenter on a synth split with the C pipeline, as the model
# cards report them: `detect --conf 0.001` + `eval coco`, and `eval miou --model`.
#
#   tools/eval_synth.sh MOBILEONE SPLIT_DIR DETECTOR|- SEGMENTER|- [WORK]
#
# SPLIT_DIR: a `mobileone synth` folder (images/, masks/, annotations.json); '-' skips a model;
# WORK (default: a temporary folder) keeps the detections JSON.
set -eu
[ $# -ge 4 ] || { sed -n '4p' "$0" | cut -c3- >&2; exit 2; }
bin=$1 split=$2 det=$3 seg=$4
work=${5:-$(mktemp -d)}
mkdir -p "$work"
if [ "$det" != - ]; then
    echo "== $det on $split"
    "$bin" detect --model "$det" --conf 0.001 --json "$work/dt.json" \
        --coco-gt "$split/annotations.json" "$split/images" 2>"$work/detect.err" ||
        { cat "$work/detect.err" >&2; exit 1; }
    "$bin" eval coco --gt "$split/annotations.json" --dt "$work/dt.json"
fi
if [ "$seg" != - ]; then
    echo "== $seg on $split"
    "$bin" eval miou --model "$seg" --images "$split/images" --gt-dir "$split/masks"
fi
