"""Prints the comparison table from bench/compare's results (JSON lines): each engine's best
median over the repeats, our GFLOP/s and share of the machine's peak, and the ratio
ONNX Runtime / ours (>= 1.00: we are at least as fast), then that ratio in each repeat (the
two engines ran one after the other), which shows how much the machine's noise moves it.
usage: table.py RESULTS.jsonl PEAK_GFLOPS_PER_CORE"""
import collections
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
peak = float(sys.argv[2])
best = collections.defaultdict(lambda: float("inf"))
runs = collections.defaultdict(list)  # every repeat's median, in order
gflops = {}
for r in rows:
    if r.get("median_ms") is None:
        continue
    key = (r["model"], r["threads"], r["engine"])
    runs[key].append(r["median_ms"])
    if r["median_ms"] < best[key]:
        best[key] = r["median_ms"]
        if "gflops" in r:
            gflops[(r["model"], r["threads"])] = r["gflops"]

models = sorted({k[0] for k in best}, key=lambda m: (len(m), m))
threads = sorted({k[1] for k in best})
print("| model | threads | mobileone ms | GFLOP/s (% of peak) | ONNX Runtime ms | TorchScript ms "
      "| ORT / ours | per repeat |")
print("|---|---|---|---|---|---|---|---|")
for m in models:
    for t in threads:
        ours = best.get((m, t, "mobileone"))
        ort = best.get((m, t, "onnxruntime"))
        torch = best.get((m, t, "torchscript"))
        g = gflops.get((m, t), 0.0)
        each = " ".join("%.2f" % (o / u) for u, o in zip(runs[(m, t, "mobileone")],
                                                           runs[(m, t, "onnxruntime")]))
        print("| %s | %d | %.2f | %.0f (%.0f %%) | %s | %s | %s | %s |" % (
            m, t, ours, g, 100.0 * g / (peak * t), "%.2f" % ort if ort else "-",
            "%.2f" % torch if torch else "-", "%.2f" % (ort / ours) if ort and ours else "-",
            each or "-"))
    one, two = best.get((m, 1, "mobileone")), best.get((m, 2, "mobileone"))
    if one and two:
        print("|  | 1→2 speed-up | %.2fx |  |  |  |  |  |" % (one / two))
