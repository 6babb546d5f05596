"""Softmax and log-softmax (ops/softmax.py) against PyTorch and finite differences."""


import warnings

import numpy as np
import pytest
from helpers import check_op, require_torch

import groundup as gu

torch = require_torch()
F = torch.nn.functional


def data(*shape, seed=0, scale=1.0, shift=0.0):
    """Deterministic float64 test data kept away from the kinks of relu-like functions."""
    a = np.random.default_rng(seed).standard_normal(shape) * scale + shift
    a = np.asarray(a)
    a[np.abs(a) < 1e-3] += 0.01  # no finite difference across x == 0
    return a


def _no_warnings(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn()


SOFTMAX_CASES = [((3, 5), -1), ((3, 5), 0), ((2, 3, 4), 1), ((2, 3, 4), -3), ((2, 3, 4), 2),
                 ((2, 1, 3, 2), -2), ((4,), 0), ((1, 1), -1), ((3, 1), 1), ((), 0), ((), -1),
                 ((0, 4), -1), ((3, 0), 1), ((3, 0), 0)]


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("shape,dim", SOFTMAX_CASES, ids=str)
def test_softmax(fn, shape, dim):
    gfn, tfn = getattr(gu, fn), getattr(torch, fn)
    check_op(lambda x: gfn(x, dim), lambda x: tfn(x, dim), data(*shape, seed=7, scale=2.0))


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("layout", ["transposed", "sliced"])
@pytest.mark.parametrize("dim", [0, -1])
def test_softmax_non_contiguous(fn, layout, dim):
    gfn, tfn = getattr(gu, fn), getattr(torch, fn)
    check_op(lambda x: gfn(x, dim=dim), lambda x: tfn(x, dim=dim), data(4, 5, seed=8),
             layout=layout, gradcheck=False)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_softmax_stability(fn, dt):
    gfn, tfn = getattr(gu, fn), getattr(torch, fn)
    x = np.array([
        [1000.0, 0.0, -1000.0, 999.0],       # huge values
        [-1000.0, -1001.0, -1200.0, -999.5],  # a row far below the block maximum
        [0.0, 1.0, 2.0, 3.0],
        [1e-3, 0.0, -np.inf, 2.0],            # a masked entry
    ])
    w = np.random.default_rng(0).standard_normal(x.shape)
    g = gu.tensor(x, dtype=dt, requires_grad=True)
    t = torch.tensor(x.astype(dt), requires_grad=True)

    def run():
        y = gfn(g, -1)
        (y.masked_fill(gu.tensor(np.isinf(x)), 0.0) * gu.tensor(w, dtype=dt)).sum().backward()
        return y

    y = _no_warnings(run)
    ty = tfn(t, -1)
    (ty.masked_fill(torch.tensor(np.isinf(x)), 0.0) * torch.tensor(w.astype(dt))).sum().backward()
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-6)
    assert np.all(np.isfinite(g.grad.numpy()))


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_rows_of_different_scales(fn):
    # one row's maximum is 300 below another's: the block-max shortcut must fall back
    rng = np.random.default_rng(1)
    x = rng.standard_normal((6, 7))
    x[2] -= 300.0
    x[4] += 50.0
    gfn, tfn = getattr(gu, fn), getattr(torch, fn)
    check_op(lambda v: gfn(v, -1), lambda v: tfn(v, -1), x, gradcheck=False)
    check_op(lambda v: gfn(v, 0), lambda v: tfn(v, 0), x.T.copy(), gradcheck=False)


@pytest.mark.parametrize("fn", ["softmax", "log_softmax"])
def test_softmax_many_blocks(fn):
    # big enough to run in several cache-sized blocks of rows, some needing the fallback
    rng = np.random.default_rng(2)
    x = rng.standard_normal((700, 300)) * 3.0
    x[::97] -= 500.0
    x[5::131] += 80.0
    x[7, :] = -np.inf
    x[7, 3] = 1.0  # a row with a single finite entry
    gfn, tfn = getattr(gu, fn), getattr(torch, fn)
    fin = np.isfinite(x)

    def g_fn(v):
        return gfn(v, -1).masked_fill(gu.tensor(~fin), 0.0)

    def t_fn(v):
        return tfn(v, -1).masked_fill(torch.tensor(~fin), 0.0)

    check_op(g_fn, t_fn, x, gradcheck=False)


def test_softmax_fully_masked_row_is_nan_like_torch():
    x = np.array([[0.0, 1.0], [-np.inf, -np.inf]])
    got = _no_warnings(lambda: gu.softmax(gu.tensor(x), -1).numpy())
    want = torch.softmax(torch.tensor(x, dtype=torch.float32), -1).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-6)  # NaN where PyTorch has NaN


def test_softmax_sums_to_one_and_dtype():
    x = gu.tensor(data(8, 16, seed=9, scale=5.0))
    y = gu.softmax(x, dim=1)
    assert y.dtype == gu.float32
    np.testing.assert_allclose(y.numpy().sum(1), 1.0, rtol=1e-6)
    z = gu.log_softmax(x, dim=1, dtype=gu.float64)
    assert z.dtype == gu.float64
    np.testing.assert_allclose(np.exp(z.numpy()).sum(1), 1.0, rtol=1e-12)


def test_softmax_bad_dim():
    x = gu.tensor(np.zeros((2, 3)))
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        gu.softmax(x, dim=2)
    with pytest.raises(IndexError, match="dim -3 is out of range"):
        gu.log_softmax(x, dim=-3)
    with pytest.raises(TypeError, match="softmax: dim must be an int"):
        gu.softmax(x, dim=(0, 1))


