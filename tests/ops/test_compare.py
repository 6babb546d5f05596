"""Comparisons, logical ops, floor division and remainder against PyTorch (no gradients)."""

import numpy as np
import pytest
from helpers import BINARY_SHAPES, check_op, mask, randn, require_torch

import groundup as gu

torch = require_torch()


# ------------------------------------------------------------- no-gradient ops
COMPARE = [
    ("eq", gu.eq, torch.eq), ("ne", gu.ne, torch.ne), ("lt", gu.lt, torch.lt),
    ("le", gu.le, torch.le), ("gt", gu.gt, torch.gt), ("ge", gu.ge, torch.ge),
]


@pytest.mark.parametrize("name,gfn,tfn", COMPARE, ids=[c[0] for c in COMPARE])
def test_comparisons(name, gfn, tfn):
    a = np.round(randn(3, 4, seed=1))
    b = np.round(randn(4, seed=2))
    check_op(gfn, tfn, a, b, grad=False)
    check_op(gfn, tfn, a, a.copy(), grad=False)
    check_op(gfn, tfn, a, b, grad=False, layout="transposed")
    for sa, sb in BINARY_SHAPES:
        check_op(gfn, tfn, np.asarray(np.round(randn(*sa, seed=3))),
                 np.asarray(np.round(randn(*sb, seed=4))),
                 grad=False, float64=False)
    check_op(lambda x: gfn(x, 0.5), lambda x: tfn(x, 0.5), a, grad=False)
    x = gu.tensor(a, requires_grad=True)
    out = gfn(x, gu.tensor(b))
    assert out.dtype == gu.bool and not out.requires_grad and out.grad_fn is None


def test_comparison_operators():
    x = gu.tensor([1.0, 2.0, 3.0], requires_grad=True)
    arr = np.array([1.0, 0.0, 4.0])
    for got, want in [(x == 2, [False, True, False]), (x != 2, [True, False, True]),
                      (x < 2, [True, False, False]), (x <= 2, [True, True, False]),
                      (x > 2, [False, False, True]), (x >= 2, [False, True, True]),
                      (x > arr, [False, True, False]), (arr < x, [False, True, False]),
                      (2 < x, [False, False, True])]:
        assert got.dtype == gu.bool and not got.requires_grad
        np.testing.assert_array_equal(got.numpy(), want)
    assert (x == None) is False  # noqa: E711
    assert (x != None) is True  # noqa: E711


LOGICAL = [
    ("and", gu.logical_and, torch.logical_and),
    ("or", gu.logical_or, torch.logical_or),
    ("xor", gu.logical_xor, torch.logical_xor),
]


@pytest.mark.parametrize("name,gfn,tfn", LOGICAL, ids=[c[0] for c in LOGICAL])
def test_logical(name, gfn, tfn):
    check_op(gfn, tfn, mask(3, 4, seed=1), mask(4, seed=2), grad=False)
    for sa, sb in BINARY_SHAPES:
        check_op(gfn, tfn, mask(*sa, seed=3), mask(*sb, seed=4), grad=False)
    a = np.array([0, 2, 0, -1])
    b = np.array([0.0, 0.0, 1.5, 3.0])
    check_op(gfn, tfn, a, b, grad=False)


def test_logical_not_and_operators():
    m = gu.tensor(np.array([True, False, True]))
    k = gu.tensor(np.array([True, True, False]))
    np.testing.assert_array_equal(gu.logical_not(m).numpy(), [False, True, False])
    np.testing.assert_array_equal((~m).numpy(), [False, True, False])
    np.testing.assert_array_equal((m & k).numpy(), [True, False, False])
    np.testing.assert_array_equal((m | k).numpy(), [True, True, True])
    np.testing.assert_array_equal((m ^ k).numpy(), [False, True, True])
    np.testing.assert_array_equal(gu.logical_not(gu.tensor([0.0, 2.0])).numpy(), [True, False])


def test_floor_divide_and_remainder_match_torch():
    a = np.array([7, -7, 5, 0])
    b = np.array([2, 2, -3, 4])
    ta, tb = torch.tensor(a), torch.tensor(b)
    np.testing.assert_array_equal((gu.tensor(a) // gu.tensor(b)).numpy(),
                                  torch.floor_divide(ta, tb).numpy())
    np.testing.assert_array_equal((gu.tensor(a) % gu.tensor(b)).numpy(), (ta % tb).numpy())
    np.testing.assert_array_equal((7 // gu.tensor(b)).numpy(), (7 // tb).numpy())
    x = gu.tensor([3.5, -1.5])
    np.testing.assert_allclose((x // 2).numpy(), [1.0, -1.0])
    assert (x % 2).dtype == gu.float32
