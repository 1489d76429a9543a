"""Tests of the PyTorch reference (mobileone_ref.py) and of the committed goldens.

    /usr/bin/python3 -m unittest discover -s tools -p 'test_*.py'      (from the repo root)

The real-weights test reads Apple's fused S0 from $MO_SHARED_DIR/data/mobileone_s0_imagenet
(default: ../shared beside the repo root) and is skipped when that folder is absent.
"""

import os
import sys
import unittest

import numpy as np
import torch

TOOLS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TOOLS)
sys.path.insert(0, TOOLS)
import make_goldens  # noqa: E402
import mobileone_ref as mo  # noqa: E402
import safetensors_io as st  # noqa: E402

GOLDEN_DIR = os.path.join(ROOT, "tests", "golden", "classify")


def shared_dir():
    return os.environ.get("MO_SHARED_DIR") or os.path.join(ROOT, "..", "shared")


def relative_diff(a, b):
    return float((a - b).abs().max() / b.abs().max())


class RealS0Test(unittest.TestCase):
    def test_fused_s0_reproduces_apple_logits(self):
        folder = os.path.join(shared_dir(), "data", "mobileone_s0_imagenet")
        if not os.path.isdir(folder):
            self.skipTest("real S0 weights not found at %s (set MO_SHARED_DIR)" % folder)
        tensors, _ = st.load(os.path.join(folder, "mobileone_s0_fused.safetensors"))
        model = mo.MobileOne("s0", num_classes=1000, inference_mode=True).eval()
        model.load_state_dict(tensors, strict=True)
        raw = np.fromfile(os.path.join(folder, "apple_input_1x3x224x224_f32.bin"), dtype="<f4")
        x = torch.from_numpy(raw.astype(np.float32)).reshape(1, 3, 224, 224)
        expected = torch.from_numpy(np.loadtxt(os.path.join(folder, "apple_logits.txt"),
                                               dtype=np.float32))
        with torch.no_grad():
            logits = model(x)[0]
        diff = float((logits - expected).abs().max())
        print("\n  real S0: max abs diff %.3g, top-1 %d" % (diff, int(logits.argmax())))
        self.assertLess(diff, 1e-4)
        self.assertEqual(int(logits.argmax()), 957)


class ArchitectureTest(unittest.TestCase):
    def test_fused_parameter_counts_match_the_paper(self):
        expected = {"s0": 2.079, "s1": 4.765, "s2": 7.808, "s3": 10.078, "s4": 14.838}
        for variant, millions in expected.items():
            model = mo.MobileOne(variant, num_classes=1000, inference_mode=True)
            self.assertAlmostEqual(mo.count_params(model) / 1e6, millions, places=3, msg=variant)

    def test_unfused_parameter_counts(self):
        # architecture.md 1.1 lists S4 as 14.952 M; we count 14.951248 M (mmpretrain: 14.95 M).
        expected = {"s0": 5.293, "s1": 4.825, "s2": 7.885, "s3": 10.171, "s4": 14.951}
        for variant, millions in expected.items():
            model = mo.MobileOne(variant, num_classes=1000)
            self.assertAlmostEqual(mo.count_params(model) / 1e6, millions, delta=0.0006,
                                   msg=variant)

    def test_skip_branches_follow_cin_eq_cout_and_stride_1(self):
        s0, s1 = mo.MobileOne("s0"), mo.MobileOne("s1")
        self.assertIsNotNone(s0.stage1[1].rbr_skip)  # 48 -> 48
        self.assertIsNone(s1.stage1[1].rbr_skip)  # 64 -> 96
        self.assertIsNone(s0.stage2[0].rbr_skip)  # stride 2
        self.assertIsNotNone(s0.stage2[2].rbr_skip)
        self.assertIsNone(s0.stage0.rbr_skip)
        self.assertEqual(len(s0.stage1[0].rbr_conv), 4)
        self.assertEqual(len(s0.stage0.rbr_conv), 1)  # the stem has k = 1

    def test_s4_has_se_on_stage3_pairs_5_to_9_and_stage4(self):
        names = mo.MobileOne("s4").state_dict().keys()
        se = sorted({n.rsplit(".se.", 1)[0] for n in names if ".se." in n})
        expected = sorted(["stage3.%d" % j for j in range(10, 20)] + ["stage4.0", "stage4.1"])
        self.assertEqual(se, expected)
        self.assertEqual(mo.MobileOne("s4").stage3[10].se.reduce.out_channels, 56)
        self.assertEqual(mo.MobileOne("s4").stage4[1].se.reduce.out_channels, 128)

    def test_fused_key_names_are_apples(self):
        sd = mo.MobileOne("s0", inference_mode=True).state_dict()
        self.assertEqual(list(sd["stage0.reparam_conv.weight"].shape), [48, 3, 3, 3])
        self.assertEqual(list(sd["stage1.0.reparam_conv.weight"].shape), [48, 1, 3, 3])
        self.assertEqual(list(sd["stage4.1.reparam_conv.weight"].shape), [1024, 256, 1, 1])
        self.assertEqual(list(sd["linear.weight"].shape), [1000, 1024])
        self.assertEqual(len(sd), 88)

    def test_infer_arch_finds_every_variant_fused_and_unfused(self):
        for variant in mo.VARIANTS:
            for fused in (False, True):
                sd = mo.MobileOne(variant, inference_mode=fused).state_dict()
                arch, is_fused, num_classes = mo.infer_arch(sd)
                self.assertEqual(is_fused, fused)
                self.assertEqual(num_classes, 1000)
                self.assertEqual(mo.find_variant(arch), variant)


