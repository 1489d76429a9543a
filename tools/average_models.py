"""Writes the mean of several model files of one architecture: a "model soup" of runs that
started from the same weights.

Floating-point tensors (BatchNorm statistics included) are averaged in f32; integer tensors
(num_batches_tracked) and the embedded config are the first file's. The files must hold the
same tensor names and shapes. Runs trained apart from a common starting point at a low
learning rate usually stay in one basin, where their mean scores at least as well as each;
score it on the val split before shipping it (models/ssdlite_s0_synth.md).

    python3 tools/average_models.py OUT.safetensors A.safetensors B.safetensors
"""

import argparse
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402


def average(paths, out_path):
    """Writes the mean of the model files `paths` to out_path; returns the tensor count."""
    if len(paths) < 2:
        raise SystemExit("average_models: give at least two model files")
    first, metadata = st.load(paths[0])
    sums = {k: t.float().clone() if t.is_floating_point() else t for k, t in first.items()}
    for path in paths[1:]:
        tensors, _ = st.load(path)
        if sorted(tensors) != sorted(first):
            extra = sorted(set(tensors) ^ set(first))
            raise SystemExit("%s: its tensors differ from %s's (%s)"
                             % (path, paths[0], ", ".join(extra[:3])))
        for k, t in tensors.items():
            f = first[k]
            if t.shape != f.shape or t.is_floating_point() != f.is_floating_point():
                raise SystemExit("%s: tensor '%s' is %s %s, in %s %s %s"
                                 % (path, k, t.dtype, tuple(t.shape), paths[0], f.dtype,
                                    tuple(f.shape)))
            if t.is_floating_point():
                sums[k] += t.float()
    out = {k: (v / len(paths)).to(first[k].dtype) if first[k].is_floating_point() else v
           for k, v in sums.items()}
    tmp = out_path + ".tmp"
    st.save(tmp, out, metadata or None)
    os.replace(tmp, out_path)
    return len(out)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("out", help="the averaged model file")
    p.add_argument("models", nargs="+", help="two or more model files")
    a = p.parse_args()
    n = average(a.models, a.out)
    print("%s: the mean of %d files (%d tensors)" % (a.out, len(a.models), n))


if __name__ == "__main__":
    main()
