"""sign and the number tests (ops/numeric.py) against PyTorch."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu

torch = require_torch()

SPECIAL = np.array([0.0, -0.0, 1.5, -2.0, np.inf, -np.inf, np.nan], np.float32)


@pytest.mark.parametrize("shape", [(3, 4), (), (0, 2)])
def test_sign(shape):
    check_op(gu.sign, torch.sign, randn(*shape))
    check_op(lambda x: x.sign(), lambda x: x.sign(), randn(*shape), gradcheck=False)


def test_sign_dtypes_and_specials():
    np.testing.assert_array_equal(gu.sign(SPECIAL).numpy(), torch.sign(torch.tensor(SPECIAL)))
    for data in ([-3, 0, 2], [True, False]):
        got, want = gu.sign(gu.tensor(data)), torch.sign(torch.tensor(data))
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        assert got.numpy().dtype == want.numpy().dtype


@pytest.mark.parametrize("name", ["isnan", "isinf", "isfinite"])
def test_number_tests(name):
    got = getattr(gu, name)(gu.tensor(SPECIAL))
    np.testing.assert_array_equal(got.numpy(), getattr(torch, name)(torch.tensor(SPECIAL)))
    np.testing.assert_array_equal(getattr(gu.tensor(SPECIAL), name)().numpy(), got.numpy())
    ints = getattr(gu, name)(gu.tensor([1, 2]))
    np.testing.assert_array_equal(ints.numpy(), getattr(torch, name)(torch.tensor([1, 2])))
    assert ints.dtype is gu.bool and not got.requires_grad


@pytest.mark.parametrize("kw", [{}, {"rtol": 0.0, "atol": 0.1}, {"equal_nan": True},
                                {"rtol": 1e-1}])
def test_isclose_allclose(kw):
    a = np.array([1.0, 1.05, np.nan, np.inf, -np.inf, 0.0, 1e-9], np.float32)
    b = np.array([1.0, 1.0, np.nan, np.inf, np.inf, 1e-9, 0.0], np.float32)
    got = gu.isclose(gu.tensor(a), gu.tensor(b), **kw)
    np.testing.assert_array_equal(got.numpy(), torch.isclose(torch.tensor(a), torch.tensor(b),
                                                             **kw).numpy())
    np.testing.assert_array_equal(gu.tensor(a).isclose(gu.tensor(b), **kw).numpy(), got.numpy())
    for x, y in [(a[:2], b[:2]), (a[2:3], b[2:3]), (a[:1], b[:1])]:
        want = torch.allclose(torch.tensor(x), torch.tensor(y), **kw)
        assert gu.allclose(gu.tensor(x), gu.tensor(y), **kw) is want
        assert gu.tensor(x).allclose(gu.tensor(y), **kw) is want


def test_allclose_broadcasts_and_errors():
    assert gu.allclose(gu.ones(2, 3), gu.ones(3))
    assert gu.allclose(gu.ones(2, 3), 1.0)
    with pytest.raises(ValueError, match=r"allclose: shapes \(2, 3\) and \(2,\) cannot be"):
        gu.allclose(gu.ones(2, 3), gu.ones(2))
    with pytest.raises(TypeError, match=r"isclose\(\): unexpected keyword argument 'tol'"):
        gu.isclose(gu.ones(2), gu.ones(2), tol=1)


def test_equal():
    a = gu.tensor([1.0, 2.0])
    assert gu.equal(a, gu.tensor([1.0, 2.0])) is True and a.equal(a) is True
    assert gu.equal(a, gu.tensor([1.0, 3.0])) is False
    assert gu.equal(a, gu.tensor([[1.0, 2.0]])) is False  # shapes differ
    assert gu.equal(gu.tensor([np.nan]), gu.tensor([np.nan])) is False
    assert torch.equal(torch.tensor([np.nan]), torch.tensor([np.nan])) is False