class ReparameterizationTest(unittest.TestCase):
    def test_unfused_and_fused_logits_agree_for_all_variants(self):
        x = torch.randn(1, 3, 67, 53, generator=torch.Generator().manual_seed(5))
        for i, variant in enumerate(mo.VARIANTS):
            model = make_goldens.make_model(variant=variant, num_classes=1000, seed=50 + i)
            fused = mo.reparameterize_model(model).eval()
            with torch.no_grad():
                ref, out = model(x), fused(x)
            rel = relative_diff(out, ref)
            print("\n  %s 67x53: fused vs unfused relative %.2e, logits std %.3g"
                  % (variant, rel, float(ref.std())), end="")
            self.assertGreater(float(ref.std()), 1e-2)
            self.assertLess(rel, 1e-5, variant)

    def test_fused_model_loads_into_an_inference_mode_model(self):
        model = make_goldens.make_model(variant="s0", num_classes=1000, seed=7)
        fused = mo.reparameterize_model(model).eval()
        fresh = mo.MobileOne("s0", inference_mode=True).eval()
        fresh.load_state_dict(fused.state_dict(), strict=True)
        x = torch.randn(1, 3, 32, 32)
        with torch.no_grad():
            self.assertTrue(torch.equal(fresh(x), fused(x)))

    def test_identity_kernel_of_a_depthwise_block(self):
        block = mo.MobileOneBlock(5, 5, 3, groups=5)
        kernel = block._identity_kernel()
        self.assertEqual(list(kernel.shape), [5, 1, 3, 3])
        self.assertEqual(float(kernel.sum()), 5.0)
        self.assertTrue(bool((kernel[:, 0, 1, 1] == 1).all()))


class DilationTest(unittest.TestCase):
    def test_output_strides_16_and_8_keep_the_weights_and_fuse_exactly(self):
        arch = {"widths": [8, 8, 16, 16, 24], "blocks": [1, 2, 3, 2], "k": 2,
                "se_blocks": [0, 0, 1, 1]}
        base = make_goldens.make_model(arch=arch, num_classes=5, seed=9)
        x = torch.randn(1, 3, 64, 48)
        for os_, stage4_hw in ((16, (4, 3)), (8, (8, 6))):
            model = mo.MobileOne(arch=arch, num_classes=5, output_stride=os_).eval()
            # Same names and shapes as OS32: removing a stride adds no skip BN.
            model.load_state_dict(base.state_dict(), strict=True)
            fused = mo.reparameterize_model(model).eval()
            with torch.no_grad():
                s3, s4 = model.forward_features(x)
                f3, f4 = fused.forward_features(x)
            self.assertEqual(tuple(s4.shape[2:]), stage4_hw)
            self.assertLess(relative_diff(f4, s4), 1e-5)
            self.assertLess(relative_diff(f3, s3), 1e-5)

    def test_dilations_and_strides_of_the_dw_blocks(self):
        m16 = mo.MobileOne("s0", output_stride=16)
        self.assertEqual((m16.stage4[0].stride, m16.stage4[0].dilation), (1, 1))
        self.assertIsNone(m16.stage4[0].rbr_skip)
        self.assertEqual(m16.stage3[0].stride, 2)
        m8 = mo.MobileOne("s0", output_stride=8)
        self.assertEqual((m8.stage3[0].stride, m8.stage3[0].dilation), (1, 1))
        for j in range(2, 20, 2):
            self.assertEqual((m8.stage3[j].stride, m8.stage3[j].dilation,
                              m8.stage3[j].rbr_conv[0].conv.padding), (1, 2, (2, 2)))
        self.assertEqual((m8.stage4[0].stride, m8.stage4[0].dilation,
                          m8.stage4[0].rbr_conv[0].conv.padding), (1, 2, (2, 2)))
        self.assertEqual(m8.stage4[0].rbr_scale.conv.padding, (0, 0))


