"""Tests of convert.py on checkpoints the reference saves with torch.save: Apple unfused and
fused, timm names, wrapped and 'module.'-prefixed, and bad inputs.

    /usr/bin/python3 -m unittest discover -s tools -p 'test_*.py'      (from the repo root)
"""

import os
import subprocess
import sys
import tempfile
import unittest

import torch

TOOLS = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, TOOLS)
import make_goldens  # noqa: E402
import mobileone_ref as mo  # noqa: E402
import safetensors_io as st  # noqa: E402

SMALL_SE = {"widths": [8, 16, 16, 24, 32], "blocks": [1, 2, 2, 1], "k": 2,
            "se_blocks": [0, 0, 1, 1]}


def run_convert(*args):
    """Runs convert.py as a program: (exit status, stdout, stderr)."""
    proc = subprocess.run([sys.executable, os.path.join(TOOLS, "convert.py")] + list(args),
                          capture_output=True, text=True)
    return proc.returncode, proc.stdout, proc.stderr


class ConvertTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.s0 = make_goldens.make_model(variant="s0", num_classes=1000, seed=11)
        cls.small = make_goldens.make_model(arch=SMALL_SE, num_classes=6, seed=12)

    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def path(self, name):
        return os.path.join(self.tmp.name, name)

    def save_and_convert(self, obj, *args):
        src, dst = self.path("in.pth.tar"), self.path("out.safetensors")
        torch.save(obj, src)
        rc, out, err = run_convert(src, dst, *args)
        self.assertEqual(rc, 0, err)
        self.assertEqual(err, "")
        return st.load(dst)

    def assert_same_tensors(self, got, expected):
        self.assertEqual(set(got), set(expected))
        for name, t in expected.items():
            self.assertEqual(got[name].shape, t.shape, name)
            if t.is_floating_point():
                self.assertEqual(got[name].dtype, torch.float32, name)
            else:
                self.assertEqual(got[name].dtype, torch.int64, name)
            self.assertTrue(torch.equal(got[name], t.to(got[name].dtype)), name)

    def test_apple_unfused_s0(self):
        sd = self.s0.state_dict()
        got, meta = self.save_and_convert(sd, "--variant", "s0")
        self.assert_same_tensors(got, sd)
        config = st.load_config(meta)
        self.assertEqual(config["variant"], "s0")
        self.assertEqual(config["num_classes"], 1000)
        self.assertEqual(config["task"], "classify")

    def test_apple_fused_s0_with_variant_inferred(self):
        sd = mo.reparameterize_model(self.s0).state_dict()
        got, meta = self.save_and_convert(sd)
        self.assert_same_tensors(got, sd)
        self.assertIn("stage4.1.reparam_conv.weight", got)
        self.assertEqual(st.load_config(meta)["variant"], "s0")

    def test_wrapped_and_module_prefixed(self):
        sd = self.small.state_dict()
        wrapped = {"state_dict": {"module." + k: v for k, v in sd.items()}, "epoch": 3}
        got, meta = self.save_and_convert(wrapped)
        self.assert_same_tensors(got, sd)
        self.assertEqual(st.load_config(meta)["variant"], "custom")
        self.assertEqual(st.load_config(meta)["num_classes"], 6)

    def test_timm_names_unfused_and_fused(self):
        for model in (self.small, mo.reparameterize_model(self.small)):
            sd = model.state_dict()
            timm = {mo.apple_to_timm(k): v for k, v in sd.items()}
            self.assertIn("head.fc.weight", timm)
            got, _ = self.save_and_convert(timm)
            self.assert_same_tensors(got, sd)

    def test_timm_s4_names(self):
        sd = mo.MobileOne("s4", num_classes=1000).state_dict()
        timm = {mo.apple_to_timm(k): v for k, v in sd.items()}
        self.assertIn("stages.2.10.attn.fc1.weight", timm)
        got, meta = self.save_and_convert(timm, "--variant", "s4")
        self.assert_same_tensors(got, sd)
        self.assertEqual(st.load_config(meta)["crop_pct"], 0.9)

    def test_config_overrides_defaults(self):
        _, meta = self.save_and_convert(self.small.state_dict(), "--config",
                                        '{"input_size": [64, 48], "num_classes": 6}')
        config = st.load_config(meta)
        self.assertEqual(config["input_size"], [64, 48])

    def assert_fails(self, src, *args, match):
        dst = self.path("out.safetensors")
        rc, _, err = run_convert(src, dst, *args)
        self.assertNotEqual(rc, 0)
        lines = err.strip().splitlines()
        self.assertEqual(len(lines), 1, err)
        self.assertIn("error", lines[0])
        self.assertIn(match, lines[0])
        self.assertFalse(os.path.exists(dst))

    def test_not_a_checkpoint_fails_in_one_line(self):
        src = self.path("notes.txt")
        with open(src, "w") as f:
            f.write("this is not a checkpoint\n")
        self.assert_fails(src, match="not a PyTorch checkpoint")
        self.assert_fails(self.path("missing.pth"), match="no such file")

    def test_unknown_keys_fail_in_one_line(self):
        sd = dict(self.small.state_dict())
        sd["stage2.0.extra.weight"] = torch.zeros(3)
        src = self.path("extra.pth")
        torch.save(sd, src)
        self.assert_fails(src, match="stage2.0.extra.weight")
        src = self.path("foreign.pth")
        torch.save({"features.0.weight": torch.zeros(3)}, src)
        self.assert_fails(src, match="not a MobileOne")

    def test_wrong_variant_and_shapes_fail(self):
        src = self.path("s0.pth")
        torch.save(self.s0.state_dict(), src)
        self.assert_fails(src, "--variant", "s1", match="does not match")
        sd = dict(self.small.state_dict())
        sd["stage1.0.rbr_scale.bn.weight"] = torch.zeros(9)
        torch.save(sd, src)
        self.assert_fails(src, match="stage1.0.rbr_scale.bn.weight")
        sd = dict(self.small.state_dict())
        del sd["stage2.1.rbr_conv.1.bn.running_var"]
        torch.save(sd, src)
        self.assert_fails(src, match="missing tensor")


if __name__ == "__main__":
    unittest.main()
