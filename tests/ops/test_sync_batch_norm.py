"""SyncBatchNormFn in one process (the all-reduce leaves its sums as they are): BatchNorm's
training forward and backward, and finite differences."""

import numpy as np
import pytest

import groundup as gu
from groundup.gradcheck import gradcheck
from groundup.ops.sync_batch_norm import sync_batch_norm

F = gu.nn.functional


def _alone(a):
    pass


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4)])
def test_alone_it_is_batch_norm_in_training(shape):
    rng = np.random.default_rng(0)
    xs = rng.standard_normal(shape) * 3 + 1
    w, b = rng.standard_normal(3), rng.standard_normal(3)
    dy = rng.standard_normal(shape)
    results = []
    for sync in (True, False):
        x = gu.tensor(xs, dtype="float64", requires_grad=True)
        wt = gu.tensor(w, dtype="float64", requires_grad=True)
        bt = gu.tensor(b, dtype="float64", requires_grad=True)
        rm, rv = gu.zeros(3, dtype="float64"), gu.ones(3, dtype="float64")
        if sync:
            y = sync_batch_norm(x, rm, rv, wt, bt, 0.1, 1e-5, _alone)
        else:
            y = F.batch_norm(x, rm, rv, wt, bt, True, 0.1, 1e-5)
        y.backward(gu.tensor(dy, dtype="float64"))
        results.append([y.numpy(), x.grad.numpy(), wt.grad.numpy(), bt.grad.numpy(),
                        rm.numpy(), rv.numpy()])
    for got, want in zip(*results):
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_finite_differences_and_float32_stays_float32():
    rng = np.random.default_rng(1)
    x = gu.tensor(rng.standard_normal((5, 2, 3)), dtype="float64", requires_grad=True)
    w = gu.tensor(rng.standard_normal(2), dtype="float64", requires_grad=True)
    b = gu.tensor(rng.standard_normal(2), dtype="float64", requires_grad=True)
    assert gradcheck(lambda x, w, b: sync_batch_norm(x, None, None, w, b, 0.1, 1e-5, _alone),
                     (x, w, b))
    y = sync_batch_norm(gu.randn(4, 2), None, None, None, None, 0.1, 1e-5, _alone)
    assert y.dtype == gu.float32


def test_bad_input_is_named():
    with pytest.raises(ValueError, match="sync_batch_norm: expected an input with at least 2"):
        sync_batch_norm(gu.randn(4), None, None, None, None, 0.1, 1e-5, _alone)
    with pytest.raises(ValueError, match="more than 1 value per channel over all ranks"):
        sync_batch_norm(gu.randn(1, 3), None, None, None, None, 0.1, 1e-5, _alone)
