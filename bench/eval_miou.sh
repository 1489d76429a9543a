#!/usr/bin/env bash
# eval_miou.sh - mIoU throughput of `mobileone eval ade20k` over 2,000 ADE20K-sized label pairs
# (683x512 grey PNGs), PNG decoding included, single-threaded. Target: >= 200 pairs/s.
# usage: bench/eval_miou.sh BUILD_DIR [PAIRS]
# The pairs are generated once by bench/eval_miou_gen.c (compiled here against libpng) into
# ${MO_BENCH_DATA:-BUILD_DIR/bench-data}/ade_<PAIRS>.
set -euo pipefail
build=${1:?usage: bench/eval_miou.sh BUILD_DIR [PAIRS]}
pairs=${2:-2000}
here=$(cd "$(dirname "$0")" && pwd)
bin=""
for c in "$build/apps/mobileone" "$build/mobileone"; do [ -x "$c" ] && bin=$c && break; done
[ -n "$bin" ] || { echo "eval_miou.sh: no mobileone binary in $build (build it first)" >&2; exit 1; }
data=${MO_BENCH_DATA:-$build/bench-data}/ade_$pairs
if [ ! -f "$data/.done" ]; then
    mkdir -p "$build/bench-data"
    cc -O2 -std=c11 -D_POSIX_C_SOURCE=200809L "$here/eval_miou_gen.c" \
        $(pkg-config --cflags --libs libpng) -o "$build/bench-data/eval_miou_gen"
    echo "generating $pairs label pairs (683x512) in $data ..." >&2
    t0=$(date +%s.%N)
    "$build/bench-data/eval_miou_gen" "$data" "$pairs"
    touch "$data/.done"
    echo "generated in $(echo "$(date +%s.%N) - $t0" | bc) s ($(du -sh "$data" | cut -f1))" >&2
fi
# warm the page cache once, then measure three runs
cat "$data"/gt/*.png "$data"/pred/*.png > /dev/null
echo "mobileone eval ade20k: $pairs pairs of 683x512 label PNGs, one thread"
for run in 1 2 3; do
    /usr/bin/time -v "$bin" eval ade20k --gt-dir "$data/gt" --pred-dir "$data/pred" --json \
        --timing > "$build/bench-data/miou_out.json" 2> "$build/bench-data/miou_time.txt"
    wall=$(grep "Elapsed (wall clock)" "$build/bench-data/miou_time.txt" | awk '{print $NF}')
    secs=$(echo "$wall" | awk -F: '{ print (NF == 3) ? $1*3600 + $2*60 + $3 : $1*60 + $2 }')
    rss=$(grep "Maximum resident" "$build/bench-data/miou_time.txt" | awk '{print $NF}')
    inner=$(grep "^timing:" "$build/bench-data/miou_time.txt" || true)
    rate=$(echo "$pairs / $secs" | bc -l)
    printf "run %d: wall %.2f s, %.0f pairs/s (whole command), peak RSS %.1f MB; %s\n" \
        "$run" "$secs" "$rate" "$(echo "$rss / 1024" | bc -l)" "$inner"
done
ok=$(echo "$rate >= 200" | bc -l)
echo "target >= 200 pairs/s: $([ "$ok" = 1 ] && echo met || echo NOT met)"
echo "result: $(cut -c1-80 "$build/bench-data/miou_out.json")..."
[ "$ok" = 1 ]
