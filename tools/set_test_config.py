"""Writes a copy of a model file whose embedded config names another test-time setting: the
network input size, for a segmenter test-time flipping (segment.flip), for a detector test-time
augmentation (detect.tta) and the zoomed pass for small objects (detect.zoom).

The input size is where `mobileone segment` and `detect` resize images to; the weights do not
depend on it. A segmenter trained on crops at random scales may score better at another size
than the crop size, and better still with flipping (models/deeplabv3_s0_synth.md measures both
on the val split).

    python3 tools/set_test_config.py models/deeplabv3_s0_synth.safetensors OUT.safetensors \\
        --size 384 --flip on
    python3 tools/set_test_config.py models/ssdlite_s0_synth.safetensors OUT.safetensors \\
        --tta d8 --zoom 2
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402


TTA_MODES = ("none", "hflip", "flips", "d8")


def set_test_config(src, dst, size_hw=None, flip=None, tta=None, zoom=None):
    """size_hw: (height, width) or None to keep; flip: True / False, or None to keep; tta: one
    of TTA_MODES, or None to keep; zoom: 1..4 (1: off), or None to keep."""
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
    for key, value in (("tta", tta), ("zoom", zoom)):
        if value is None:
            continue
        if config.get("task") != "detect":
            raise SystemExit("%s: detect.%s is a detection setting; the task is %s"
                             % (src, key, config.get("task")))
        config.setdefault("detect", {})[key] = value
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
    p.add_argument("--zoom", type=int, choices=range(1, 5),
                   help="the zoomed pass for small objects, 1 (off) to 4 (detectors)")
    a = p.parse_args()
    if a.size is not None and a.size < 1:
        p.error("size must be positive")
    if a.size is None and a.flip is None and a.tta is None and a.zoom is None:
        p.error("nothing to set: give --size, --flip, --tta or --zoom")
    config = set_test_config(a.model, a.out, None if a.size is None else (a.size, a.size),
                             None if a.flip is None else a.flip == "on", a.tta, a.zoom)
    size = "x".join(map(str, config["input_size"][::-1]))
    if config.get("task") == "detect":
        det = config["detect"]
        print("%s: input size %s, tta %s, zoom %d"
              % (a.out, size, det.get("tta", "none"), det.get("zoom", 1)))
    else:
        print("%s: input size %s, flip %s" % (a.out, size,
                                              config.get("segment", {}).get("flip", False)))


if __name__ == "__main__":
    main()
