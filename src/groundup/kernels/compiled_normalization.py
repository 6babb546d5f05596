"""Compiled layer normalisation: each row's statistics and output in one threaded task.

The math of ops/normalization.py (LayerNormFn), row by row (rows spread over the
threads): the row sums accumulate in float64, so the results agree with the NumPy
reference to float rounding (not bit for bit: the reference sums with a BLAS GEMV).
x, y, xc, dy, dx are (M, D) C-contiguous; rstd is (M,); w, b are (D,) (all ones /
zeros when the layer has none); c = [eps, 1 / D] in float64.
"""

import numpy as np
from numba import prange

from .switch import jit


@jit
def layer_norm_forward(x, w, b, c, y, xc, rstd, has_w, has_b):
    """xc = x - mean(x), rstd = 1 / sqrt(mean(xc^2) + eps), y = xc * (rstd * w) + b."""
    M, D = x.shape
    eps, inv_d = c[0], c[1]
    for i in prange(M):
        s = 0.0
        for j in range(D):
            s += x[i, j]
        rstd[i] = s * inv_d  # the mean, rounded to x's dtype as in the reference
        mu = rstd[i]
        q = 0.0
        for j in range(D):
            d = x[i, j] - mu
            xc[i, j] = d
            q += d * d
        rstd[i] = 1.0 / np.sqrt(q * inv_d + eps)
        r = rstd[i]
        for j in range(D):
            v = (r * w[j]) * xc[i, j] if has_w else xc[i, j] * r
            y[i, j] = v + b[j] if has_b else v


@jit
def layer_norm_backward(dy, xc, rstd, w, c, dx, has_w):
    """dx = dy * (rstd * w) - (rstd^3 mean(dy * w * xc)) * xc - rstd mean(dy * w)."""
    M, D = dy.shape
    inv_d = c[1]
    for i in prange(M):
        a = 0.0
        g = 0.0
        for j in range(D):
            t = dy[i, j] * w[j] if has_w else dy[i, j]
            a += t
            g += t * xc[i, j]
        r = np.float64(rstd[i])
        k_xc = -(g * r * r * r) * inv_d
        k_0 = -(a * r) * inv_d
        for j in range(D):
            rw = r * w[j] if has_w else r
            dx[i, j] = rw * dy[i, j] + k_xc * xc[i, j] + k_0
