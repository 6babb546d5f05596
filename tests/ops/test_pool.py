"""Pooling primitives (ops/pool.py) against PyTorch: max_pool1d/2d, avg_pool1d/2d,
max_unpool1d/2d, forward and gradients, ties, layouts and errors."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu

torch = require_torch()
F = torch.nn.functional


def distinct(*shape, seed=0):
    """Values spaced apart (a shuffled ramp): no ties, so finite differences are valid."""
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(n).reshape(shape) * 0.1 - 0.05 * n


# (shape, kwargs): kernels, strides, paddings, dilations, ceil_mode, odd and non-square sizes
MAX2D = [
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((2, 3, 7, 9), dict(kernel_size=3, stride=2, padding=1)),
    ((1, 2, 7, 9), dict(kernel_size=(2, 3), stride=(1, 2), dilation=(2, 1), padding=1,
                        ceil_mode=True)),
    ((2, 2, 6, 7), dict(kernel_size=3, ceil_mode=True)),
    ((1, 1, 5, 5), dict(kernel_size=(3, 2), stride=1, padding=(1, 1), dilation=2)),
    ((2, 3, 9, 5), dict(kernel_size=(4, 1), stride=(3, 1))),
    ((3, 6, 6), dict(kernel_size=2, stride=1)),  # unbatched
    ((0, 2, 6, 6), dict(kernel_size=2)),  # empty batch
    ((1, 1, 4, 4), dict(kernel_size=4)),
    ((2, 2, 5, 7), dict(kernel_size=2, stride=3, ceil_mode=True)),  # gaps between windows
]


@pytest.mark.parametrize("shape, kw", MAX2D)
def test_max_pool2d(shape, kw):
    x = distinct(*shape, seed=len(shape))
    check_op(lambda t: gu.max_pool2d(t, **kw), lambda t: F.max_pool2d(t, **kw), x)
    check_op(lambda t: gu.max_pool2d(t, return_indices=True, **kw),
             lambda t: F.max_pool2d(t, return_indices=True, **kw), x, gradcheck=False)


MAX1D = [((2, 3, 9), dict(kernel_size=2)), ((2, 3, 10), dict(kernel_size=3, stride=2, padding=1)),
         ((1, 2, 11), dict(kernel_size=3, dilation=2, ceil_mode=True, stride=2)),
         ((3, 7), dict(kernel_size=4, stride=1, padding=2)), ((0, 1, 5), dict(kernel_size=2))]


@pytest.mark.parametrize("shape, kw", MAX1D)
def test_max_pool1d(shape, kw):
    x = distinct(*shape, seed=1)
    check_op(lambda t: gu.max_pool1d(t, **kw), lambda t: F.max_pool1d(t, **kw), x)
    check_op(lambda t: gu.max_pool1d(t, return_indices=True, **kw),
             lambda t: F.max_pool1d(t, return_indices=True, **kw), x, gradcheck=False)


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=1, padding=1),
                                dict(kernel_size=3, stride=2, ceil_mode=True),
                                dict(kernel_size=2, dilation=2, stride=1)])
def test_max_pool_ties_route_to_the_first_maximum(kw):
    """A zero background (as MNIST's) ties every window: the gradient goes to the first
    maximum in row-major order, exactly as PyTorch (indices included)."""
    x = np.zeros((2, 3, 8, 8))
    x[0, 0, 2:5, 3:6] = 1.0
    x[1, 2, ::3, ::2] = 2.0
    rounded = np.round(randn(2, 3, 8, 8, seed=3))  # many ties at -1, 0, 1
    for a in (x, rounded, np.ones((1, 1, 6, 6))):
        check_op(lambda t: gu.max_pool2d(t, return_indices=True, **kw),
                 lambda t: F.max_pool2d(t, return_indices=True, **kw), a, gradcheck=False)
        check_op(lambda t: gu.max_pool1d(t[0], return_indices=True, **kw),
                 lambda t: F.max_pool1d(t[0], return_indices=True, **kw), a, gradcheck=False)


AVG2D = [
    ((2, 3, 8, 8), dict(kernel_size=2)),
    ((2, 3, 7, 9), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 3, 7, 9), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False)),
    ((1, 2, 7, 8), dict(kernel_size=(2, 3), stride=(2, 1), padding=(1, 1), ceil_mode=True)),
    ((1, 2, 7, 8), dict(kernel_size=(3, 2), stride=2, padding=1, ceil_mode=True,
                        count_include_pad=False)),
    ((2, 2, 5, 6), dict(kernel_size=3, stride=2, divisor_override=4)),
    ((3, 5, 5), dict(kernel_size=2, stride=1)),
    ((0, 2, 4, 4), dict(kernel_size=2)),
    ((2, 2, 5, 7), dict(kernel_size=2, stride=3, ceil_mode=True)),
]


@pytest.mark.parametrize("shape, kw", AVG2D)
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_avg_pool2d(shape, kw, layout):
    check_op(lambda t: gu.avg_pool2d(t, **kw), lambda t: F.avg_pool2d(t, **kw),
             randn(*shape, seed=2), layout=layout)


@pytest.mark.parametrize("shape, kw", [
    ((2, 3, 9), dict(kernel_size=2)), ((2, 3, 10), dict(kernel_size=3, stride=2, padding=1)),
    ((2, 3, 10), dict(kernel_size=3, stride=2, padding=1, count_include_pad=False,
                      ceil_mode=True)), ((3, 8), dict(kernel_size=4, stride=1, padding=2))])
def test_avg_pool1d(shape, kw):
    check_op(lambda t: gu.avg_pool1d(t, **kw), lambda t: F.avg_pool1d(t, **kw), randn(*shape))


@pytest.mark.parametrize("fn, kw", [
    ("max_pool2d", dict(kernel_size=2)), ("max_pool2d", dict(kernel_size=3, stride=2, padding=1)),
    ("avg_pool2d", dict(kernel_size=2)), ("avg_pool2d", dict(kernel_size=3, stride=1, padding=1)),
])
def test_pool_of_a_batch_innermost_view(fn, kw):
    """An (N, C, H, W) view of (C, H, W, N) memory: same values and gradients as PyTorch,
    and the output keeps the batch-innermost layout."""
    chwn = distinct(3, 6, 7, 4, seed=5)
    check_op(lambda t: getattr(gu, fn)(t.permute(3, 0, 1, 2), **kw),
             lambda t: getattr(F, fn)(t.permute(3, 0, 1, 2), **kw), chwn)
    y = getattr(gu, fn)(gu.tensor(chwn).permute(3, 0, 1, 2), **kw)
    assert np.argmin(y.array.strides) == 0  # batch innermost, as the input


def test_max_pool_of_sliced_and_transposed_views():
    x = distinct(2, 3, 8, 10, seed=6)
    check_op(lambda t: gu.max_pool2d(t, 2), lambda t: F.max_pool2d(t, 2), x, layout="transposed")
    check_op(lambda t: gu.max_pool2d(t, 2), lambda t: F.max_pool2d(t, 2), x, layout="sliced")


def test_max_pool_values_dtypes_and_no_grad():
    x = gu.tensor(np.arange(16, dtype=np.int64).reshape(1, 1, 4, 4))
    np.testing.assert_array_equal(gu.max_pool2d(x, 2).numpy(), [[[[5, 7], [13, 15]]]])
    np.testing.assert_array_equal(gu.avg_pool2d(x, 2).numpy(), [[[[2, 4], [10, 12]]]])
    for dtype in (np.float32, np.float64):
        t = gu.tensor(randn(1, 2, 4, 4), dtype=dtype, requires_grad=True)
        for y in (gu.max_pool2d(t, 2), gu.avg_pool2d(t, 2, padding=1)):
            assert y.dtype is dtype
            y.sum().backward()
            assert t.grad.dtype is dtype
    with gu.no_grad():
        assert not gu.max_pool2d(gu.randn(1, 1, 4, 4, requires_grad=True), 2).requires_grad


def test_nan_propagates_through_max_pool():
    x = np.zeros((1, 1, 4, 4), np.float32)
    x[0, 0, 1, 1] = np.nan
    y = gu.max_pool2d(gu.tensor(x), 2).numpy()
    assert np.isnan(y[0, 0, 0, 0]) and not np.isnan(y[0, 0, 1, 1])


@pytest.mark.parametrize("kw", [dict(kernel_size=2), dict(kernel_size=3, stride=2, padding=1)])
def test_max_pool_routes_to_the_first_nan(kw):
    """A window holding nans: its maximum is nan, its index and its gradient go to the
    first nan in row-major order, as PyTorch (not to the window's last element)."""
    x = randn(2, 3, 8, 10, seed=4)
    x[np.random.default_rng(5).random(x.shape) < 0.15] = np.nan
    check_op(lambda t: gu.max_pool2d(t, return_indices=True, **kw),
             lambda t: F.max_pool2d(t, return_indices=True, **kw), x, gradcheck=False)
    check_op(lambda t: gu.max_pool1d(t[0], return_indices=True, **kw),
             lambda t: F.max_pool1d(t[0], return_indices=True, **kw), x, gradcheck=False)
    check_op(lambda t: gu.adaptive_max_pool2d(t, (3, 4), return_indices=True),
             lambda t: F.adaptive_max_pool2d(t, (3, 4), return_indices=True), x,
             gradcheck=False)


@pytest.mark.parametrize("nd, shape, kw", [
    (2, (2, 3, 8, 8), dict(kernel_size=2)),
    (2, (2, 3, 7, 9), dict(kernel_size=3, stride=2, padding=1)),
    (1, (2, 3, 9), dict(kernel_size=3, stride=2)),
])
def test_max_unpool(nd, shape, kw):
    pool, unpool = (F.max_pool2d, F.max_unpool2d) if nd == 2 else (F.max_pool1d, F.max_unpool1d)
    y, idx = pool(torch.tensor(distinct(*shape)), return_indices=True, **kw)
    # overlapping windows may share a maximum: the forward keeps one of the values there,
    # the backward (a gather, as PyTorch's) feeds both, so finite differences disagree
    overlap = kw.get("stride", kw["kernel_size"]) < kw["kernel_size"]
    for size in (None, shape, shape[2:]):
        check_op(lambda t, i, s=size: getattr(gu, f"max_unpool{nd}d")(t, i, output_size=s, **kw),
                 lambda t, i, s=size: unpool(t, i, output_size=s, **kw),
                 y.numpy().astype(np.float64), idx.numpy(), gradcheck=not overlap)


def test_pool_round_trip_through_unpool():
    x = gu.tensor(distinct(2, 3, 6, 6) + 100.0)  # positive: the zeros unpool adds lose
    y, idx = gu.max_pool2d(x, 2, return_indices=True)
    back = gu.max_unpool2d(y, idx, 2)
    np.testing.assert_array_equal(gu.max_pool2d(back, 2).numpy(), y.numpy())


def test_pool_errors():
    x = gu.randn(1, 1, 4, 4)
    with pytest.raises(ValueError, match=r"max_pool2d: kernel_size \(5, 5\).*larger than the "
                                         r"padded input \(4, 4\).*\(1, 1, 4, 4\)"):
        gu.max_pool2d(x, 5)
    with pytest.raises(ValueError, match="max_pool2d: padding must be at most half"):
        gu.max_pool2d(x, 3, padding=2)
    with pytest.raises(ValueError, match="avg_pool2d: padding must be at most half"):
        gu.avg_pool2d(x, 2, padding=2)
    with pytest.raises(ValueError, match=r"max_pool2d: expected a 3-D or 4-D input.*\(4, 4\)"):
        gu.max_pool2d(gu.randn(4, 4), 2)
    with pytest.raises(ValueError, match=r"max_pool1d: expected a 2-D or 3-D input"):
        gu.max_pool1d(x, 2)
    with pytest.raises(ValueError, match="stride must be positive"):
        gu.max_pool2d(x, 2, stride=0)
    with pytest.raises(ValueError, match="kernel_size must be an int or a tuple of 2"):
        gu.max_pool2d(x, (2, 2, 2))
    with pytest.raises(ValueError, match="divisor_override must not be zero"):
        gu.avg_pool2d(x, 2, divisor_override=0)
    # increasing values: each window's maximum is its bottom-right corner, so the last row
    # of windows points at row 5 of the 7-wide input, past a 6 x 6 output (always)
    y, idx = gu.max_pool2d(gu.arange(42.0).reshape(1, 1, 6, 7), 2, return_indices=True)
    with pytest.raises(ValueError, match="max_unpool2d: index .* out of range .* \\(6, 6\\)"):
        gu.max_unpool2d(y, idx, 2)
    with pytest.raises(ValueError, match="max_unpool2d: invalid output_size"):
        gu.max_unpool2d(y, idx, 2, output_size=(9, 9))
