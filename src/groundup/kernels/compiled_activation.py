"""Compiled GELU (exact, erf form): one threaded pass forward, one backward.

The math of ops/activation.py's GELUFn, element by element, in the input's dtype, with
libm's erf and exp in place of the reference's erf polynomial and NumPy's exp: the
results agree with the reference to about 1 ulp. Arrays are flat (1-D) views of
C-contiguous arrays; c = [sqrt(1/2), 1 / sqrt(2 pi), 0.5, 1] in their dtype.
"""

import math

from numba import prange

from .switch import jit


@jit
def gelu_forward(x, y, cdf, c, save):
    """cdf = (1 + erf(x / sqrt(2))) / 2, y = x * cdf (cdf kept when `save`)."""
    sqrt_half, half, one = c[0], c[2], c[3]
    for i in prange(x.size):
        xi = x[i]
        p = (math.erf(xi * sqrt_half) + one) * half
        if save:
            cdf[i] = p
        y[i] = xi * p


@jit
def gelu_backward(dy, x, cdf, dx, c):
    """dx = dy * (cdf + x * exp(-x^2 / 2) / sqrt(2 pi))."""
    inv_sqrt_2pi, half = c[1], c[2]
    for i in prange(x.size):
        xi = x[i]
        pdf = math.exp(-(xi * xi * half)) * xi * inv_sqrt_2pi
        dx[i] = (pdf + cdf[i]) * dy[i]


@jit
def relu_backward(dy, y, dx):
    """dx = dy where y != 0, else 0 (y = max(x, 0) is 0 or positive, or NaN: NaN passes dy,
    as PyTorch's threshold backward does)."""
    for i in prange(y.size):
        dx[i] = 0 if y[i] == 0 else dy[i]
