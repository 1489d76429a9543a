#!/usr/bin/env bash
# eval_coco.sh - wall time and peak memory of the whole `mobileone eval coco` command (JSON
# parsing included, one thread) on the COCO-val-sized synthetic case: 5,000 images, 36,143 GT
# boxes, 500,000 detections. Targets: <= 3 s wall, <= 400 MB peak RSS (pycocotools: 66 s).
# usage: bench/eval_coco.sh BUILD_DIR
# The case is made once with $MO_SHARED_DIR/tools/gen_coco_synth.py (default ../shared beside
# the source tree) into ${MO_BENCH_DATA:-BUILD_DIR/bench-data}/coco5k.
set -euo pipefail
build=${1:?usage: bench/eval_coco.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
shared=${MO_SHARED_DIR:-$here/../../shared}
bin=""
for c in "$build/apps/mobileone" "$build/mobileone"; do [ -x "$c" ] && bin=$c && break; done
[ -n "$bin" ] || { echo "eval_coco.sh: no mobileone binary in $build (build it first)" >&2; exit 1; }
mkdir -p "$build/bench-data"
data=${MO_BENCH_DATA:-$build/bench-data}/coco5k
if [ ! -f "$data/dt.json" ]; then
    gen="$shared/tools/gen_coco_synth.py"
    [ -f "$gen" ] || { echo "eval_coco.sh: $gen not found (set MO_SHARED_DIR)" >&2; exit 1; }
    echo "generating the COCO-val-sized case in $data ..." >&2
    python3 "$gen" --out "$data" --images 5000 --dets-per-image 100 --seed 2017 --no-segm >&2
fi
cat "$data/gt.json" "$data/dt.json" > /dev/null   # page cache warm
echo "mobileone eval coco: $(du -h "$data/gt.json" | cut -f1) GT, $(du -h "$data/dt.json" | cut -f1) results, one thread"
worst=0
for run in 1 2 3; do
    /usr/bin/time -v "$bin" eval coco --gt "$data/gt.json" --dt "$data/dt.json" --timing \
        > "$build/bench-data/coco_out.txt" 2> "$build/bench-data/coco_time.txt"
    wall=$(grep "Elapsed (wall clock)" "$build/bench-data/coco_time.txt" | awk '{print $NF}')
    secs=$(echo "$wall" | awk -F: '{ print (NF == 3) ? $1*3600 + $2*60 + $3 : $1*60 + $2 }')
    rss=$(grep "Maximum resident" "$build/bench-data/coco_time.txt" | awk '{print $NF}')
    printf "run %d: wall %.2f s, peak RSS %.1f MB\n" "$run" "$secs" "$(echo "$rss / 1024" | bc -l)"
    grep "^timing:" "$build/bench-data/coco_time.txt" | sed 's/^/       /'
    bad=$(echo "$secs > 3 || $rss > 400 * 1024" | bc -l)
    [ "$bad" = 1 ] && worst=1
done
head -3 "$build/bench-data/coco_out.txt"
echo "targets (<= 3 s wall, <= 400 MB): $([ "$worst" = 0 ] && echo met || echo NOT met)"
[ "$worst" = 0 ]
