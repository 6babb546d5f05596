"""Special functions (ops/special.py) against math.erf, PyTorch and finite differences."""

import math

import numpy as np
from helpers import check_op, require_torch

import groundup as gu

torch = require_torch()


def data(*shape, seed=0, scale=1.0, shift=0.0):
    """Deterministic float64 test data with no values within 1e-3 of zero."""
    a = np.random.default_rng(seed).standard_normal(shape) * scale + shift
    a = np.asarray(a)
    a[np.abs(a) < 1e-3] += 0.01
    return a


# ------------------------------------------------------------------ erf


def test_erf_accuracy_float64():
    rng = np.random.default_rng(0)
    x = np.concatenate([
        np.linspace(-7.0, 7.0, 20001),
        rng.standard_normal(5000) * 2.0,
        10.0 ** rng.uniform(-300, 1.3, 4000) * rng.choice([-1.0, 1.0], 4000),
        [0.0, 1.0, -1.0, 1 - 2**-52, 1 + 2**-52, 5.9, 6.0, 26.0, 1e-310, 5e-324],
    ])
    got = gu.erf(gu.tensor(x, dtype=gu.float64)).numpy()
    want = np.array([math.erf(v) for v in x])
    normal = np.abs(want) > 1e-300  # subnormal results have fewer significant bits
    rel = np.abs(got - want)[normal] / np.abs(want)[normal]
    assert rel.max() < 1e-15, f"max relative error {rel.max():.3g}"
    np.testing.assert_allclose(got[~normal], want[~normal], rtol=0, atol=1e-322)


def test_erf_accuracy_float32():
    x = np.concatenate([np.linspace(-6, 6, 12001), np.geomspace(1e-30, 1, 500)]).astype(np.float32)
    got = gu.erf(gu.tensor(x)).numpy()
    assert got.dtype == np.float32
    want = np.array([math.erf(float(v)) for v in x])
    rel = np.abs(got - want) / np.maximum(np.abs(want), 1e-30)
    assert rel.max() < 3e-7, f"max relative error {rel.max():.3g}"


def test_erf_odd_and_special():
    x = np.array([-np.inf, np.inf, np.nan, -0.0, 0.0])
    got = gu.erf(gu.tensor(x, dtype=gu.float64)).numpy()
    np.testing.assert_array_equal(got, [-1.0, 1.0, np.nan, -0.0, 0.0])
    assert np.signbit(got[3]) and not np.signbit(got[4])
    v = data(100, seed=5, scale=3.0)
    np.testing.assert_array_equal(gu.erf(gu.tensor(-v, dtype=gu.float64)).numpy(),
                                  -gu.erf(gu.tensor(v, dtype=gu.float64)).numpy())


def test_erf_gradient():
    check_op(gu.erf, torch.erf, np.array([-4.0, -1.0, -0.3, 0.0, 0.5, 1.0, 2.5, 7.0]))
