#!/bin/sh
# Trains the shipped models on one GPU machine, side by side, on a fixed time budget, and
# writes F16 exports ready for models/.
#
#   tools/train_gpu.sh MOBILEONE BACKBONE.pt OUT MINUTES
#
# MOBILEONE: the mobileone binary (for `synth`); BACKBONE.pt: train_crops.py's export (the
# window-pretrained S0 backbone the models start from, '-' when every model starts from an
# export); OUT: where the exports, logs and records go; MINUTES: each model's training time.
#
# Data: 14 synth runs of 1000 images with seeds 101..114 (never the val and test seeds 2
# and 3), made in parallel. Each model's learning rate follows its share of the time budget
# (--time-budget), so a faster or slower machine trains more or fewer steps, never a
# schedule cut short. Environment: PYTHON (default python3), WORK (default /tmp/mo_gpu),
# IMAGES (per seed, default 1000; fewer for a dry run); MODELS (default "detect segment"; also
# detect8: the detector with an OS8 map, --first-stage 2); DET_INIT / SEG_INIT: start that
# model from a whole export instead of BACKBONE.pt (a further schedule; a detector export
# without the OS8 map starts detect8 too, its new map fresh), DET_LR / SEG_LR its peak lr;
# DET_AMP / DET8_AMP: none or bf16 (defaults none / bf16); VAL_IMAGES: make a val split
# (seed 2) of that many images and score the detectors on it in Python; SEG_TEST_SIZE the
# segmenter's input size at inference (default 384: see models/), SEG_TEST_FLIP its test-time
# flipping (default 1).
set -eu
[ $# -eq 4 ] || { sed -n '5p' "$0" | cut -c3- >&2; exit 2; }
bin=$1 backbone=$2 out=$3 minutes=$4
py=${PYTHON:-python3}
work=${WORK:-/tmp/mo_gpu}
here=$(dirname "$0")
cores=$(nproc)
images=${IMAGES:-1000}
mkdir -p "$work/synth" "$out"

t0=$(date +%s)
for seed in $(seq 101 114); do
    "$bin" synth --out "$work/synth/s$seed" --split train --seed "$seed" --images "$images" \
        >"$work/synth/s$seed.log" 2>&1 &
done
wait
train=$(ls -d "$work"/synth/s1?? | grep -v '\.log$' | paste -sd, -)
echo "synth: $((14 * images)) train images in $(($(date +%s) - t0)) s"

# MODELS: which to train, side by side: detect (the SSDLite of models/), detect8 (the same
# with an OS8 map in front: --first-stage 2), segment. The cores are shared out between them.
models=${MODELS:-detect segment}
count=$(echo $models | wc -w)
workers=$(((cores - 2) / count))
[ "$workers" -ge 1 ] || workers=1
val=""
if [ -n "${VAL_IMAGES:-}" ]; then  # a val split to score the exports in Python (seed 2)
    "$bin" synth --out "$work/synth/val" --split val --images "$VAL_IMAGES" >/dev/null 2>&1
    val="--val $work/synth/val"
fi
det_init="--init-backbone $backbone" seg_init="--init-backbone $backbone"
[ -z "${DET_INIT:-}" ] || det_init="--init-from $DET_INIT"
[ -z "${SEG_INIT:-}" ] || seg_init="--init-from $SEG_INIT"

# The F16 copy of a model's export, made as soon as it is there (a later timeout keeps it).
keep() {  # NAME
    [ ! -f "$work/${1}_f32.safetensors" ] ||
        "$py" "$here/half.py" "$work/${1}_f32.safetensors" "$out/$1.safetensors"
}

detect() {  # NAME FIRST_STAGE AMP
    status=0
    PYTHONUNBUFFERED=1 "$py" "$here/train_detect.py" --train "$train" $val \
        --ckpt "$work/$1" --seed 1 --threads 2 --workers "$workers" --batch 64 \
        --lr "${DET_LR:-3e-3}" --epochs 1000 --time-budget "$minutes" --log-every 20 \
        $det_init --first-stage "$2" --amp "$3" --export "$work/${1}_f32.safetensors" \
        >"$out/$1.log" 2>&1 || status=$?
    keep "$1"
    return $status
}

segment() {
    status=0
    PYTHONUNBUFFERED=1 "$py" "$here/train_segment.py" --train "$train" \
        --ckpt "$work/deeplabv3_s0_synth" --seed 1 --threads 2 --workers "$workers" \
        --batch 32 --lr "${SEG_LR:-2e-3}" --epochs 1000 --time-budget "$minutes" \
        --log-every 20 $seg_init --test-size "${SEG_TEST_SIZE:-384}" \
        --test-flip "${SEG_TEST_FLIP:-1}" \
        --export "$work/deeplabv3_s0_synth_f32.safetensors" >"$out/segment.log" 2>&1 ||
        status=$?
    keep deeplabv3_s0_synth
    return $status
}

pids=""
for m in $models; do
    case $m in
    detect) detect ssdlite_s0_synth 3 "${DET_AMP:-none}" & ;;
    detect8) detect ssdlite8_s0_synth 2 "${DET8_AMP:-bf16}" & ;;
    segment) segment & ;;
    *) echo "MODELS: unknown model $m" >&2; exit 2 ;;
    esac
    pids="$pids $!"
done
status=0
for p in $pids; do wait "$p" || status=1; done
tail -n 3 "$out"/*.log
(cd "$work" && tar czf "$out/records.tgz" ./*/loss.csv ./*_train.json ./*_loss.png \
    ./*/val_py_results.json 2>/dev/null) || true
exit $status
