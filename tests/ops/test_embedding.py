"""ops/embedding.py: table lookup and its scatter-add backward."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu
import groundup.nn.functional as F

torch = require_torch()
TF = torch.nn.functional


# ------------------------------------------------------------------ embedding
@pytest.mark.parametrize("idx_shape", [(5,), (2, 3), (2, 2, 2)])
def test_embedding_matches_torch(idx_shape):
    rng = np.random.default_rng(0)
    idx = rng.integers(0, 4, idx_shape)  # repeated indices accumulate
    check_op(F.embedding, TF.embedding, idx, randn(4, 3))


def test_embedding_padding_idx_gets_no_gradient():
    idx = np.array([[0, 2, 0], [1, 2, 3]])
    check_op(lambda i, w: F.embedding(i, w, padding_idx=2),
             lambda i, w: TF.embedding(i, w, padding_idx=2), idx, randn(4, 3),
             gradcheck=False)  # by design the padding row's gradient is not d(out)/d(row)
    w = gu.randn(4, 3, requires_grad=True)
    F.embedding(gu.tensor(idx), w, padding_idx=-2).sum().backward()
    assert not w.grad.numpy()[2].any() and w.grad.numpy()[0].sum() != 0


def test_embedding_many_repeats_accumulate():
    idx = np.zeros(1000, np.int64)
    w = gu.zeros(3, 2, requires_grad=True)
    F.embedding(gu.tensor(idx), w).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy(), [[1000, 1000], [0, 0], [0, 0]])


def test_embedding_errors():
    w = gu.randn(10, 3)
    with pytest.raises(IndexError, match=r"index 12 is out of range.*0 <= index < 10"):
        F.embedding(gu.tensor([1, 12]), w)
    with pytest.raises(IndexError, match="index -1"):
        F.embedding(gu.tensor([-1, 2]), w)
    with pytest.raises(TypeError, match="integer"):
        F.embedding(gu.tensor([1.0, 2.0]), w)
    with pytest.raises(ValueError, match="2-D"):
        F.embedding(gu.tensor([1]), gu.randn(10))
    with pytest.raises(ValueError, match="padding_idx 10"):
        F.embedding(gu.tensor([1]), w, padding_idx=10)


def test_embedding_empty_and_dtype():
    w = gu.randn(5, 2, dtype=gu.float64)
    assert F.embedding(gu.tensor(np.zeros((0,), np.int64)), w).shape == (0, 2)
    assert F.embedding(gu.tensor([1]), w).dtype == gu.float64



def test_embedding_large_table_scatter_path():
    rng = np.random.default_rng(1)
    idx = rng.integers(0, 200, (6, 7))  # a table too big for the one-hot GEMM
    idx[0, :4] = 5
    check_op(F.embedding, TF.embedding, idx, randn(200, 3), gradcheck=False)