class TimmNamesTest(unittest.TestCase):
    def test_names_map_both_ways_for_s0_and_s4(self):
        for variant in ("s0", "s4"):
            for fused in (False, True):
                for name in mo.MobileOne(variant, inference_mode=fused).state_dict():
                    self.assertEqual(mo.timm_to_apple(mo.apple_to_timm(name)), name)

    def test_known_timm_names(self):
        pairs = {"stage0.rbr_conv.0.conv.weight": "stem.conv_kxk.0.conv.weight",
                 "stage0.rbr_scale.bn.running_var": "stem.conv_scale.bn.running_var",
                 "stage1.3.rbr_skip.num_batches_tracked": "stages.0.3.identity.num_batches_tracked",
                 "stage3.10.se.reduce.weight": "stages.2.10.attn.fc1.weight",
                 "stage4.1.se.expand.bias": "stages.3.1.attn.fc2.bias",
                 "stage4.1.reparam_conv.weight": "stages.3.1.reparam_conv.weight",
                 "linear.weight": "head.fc.weight"}
        for apple, timm in pairs.items():
            self.assertEqual(mo.apple_to_timm(apple), timm)
            self.assertEqual(mo.timm_to_apple(timm), apple)


class CommittedGoldensTest(unittest.TestCase):
    def test_goldens_match_the_reference(self):
        cases = sorted(os.listdir(GOLDEN_DIR)) if os.path.isdir(GOLDEN_DIR) else []
        if not cases:
            self.skipTest("no goldens in %s" % GOLDEN_DIR)
        for case in cases:
            folder = os.path.join(GOLDEN_DIR, case)
            sd, meta = st.load(os.path.join(folder, "model_unfused.safetensors"))
            config = st.load_config(meta)
            arch, fused, num_classes = mo.infer_arch(sd)
            self.assertFalse(fused)
            self.assertEqual(config["num_classes"], num_classes)
            model = mo.MobileOne(arch=arch, num_classes=num_classes).eval()
            model.load_state_dict(sd, strict=True)
            fsd, _ = st.load(os.path.join(folder, "model_fused.safetensors"))
            fused_model = mo.MobileOne(arch=arch, num_classes=num_classes,
                                       inference_mode=True).eval()
            fused_model.load_state_dict(fsd, strict=True)
            io, _ = st.load(os.path.join(folder, "io.safetensors"))
            self.assertEqual(list(io["input"].shape[2:]), config["input_size"])
            with torch.no_grad():
                stages = model.forward_stages(io["input"])
                logits = model.forward_head(stages[4])
                fused_logits = fused_model(io["input"])
            self.assertGreater(float(io["logits"].std()), 1e-2)
            self.assertLess(relative_diff(logits, io["logits"]), 1e-6, case)
            self.assertLess(relative_diff(fused_logits, io["logits"]), 1e-5, case)
            for n in range(5):
                self.assertLess(relative_diff(stages[n], io["stage%d" % n]), 1e-6, case)
            timm_path = os.path.join(folder, "model_timm.safetensors")
            if os.path.exists(timm_path):
                tsd, _ = st.load(timm_path)
                self.assertEqual({mo.timm_to_apple(k) for k in tsd}, set(sd))
                for k, v in tsd.items():
                    self.assertTrue(torch.equal(v, sd[mo.timm_to_apple(k)]), k)


if __name__ == "__main__":
    unittest.main()
