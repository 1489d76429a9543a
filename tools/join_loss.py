"""Joins the loss logs of a model's training phases (e.g. a GPU run, then a further schedule
started with --init-from) into one log and one plot against the images seen, for its model card.

    python3 tools/join_loss.py --out models/ssdlite_s0_synth --keys loss,bbox_regression,\\
        classification --title "..." PHASE1/loss.csv PHASE2/loss.csv

writes OUT_loss.csv (phase, images from the start of phase 1, the phase's step, lr, the loss
columns, hours from the start of phase 1) and OUT_loss.png.
"""

import argparse
import csv
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import train_common as tc  # noqa: E402


def join(paths, keys, base=None):
    """base: an earlier joined log (OUT_loss.csv) that the phases continue."""
    rows, images0, hours0, phase0 = [], 0, 0.0, 0
    if base:
        rows = tc.read_log(base)
        images0, hours0 = int(rows[-1]["images"]), float(rows[-1]["hours"])
        phase0 = int(rows[-1]["phase"])
    for phase, path in enumerate(paths, phase0 + 1):
        log = tc.read_log(path)
        if not log:
            raise SystemExit("%s: no rows" % path)
        for r in log:
            rows.append({"phase": phase, "images": images0 + int(r["images"]),
                         "step": r["step"], "lr": r["lr"],
                         **{k: r[k] for k in keys},
                         "hours": "%.4f" % (hours0 + float(r["hours"]))})
        images0 += int(log[-1]["images"])
        hours0 += float(log[-1]["hours"])
    return rows


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", required=True, help="prefix: writes OUT_loss.csv, OUT_loss.png")
    p.add_argument("--keys", required=True, help="loss columns, comma-separated")
    p.add_argument("--title", default="")
    p.add_argument("--base", metavar="JOINED.csv",
                   help="an earlier joined log (this script's OUT_loss.csv) that the phases "
                        "continue: its rows first, the new phases numbered after its last")
    p.add_argument("logs", nargs="+", help="the phases' loss.csv, in order")
    args = p.parse_args()
    keys = args.keys.split(",")
    rows = join(args.logs, keys, args.base)
    out_csv = args.out + "_loss.csv"
    with open(out_csv, "w", newline="") as f:
        w = csv.DictWriter(f, ["phase", "images", "step", "lr"] + keys + ["hours"],
                           extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    tc.plot_log(out_csv, args.out + "_loss.png", keys, args.title, x="images")
    print("%s: %d rows from %d phases, %d images, %.2f hours" % (
        out_csv, len(rows), len(args.logs), rows[-1]["images"], float(rows[-1]["hours"])))


if __name__ == "__main__":
    main()
