"""out += a @ b in one BLAS call: the accumulating GEMM the tuned convolution needs.

NumPy's matmul always overwrites its output, so summing kh partial products (one per
kernel row, ops/conv_tuned.py) costs a temporary and an extra pass over the output for
each. BLAS ?gemm computes C = alpha*A@B + beta*C directly; with beta = 1 it adds into C
as it goes. This module calls it, through ctypes, in the OpenBLAS that NumPy already
loaded (groundup.blas finds it). Measured for the reference CNN's second convolution
(O = 32, K = 80, 6,400 columns, 1 thread): 4 adds of 0.8-2 MB partial products, 0.3 ms
in the forward and 0.6 ms in the input gradient, all gone.

When the call cannot be made (another BLAS, other dtypes, layouts BLAS cannot take), the
NumPy fallback is a matmul and an add: the same result.
"""

import ctypes

import numpy as np

from .. import blas

__all__ = []

_ROW_MAJOR, _NO_TRANS, _TRANS = 101, 111, 112
_NAMES = {np.dtype(np.float32): ("scipy_cblas_sgemm64_", ctypes.c_float),
          np.dtype(np.float64): ("scipy_cblas_dgemm64_", ctypes.c_double)}
_gemm = None  # {dtype: (function, scalar type)}, found on first use


def _functions():
    global _gemm
    if _gemm is None:
        _gemm = {}
        path = blas.library()
        if path is not None:
            try:
                lib = ctypes.CDLL(path)  # already loaded by NumPy: only a handle
                i64, ptr = ctypes.c_int64, ctypes.c_void_p
                for dtype, (name, scalar) in _NAMES.items():
                    fn = getattr(lib, name, None)
                    if fn is not None:
                        fn.restype = None
                        fn.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int, i64, i64, i64,
                                       scalar, ptr, i64, ptr, i64, scalar, ptr, i64]
                        _gemm[dtype] = (fn, scalar)
            except (OSError, AttributeError):
                _gemm = {}
    return _gemm


def _operand(a):
    """(transpose flag, leading dimension) for a 2-D array BLAS can read, else None."""
    item = a.itemsize
    s0, s1 = a.strides
    if s1 == item and s0 % item == 0 and s0 // item >= max(a.shape[1], 1):
        return _NO_TRANS, s0 // item
    if s0 == item and s1 % item == 0 and s1 // item >= max(a.shape[0], 1):
        return _TRANS, s1 // item
    return None


def gemm(a, b, out, accumulate, alpha=1.0):
    """out = alpha * a @ b (accumulate False) or out += alpha * a @ b (True), for 2-D
    arrays (alpha a Python float)."""
    fns = _functions()
    entry = fns.get(out.dtype)
    if entry is not None and type(out) is np.ndarray and a.dtype == b.dtype == out.dtype \
            and out.size and a.shape[1]:
        fa, fb, fc = _operand(a), _operand(b), _operand(out)
        if fa and fb and fc and fc[0] == _NO_TRANS:
            fn, scalar = entry
            M, K = a.shape
            fn(_ROW_MAJOR, fa[0], fb[0], M, out.shape[1], K, scalar(alpha), a.ctypes.data, fa[1],
               b.ctypes.data, fb[1], scalar(1.0 if accumulate else 0.0), out.ctypes.data,
               fc[1])
            return
    if not accumulate and alpha == 1.0:
        np.matmul(a, b, out=out)
        return
    product = np.matmul(a, b)
    if alpha != 1.0:
        product *= alpha
    if accumulate:
        out += product
    else:
        out[...] = product
