"""Tests of average_models.py: the mean of float tensors, integers and config from the first
file, and clear errors for files that do not match."""

import json
import os
import sys
import tempfile
import unittest

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import safetensors_io as st  # noqa: E402
from average_models import average  # noqa: E402


class AverageModels(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.mkdtemp()

    def write(self, name, tensors, config=None):
        """Tensors as they are (F16 stays F16), the config embedded."""
        path = os.path.join(self.tmp, name)
        st.save(path, tensors, {st.CONFIG_KEY: json.dumps(config)} if config else None)
        return path

    def test_mean_of_floats_first_file_for_the_rest(self):
        a = self.write("a.safetensors", {"w": torch.tensor([1.0, 2.0]),
                                         "h": torch.tensor([1.0], dtype=torch.float16),
                                         "n": torch.tensor(3)}, {"task": "detect"})
        b = self.write("b.safetensors", {"w": torch.tensor([3.0, 6.0]),
                                         "h": torch.tensor([2.0], dtype=torch.float16),
                                         "n": torch.tensor(9)}, {"task": "other"})
        out = os.path.join(self.tmp, "mean.safetensors")
        self.assertEqual(average([a, b], out), 3)
        tensors, meta = st.load(out)
        self.assertTrue(torch.equal(tensors["w"], torch.tensor([2.0, 4.0])))
        self.assertEqual(tensors["h"].dtype, torch.float16)
        self.assertEqual(float(tensors["h"]), 1.5)
        self.assertEqual(int(tensors["n"]), 3)
        self.assertEqual(st.load_config(meta), {"task": "detect"})

    def test_files_that_do_not_match_are_refused(self):
        a = self.write("a.safetensors", {"w": torch.zeros(2)})
        names = self.write("b.safetensors", {"v": torch.zeros(2)})
        shape = self.write("c.safetensors", {"w": torch.zeros(3)})
        out = os.path.join(self.tmp, "mean.safetensors")
        for other in (names, shape):
            with self.assertRaises(SystemExit):
                average([a, other], out)
        with self.assertRaises(SystemExit):
            average([a], out)
        self.assertFalse(os.path.exists(out))


if __name__ == "__main__":
    unittest.main()
