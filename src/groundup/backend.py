"""Array backends (NumPy, optionally CuPy), dtypes and devices.

Every op asks for the array module of its inputs (`xp = array_module(a)`)
instead of calling NumPy directly, so one body serves NumPy and CuPy.
"""

import numpy as np

float16 = np.float16
float32 = np.float32
float64 = np.float64
int8 = np.int8
int16 = np.int16
int32 = np.int32
int64 = np.int64
uint8 = np.uint8
bool_ = np.bool_

DEFAULT_FLOAT = np.dtype(np.float32)

_DTYPE_NAMES = {
    "float16": np.float16, "half": np.float16,
    "float32": np.float32, "float": np.float32,
    "float64": np.float64, "double": np.float64,
    "int8": np.int8, "int16": np.int16, "int32": np.int32, "int": np.int32,
    "int64": np.int64, "long": np.int64, "uint8": np.uint8,
    "bool": np.bool_,
}

_cupy = None
_cupy_checked = False


def _get_cupy():
    """Import CuPy lazily; return None when it or a GPU is unavailable."""
    global _cupy, _cupy_checked
    if not _cupy_checked:
        _cupy_checked = True
        try:
            import cupy

            cupy.cuda.runtime.getDeviceCount()
            _cupy = cupy
        except Exception:
            _cupy = None
    return _cupy


def array_module(*arrays):
    """The array module (numpy or cupy) that owns the given arrays."""
    for a in arrays:
        if type(a) is np.ndarray:
            return np
        mod = type(a).__module__
        if mod.startswith("cupy"):
            return _get_cupy()
    return np


def is_float_dtype(dtype):
    return np.dtype(dtype).kind == "f"


def to_dtype(dtype):
    """Normalise a dtype given as a NumPy type, np.dtype or a name to np.dtype."""
    if dtype is None:
        return None
    if isinstance(dtype, str):
        try:
            return np.dtype(_DTYPE_NAMES[dtype])
        except KeyError:
            raise TypeError(
                f"unknown dtype {dtype!r}; expected one of {sorted(_DTYPE_NAMES)}"
            ) from None
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}") from None


def device_of(array):
    return "cuda" if array_module(array) is not np else "cpu"


def normalize_device(device):
    if device is None:
        return None
    name = str(device)
    if name.startswith("cuda") or name == "gpu":
        return "cuda"
    if name == "cpu":
        return "cpu"
    raise ValueError(f"unknown device {device!r}; expected 'cpu' or 'cuda'")


def move(array, device):
    """Copy `array` to `device` ('cpu' or 'cuda'); a no-op when it is already there."""
    device = normalize_device(device)
    if device == "cpu":
        if array_module(array) is np:
            return array
        return array.get()
    cp = _get_cupy()
    if cp is None:
        raise RuntimeError(
            "device 'cuda' is not available: CuPy is not installed or no GPU was found "
            "(install cupy matching your CUDA version, e.g. `pip install cupy-cuda12x`)"
        )
    return cp.asarray(array)
