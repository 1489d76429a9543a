"""Tests of safetensors_io.py: round trips of every dtype, metadata, layout, bad files.

    /usr/bin/python3 -m unittest discover -s tools -p 'test_*.py'      (from the repo root)
"""

import json
import os
import struct
import sys
import tempfile
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402


class SafetensorsIoTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.path = os.path.join(self.tmp.name, "t.safetensors")

    def tearDown(self):
        self.tmp.cleanup()

    def test_every_dtype_round_trips_with_metadata(self):
        g = torch.Generator().manual_seed(0)
        tensors = {"a.f32": torch.randn(2, 3, 5, generator=g),
                   "b.f16": torch.randn(7, generator=g).half(),
                   "c.bf16": torch.randn(3, 1, 3, 3, generator=g).bfloat16(),
                   "d.i64": torch.tensor(12345678901, dtype=torch.int64),
                   "e.empty": torch.zeros(0, 4)}
        st.save(self.path, tensors, {"mobileone.config": '{"task": "classify"}'})
        back, meta = st.load(self.path)
        self.assertEqual(list(back), list(tensors))
        for name, t in tensors.items():
            self.assertEqual(back[name].dtype, t.dtype, name)
            self.assertEqual(back[name].shape, t.shape, name)
            self.assertTrue(torch.equal(back[name], t), name)
        self.assertEqual(st.load_config(meta), {"task": "classify"})

    def test_layout_is_length_json_then_aligned_little_endian_data(self):
        st.save(self.path, {"x": torch.tensor([1.0, -2.0]), "n": torch.tensor(3)})
        with open(self.path, "rb") as f:
            blob = f.read()
        (n,) = struct.unpack("<Q", blob[:8])
        self.assertEqual(n % 8, 0)
        header = json.loads(blob[8:8 + n])
        self.assertEqual(header["x"], {"dtype": "F32", "shape": [2], "data_offsets": [0, 8]})
        self.assertEqual(header["n"], {"dtype": "I64", "shape": [], "data_offsets": [8, 16]})
        self.assertEqual(blob[8 + n:], struct.pack("<2fq", 1.0, -2.0, 3))

    def test_state_dict_is_written_as_f32_with_i64_bookkeeping(self):
        sd = {"w": torch.ones(2, dtype=torch.float64),
              "bn.num_batches_tracked": torch.tensor(4)}
        st.save_state_dict(self.path, sd, {"variant": "s0"})
        back, meta = st.load(self.path)
        self.assertEqual(back["w"].dtype, torch.float32)
        self.assertEqual(back["bn.num_batches_tracked"].dtype, torch.int64)
        self.assertEqual(st.load_config(meta), {"variant": "s0"})

    def test_bad_files_are_rejected(self):
        with open(self.path, "wb") as f:
            f.write(b"\x01\x02")
        with self.assertRaisesRegex(ValueError, "too short"):
            st.load(self.path)
        header = b'{"x":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}'
        with open(self.path, "wb") as f:
            f.write(struct.pack("<Q", len(header)) + header + b"\0" * 8)
        with self.assertRaisesRegex(ValueError, "bad data_offsets"):
            st.load(self.path)
        header = b'{"x":{"dtype":"F64","shape":[1],"data_offsets":[0,8]}}'
        with open(self.path, "wb") as f:
            f.write(struct.pack("<Q", len(header)) + header + b"\0" * 8)
        with self.assertRaisesRegex(ValueError, "unsupported dtype"):
            st.load(self.path)

    def test_metadata_values_must_be_strings(self):
        with self.assertRaises(ValueError):
            st.save(self.path, {"x": torch.zeros(1)}, {"k": 1})

    def test_half_copy_keeps_config_and_integers(self):
        import half
        src, dst = self.path, self.path + ".f16"
        w = torch.randn(8, 3) * 5
        st.save(src, {"w": w, "n": torch.tensor(7, dtype=torch.int64)}, {"k": "v"})
        half.to_half(src, dst)
        tensors, meta = st.load(dst)
        os.remove(dst)
        self.assertEqual(meta, {"k": "v"})
        self.assertEqual(tensors["w"].dtype, torch.float16)
        self.assertTrue(torch.allclose(tensors["w"].float(), w, rtol=1e-3, atol=0))
        self.assertEqual(int(tensors["n"]), 7)
        st.save(src, {"big": torch.tensor([1e6])})
        with self.assertRaises(SystemExit):
            half.to_half(src, dst)


if __name__ == "__main__":
    unittest.main()
