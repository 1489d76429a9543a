"""Writes a copy of a model file whose embedded config names another network input size.

The input size is where `mobileone segment` and `detect` resize images to; the weights do not
depend on it. A segmenter trained on crops at random scales may score better at another size
than the crop size (models/deeplabv3_s0_synth.md measures it on the val split).

    python3 tools/set_input_size.py models/deeplabv3_s0_synth.safetensors 384 OUT.safetensors
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402


def set_input_size(src, size_hw, dst):
    tensors, metadata = st.load(src)
    config = st.load_config(metadata)
    if config is None:
        raise SystemExit("%s: no embedded config" % src)
    config["input_size"] = list(size_hw)
    metadata = dict(metadata)
    metadata[st.CONFIG_KEY] = json.dumps(config)
    tmp = dst + ".tmp"
    st.save(tmp, tensors, metadata)
    os.replace(tmp, dst)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model")
    p.add_argument("size", type=int, help="the new input size (height = width)")
    p.add_argument("out")
    a = p.parse_args()
    if a.size < 1:
        p.error("size must be positive")
    set_input_size(a.model, (a.size, a.size), a.out)
    print("%s: input size %dx%d" % (a.out, a.size, a.size))


if __name__ == "__main__":
    main()
