"""ops/conv_blas.gemm: out (+)= alpha * a @ b, in one BLAS call or by NumPy, the same."""

import numpy as np
import pytest

from groundup.ops import conv_blas


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("alpha", [1.0, -0.01])
@pytest.mark.parametrize("transposed", [False, True])
def test_gemm_matches_numpy(dtype, accumulate, alpha, transposed):
    rng = np.random.default_rng(0)
    a = rng.standard_normal((6, 5)).astype(dtype)
    b = rng.standard_normal((5, 7)).astype(dtype)
    if transposed:  # operands BLAS takes with its transpose flag
        a = np.ascontiguousarray(a.T).T
        b = np.ascontiguousarray(b.T).T
    out = rng.standard_normal((6, 7)).astype(dtype)
    expected = (out if accumulate else 0) + alpha * (a.astype(np.float64) @ b)
    conv_blas.gemm(a, b, out, accumulate, alpha)
    np.testing.assert_allclose(out, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("accumulate", [False, True])
@pytest.mark.parametrize("alpha", [1.0, 2.5])
def test_gemm_numpy_fallback(accumulate, alpha, monkeypatch):
    """Without a BLAS to call (or for a layout it cannot take) the result is the same."""
    monkeypatch.setattr(conv_blas, "_functions", lambda: {})
    rng = np.random.default_rng(1)
    a, b = rng.standard_normal((4, 3)), rng.standard_normal((3, 2))
    out = rng.standard_normal((4, 2))
    expected = (out if accumulate else 0) + alpha * (a @ b)
    conv_blas.gemm(a, b, out, accumulate, alpha)
    np.testing.assert_allclose(out, expected, rtol=1e-12)
