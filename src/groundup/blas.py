"""Direct calls into the BLAS that NumPy already loaded: level-1 axpy and the thread count.

NumPy exposes matrix products but neither BLAS level 1 nor the BLAS thread count.
Its wheels bundle OpenBLAS (`numpy.libs/libscipy_openblas64_*`, `.dylibs` on macOS)
with a 64-bit-int (ILP64) CBLAS interface under the symbol prefix `scipy_`; this
module finds that library once through ctypes (it is already loaded, so this only
takes a handle) and looks the symbols up by name. Anything unexpected (no such
library, other symbol names, a NumPy built against MKL or Accelerate) leaves the
table empty: `axpy_` then takes two NumPy passes and the thread functions report
None, so nothing here is ever required. GROUNDUP_NO_BLAS_AXPY=1 turns axpy off.
"""

import ctypes
import glob
import os

import numpy as np

from .backend import array_module

__all__ = ["axpy_", "axpy_call", "axpy_fits", "get_num_threads", "set_num_threads", "library",
           "gemm_address"]

_PATTERNS = ("libscipy_openblas*", "libopenblas*")
# symbol names of the thread calls, newest wheels first
_SET_THREADS = ("scipy_openblas_set_num_threads64_", "scipy_openblas_set_num_threads",
                "openblas_set_num_threads64_", "openblas_set_num_threads")
_GET_THREADS = ("scipy_openblas_get_num_threads64_", "scipy_openblas_get_num_threads",
                "openblas_get_num_threads64_", "openblas_get_num_threads")
_AXPY_NAMES = {np.float32: ("scipy_cblas_saxpy64_", ctypes.c_float),
               np.float64: ("scipy_cblas_daxpy64_", ctypes.c_double)}
# level 3, for compiled loops that call it themselves (kernels/compiled_recurrent.py)
_GEMM_NAMES = {np.float32: "scipy_cblas_sgemm64_", np.float64: "scipy_cblas_dgemm64_"}


class _Blas:
    """What was found: the library path, {dtype: ?axpy}, and the thread get/set calls."""

    def __init__(self):
        self.path = None
        self.axpy = {}
        self.gemm = {}  # dtype -> the address of cblas_?gemm (64-bit integers)
        self.get_threads = None
        self.set_threads = None


_BLAS = None


def _symbol(lib, names, restype, argtypes):
    for name in names:
        fn = getattr(lib, name, None)
        if fn is not None:
            fn.restype, fn.argtypes = restype, argtypes
            return fn
    return None


def _load():
    """Find NumPy's bundled OpenBLAS and its symbols, once; never raises."""
    global _BLAS
    if _BLAS is not None:
        return _BLAS
    found = _Blas()
    try:
        root = os.path.dirname(np.__file__)
        paths = []
        for pattern in _PATTERNS:
            for folder in (os.path.join(root, "..", "numpy.libs"), os.path.join(root, ".dylibs")):
                paths += sorted(glob.glob(os.path.join(folder, pattern)))
        for path in paths:
            lib = ctypes.CDLL(path)  # already loaded by NumPy: this only returns its handle
            found.path = os.path.realpath(path)
            found.get_threads = _symbol(lib, _GET_THREADS, ctypes.c_int, [])
            found.set_threads = _symbol(lib, _SET_THREADS, None, [ctypes.c_int])
            if os.environ.get("GROUNDUP_NO_BLAS_AXPY", "") in ("", "0"):
                for dtype, (name, scalar) in _AXPY_NAMES.items():
                    fn = _symbol(lib, (name,), None, [ctypes.c_int64, scalar, ctypes.c_void_p,
                                                      ctypes.c_int64, ctypes.c_void_p,
                                                      ctypes.c_int64])
                    if fn is not None:
                        found.axpy[np.dtype(dtype)] = fn
            for dtype, name in _GEMM_NAMES.items():
                fn = getattr(lib, name, None)
                if fn is not None:
                    found.gemm[np.dtype(dtype)] = ctypes.cast(fn, ctypes.c_void_p).value
            break
    except Exception:  # no usable BLAS: every caller has a NumPy fallback
        found = _Blas()
    _BLAS = found
    return found


def library():
    """The path of the BLAS library found (NumPy's bundled OpenBLAS), or None."""
    return _load().path


def gemm_address(dtype):
    """The address of the CBLAS ?gemm of `dtype` (float32/float64) in NumPy's bundled
    OpenBLAS, with 64-bit integer arguments (ILP64), or None when there is none. For
    compiled code that calls the BLAS itself, inside its own loop."""
    return _load().gemm.get(np.dtype(dtype))


def get_num_threads():
    """The number of threads the BLAS runs a matrix product on, or None when unknown."""
    fn = _load().get_threads
    return None if fn is None else int(fn())


def set_num_threads(n):
    """Make the BLAS use `n` threads for its following calls; False when it cannot be set."""
    fn = _load().set_threads
    if fn is None:
        return False
    fn(int(n))
    return True


def axpy_fits(y, x):
    """Whether `axpy_(y, alpha, x)` is one BLAS call: NumPy float32/float64 arrays of one
    shape and dtype, both C- or both F-contiguous, y writable, not overlapping, and BLAS
    level 1 found."""
    if type(y) is not np.ndarray or type(x) is not np.ndarray or x.dtype != y.dtype \
            or x.shape != y.shape or not y.size:
        return False
    blas = _BLAS if _BLAS is not None else _load()
    if y.dtype not in blas.axpy:
        return False
    fy, fx = y.flags, x.flags
    return fy.writeable and ((fy.c_contiguous and fx.c_contiguous)
                             or (fy.f_contiguous and fx.f_contiguous)) \
        and not np.may_share_memory(x, y)


def axpy_call(y, alpha, x):
    """y <- y + alpha * x in one BLAS ?axpy call when `axpy_fits(y, x)`; returns whether it
    ran (when False, nothing was done)."""
    if not axpy_fits(y, x):
        return False
    _BLAS.axpy[y.dtype](y.size, alpha, x.ctypes.data, 1, y.ctypes.data, 1)
    return True


def axpy_(y, alpha, x, work=None):
    """y <- y + alpha * x in place, for arrays x and y of one shape and dtype; returns y.

    One pass through BLAS ?axpy (a fused multiply-add per element, as PyTorch's
    `add_(x, alpha=...)`) for NumPy float32/float64 arrays that are both C- or both
    F-contiguous and do not overlap; otherwise two array passes: work = alpha * x,
    y += work (`work`: scratch shaped like y, or None for a fresh array). alpha is a
    Python float (NEP 50: it does not change y's dtype).
    """
    if axpy_call(y, alpha, x):
        return y
    xp = array_module(y)
    if work is None:
        work = xp.multiply(x, alpha)
    else:
        xp.multiply(x, alpha, out=work)
    y += work
    return y
