"""Smoke tests of the training recipe: a few steps of train_detect.py and train_segment.py on
a handful of tiny images made here (the synth folder layout), checkpoint + resume, export, and
the exported files' config. When MO_BINARY_DIR names a build with the mobileone binary, the
exports are also loaded by it (`mobileone info`, `detect`, `segment`); otherwise that part is
skipped with a message. Reduced widths keep it to seconds; one test runs the real S0 blocks'
fast-branch forward against the reference one."""

import copy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import mobileone_ref as mo  # noqa: E402
import safetensors_io as st  # noqa: E402
import train_common as tc  # noqa: E402
import train_crops as tcr  # noqa: E402
import train_detect as td  # noqa: E402
import train_segment as ts  # noqa: E402
from set_test_config import set_test_config  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SMALL_ARCH = {"widths": [8, 8, 16, 16, 32], "blocks": [1, 1, 1, 1], "k": 4,
              "se_blocks": [0, 0, 0, 0]}


def make_synth_folder(folder, n=8, size=64, seed=0):
    """n images in the synth layout: coloured squares/circles on noise, masks and COCO."""
    g = torch.Generator().manual_seed(seed)
    os.makedirs(os.path.join(folder, "images"))
    os.makedirs(os.path.join(folder, "masks"))
    images, anns = [], []
    yy, xx = torch.meshgrid(torch.arange(size), torch.arange(size), indexing="ij")
    for i in range(n):
        img = (torch.rand(3, size, size, generator=g) * 80).to(torch.uint8)
        mask = torch.zeros(size, size, dtype=torch.uint8)
        for _ in range(2):
            cls = int(torch.randint(0, 6, (1,), generator=g))
            s = int(torch.randint(10, 24, (1,), generator=g))
            x0, y0 = (int(v) for v in torch.randint(0, size - s, (2,), generator=g))
            cx, cy, r = x0 + s / 2, y0 + s / 2, s / 2
            if cls % 2:
                inside = (xx - cx) ** 2 + (yy - cy) ** 2 <= r * r
            else:
                inside = (xx >= x0) & (xx < x0 + s) & (yy >= y0) & (yy < y0 + s)
            color = torch.randint(100, 256, (3, 1), generator=g).to(torch.uint8)
            img[:, inside] = color
            mask[inside] = cls + 1
            anns.append({"id": len(anns) + 1, "image_id": i + 1, "iscrowd": 0,
                         "category_id": tc.CATEGORY_IDS[cls], "bbox": [x0, y0, s, s],
                         "area": int(inside.sum())})
        name = "%06d" % (i + 1)
        tc.tvio.write_jpeg(img, os.path.join(folder, "images", name + ".jpg"), 95)
        tc.tvio.write_png(mask[None], os.path.join(folder, "masks", name + ".png"))
        images.append({"id": i + 1, "file_name": name + ".jpg", "width": size,
                       "height": size})
    cats = [{"id": c, "name": n} for c, n in zip(tc.CATEGORY_IDS, tc.CLASS_NAMES)]
    with open(os.path.join(folder, "annotations.json"), "w") as f:
        json.dump({"images": images, "annotations": anns, "categories": cats}, f)


