"""Adaptive pooling (ops/adaptive_pool.py) against PyTorch: adaptive_avg_pool1d/2d and
adaptive_max_pool1d/2d, forward, gradients, indices, ties, layouts and errors."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu
from groundup.ops.adaptive_pool import adaptive_windows

torch = require_torch()
F = torch.nn.functional


def distinct(*shape, seed=0):
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(n).reshape(shape) * 0.1 - 0.05 * n


SIZES_2D = [1, (3, 4), (7, 9), (5, None), (10, 13), (2, 1), (None, 2)]


@pytest.mark.parametrize("out", SIZES_2D)
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_adaptive_avg_pool2d(out, layout):
    check_op(lambda t: gu.adaptive_avg_pool2d(t, out), lambda t: F.adaptive_avg_pool2d(t, out),
             randn(2, 3, 7, 9), layout=layout)


@pytest.mark.parametrize("out", SIZES_2D)
def test_adaptive_max_pool2d(out):
    x = distinct(2, 3, 7, 9)
    check_op(lambda t: gu.adaptive_max_pool2d(t, out, return_indices=True),
             lambda t: F.adaptive_max_pool2d(t, out, return_indices=True), x)
    check_op(lambda t: gu.adaptive_max_pool2d(t, out), lambda t: F.adaptive_max_pool2d(t, out),
             x[0])  # unbatched


@pytest.mark.parametrize("out", [1, 3, 4, 9, 12])
def test_adaptive_pool1d(out):
    check_op(lambda t: gu.adaptive_avg_pool1d(t, out), lambda t: F.adaptive_avg_pool1d(t, out),
             randn(2, 3, 9))
    check_op(lambda t: gu.adaptive_max_pool1d(t, out, return_indices=True),
             lambda t: F.adaptive_max_pool1d(t, out, return_indices=True), distinct(2, 3, 9))


@pytest.mark.parametrize("out", [(3, 4), (2, 2), (10, 13)])
def test_adaptive_max_ties_route_to_the_first_maximum(out):
    for x in (np.round(randn(2, 3, 7, 9, seed=2)), np.zeros((1, 2, 7, 9))):
        check_op(lambda t: gu.adaptive_max_pool2d(t, out, return_indices=True),
                 lambda t: F.adaptive_max_pool2d(t, out, return_indices=True), x,
                 gradcheck=False)


def test_adaptive_pools_of_a_batch_innermost_view():
    chwn = distinct(3, 7, 6, 2)
    for fn in ("adaptive_avg_pool2d", "adaptive_max_pool2d"):
        check_op(lambda t, f=fn: getattr(gu, f)(t.permute(3, 0, 1, 2), (3, 4)),
                 lambda t, f=fn: getattr(F, f)(t.permute(3, 0, 1, 2), (3, 4)), chwn)


def test_windows_and_empty_outputs():
    start, end = adaptive_windows(10, 4)
    np.testing.assert_array_equal(start, [0, 2, 5, 7])
    np.testing.assert_array_equal(end, [3, 5, 8, 10])
    x = gu.randn(0, 2, 5, 5, requires_grad=True)  # empty batch
    assert gu.adaptive_avg_pool2d(x, 2).shape == (0, 2, 2, 2)
    assert gu.adaptive_max_pool2d(gu.randn(1, 2, 5, 5), 0).shape == (1, 2, 0, 0)


def test_adaptive_errors():
    with pytest.raises(ValueError, match="adaptive_avg_pool2d: expected a 3-D or 4-D input"):
        gu.adaptive_avg_pool2d(gu.randn(2, 3, 4, 4, 4), 2)
    with pytest.raises(ValueError, match="output_size must be an int or a tuple of 2"):
        gu.adaptive_max_pool2d(gu.randn(1, 1, 4, 4), (1, 2, 3))
    with pytest.raises(ValueError, match="non-negative ints"):
        gu.adaptive_avg_pool1d(gu.randn(1, 1, 4), -1)
    with pytest.raises(TypeError, match="floating-point"):
        gu.adaptive_avg_pool1d(gu.tensor(np.ones((1, 1, 4), np.int64)), 2)
