"""Compiled row softmax and its backward for attention: one threaded pass over the rows.

The math of ops/attention.py's _softmax_rows and _softmax_backward_ on float32 rows
(R, S), each row read while it is in cache: its maximum m, e = exp(a - m) (exactly 0
where a - m < -87, which covers the -inf of a masked key), the sum and the scaling. A
row with no finite entry (every key masked) gives zeros, and a row holding a nan or +inf
gives nan everywhere, as the reference (and PyTorch).
"""

import numpy as np
from numba import prange

from .compiled_math import EXP_LOW as _LOW
from .compiled_math import FASTMATH, expf
from .switch import jit

# numba's disk cache keys each kernel on its own file only. This stamp of the files whose
# code is inlined here changes this file whenever they change, so stale machine code is
# never loaded (tests/kernels/test_switch.py checks it; the value is printed on failure).
INLINED = {"compiled_math": "dd150ee28a88"}

_ZERO, _ONE = np.float32(0.0), np.float32(1.0)


@jit(fastmath=FASTMATH, error_model="numpy")
def softmax_rows(a, p):
    """p[r] = softmax(a[r]) for every row r of the C-contiguous float32 (R, S) a."""
    R, S = a.shape
    for r in prange(R):
        x, y = a[r], p[r]
        m = x[0]
        for j in range(1, S):
            v = x[j]
            m = v if (v > m) | (v != v) else m  # a nan sticks
        if m == -np.inf:  # every key masked
            for j in range(S):
                y[j] = _ZERO
        elif m != m or m == np.inf:
            for j in range(S):
                y[j] = np.nan
        else:
            s = _ZERO
            for j in range(S):
                d = x[j] - m
                e = expf(d) if d > _LOW else _ZERO
                y[j] = e
                s += e
            inv = _ONE / s
            for j in range(S):
                y[j] *= inv


@jit(fastmath=FASTMATH, error_model="numpy")
def softmax_backward_rows(dp, p):
    """dp[r] <- p[r] * (dp[r] - <p[r], dp[r]>) in place, for every row r."""
    R, S = p.shape
    for r in prange(R):
        d, y = dp[r], p[r]
        s = _ZERO
        for j in range(S):
            s += d[j] * y[j]
        for j in range(S):
            d[j] = y[j] * (d[j] - s)