class TrainSmoke(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        torch.set_num_threads(1)
        cls.tmp = tempfile.mkdtemp(prefix="mo_train_")
        cls.data = os.path.join(cls.tmp, "data")
        make_synth_folder(cls.data)
        cls.binary = tc.find_binary()

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.tmp, ignore_errors=True)

    def _args(self, module, extra):
        import argparse
        p = argparse.ArgumentParser()
        tc.add_train_args(p, batch=4, lr=2e-3, epochs=2, size=64)
        if module is td:
            p.add_argument("--min-ratio", type=float, default=td.MIN_RATIO)
        return p.parse_args(["--train", self.data, "--threads", "1", "--log-every", "1"]
                            + extra)

    def _train(self, module, model, loss_fn, keys, ckpt, extra=()):
        args = self._args(module, ["--ckpt", ckpt] + list(extra))
        tc.prepare_model(model, args, torch.device("cpu"))
        data_cls = tc.DetectionData if module is td else tc.SegmentationData
        data = data_cls(self.data, (64, 64), args.seed, True)
        return tc.train(args, model, data, loss_fn, keys, "test"), args

    def _train_detector(self, ckpt, extra, seed=1):
        """A small detector, seeded, trained by tc.train: ((model, done), args)."""
        torch.manual_seed(seed)
        model = td.build_model(64, arch=SMALL_ARCH, extra_widths=(16, 16, 8, 8))
        return self._train(td, model, td.loss_fn, ["bbox_regression", "classification"], ckpt,
                           extra)

    def _run_c(self, *argv):
        r = subprocess.run([self.binary] + list(argv), capture_output=True, text=True,
                           timeout=60)
        self.assertEqual(r.returncode, 0, r.stdout + r.stderr)
        return r.stdout + r.stderr

    def test_detect(self):
        ckpt = os.path.join(self.tmp, "det")
        (model, done), _ = self._train_detector(ckpt, ["--epochs", "1"])
        self.assertTrue(done)
        # Resume into a fresh model for one more epoch: the step count carries on.
        (model2, done), _ = self._train_detector(ckpt, ["--epochs", "2", "--resume"], seed=2)
        self.assertTrue(done)
        rows = tc.read_log(os.path.join(ckpt, "loss.csv"))
        self.assertEqual([int(r["step"]) for r in rows], [1, 2, 3, 4])
        self.assertTrue(os.path.getsize(os.path.join(ckpt, "loss.png")) > 1000)
        path = os.path.join(self.tmp, "det.safetensors")
        td.export(model2, path, 64, td.MIN_RATIO, variant="custom")
        tensors, meta = st.load(path)
        config = st.load_config(meta)
        self.assertEqual(config["category_ids"], [0, 1, 2, 4, 5, 7, 9])
        self.assertEqual(len(config["class_names"]), 7)
        self.assertIn("backbone.stage1.0.rbr_conv.3.conv.weight", tensors)
        results, gt = td.detect_folder(model2, self.data, torch.device("cpu"))
        ap, ap50 = tc.coco_ap(gt, results)
        self.assertTrue(0.0 <= ap <= ap50 <= 1.0)
        # Test-time augmentation and zoom: the same tensors, the config changed in
        # detect.tta and detect.zoom only.
        path_tta = os.path.join(self.tmp, "det_flips.safetensors")
        set_test_config(path, path_tta, tta="flips", zoom=2)
        tensors_tta, meta_tta = st.load(path_tta)
        config_tta = st.load_config(meta_tta)
        self.assertEqual(config_tta["detect"].pop("tta"), "flips")
        self.assertEqual(config_tta["detect"].pop("zoom"), 2)
        self.assertEqual(config_tta, config)
        self.assertTrue(all(torch.equal(tensors[k], tensors_tta[k]) for k in tensors))
        with self.assertRaises(SystemExit):
            set_test_config(path, path_tta, flip=True)  # a segmentation setting
        if not self.binary:
            print("\nMO_BINARY_DIR has no mobileone binary: C checks of the detection export "
                  "skipped")
            return
        self.assertIn("detect", self._run_c("info", path))
        info = self._run_c("info", path_tta)
        self.assertIn("test-time augmentation flips", info)
        self.assertIn("zoom 2: the same again at 128x128", info)
        out = self._run_c("detect", "--model", path, "--conf", "0.001", "--json",
                          os.path.join(self.tmp, "dt.json"),
                          os.path.join(self.data, "images", "000001.jpg"))
        with open(os.path.join(self.tmp, "dt.json")) as f:
            dets = json.load(f)
        self.assertTrue(all(d["category_id"] in tc.CATEGORY_IDS for d in dets), out)

    def test_detect_os8_map_from_a_six_map_export(self):
        torch.manual_seed(3)
        six = td.build_model(64, arch=SMALL_ARCH, extra_widths=(16, 16, 8, 8))
        path6 = os.path.join(self.tmp, "det6.safetensors")
        td.export(six, path6, 64, td.MIN_RATIO, variant="custom")
        torch.manual_seed(4)
        seven = td.build_model(64, arch=SMALL_ARCH, extra_widths=(16, 16, 8, 8), first_stage=2)
        fresh = copy.deepcopy(seven.state_dict())
        tc.init_model(seven, path6, td.head_shift(2))
        got, was = seven.state_dict(), six.state_dict()
        cls = "head.classification_head.module_list.%d.1.weight"
        for level in range(6):  # the file's level l is the model's level l + 1
            self.assertTrue(torch.equal(got[cls % (level + 1)], was[cls % level]))
        self.assertTrue(torch.equal(got[cls % 0], fresh[cls % 0]))
        self.assertTrue(torch.equal(got["backbone.stage2.0.rbr_conv.0.conv.weight"],
                                    was["backbone.stage2.0.rbr_conv.0.conv.weight"]))
        path7 = os.path.join(self.tmp, "det7.safetensors")
        td.export(seven, path7, 64, td.MIN_RATIO, variant="custom", first_stage=2)
        # A file that already has the OS8 map loads as it is (no shift).
        again = td.build_model(64, arch=SMALL_ARCH, extra_widths=(16, 16, 8, 8), first_stage=2)
        tc.init_model(again, path7, td.head_shift(2))
        self.assertTrue(torch.equal(again.state_dict()[cls % 0], got[cls % 0]))
        config = st.load_config(st.load(path7)[1])
        self.assertEqual(config["detect"]["first_stage"], 2)
        self.assertEqual(config["detect"]["anchors"]["scales"][:2], [td.SMALL_SCALE, 0.1])
        self.assertEqual(len(config["detect"]["anchors"]["scales"]), 8)
        x = [torch.rand(3, 64, 64)]
        self.assertEqual(len(seven.eval()(x)), 1)
        if self.binary:
            self.assertIn("OS8 OS16 OS32", self._run_c("info", path7))

    def test_segment(self):
        ckpt = os.path.join(self.tmp, "seg")
        torch.manual_seed(3)
        model = ts.build_model(arch=SMALL_ARCH, aspp_channels=16)
        (model, done), args = self._train(ts, model, ts.loss_fn, ["ce"], ckpt,
                                          ["--channels-last", "1"])
        self.assertTrue(done)
        rows = tc.read_log(os.path.join(ckpt, "loss.csv"))
        self.assertEqual(len(rows), 4)
        path = os.path.join(self.tmp, "seg.safetensors")
        ts.export(model, path, 64, variant="custom")
        config = st.load_config(st.load(path)[1])
        self.assertEqual(config["segment"]["output_stride"], 16)
        self.assertEqual(config["class_names"][0], "background")
        # Another input size and flipping: the same tensors, the config changed in those only.
        path48 = os.path.join(self.tmp, "seg48.safetensors")
        set_test_config(path, path48, (48, 40), True)
        tensors, meta = st.load(path)
        tensors48, meta48 = st.load(path48)
        config48 = st.load_config(meta48)
        self.assertEqual(config48.pop("input_size"), [48, 40])
        self.assertIs(config48["segment"].pop("flip"), True)
        config["segment"].pop("flip", None)
        self.assertEqual(config48, {k: v for k, v in config.items() if k != "input_size"})
        self.assertEqual(list(tensors48), list(tensors))
        self.assertTrue(all(torch.equal(tensors[k], tensors48[k]) for k in tensors))
        args.val, args.eval_limit, args.size = self.data, 0, 64
        r = ts.evaluate(model, args, torch.device("cpu"))
        self.assertTrue(0.0 <= r["miou"] <= 1.0)
        if not self.binary:
            print("\nMO_BINARY_DIR has no mobileone binary: C checks of the segmentation "
                  "export skipped")
            return
        self.assertIn("segment", self._run_c("info", path))
        out_dir = os.path.join(self.tmp, "segout")
        self._run_c("segment", "--model", path, "--output", out_dir,
                    os.path.join(self.data, "images", "000001.jpg"))
        pred = tc.read_mask(os.path.join(out_dir, "000001.png"))
        self.assertEqual(tuple(pred.shape), (64, 64))
        # The C pipeline and Python agree on the label map (up to a few argmax near-ties).
        fused = mo.reparameterize_model(model).eval()
        img = tc.read_rgb(os.path.join(self.data, "images", "000001.jpg")).float() / 255
        ours = ts.predict(fused, img, 64, torch.device("cpu"))
        self.assertGreater(float((ours == pred.long()).float().mean()), 0.99)
        # With test-time flipping too (test_seg_golden checks the C averaging itself).
        flip_dir = os.path.join(self.tmp, "segflip")
        self._run_c("segment", "--model", path, "--output", flip_dir, "--flip", "on",
                    os.path.join(self.data, "images", "000001.jpg"))
        pred_flip = tc.read_mask(os.path.join(flip_dir, "000001.png"))
        ours_flip = ts.predict(fused, img, 64, torch.device("cpu"), flip=True)
        self.assertGreater(float((ours_flip == pred_flip.long()).float().mean()), 0.99)

    def test_window_pretraining_seeds_the_segmenter(self):
        data = tcr.CropData(self.data, 32, 1, True)
        self.assertEqual(len(data), 8 * 3)  # two objects and one background window per image
        crop, label = data.item(0, 0)
        self.assertEqual(tuple(crop.shape), (3, 32, 32))
        self.assertTrue(1 <= label <= 6)   # image 1's first object
        self.assertEqual(data.item(2, 0)[1], 0)  # then its background window
        torch.manual_seed(4)
        model = tcr.build_model(arch=SMALL_ARCH)
        args = self._args(td, ["--ckpt", os.path.join(self.tmp, "crops"), "--epochs", "1",
                               "--size", "32"])
        tc.prepare_model(model, args, torch.device("cpu"))
        (model, done) = tc.train(args, model, data, tcr.loss_fn, ["ce"], "test")
        self.assertTrue(done)
        path = os.path.join(self.tmp, "crops", "backbone.pt")
        tcr.export_backbone(model, path)
        seg = ts.build_model(arch=SMALL_ARCH, aspp_channels=16)
        tc.init_backbone(seg, path)
        name = "stage1.0.rbr_conv.0.conv.weight"
        self.assertTrue(torch.equal(seg.state_dict()["backbone." + name],
                                    model.state_dict()[name]))

    def test_record_beside_the_export(self):
        import argparse
        ckpt = os.path.join(self.tmp, "rec_ckpt")
        os.makedirs(ckpt)
        with open(os.path.join(ckpt, "loss.csv"), "w") as f:
            f.write("step,loss,hours\n10,1.5,0.25\n")
        with open(os.path.join(ckpt, "loss.png"), "wb") as f:
            f.write(b"png")
        export = os.path.join(self.tmp, "rec", "m.safetensors")
        os.makedirs(os.path.dirname(export))
        args = argparse.Namespace(export=export, ckpt=ckpt, seed=3, device="cpu",
                                  mobileone=None)
        tc.write_record(args, {"python_val": {"ap": 0.5}})
        with open(os.path.join(self.tmp, "rec", "m_train.json")) as f:
            rec = json.load(f)
        self.assertEqual(rec["python_val"], {"ap": 0.5})
        self.assertEqual(rec["args"]["seed"], 3)
        self.assertNotIn("device", rec["args"])
        self.assertEqual(float(rec["train_hours"]), 0.25)
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "rec", "m_loss.png")))
        self.assertTrue(os.path.exists(os.path.join(self.tmp, "rec", "m_loss.csv")))

    def test_time_budget_ends_training_early(self):
        ckpt = os.path.join(self.tmp, "budget")
        # 100 epochs, but a budget of 0.012 s: the first step spends it, and the run ends
        # as done (the schedule reached its end) after that one step.
        (model, done), _ = self._train_detector(ckpt, ["--epochs", "100", "--time-budget",
                                                       "0.0002"])
        self.assertTrue(done)
        rows = tc.read_log(os.path.join(ckpt, "loss.csv"))
        self.assertEqual([int(r["step"]) for r in rows], [1])

    def test_several_train_folders(self):
        one = tc.DetectionData(self.data, (64, 64), 1, True)
        two = tc.DetectionData(self.data + "," + self.data, (64, 64), 1, True)
        self.assertEqual(len(two), 2 * len(one))
        ids = [im["id"] for im in two.images]
        self.assertEqual(len(set(ids)), len(ids))
        n = len(one)
        for a, b in zip(one.images, two.images[n:]):
            self.assertEqual(two.anns[b["id"]], one.anns[a["id"]])
        seg = tc.SegmentationData(self.data + "," + self.data, (64, 64), 1, True)
        self.assertEqual(seg.images[n]["mask"], seg.images[0]["mask"])

    def test_workers_load_the_same_batches(self):
        data = tc.DetectionData(self.data, (64, 64), 1, True)
        per_epoch = len(data) // 2
        total = 2 * per_epoch + 1  # crosses two epoch boundaries
        for first in (0, per_epoch - 1):
            here = list(tc.run_batches(data, 1, 2, per_epoch, first, total, 0))
            there = list(tc.run_batches(data, 1, 2, per_epoch, first, total, 2))
            self.assertEqual(len(here), total - first)
            for g, (a, b) in enumerate(zip(here, there), first):
                epoch, k = divmod(g, per_epoch)
                order = tc.epoch_order(len(data), 1, epoch)[2 * k:2 * k + 2]
                direct = [data.item(int(i), epoch) for i in order]
                for (img_a, t_a), (img_b, t_b), (img_c, _) in zip(a, b, direct):
                    self.assertTrue(torch.equal(img_a, img_b))
                    self.assertTrue(torch.equal(img_a, img_c))
                    self.assertTrue(torch.equal(t_a["boxes"], t_b["boxes"]))
                    self.assertTrue(torch.equal(t_a["labels"], t_b["labels"]))

    def test_fast_branches_match_reference(self):
        torch.manual_seed(4)
        ref = mo.MobileOne(arch=SMALL_ARCH, num_classes=3, output_stride=16).train().double()
        fast = copy.deepcopy(ref)
        self.assertGreater(tc.enable_fast_branches(fast), 0)
        x = torch.randn(2, 3, 48, 48, dtype=torch.float64)
        ya, yb = ref(x), fast(x)
        ya.square().sum().backward()
        yb.square().sum().backward()
        self.assertLess(float((ya - yb).abs().max()), 1e-9)
        for (n, a), (_, b) in zip(ref.named_parameters(), fast.named_parameters()):
            self.assertLess(float((a.grad - b.grad).abs().max()),
                            1e-9 * (1 + float(a.grad.abs().max())), n)
        sa, sb = ref.state_dict(), fast.state_dict()
        for k in sa:
            self.assertLess(float((sa[k].double() - sb[k].double()).abs().max()), 1e-9, k)

    def test_plot_fallback_png(self):
        path = os.path.join(self.tmp, "plot.png")
        tc.write_plot_png(path, [1, 2, 3, 4], [("loss", [4.0, 2.0, 1.0, 0.5])])
        with open(path, "rb") as f:
            self.assertEqual(f.read(8), b"\x89PNG\r\n\x1a\n")


if __name__ == "__main__":
    unittest.main()
