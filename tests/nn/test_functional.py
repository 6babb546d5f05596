"""gu.nn.functional: the re-exported ops and the composites dropout, embedding, bilinear."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu
import groundup.nn.functional as F

torch = require_torch()
TF = torch.nn.functional


def test_namespace_reexports_ops():
    for name in ("relu", "gelu", "softmax", "log_softmax", "sigmoid", "tanh", "layer_norm",
                 "batch_norm", "group_norm", "reshape", "sum", "dropout", "embedding",
                 "bilinear"):
        assert callable(getattr(F, name)), name
        assert name in F.__all__
    assert F.relu is gu.ops.relu and F.layer_norm is gu.ops.layer_norm
    assert "norm" not in F.__all__ and "activation" not in F.__all__  # no submodules


# -------------------------------------------------------------------- dropout
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics_and_scaling(p):
    gu.manual_seed(0)
    x = gu.ones(200, 100, requires_grad=True)
    y = F.dropout(x, p)
    a = y.numpy()
    kept = a != 0
    assert kept.mean() == pytest.approx(1 - p, abs=0.02)
    np.testing.assert_allclose(a[kept], 1 / (1 - p), rtol=1e-6)
    y.backward(gu.full((200, 100), 2.0))
    np.testing.assert_allclose(x.grad.numpy(), 2 * a, rtol=1e-6)


def test_dropout_identity_cases():
    x = gu.randn(4, 5, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    y = F.dropout(x, 1.0)
    assert not y.numpy().any()
    y.sum().backward()
    assert not x.grad.numpy().any()


def test_dropout_reproducible_and_dtype():
    x = gu.ones(10, 10, dtype=gu.float64)
    gu.manual_seed(5)
    a = F.dropout(x, 0.3).numpy()
    gu.manual_seed(5)
    b = F.dropout(x, 0.3).numpy()
    np.testing.assert_array_equal(a, b)
    assert F.dropout(x, 0.3).dtype == gu.float64
    assert F.dropout(gu.ones(3), 0.3).dtype == gu.float32


def test_dropout_gradcheck_with_fixed_mask():
    x = randn(3, 4)

    def fn(t):
        gu.manual_seed(1)  # the same mask at every evaluation
        return F.dropout(t, 0.4)

    gu.gradcheck(fn, [x])


def test_dropout_errors():
    with pytest.raises(ValueError, match=r"\[0, 1\].*1.5"):
        F.dropout(gu.ones(2), 1.5)
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        F.dropout(gu.ones(2), -0.1)
    with pytest.raises(TypeError, match="floating-point"):
        F.dropout(gu.tensor([1, 2]), 0.5)


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


# ------------------------------------------------------------------- bilinear
@pytest.mark.parametrize("lead", [(4,), (2, 3), (1,)])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(lead, bias):
    x1, x2, w = randn(*lead, 3, seed=1), randn(*lead, 2, seed=2), randn(5, 3, 2, seed=3)
    extra = [randn(5, seed=4)] if bias else []
    check_op(F.bilinear, TF.bilinear, x1, x2, w, *extra)


def test_bilinear_errors():
    w = gu.randn(5, 3, 2)
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\) and \(\.\.\., 2\).*\(4, 3\) and \(4, 3\)"):
        F.bilinear(gu.randn(4, 3), gu.randn(4, 3), w)
    with pytest.raises(ValueError, match="3-D"):
        F.bilinear(gu.randn(4, 3), gu.randn(4, 2), gu.randn(3, 2))
    with pytest.raises(ValueError, match=r"bias of shape \(5,\)"):
        F.bilinear(gu.randn(4, 3), gu.randn(4, 2), w, gu.randn(4))


def test_embedding_large_table_scatter_path():
    rng = np.random.default_rng(1)
    idx = rng.integers(0, 200, (6, 7))  # a table too big for the one-hot GEMM
    idx[0, :4] = 5
    check_op(F.embedding, TF.embedding, idx, randn(200, 3), gradcheck=False)
