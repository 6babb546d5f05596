"""unfold (im2col) and fold (col2im) vs PyTorch and finite differences."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu

torch = require_torch()
F = torch.nn.functional

UNFOLD = [
    ((2, 3, 5, 6), {"kernel_size": 2}),
    ((1, 2, 6, 5), {"kernel_size": (2, 3), "stride": 2, "padding": 1}),
    ((2, 2, 7, 7), {"kernel_size": 3, "dilation": 2, "padding": (2, 1), "stride": (1, 2)}),
    ((0, 2, 4, 4), {"kernel_size": 2}),
    ((2, 4, 5), {"kernel_size": 3, "padding": 1}),  # unbatched
]


@pytest.mark.parametrize("shape,kw", UNFOLD, ids=[f"{s}-{k}" for s, k in UNFOLD])
def test_unfold(shape, kw):
    check_op(lambda x: gu.nn.functional.unfold(x, **kw), lambda x: F.unfold(x, **kw),
             randn(*shape, seed=1))


FOLD = [
    ((2, 12, 12), {"output_size": (4, 5), "kernel_size": 2}),
    ((1, 12, 6), {"output_size": (5, 4), "kernel_size": (2, 3), "stride": 2, "padding": 1}),
    ((2, 9, 9), {"output_size": 7, "kernel_size": 3, "dilation": 2, "stride": 2, "padding": 1}),
    ((18, 4), {"output_size": 4, "kernel_size": 3, "stride": 1, "padding": 0}),  # unbatched
]


@pytest.mark.parametrize("shape,kw", FOLD, ids=[f"{s}-{k}" for s, k in FOLD])
def test_fold(shape, kw):
    check_op(lambda x: gu.nn.functional.fold(x, **kw), lambda x: F.fold(x, **kw),
             randn(*shape, seed=1))


def test_fold_of_unfold_counts_the_windows_of_each_pixel():
    ones = gu.ones(1, 1, 4, 4)
    counts = gu.nn.functional.fold(gu.nn.functional.unfold(ones, 3, padding=1), (4, 4), 3,
                                   padding=1)
    want = F.fold(F.unfold(torch.ones(1, 1, 4, 4), 3, padding=1), (4, 4), 3, padding=1)
    np.testing.assert_array_equal(counts.numpy(), want.numpy())


@pytest.mark.parametrize("call,match", [
    (lambda: gu.nn.functional.unfold(gu.zeros(2, 3), 2), r"unfold: expected a 4-D input"),
    (lambda: gu.nn.functional.unfold(gu.zeros(1, 1, 2, 2), 3),
     r"unfold: the kernel \(3, 3\).*does not fit the padded input \(2, 2\)"),
    (lambda: gu.nn.functional.fold(gu.zeros(1, 7, 4), (3, 3), 2),
     r"fold: .*dimension 1 \(7\) must be divisible by the kernel size 2 \* 2"),
    (lambda: gu.nn.functional.fold(gu.zeros(1, 8, 5), (3, 3), 2),
     r"fold: input of shape \(1, 8, 5\) has 5 columns, but .* gives 2 x 2 = 4 windows"),
    (lambda: gu.nn.functional.unfold(gu.zeros(1, 1, 4, 4), 2, stride=0),
     r"stride must be at least 1"),
])
def test_errors(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
