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

# The row sums may be taken in any order (reassociation), so that LLVM vectorises them;
# everything else is computed as written
_SUMS = jit(fastmath={"reassoc", "nsz", "contract"})


@_SUMS
def layer_norm_forward(x, w, b, c, y, xc, rstd, has_w, has_b):
    """xc = x - mean(x), rstd = 1 / sqrt(mean(xc^2) + eps), y = xc * (rstd * w) + b."""
    M, D = x.shape
    eps, inv_d = c[0], c[1]
    for i in prange(M):
        xi, xci, yi = x[i], xc[i], y[i]
        s = 0.0
        for j in range(D):
            s += xi[j]
        rstd[i] = s * inv_d  # the mean, rounded to x's dtype as in the reference
        mu = rstd[i]
        q = 0.0
        for j in range(D):
            d = xi[j] - mu
            xci[j] = d
            q += d * d
        rstd[i] = 1.0 / np.sqrt(q * inv_d + eps)
        r = rstd[i]
        if has_w and has_b:
            for j in range(D):
                yi[j] = (r * w[j]) * xci[j] + b[j]
        elif has_w:
            for j in range(D):
                yi[j] = (r * w[j]) * xci[j]
        elif has_b:
            for j in range(D):
                yi[j] = xci[j] * r + b[j]
        else:
            for j in range(D):
                yi[j] = xci[j] * r


@_SUMS
def layer_norm_backward(dy, xc, rstd, w, c, dx, has_w, dw_parts, db_parts, need_wb):
    """dx = dy * (rstd * w) - (rstd^3 mean(dy * w * xc)) * xc - rstd mean(dy * w), rows in
    len(dw_parts) runs, one a thread; with need_wb each run also sums its rows'
    dw = sum rstd dy xc and db = sum dy into its (D,) parts (float64)."""
    M, D = dy.shape
    inv_d = c[1]
    P = dw_parts.shape[0]
    for p in prange(P):
        dwp, dbp = dw_parts[p], db_parts[p]
        if need_wb:
            dwp[:] = 0.0
            dbp[:] = 0.0
        for i in range(p * M // P, (p + 1) * M // P):
            dyi, xci, dxi = dy[i], xc[i], dx[i]
            a = 0.0
            g = 0.0
            if has_w:
                for j in range(D):
                    t = dyi[j] * w[j]
                    a += t
                    g += t * xci[j]
            else:
                for j in range(D):
                    a += dyi[j]
                    g += dyi[j] * xci[j]
            r = np.float64(rstd[i])
            k_xc = -(g * r * r * r) * inv_d
            k_0 = -(a * r) * inv_d
            if has_w:
                for j in range(D):
                    dxi[j] = (r * w[j]) * dyi[j] + k_xc * xci[j] + k_0
            else:
                for j in range(D):
                    dxi[j] = r * dyi[j] + k_xc * xci[j] + k_0
            if need_wb:
                for j in range(D):
                    dwp[j] += r * (dyi[j] * xci[j])
                    dbp[j] += dyi[j]
