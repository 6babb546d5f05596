"""The compiled row softmax of attention (groundup.kernels.softmax_rows and
softmax_backward_) equals the NumPy reference of ops/attention.py to float32 rounding,
with masked keys, fully masked rows, large scores, infinities and nans; through
scaled_dot_product_attention, the two paths give the same output and gradients."""

import numpy as np
import pytest

import groundup as gu
from groundup import kernels
from groundup.ops import attention

pytestmark = pytest.mark.skipif(not kernels.available(),
                                reason="the compiled path needs numba (the `fast` extra)")


@pytest.fixture(autouse=True)
def every_size(monkeypatch):
    monkeypatch.setattr(kernels.switch, "MIN_SIZE", 0)


def _scores(shape, seed=0):
    rng = np.random.default_rng(seed)
    a = (rng.standard_normal(shape) * 3).astype(np.float32)
    a[0, 1] = -np.inf  # a fully masked row: zeros, not nan
    a[0, 2, : shape[-1] // 2] = -np.inf  # half the keys masked: exactly 0 there
    a[0, 3] += 200.0  # a large row (the reference's shifted path)
    a[1, 0, -1] = np.inf  # +inf: the row is nan, as PyTorch
    a[1, 3, -1] = np.nan  # so is a row holding a nan
    a[1, 1, 0] = np.nan
    a[1, 2] = -300.0  # exp underflows everywhere but the row's maximum
    return a


@pytest.mark.parametrize("S", [1, 7, 64, 130])
def test_compiled_softmax_matches_the_reference(S):
    a = _scores((3, 5, S))
    with kernels.use(False):
        want = attention._softmax_rows(a, np)
    with kernels.use(True):
        got = kernels.softmax_rows(a)
    assert got is not None and got.dtype == np.float32 and got.shape == a.shape
    np.testing.assert_allclose(got, want, rtol=2e-6, atol=1e-7)
    assert (got[0, 1] == 0).all() and (got[0, 2, : S // 2] == 0).all()
    assert np.isnan(got[1, 0]).all() and np.isnan(got[1, 1]).all() and np.isnan(got[1, 3]).all()
    # the backward, in place, from the same weights
    dp = np.random.default_rng(1).standard_normal(a.shape).astype(np.float32)
    with kernels.use(False):
        want_d = attention._softmax_backward_(dp.copy(), want, np)
    got_d = dp.copy()
    with kernels.use(True):
        assert kernels.softmax_backward_(got_d, want)
    np.testing.assert_allclose(got_d, want_d, rtol=1e-5, atol=1e-6)


def test_other_arrays_run_the_reference():
    a = _scores((2, 4, 8))
    with kernels.use(False):
        assert kernels.softmax_rows(a) is None
    with kernels.use(True):
        assert kernels.softmax_rows(a.astype(np.float64)) is None  # float64: the reference's
        assert kernels.softmax_rows(a.transpose(0, 2, 1)) is None  # not C-contiguous
        frozen = a.copy()
        frozen.flags.writeable = False
        assert not kernels.softmax_backward_(frozen, a)


@pytest.mark.parametrize("causal", [False, True])
def test_attention_is_the_same_on_both_paths(causal):
    rng = np.random.default_rng(2)
    q, k, v = (rng.standard_normal((2, 3, 16, 8)).astype(np.float32) for _ in range(3))
    results = []
    for on in (True, False):
        ts = [gu.tensor(x, requires_grad=True) for x in (q, k, v)]
        with kernels.use(on):
            o = gu.nn.functional.scaled_dot_product_attention(*ts, is_causal=causal)
            o.backward(gu.tensor(np.cos(np.arange(o.numel())).reshape(o.shape)
                                 .astype(np.float32)))
        results.append([o.numpy()] + [t.grad.numpy() for t in ts])
    for got, want in zip(*results, strict=True):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
