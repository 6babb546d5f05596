"""Compiled GELU (exact, erf form, and the tanh approximation): one threaded pass
forward, one backward.

The math of ops/activation.py's GELUFn, element by element, in the input's dtype. In
float32 the erf is the reference's own polynomial and the exp compiled_math's, so the
loop vectorises; the operations and their order are the reference's (no fast-math: a
fused 1 - exp(-a^2) G rounds differently, which (1 + erf) / 2 near erf = -1 shows at a
few 1e-6 relative); in float64 libm's erf and exp (a call per element). The results
agree with the reference to about 1 ulp. Arrays are flat (1-D) views of C-contiguous arrays;
c = [sqrt(1/2), 1 / sqrt(2 pi), 0.5, 1] in their dtype; e (float32, 12) the erf tables
of ops.special.erf_coefficients, one after the other.
"""

import math

import numpy as np
from numba import prange

from .compiled_math import EXP_LOW as _LOW
from .compiled_math import erff, expf, tanhf
from .switch import jit

# numba's disk cache keys each kernel on its own file only. This stamp of the files whose
# code is inlined here changes this file whenever they change, so stale machine code is
# never loaded (tests/kernels/test_switch.py checks it; the value is printed on failure).
INLINED = {"compiled_math": "dd150ee28a88"}

_BETA, _KAPPA = np.float32(math.sqrt(2.0 / math.pi)), np.float32(0.044715)
_KAPPA3 = np.float32(3.0 * 0.044715)
_ONE, _HALF = np.float32(1.0), np.float32(0.5)


@jit(error_model="numpy")
def gelu_tanh_forward_f32(x, y, t, save):
    """t = tanh(b (x + k x^3)), y = x (1 + t) / 2 in float32 (t kept when `save`), in the
    reference's order of operations, tanh from compiled_math."""
    for i in prange(x.size):
        xi = x[i]
        ti = tanhf((xi * xi * _KAPPA + _ONE) * xi * _BETA)
        if save:
            t[i] = ti
        y[i] = (ti + _ONE) * xi * _HALF


@jit(error_model="numpy")
def gelu_tanh_backward_f32(dy, x, t, dx):
    """dx = dy ((1 + t) / 2 + x/2 (1 - t^2) b (1 + 3 k x^2)), as the reference computes it."""
    for i in prange(x.size):
        xi, ti = x[i], t[i]
        d = (xi * xi * _KAPPA3 + _ONE) * _BETA * (_ONE - ti * ti) * xi
        dx[i] = (d + ti + _ONE) * _HALF * dy[i]


@jit(error_model="numpy")
def gelu_forward_f32(x, y, cdf, c, e, save):
    """gelu_forward in float32 with erff."""
    sqrt_half, half, one = c[0], c[2], c[3]
    small = (e[0], e[1], e[2], e[3], e[4], e[5])
    large = (e[6], e[7], e[8], e[9], e[10], e[11])
    for i in prange(x.size):
        xi = x[i]
        p = (erff(xi * sqrt_half, small, large) + one) * half
        if save:
            cdf[i] = p
        y[i] = xi * p


@jit(error_model="numpy")
def gelu_backward_f32(dy, x, cdf, dx, c):
    """gelu_backward in float32 with expf."""
    inv_sqrt_2pi, half = c[1], c[2]
    for i in prange(x.size):
        xi = x[i]
        t = -(xi * xi * half)
        g = expf(t) if t > _LOW else np.float32(0.0)
        dx[i] = (g * xi * inv_sqrt_2pi + cdf[i]) * dy[i]


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
def relu_forward(x, y):
    """y = max(x, 0) as np.clip(x, 0, inf) and PyTorch give it: a NaN passes, -0.0 stays."""
    for i in prange(x.size):
        v = x[i]
        y[i] = 0 if v < 0 else v


@jit
def leaky_relu_forward(x, y, f, c, save):
    """y = x * f with f = m + (1 - m) * slope, m = [x > 0] (c = [1, 0, slope] in x's
    dtype): the reference's arithmetic, so f and y are bit-equal to it; f kept when save."""
    one, zero, slope = c[0], c[1], c[2]
    for i in prange(x.size):
        v = x[i]
        m = one if v > 0 else zero
        fi = m + (one - m) * slope
        y[i] = v * fi
        if save:
            f[i] = fi


@jit
def relu_backward(dy, y, dx):
    """dx = dy where y != 0, else 0 (y = max(x, 0) is 0 or positive, or NaN: NaN passes dy,
    as PyTorch's threshold backward does)."""
    for i in prange(y.size):
        dx[i] = 0 if y[i] == 0 else dy[i]
