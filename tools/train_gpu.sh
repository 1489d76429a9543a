#!/bin/sh
# Trains the shipped detector and segmenter at once on one GPU machine, on a fixed time
# budget, and writes F16 exports ready for models/.
#
#   tools/train_gpu.sh MOBILEONE BACKBONE.pt OUT MINUTES
#
# MOBILEONE: the mobileone binary (for `synth`); BACKBONE.pt: train_crops.py's export (the
# window-pretrained S0 backbone both models start from); OUT: where the exports, logs and
# records go; MINUTES: each model's training time (both train side by side on the one GPU).
#
# Data: 14 synth runs of 1000 images with seeds 101..114 (never the val and test seeds 2
# and 3), made in parallel. Each model's learning rate follows its share of the time budget
# (--time-budget), so a faster or slower machine trains more or fewer steps, never a
# schedule cut short. Environment: PYTHON (default python3), WORK (default /tmp/mo_gpu),
# IMAGES (per seed, default 1000; fewer for a dry run); DET_INIT / SEG_INIT: start that model
# from a whole export instead of BACKBONE.pt (a further schedule), DET_LR / SEG_LR its peak lr;
# SEG_TEST_SIZE the segmenter's input size at inference (default 384: see models/).
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

# Workers: most of the cores for the detector (its augmentation costs the most per image).
det_init="--init-backbone $backbone" seg_init="--init-backbone $backbone"
[ -z "${DET_INIT:-}" ] || det_init="--init-from $DET_INIT"
[ -z "${SEG_INIT:-}" ] || seg_init="--init-from $SEG_INIT"
det_workers=$((cores / 2))
seg_workers=$((cores - det_workers - 2))
[ "$seg_workers" -ge 1 ] || seg_workers=1
PYTHONUNBUFFERED=1 "$py" "$here/train_detect.py" --train "$train" --ckpt "$work/det" \
    --seed 1 --threads 2 --workers "$det_workers" --batch 64 --lr "${DET_LR:-3e-3}" \
    --epochs 1000 --time-budget "$minutes" --log-every 20 $det_init \
    --export "$work/ssdlite_s0_synth_f32.safetensors" >"$out/detect.log" 2>&1 &
det=$!
PYTHONUNBUFFERED=1 "$py" "$here/train_segment.py" --train "$train" --ckpt "$work/seg" \
    --seed 1 --threads 2 --workers "$seg_workers" --batch 32 --lr "${SEG_LR:-2e-3}" \
    --epochs 1000 --time-budget "$minutes" --log-every 20 $seg_init \
    --test-size "${SEG_TEST_SIZE:-384}" --test-flip "${SEG_TEST_FLIP:-1}" \
    --export "$work/deeplabv3_s0_synth_f32.safetensors" >"$out/segment.log" 2>&1 &
seg=$!
status=0
wait $det || status=1
wait $seg || status=1
tail -n 3 "$out/detect.log" "$out/segment.log"

for m in ssdlite_s0_synth deeplabv3_s0_synth; do
    [ -f "$work/${m}_f32.safetensors" ] || continue
    "$py" "$here/half.py" "$work/${m}_f32.safetensors" "$out/$m.safetensors"
done
(cd "$work" && tar czf "$out/records.tgz" det/loss.csv seg/loss.csv ./*_train.json \
    ./*_loss.png 2>/dev/null) || true
exit $status
