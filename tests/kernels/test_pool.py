"""The compiled 2-D max pooling of groundup.kernels equals MaxPoolFn's NumPy reference:
the values and indices exactly, nans included (a maximum is a comparison, not arithmetic),
the gradient routed to each window's first maximum to rounding (overlapping windows add in
another order), in plain NCHW and in batch-innermost memory."""

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


def _input(shape, dtype, layout, ties, seed=0):
    rng = np.random.default_rng(seed)
    a = rng.standard_normal(shape)
    if ties == "nan":  # a nan is a maximum, and the last nan of a window wins (as PyTorch)
        a[rng.random(shape) < 0.1] = np.nan
    elif ties:  # a zero background, as in MNIST: every window ties
        a = np.maximum(np.round(a), 0)
    a = a.astype(dtype)
    if layout == "chwn":  # an NCHW view of (C, H, W, N) memory, as convolutions return
        a = np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
    return a


def _run(a, compiled, dy, **kw):
    x = gu.tensor(a, requires_grad=True)
    x.array = a  # keep the layout (gu.tensor copies into C order)
    with kernels.use(compiled):
        y, idx = F.max_pool2d(x, return_indices=True, **kw)
        assert kernels.saved_by_kernel(y.grad_fn) == (compiled and not a.flags.c_contiguous)
        y.backward(gu.tensor(dy))
    return y.numpy(), idx.numpy(), x.grad.numpy()


@pytest.mark.parametrize("layout", ["nchw", "chwn"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ties", [False, True, "nan"])
@pytest.mark.parametrize("kw", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(3, 2), stride=(1, 2), dilation=(2, 1)),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=2, ceil_mode=True),
])
@pytest.mark.parametrize("size", [(8, 10), (9, 7)])  # windows that tile, and that do not
def test_compiled_max_pool_matches_the_reference(layout, dtype, ties, kw, size):
    a = _input((8, 3) + size, dtype, layout, ties)
    shape = F.max_pool2d(gu.tensor(a), **kw).shape
    dy = np.random.default_rng(1).standard_normal(shape).astype(dtype)
    got = _run(a, True, dy, **kw)
    want = _run(a, False, dy, **kw)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype and g.shape == w.shape
    np.testing.assert_array_equal(got[0], want[0])  # values
    np.testing.assert_array_equal(got[1], want[1])  # indices
    # overlapping windows add into one input element in another order: rounding only
    np.testing.assert_allclose(got[2], want[2], rtol=1e-6, atol=1e-6)


def test_no_gradient_asked():
    a = _input((8, 4, 8, 8), np.float32, "chwn", ties=True)
    x = gu.tensor(a)
    x.array = a
    with kernels.use(True):
        y = F.max_pool2d(x, 2)
    with kernels.use(False):
        want = F.max_pool2d(gu.tensor(a), 2)
    np.testing.assert_array_equal(y.numpy(), want.numpy())


def test_other_layouts_run_the_reference():
    a = _input((8, 3, 8, 8), np.float32, "nchw", ties=False)
    x = gu.tensor(a, requires_grad=True)
    with kernels.use(True):
        y = F.max_pool2d(x.transpose(2, 3), 2)  # W-major planes: not batch-innermost
    assert not kernels.saved_by_kernel(y.grad_fn)
    y.sum().backward()
    assert x.grad.shape == a.shape
