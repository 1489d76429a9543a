"""Converts a MobileOne PyTorch checkpoint (.pth.tar / .pth) to this project's safetensors file.

    convert.py IN.pth.tar OUT.safetensors [--variant s0..s4] [--config JSON]

Accepts Apple's checkpoints (fused `mobileone_sX.pth.tar` or unfused `..._unfused.pth.tar`) and
timm's (`stem.`, `stages.N.`, `conv_kxk`, ...; renamed to Apple's names through the one table in
mobileone_ref.NAME_TABLE). The state_dict may be wrapped in {"state_dict": ...} (or
{"model": ...}) and its names may carry a "module." prefix (DataParallel).

The architecture (widths, blocks, k, SE) is read from the tensors and the whole state_dict is
checked by loading it strictly into the reference model, so an unknown or missing tensor is an
error. --variant must agree with the tensors; without it the variant is the one the tensors
match, or "custom". --config is JSON text or a JSON file; its fields override the defaults
{"task": "classify", "variant": .., "num_classes": .., "input_size": [224, 224], "crop_pct": ..}.

Output: every tensor, Apple's names, F32 (num_batches_tracked kept as I64), config embedded in
__metadata__["mobileone.config"]. Errors: one line on stderr, exit status 1.
"""

import argparse
import json
import os
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mobileone_ref as mo  # noqa: E402
import safetensors_io as st  # noqa: E402


class ConvertError(Exception):
    """A problem with the input, reported as one line."""


def load_checkpoint(path):
    """The state_dict inside the checkpoint at `path` (wrappers and 'module.' removed)."""
    try:
        obj = torch.load(path, map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ConvertError("%s: no such file" % path) from None
    except Exception as e:  # torch's restricted unpickler fails in many ways on non-checkpoints
        text = str(e).strip()
        first = "%s: %s" % (type(e).__name__, text.splitlines()[0]) if text else type(e).__name__
        raise ConvertError("%s: not a PyTorch checkpoint (%s)" % (path, first)) from None
    for key in ("state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
            break
    if not isinstance(obj, dict) or not obj:
        raise ConvertError("%s: holds no state_dict (a dict of tensors)" % path)
    sd = {}
    for name, value in obj.items():
        if not isinstance(name, str) or not torch.is_tensor(value):
            raise ConvertError("%s: entry %r is not a named tensor" % (path, name))
        if name.startswith("module."):
            name = name[len("module."):]
        sd[name] = value
    return sd


def to_apple_names(sd):
    if mo.is_timm_state_dict(sd):
        sd = {mo.timm_to_apple(name): t for name, t in sd.items()}
    return sd


def check_state_dict(sd):
    """(arch, fused, num_classes) after checking every name and shape against the reference."""
    try:
        arch, fused, num_classes = mo.infer_arch(sd)
        model = mo.MobileOne(arch=arch, num_classes=num_classes, inference_mode=fused)
    except (ValueError, IndexError, KeyError) as e:
        raise ConvertError("not a MobileOne checkpoint: %s" % e) from None
    expected = model.state_dict()
    unknown = [name for name in sd if name not in expected]
    if unknown:
        raise ConvertError("unknown tensor '%s' (%d unknown in all) for %s MobileOne %s"
                           % (unknown[0], len(unknown), "a fused" if fused else "an unfused",
                              json.dumps(arch)))
    for name, t in expected.items():
        if name not in sd:
            if name.endswith("num_batches_tracked"):
                continue
            raise ConvertError("missing tensor '%s' for MobileOne %s" % (name, json.dumps(arch)))
        if tuple(sd[name].shape) != tuple(t.shape):
            raise ConvertError("tensor '%s' has shape %s, expected %s"
                               % (name, list(sd[name].shape), list(t.shape)))
    return arch, fused, num_classes


def parse_config(text):
    if text is None:
        return {}
    try:
        if os.path.isfile(text):
            with open(text) as f:
                config = json.load(f)
        else:
            config = json.loads(text)
    except (OSError, json.JSONDecodeError) as e:
        raise ConvertError("--config: not a JSON object or file (%s)" % e) from None
    if not isinstance(config, dict):
        raise ConvertError("--config: must be a JSON object")
    return config


def convert(in_path, out_path, variant=None, config_text=None):
    """Reads `in_path`, writes `out_path`; returns the embedded config. Raises ConvertError."""
    user_config = parse_config(config_text)
    sd = to_apple_names(load_checkpoint(in_path))
    arch, fused, num_classes = check_state_dict(sd)
    found = mo.find_variant(arch)
    if variant is not None:
        if variant not in mo.VARIANTS:
            raise ConvertError("--variant %s: unknown (known: %s)"
                               % (variant, ", ".join(mo.VARIANTS)))
        if found != variant:
            raise ConvertError("--variant %s does not match the tensors (they are %s: %s)"
                               % (variant, found or "custom", json.dumps(arch)))
    variant = found or "custom"
    config = {"task": "classify", "variant": variant, "num_classes": num_classes,
              "input_size": [224, 224]}
    if variant in mo.CROP_PCT:
        config["crop_pct"] = mo.CROP_PCT[variant]
    config.update(user_config)
    st.save_state_dict(out_path, sd, config)
    return config


def main():
    p = argparse.ArgumentParser(description="Convert a MobileOne .pth.tar (Apple or timm names, "
                                            "fused or unfused) to safetensors.")
    p.add_argument("input", help="checkpoint (.pth.tar / .pth)")
    p.add_argument("output", help="safetensors file to write")
    p.add_argument("--variant", help="s0..s4: checked against the tensors")
    p.add_argument("--config", help="JSON text or a JSON file, merged over the defaults")
    args = p.parse_args()
    try:
        config = convert(args.input, args.output, args.variant, args.config)
    except ConvertError as e:
        print("convert.py: error: %s" % e, file=sys.stderr)
        return 1
    print("wrote %s (%s)" % (args.output, json.dumps(config)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
