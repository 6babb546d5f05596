"""take_rows / place_rows (the index maps of packed sequences) against PyTorch indexing."""

import numpy as np
from helpers import check_op, randn, require_torch

from groundup.ops.recurrent_packed import place_rows, take_rows

torch = require_torch()


def test_take_rows():
    index = np.array([4, 0, 2, 5])
    check_op(lambda x: take_rows(x, index), lambda x: x[torch.tensor(index)], randn(6, 3, 2))


def test_place_rows():
    index = np.array([5, 1, 2])

    def reference(x):
        y = torch.full((7, 4), -2.0, dtype=x.dtype)
        return y.index_put((torch.tensor(index),), x)

    check_op(lambda x: place_rows(x, index, 7, -2.0), reference, randn(3, 4))


def test_integer_rows():
    x = np.arange(6).reshape(3, 2)
    y = place_rows(x, np.array([2, 0, 3]), 4, 9)
    assert y.dtype == np.int64 and y.numpy().tolist() == [[2, 3], [9, 9], [0, 1], [4, 5]]
    assert take_rows(y, np.array([3, 0])).numpy().tolist() == [[4, 5], [2, 3]]
