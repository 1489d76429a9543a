"""Checks that every engine's output agrees with the reference logits within 1e-4 relative.
usage: agree.py REFERENCE.bin OTHER [OTHER...]
Each OTHER is raw float32, or the JSON line of `mobileone classify --json --top 1000`."""
import json
import sys

import numpy as np

ref = np.fromfile(sys.argv[1], dtype="<f4")
worst = 0.0
for path in sys.argv[2:]:
    if path.endswith(".json"):
        top = json.load(open(path))["top"]
        other = np.zeros(len(top), dtype="<f4")
        for entry in top:
            other[entry["class"]] = entry["logit"]
    else:
        other = np.fromfile(path, dtype="<f4")
    if other.shape != ref.shape:
        sys.exit("agree: %s has %d values, the reference %d" % (path, other.size, ref.size))
    rel = float(np.abs(other - ref).max() / np.abs(ref).max())
    worst = max(worst, rel)
    print("  %s: relative %.2e" % (path, rel))
sys.exit(0 if worst <= 1e-4 else "agree: outputs differ by %.2e relative (> 1e-4)" % worst)
