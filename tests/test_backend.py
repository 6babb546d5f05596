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
    cpu = gu.device("cpu")
    assert backend.device_of(np.ones(2)) == cpu and backend.device_of(np.ones(2)).type == "cpu"
    assert backend.normalize_device("cpu") == cpu
    assert backend.normalize_device(cpu) is cpu
    assert backend.normalize_device("cuda:0") == gu.device("cuda", 0)
    assert backend.normalize_device("cuda") == gu.device("cuda")
    assert backend.normalize_device(None) is None
    with pytest.raises(ValueError, match="unknown device type 'tpu'"):
        backend.normalize_device("tpu")
    with pytest.raises(ValueError, match="unknown device type 'gpu'.*'cuda'"):
        backend.normalize_device("gpu")


def test_move():
    a = np.ones(3)
    assert backend.move(a, "cpu") is a
    assert backend.move(a, gu.device("cpu")) is a
    assert backend.move(a, "cpu:0") is a
    if backend._get_cupy() is None:
        with pytest.raises(RuntimeError, match="not available.*CuPy"):
            backend.move(a, "cuda")
        with pytest.raises(RuntimeError, match="'cuda:1' is not available"):
            backend.move(a, gu.device("cuda", 1))
    else:
        g = backend.move(a, "cuda")
        assert backend.device_of(g).type == "cuda"
        np.testing.assert_array_equal(backend.move(g, "cpu"), a)


@pytest.mark.parametrize("name", ["mps", "xpu", "meta"])
def test_move_to_a_device_without_a_backend_says_so(name):
    with pytest.raises(RuntimeError, match=f"'{name}' is not available: groundup has no {name}"):
        backend.move(np.ones(2), name)
    with pytest.raises(TypeError, match="device is required"):
        backend.move(np.ones(2), None)


def test_cupy_probe_is_quiet_and_cached(capsys):
    first = backend._get_cupy()
    assert backend._get_cupy() is first
    out = capsys.readouterr()
    assert out.out == "" and out.err == ""
