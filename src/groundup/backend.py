"""Array backends (NumPy, optionally CuPy), dtypes and devices.

Every op asks for the array module of its inputs (`xp = array_module(a)`)
instead of calling NumPy directly, so one body serves NumPy and CuPy.
"""

import re

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


_CONSTANTS = {}


def cached_constant(xp, kind, n, dtype):
    """A read-only 1-D constant, ones(n) (kind "ones") or arange(n) ("arange"), cached.

    For the small helper vectors of hot ops (a ones vector that turns column sums
    into a GEMV, the row indices of a gather), which would otherwise be allocated
    and filled on every call. Never write into the result.
    """
    key = (xp.__name__, kind, n, np.dtype(dtype).str)
    a = _CONSTANTS.get(key)
    if a is None:
        if len(_CONSTANTS) > 256:  # many distinct sizes: keep the cache small
            _CONSTANTS.clear()
        a = xp.ones(n, dtype) if kind == "ones" else xp.arange(n, dtype=dtype)
        if xp is np:
            a.flags.writeable = False
        _CONSTANTS[key] = a
    return a


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


# ------------------------------------------------------------------ devices
# Device types a program may name, as PyTorch spells them. Arrays live on "cpu" (NumPy)
# or, when CuPy and a GPU are present, on "cuda"; the other types have no backend, so
# moving data there raises a RuntimeError that says so.
DEVICE_TYPES = ("cpu", "cuda", "mps", "xpu", "meta")
_DEVICE_RE = re.compile(r"([a-z]+)(?::(0|[1-9][0-9]*))?")


class device:
    """Where a tensor's data lives: `gu.device("cpu")`, `gu.device("cuda", 0)`, `"cuda:0"`.

    As in PyTorch: `type` ("cpu", "cuda", ...) and `index` (None: the current one),
    `str(d)` is "cpu" or "cuda:0", `repr(d)` is "device(type='cuda', index=0)", and
    two devices are equal when type and index are (`device("cuda") != device("cuda:0")`,
    and a device never equals a string). Devices are immutable and hashable.
    """

    __slots__ = ("_type", "_index")

    def __init__(self, type, index=None):  # noqa: A002 (PyTorch's argument name)
        if isinstance(type, device):
            if index is not None:
                raise ValueError(f"device({type!r}, {index!r}): a device already has its "
                                 f"index; pass a type name such as 'cuda' with an index")
            self._type, self._index = type._type, type._index
            return
        if _is_index(type):
            if _get_cupy() is None:
                raise RuntimeError(
                    f"device({type}): an index alone names an accelerator device, and there "
                    f"is none (gu.accelerator.is_available() is False); use gu.device('cpu')"
                )
            type, index = "cuda", int(type)
        if not isinstance(type, str):
            raise TypeError(f"device(): expected a device type name such as 'cpu' or "
                            f"'cuda:0', or a device, got {_type_name(type)}")
        match = _DEVICE_RE.fullmatch(type)
        if match is None:
            raise ValueError(f"invalid device string {type!r}; expected a type such as 'cpu' "
                             f"or 'cuda', optionally with an index: 'cuda:0'")
        name, number = match.groups()
        if name not in DEVICE_TYPES:
            hint = " (a GPU is 'cuda')" if name == "gpu" else ""
            raise ValueError(f"unknown device type {name!r} in {type!r}{hint}; expected one of "
                             f"{', '.join(DEVICE_TYPES)}")
        if index is not None:
            if number is not None:
                raise ValueError(f"device({type!r}, {index!r}): the type string must not "
                                 f"include an index when index is passed")
            if not _is_index(index):
                raise TypeError(f"device(): index must be an int, got {_type_name(index)}")
            if index < 0:
                raise ValueError(f"device(): index must not be negative, got {index}")
        elif number is not None:
            index = number
        self._type = name
        self._index = None if index is None else int(index)

    @property
    def type(self):
        return self._type

    @property
    def index(self):
        return self._index

    def __str__(self):
        return self._type if self._index is None else f"{self._type}:{self._index}"

    def __repr__(self):
        if self._index is None:
            return f"device(type='{self._type}')"
        return f"device(type='{self._type}', index={self._index})"

    def __eq__(self, other):
        if isinstance(other, device):
            return self._type == other._type and self._index == other._index
        return NotImplemented

    def __hash__(self):
        return hash((self._type, self._index))

    def __setattr__(self, name, value):
        if hasattr(self, "_index"):  # _index is the last slot __init__ sets
            raise AttributeError(f"device is immutable; cannot set {name!r}")
        object.__setattr__(self, name, value)


def _type_name(value):
    return type(value).__name__


def _is_index(value):
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


CPU = device("cpu")
_PARSED = {"cpu": CPU}  # device strings already parsed (a handful in any program)


def device_of(array):
    """The device of a backend array: CPU for NumPy, device("cuda", id) for CuPy."""
    if type(array) is np.ndarray or array_module(array) is np:
        return CPU
    return device("cuda", int(array.device.id))


def normalize_device(spec):
    """A device from a device, a string ('cpu', 'cuda:0') or None (None stays None)."""
    if spec is None or isinstance(spec, device):
        return spec
    if isinstance(spec, str):
        d = _PARSED.get(spec)
        if d is None:
            d = device(spec)
            if len(_PARSED) < 64:
                _PARSED[spec] = d
        return d
    return device(spec)


def is_on(array, where):
    """Whether `array` is on device `where` already ("cuda" and "cpu" without an index match
    any index: they name the current device)."""
    d = normalize_device(where)
    here = device_of(array)
    if here._type != d._type:
        return False
    return here._type == "cpu" or d._index is None or here._index == d._index


def move(array, to):
    """`array` on device `to` (a device or a string); the array itself when it is there.

    "cpu" is always available; "cuda" needs CuPy and a GPU; the other device types
    have no backend in groundup and raise a RuntimeError naming what is supported.
    """
    if type(array) is np.ndarray and (to is CPU or to == "cpu"):
        return array  # the common case, without parsing
    d = normalize_device(to)
    if d is None:
        raise TypeError("move(): a device is required, got None")
    if d._type == "cpu":
        if array_module(array) is np:
            return array
        return array.get()
    if d._type != "cuda":
        raise RuntimeError(
            f"device {str(d)!r} is not available: groundup has no {d._type} backend; "
            f"tensors live on 'cpu' (or on 'cuda' with CuPy and a GPU)"
        )
    cp = _get_cupy()
    if cp is None:
        raise RuntimeError(
            f"device {str(d)!r} is not available: CuPy is not installed or no GPU was found "
            "(gu.cuda.is_available() is False; install cupy matching your CUDA version, "
            "e.g. `pip install cupy-cuda12x`, or use 'cpu')"
        )
    if d._index is None:
        return cp.asarray(array)
    with cp.cuda.Device(d._index):
        return cp.asarray(array)


def cuda_device_count():
    """The number of GPUs CuPy sees (0 without CuPy or a GPU)."""
    cp = _get_cupy()
    return int(cp.cuda.runtime.getDeviceCount()) if cp is not None else 0
