"""backend: array modules, dtype names, devices."""

import numpy as np
import pytest

import groundup as gu
from groundup import backend


def test_array_module_is_numpy_for_cpu_data():
    assert backend.array_module(np.ones(2)) is np
    assert backend.array_module(np.ones(2), np.zeros(3)) is np
    assert backend.array_module(np.float32(1.0)) is np
    assert backend.array_module() is np


def test_dtypes_are_numpys():
    assert gu.float32 is np.float32 and gu.float64 is np.float64
    assert gu.int64 is np.int64 and gu.bool is np.bool_
    assert backend.DEFAULT_FLOAT == np.float32


@pytest.mark.parametrize("spec,want", [
    ("float32", np.float32), ("float", np.float32), ("float64", np.float64),
    ("double", np.float64), ("half", np.float16), ("int64", np.int64), ("long", np.int64),
    ("int", np.int32), ("bool", np.bool_), (np.float64, np.float64),
    (np.dtype("int8"), np.int8), (gu.uint8, np.uint8),
])
def test_to_dtype(spec, want):
    assert backend.to_dtype(spec) == np.dtype(want)
    assert isinstance(backend.to_dtype(spec), np.dtype)


def test_to_dtype_errors():
    assert backend.to_dtype(None) is None
    with pytest.raises(TypeError, match="unknown dtype 'floaty'"):
        backend.to_dtype("floaty")
    with pytest.raises(TypeError, match="unknown dtype"):
        backend.to_dtype(object())
    assert backend.is_float_dtype("float16") and not backend.is_float_dtype(np.int32)


def test_devices():
    assert backend.device_of(np.ones(2)) == "cpu"
    assert backend.normalize_device("cpu") == "cpu"
    assert backend.normalize_device("cuda:0") == "cuda"
    assert backend.normalize_device("gpu") == "cuda"
    assert backend.normalize_device(None) is None
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        backend.normalize_device("tpu")


def test_move():
    a = np.ones(3)
    assert backend.move(a, "cpu") is a
    if backend._get_cupy() is None:
        with pytest.raises(RuntimeError, match="not available.*CuPy"):
            backend.move(a, "cuda")
    else:
        g = backend.move(a, "cuda")
        assert backend.device_of(g) == "cuda"
        np.testing.assert_array_equal(backend.move(g, "cpu"), a)


def test_cupy_probe_is_quiet_and_cached(capsys):
    first = backend._get_cupy()
    assert backend._get_cupy() is first
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""


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
    out = backend.axpy_(y, 0.25, x, work=np.empty_like(y))
    assert out is y and y.dtype == dtype
    np.testing.assert_allclose(y, expected, rtol=1e-6 if dtype == np.float32 else 1e-14)


def test_blas_axpy_pays_only_for_numpy_floats():
    assert not backend.blas_axpy_pays(np.zeros(3, np.int64))
    assert not backend.blas_axpy_pays([0.0, 1.0])
    assert backend.blas_axpy_pays(np.zeros(3, np.float32)) in (True, False)
