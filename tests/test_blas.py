"""groundup.blas: NumPy's bundled OpenBLAS through ctypes (axpy, thread count), with a
NumPy fallback for everything."""

import numpy as np
import pytest

from groundup import blas


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("layout", ["C", "F", "strided", "overlap"])
def test_axpy_matches_two_passes(dtype, layout):
    rng = np.random.default_rng(0)
    y0 = rng.standard_normal((6, 5)).astype(dtype)
    x = rng.standard_normal((6, 5)).astype(dtype)
    if layout == "F":
        y0, x = np.asfortranarray(y0), np.asfortranarray(x)
    elif layout == "strided":
        x = rng.standard_normal((6, 10)).astype(dtype)[:, ::2]
    y = y0.copy(order="K")
    if layout == "overlap":
        x = y  # y <- y + a * y: must not go through BLAS with aliased buffers
        expected = y0 + dtype(0.25) * y0
    else:
        expected = y0 + dtype(0.25) * x
    assert blas.axpy_fits(y, x) == (layout in ("C", "F") and blas.library() is not None)
    out = blas.axpy_(y, 0.25, x, work=np.empty_like(y))
    assert out is y and y.dtype == dtype
    np.testing.assert_allclose(y, expected, rtol=1e-6 if dtype == np.float32 else 1e-14)


def test_axpy_fits_only_numpy_floats_of_one_dtype():
    a = np.zeros(3, np.float32)
    assert not blas.axpy_fits(np.zeros(3, np.int64), np.zeros(3, np.int64))
    assert not blas.axpy_fits(a, np.zeros(3, np.float64))
    assert not blas.axpy_fits(a, np.zeros(4, np.float32))
    assert not blas.axpy_fits(np.zeros(0, np.float32), np.zeros(0, np.float32))


def test_thread_count_round_trip():
    if blas.get_num_threads() is None:
        assert not blas.set_num_threads(1)
        pytest.skip("NumPy's BLAS exposes no thread count here")
    before = blas.get_num_threads()
    try:
        assert blas.set_num_threads(1)
        assert blas.get_num_threads() == 1
        x = np.ones((64, 64), np.float32)
        np.testing.assert_array_equal(x @ x, np.full((64, 64), 64, np.float32))
    finally:
        blas.set_num_threads(before)
    assert blas.get_num_threads() == before
