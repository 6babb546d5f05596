"""The seam of attention's softmax: compiled twins of ops/attention.py's _softmax_rows
and _softmax_backward_.

Called first thing in each, with the same arrays; returns the result (or True) when the
kernel did the work, None (or False) when the reference must run: compiled path off,
fewer than switch.MIN_SIZE elements, or not C-contiguous NumPy float32 arrays (float64
keeps the reference: the kernel's exp is float32's).

Measured on the reference Transformer's attention weights ((32, 4, 64, 64) float32, a
2-core AVX2 machine, rough): the forward 1.07 ms with NumPy -> 0.53 ms at 1 thread and
0.35 ms at 2 (NumPy's exp without AVX-512 is a libm call per element, and its passes run
on one core), the backward 0.43 -> 0.15 / 0.13 ms.
"""

import numpy as np

from . import switch

__all__ = ["softmax_rows", "softmax_backward_"]


def _module(*arrays):
    a = arrays[0]
    if a.size < switch.MIN_SIZE or not switch.enabled() or a.ndim < 1 or a.shape[-1] == 0:
        return None
    for x in arrays:
        if type(x) is not np.ndarray or x.dtype != np.float32 or x.shape != a.shape \
                or not x.flags.c_contiguous:
            return None
    mod = switch.load("compiled_softmax")
    if mod is not None:
        switch.set_threads(4 * a.size)
    return mod


def softmax_rows(a):
    """_softmax_rows(a) compiled: a new array, or None when the reference must run."""
    mod = _module(a)
    if mod is None:
        return None
    p = np.empty_like(a)
    S = a.shape[-1]
    try:
        mod.softmax_rows(a.reshape(-1, S), p.reshape(-1, S))
    except Exception as e:  # pragma: no cover - a numba failure falls back, once
        switch.failed(e)
        return None
    return p


def softmax_backward_(dp, p):
    """_softmax_backward_(dp, p) compiled, in place; False when the reference must run."""
    mod = _module(dp, p)
    if mod is None or not dp.flags.writeable:
        return False
    S = p.shape[-1]
    try:
        mod.softmax_backward_rows(dp.reshape(-1, S), p.reshape(-1, S))
    except Exception as e:  # pragma: no cover
        switch.failed(e)
        return False
    return True
