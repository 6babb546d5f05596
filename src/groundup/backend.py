"""Array backends (NumPy, optionally CuPy), dtypes and devices.

Every op asks for the array module of its inputs (`xp = array_module(a)`)
instead of calling NumPy directly, so one body serves NumPy and CuPy.
"""

import os

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


_AXPY = None  # {dtype: BLAS ?axpy} from NumPy's bundled OpenBLAS, {} when unavailable
_BLAS_THREADS = None  # OpenBLAS's get_num_threads, when found


def _blas_axpy():
    """cblas_saxpy / cblas_daxpy of the OpenBLAS that NumPy wheels bundle, looked up once.

    NumPy does not expose BLAS level 1, but its wheels ship OpenBLAS with a 64-bit-int
    (ILP64) CBLAS interface under the symbol prefix `scipy_`. Anything unexpected (no
    such library, other symbol names, a NumPy built against MKL or Accelerate) leaves
    the table empty and callers use two NumPy passes. GROUNDUP_NO_BLAS_AXPY=1 disables it.
    """
    global _AXPY, _BLAS_THREADS
    if _AXPY is None:
        _AXPY = {}
        if os.environ.get("GROUNDUP_NO_BLAS_AXPY", "") not in ("", "0"):
            return _AXPY
        try:
            import ctypes
            import glob

            root = os.path.dirname(np.__file__)
            pattern = "libscipy_openblas64_*"
            paths = sorted(glob.glob(os.path.join(root, "..", "numpy.libs", pattern))
                           + glob.glob(os.path.join(root, ".dylibs", pattern)))
            for path in paths:
                lib = ctypes.CDLL(path)  # already loaded by NumPy: this only returns its handle
                table = {}
                for dtype, name, scalar in ((np.float32, "scipy_cblas_saxpy64_", ctypes.c_float),
                                            (np.float64, "scipy_cblas_daxpy64_", ctypes.c_double)):
                    fn = getattr(lib, name)
                    fn.argtypes = [ctypes.c_int64, scalar, ctypes.c_void_p, ctypes.c_int64,
                                   ctypes.c_void_p, ctypes.c_int64]
                    fn.restype = None
                    table[np.dtype(dtype)] = fn
                threads = getattr(lib, "scipy_openblas_get_num_threads64_", None)
                if threads is not None:
                    threads.argtypes = []
                    threads.restype = ctypes.c_int
                    _BLAS_THREADS = threads
                _AXPY = table
                break
        except Exception:  # no usable BLAS: the NumPy fallback is always correct
            _AXPY = {}
    return _AXPY


def blas_axpy_pays(y):
    """Whether `axpy_` on `y` is one BLAS pass that beats NumPy's two: a NumPy float array,
    with BLAS level 1 found and OpenBLAS running on one thread.

    With more threads OpenBLAS splits each level-1 call across its workers, and in an
    optimizer's mix of NumPy passes and BLAS calls that hand-off measured slower than
    NumPy alone (Adam's update: 3.3 against 1.7 ms a step at 2 threads).
    """
    if type(y) is not np.ndarray or y.dtype not in (_AXPY if _AXPY is not None else _blas_axpy()):
        return False
    return _BLAS_THREADS is not None and _BLAS_THREADS() == 1


def axpy_(y, alpha, x, work=None):
    """y <- y + alpha * x in place, for arrays x and y of one shape and dtype; returns y.

    One pass through BLAS ?axpy (a fused multiply-add per element, as PyTorch's
    `add_(x, alpha=...)`) for NumPy float32/float64 arrays that are both C- or both
    F-contiguous and do not overlap; otherwise two array passes: work = alpha * x,
    y += work (`work`: scratch shaped like y, or None for a fresh array). alpha is a
    Python float (NEP 50: it does not change y's dtype).
    """
    if type(y) is np.ndarray and type(x) is np.ndarray and y.size:
        table = _AXPY if _AXPY is not None else _blas_axpy()
        fn = table.get(y.dtype) if x.dtype == y.dtype else None
        if fn is not None and x.shape == y.shape:
            fy, fx = y.flags, x.flags
            if fy.writeable and ((fy.c_contiguous and fx.c_contiguous)
                                 or (fy.f_contiguous and fx.f_contiguous)) \
                    and not np.may_share_memory(x, y):
                fn(y.size, alpha, x.ctypes.data, 1, y.ctypes.data, 1)
                return y
    xp = array_module(y)
    if work is None:
        work = xp.multiply(x, alpha)
    else:
        xp.multiply(x, alpha, out=work)
    y += work
    return y


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
