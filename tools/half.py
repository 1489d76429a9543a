"""Writes a copy of a model file with its floating-point tensors stored as F16 (half the size).

The C loader reads F16 and converts to f32, so the copy runs as the original with weights
rounded to 11 significant bits; integer tensors (num_batches_tracked) and the embedded config
are kept. Check the metrics of the copy before shipping it (models/README.md).

    python3 tools/half.py models/deeplabv3_s0_synth_f32.safetensors \\
        models/deeplabv3_s0_synth.safetensors
"""

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402


def to_half(src, dst):
    tensors, metadata = st.load(src)
    out, worst = {}, 0.0
    for name, t in tensors.items():
        if t.is_floating_point():
            h = t.to(torch.float16)
            if not torch.isfinite(h).all() or (h.float() - t).abs().max() > 1e-2 * max(
                    1.0, float(t.abs().max())):
                raise SystemExit("%s: tensor '%s' does not fit F16 (max |x| %.3g)"
                                 % (src, name, float(t.abs().max())))
            worst = max(worst, float((h.float() - t).abs().max()))
            out[name] = h
        else:
            out[name] = t
    st.save(dst, out, metadata or None)
    return worst


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("src")
    p.add_argument("dst")
    args = p.parse_args()
    worst = to_half(args.src, args.dst)
    print("%s -> %s: %.1f MB -> %.1f MB, worst rounding %.2e"
          % (args.src, args.dst, os.path.getsize(args.src) / 1e6, os.path.getsize(args.dst) / 1e6,
             worst))


if __name__ == "__main__":
    main()
