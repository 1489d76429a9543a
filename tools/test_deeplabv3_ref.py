"""Tests of deeplabv3_ref.py: torchvision's key names, exact fusion with dilation, shapes."""

import os
import sys
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import deeplabv3_ref as dr  # noqa: E402

ARCH = {"widths": [8, 8, 12, 16, 24], "blocks": [1, 1, 2, 1], "k": 2, "se_blocks": [0, 0, 0, 0]}


class DeepLabV3RefTest(unittest.TestCase):
    def test_head_keys_are_torchvisions(self):
        model = dr.make_model(1, arch=ARCH, num_classes=3, aspp_channels=8, aux=True)
        keys = set(model.state_dict())
        for key in ["classifier.0.convs.0.0.weight", "classifier.0.convs.0.1.running_var",
                    "classifier.0.convs.3.0.weight", "classifier.0.convs.4.1.weight",
                    "classifier.0.convs.4.2.bias", "classifier.0.project.0.weight",
                    "classifier.0.project.1.weight", "classifier.1.weight",
                    "classifier.2.running_mean", "classifier.4.weight", "classifier.4.bias",
                    "aux_classifier.0.weight", "backbone.stage0.rbr_conv.0.conv.weight"]:
            self.assertIn(key, keys)
        self.assertFalse(any(k.startswith("backbone.linear") for k in keys))

    def test_rates_follow_the_output_stride(self):
        for os_, rates in ((16, (6, 12, 18)), (8, (12, 24, 36))):
            model = dr.DeepLabV3MobileOne(arch=ARCH, output_stride=os_, aspp_channels=8)
            dil = [model.classifier[0].convs[i][0].dilation[0] for i in (1, 2, 3)]
            self.assertEqual(tuple(dil), rates)

    @torch.no_grad()
    def test_fused_equals_unfused_at_both_output_strides(self):
        for os_ in (16, 8):
            model = dr.make_model(2, arch=ARCH, num_classes=4, output_stride=os_,
                                  rates=(1, 2, 3), aspp_channels=8)
            x = torch.randn(1, 3, 45, 37)
            y = model(x)
            self.assertEqual(tuple(y.shape), (1, 4, 45, 37))
            rel = float((dr.fused_copy(model)(x) - y).abs().max() / y.abs().max())
            self.assertLess(rel, 1e-5)


if __name__ == "__main__":
    unittest.main()
