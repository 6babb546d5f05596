"""The compiled layer norm of groundup.kernels equals LayerNormFn's NumPy reference (to
float rounding: the row sums are taken in another order), forward and every gradient,
and either backward follows either forward."""

import numpy as np
import pytest

import groundup as gu
from groundup import kernels
from groundup.nn import functional as F

pytestmark = pytest.mark.skipif(not kernels.available(),
                                reason="the compiled path needs numba (the `fast` extra)")


@pytest.fixture(autouse=True)
def every_size(monkeypatch):
    monkeypatch.setattr(kernels.switch, "MIN_SIZE", 0)


def _run(shape, ns, dtype, affine, forward_compiled, backward_compiled, seed=0):
    rng = np.random.default_rng(seed)
    x = gu.tensor(rng.standard_normal(shape) * 3 + 1, dtype=dtype, requires_grad=True)
    w = b = None
    if affine:
        w = gu.tensor(rng.standard_normal(ns), dtype=dtype, requires_grad=True)
        b = gu.tensor(rng.standard_normal(ns), dtype=dtype, requires_grad=True)
    dy = gu.tensor(rng.standard_normal(shape), dtype=dtype)
    with kernels.use(forward_compiled):
        y = F.layer_norm(x, ns, w, b)
    with kernels.use(backward_compiled):
        y.backward(dy)
    out = [y.numpy(), x.grad.numpy()]
    if affine:
        out += [w.grad.numpy(), b.grad.numpy()]
    return out


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape, ns", [((6, 40), (40,)), ((3, 5, 4, 8), (4, 8)),
                                       ((300, 257), (257,))])
@pytest.mark.parametrize("affine", [True, False])
@pytest.mark.parametrize("fwd, bwd", [(True, True), (True, False), (False, True)])
def test_compiled_layer_norm_matches_the_reference(shape, ns, dtype, affine, fwd, bwd):
    got = _run(shape, ns, dtype, affine, fwd, bwd)
    want = _run(shape, ns, dtype, affine, False, False)
    tol = dict(rtol=2e-5, atol=2e-5) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-12)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
        np.testing.assert_allclose(g, w, **tol)


def test_only_the_gradients_asked_for():
    x = gu.randn(8, 16, requires_grad=True)
    w = gu.ones(16)
    b = gu.zeros(16, requires_grad=True)
    with kernels.use(True):
        F.layer_norm(x, (16,), w, b).sum().backward()
    assert w.grad is None and b.grad is not None
    np.testing.assert_allclose(b.grad.numpy(), np.full(16, 8.0))
