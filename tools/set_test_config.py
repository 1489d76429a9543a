"""Writes a copy of a model file whose embedded config names another test-time setting: the
network input size, for a segmenter test-time flipping (segment.flip), for a detector test-time
augmentation (detect.tta).

The input size is where `mobileone segment` and `detect` resize images to; the weights do not
depend on it. A segmenter trained on crops at random scales may score better at another size
than the crop size, and better still with flipping (models/deeplabv3_s0_synth.md measures both
on the val split).

    python3 tools/set_test_config.py models/deeplabv3_s0_synth.safetensors OUT.safetensors \\
        --size 384 --flip on
    python3 tools/set_test_config.py models/ssdlite_s0_synth.safetensors OUT.safetensors \\
        --tta d8
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402


TTA_MODES = ("none", "hflip", "flips", "d8")


def set_test_config(src, dst, size_hw=None, flip=None, tta=None):
    """size_hw: (height, width) or None to keep; flip: True / False, or None to keep; tta: one
    of TTA_MODES, or None to keep."""
    tensors, metadata = st.load(src)
    config = st.load_config(metadata)
    if config is None:
        raise SystemExit("%s: no embedded config" % src)
    if size_hw is not None:
        config["input_size"] = list(size_hw)
    if flip is not None:
        if config.get("task") != "segment":
            raise SystemExit("%s: flipping is a segmentation setting; the task is %s"
                             % (src, config.get("task")))
        config.setdefault("segment", {})["flip"] = bool(flip)
    if tta is not None:
        if config.get("task") != "detect":
            raise SystemExit("%s: test-time augmentation is a detection setting; the task is %s"
                             % (src, config.get("task")))
        config.setdefault("detect", {})["tta"] = tta
    metadata = dict(metadata)
    metadata[st.CONFIG_KEY] = json.dumps(config)
    tmp = dst + ".tmp"
    st.save(tmp, tensors, metadata)
    os.replace(tmp, dst)
    return config


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model")
    p.add_argument("out")
    p.add_argument("--size", type=int, help="the new input size (height = width)")
    p.add_argument("--flip", choices=("on", "off"), help="test-time flipping (segmenters)")
    p.add_argument("--tta", choices=TTA_MODES, help="test-time augmentation (detectors)")
    a = p.parse_args()
    if a.size is not None and a.size < 1:
        p.error("size must be positive")
    if a.size is None and a.flip is None and a.tta is None:
        p.error("nothing to set: give --size, --flip or --tta")
    config = set_test_config(a.model, a.out, None if a.size is None else (a.size, a.size),
                             None if a.flip is None else a.flip == "on", a.tta)
    size = "x".join(map(str, config["input_size"][::-1]))
    if config.get("task") == "detect":
        print("%s: input size %s, tta %s" % (a.out, size, config["detect"].get("tta", "none")))
    else:
        print("%s: input size %s, flip %s" % (a.out, size,
                                              config.get("segment", {}).get("flip", False)))


if __name__ == "__main__":
    main()
