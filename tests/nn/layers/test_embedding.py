"""Embedding layer against PyTorch, padding, errors, from_pretrained."""

import numpy as np
import pytest
from helpers import check_layer, randn, require_torch

import groundup as gu
from groundup import nn

torch = require_torch()


@pytest.mark.parametrize("padding_idx", [None, 0, -1])
def test_matches_torch(padding_idx):
    idx = np.array([[0, 3, 3, 9], [1, 9, 0, 2]])
    g = nn.Embedding(10, 4, padding_idx=padding_idx)
    t = torch.nn.Embedding(10, 4, padding_idx=padding_idx)
    check_layer(g, t, idx)
    assert list(g.state_dict()) == list(t.state_dict()) == ["weight"]
    assert repr(g) == repr(t)


def test_padding_row_is_zero_and_gets_no_grad():
    e = nn.Embedding(5, 3, padding_idx=2)
    assert e.padding_idx == 2 and not e.weight.numpy()[2].any()
    e(gu.tensor([2, 2, 1])).sum().backward()
    assert not e.weight.grad.numpy()[2].any()
    np.testing.assert_array_equal(e.weight.grad.numpy()[1], 1)
    assert e(gu.tensor([2])).numpy().sum() == 0


def test_out_of_range_index_error():
    e = nn.Embedding(10, 3)
    with pytest.raises(IndexError, match=r"index 10 is out of range.*0 <= index < 10"):
        e(gu.tensor([[1, 10]]))
    with pytest.raises(TypeError, match="integer"):
        e(gu.tensor([0.0]))
    with pytest.raises(ValueError, match="padding_idx"):
        nn.Embedding(10, 3, padding_idx=10)


def test_output_shape_dtype_and_from_pretrained():
    e = nn.Embedding(7, 5, dtype=gu.float64)
    assert e(gu.tensor(np.zeros((2, 3), np.int64))).shape == (2, 3, 5)
    assert e.weight.dtype == gu.float64
    table = randn(4, 2)
    f = nn.Embedding.from_pretrained(gu.tensor(table))
    assert not f.weight.requires_grad
    np.testing.assert_allclose(f(gu.tensor([3])).numpy()[0], table[3], rtol=1e-6)
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad
