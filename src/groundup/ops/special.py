"""Special functions: the Gauss error function erf, differentiable and with no SciPy.

erf maps x: (*) -> y: (*) of the same shape and dtype; integer inputs are computed
in float32, as in PyTorch. _erf_array, the float-array kernel, also serves the
exact GELU (ops/activation.py).
"""

import math

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from .common import as_tensor

__all__ = ["erf"]

_TWO_OVER_SQRT_PI = 2.0 / math.sqrt(math.pi)

# ------------------------------------------------------------------- erf
#
# erf(x) in two regions of a = |x|, both polynomials evaluated by Horner's rule:
#   a < 1:       erf(x) = x * P(x^2)
#   1 <= a:      erf(x) = sign(x) * (1 - exp(-a^2) * G(u)),  u = 9.6 / (2 + a) - 2.2
# where G approximates the scaled complement exp(a^2) erfc(a) on 1 <= a <= 6. The
# variable t = 2 / (2 + a) (u maps t in [1/4, 2/3] onto [-1, 1]) makes G nearly
# polynomial; beyond a = 6, erfc(a) < 3e-17 and erf(x) rounds to +-1 in float64.
# Coefficients: Chebyshev interpolation (near-minimax) of erf(x)/x in x^2 on
# [0, 1] and of G in u on [-1, 1], at as many Chebyshev nodes as terms, computed
# in 50-digit arithmetic (mpmath) and converted to the monomial basis there
# (well conditioned: the sum of |terms| is under 2x the value). Max relative
# error against a 50-digit reference: about 1 ulp in float64 (12 and 15 terms)
# and in float32 (6 and 6 terms, a separate fit with fewer terms).

_ERF_SMALL = {
    "f8": (
        1.1283791670955126, -0.37612638903183543, 0.11283791670945006,
        -0.02686617064323777, 0.0052239776071164225, -0.0008548325975389692,
        0.00012055294904839707, -1.492473690741966e-05, 1.6447424703317362e-06,
        -1.6208483801871705e-07, 1.3720064546777686e-08, -7.795898827002142e-10,
    ),
    "f4": (
        1.1283791261787373, -0.37612343775327806, 0.11280316652505075,
        -0.02671505423226643, 0.004921762027877231, -0.0005648059865503044,
    ),
}
_ERFC_SCALED = {
    "f8": (
        0.2214295402299318, 0.16189356804102537, 0.038560570425181566,
        0.0055888162818258785, 0.00019713917776008889, -8.079220411804128e-05,
        -7.340518284999869e-06, 1.979561158209264e-06, 1.6350102372087984e-07,
        -7.005170205475373e-08, -5.926361315281833e-10, 2.622350032514279e-09,
        -2.634243021000669e-10, -7.290508535165398e-11, 1.8620989806815163e-11,
    ),
    "f4": (
        0.22142931845841998, 0.16189362675301028, 0.03856456738113022,
        0.0055877573960608756, 0.0001864028780617982, -7.793668963683685e-05,
    ),
}


def erf_coefficients(dtype):
    """The two tables _erf_array evaluates for float32 or float64 (lowest degree first):
    P of erf(x) = x P(x^2) for |x| < 1, and G of erf(x) = sign(x) (1 - exp(-a^2) G(u)),
    u = 9.6 / (2 + a) - 2.2, for 1 <= a = |x| <= 6 (compiled kernels use the same)."""
    key = "f8" if np.dtype(dtype) == np.float64 else "f4"
    return _ERF_SMALL[key], _ERFC_SCALED[key]


def _horner(coeffs, z):
    """sum_i coeffs[i] * z**i in place on one fresh array; float coefficients keep z's dtype."""
    p = z * coeffs[-1]
    for c in coeffs[-2:0:-1]:
        p += c
        p *= z
    p += coeffs[0]
    return p


def _erf_small(x, table):
    """erf for |x| <= 1: x * P(x^2)."""
    p = _horner(table, x * x)
    p *= x
    return p


def _erf_large(a, xp, table):
    """erf for 1 <= a <= 6 (a >= 0): 1 - exp(-a^2) G(u)."""
    u = a + 2.0
    xp.divide(9.6, u, out=u)
    u -= 2.2
    g = _horner(table, u)
    e = a * a
    xp.negative(e, out=e)
    xp.exp(e, out=e)
    g *= e
    xp.subtract(1.0, g, out=g)
    return g


def _erf_array(x, xp):
    """erf of a float array, accurate to about 1 ulp in float32 and float64."""
    dtype = x.dtype
    if dtype != np.float64 and dtype != np.float32:
        return _erf_array(x.astype(np.float32), xp).astype(dtype)
    key = "f8" if dtype == np.float64 else "f4"
    if x.size == 0:
        return xp.empty_like(x)
    a = xp.abs(x)
    if a.max() < 1.0:  # common for small activations: one region only
        return _erf_small(x, _ERF_SMALL[key])
    # Both regions on the whole array (branch-free, so the same code suits a GPU),
    # each on inputs clipped into its domain so every value stays finite; then
    # combine exactly with the 0/1 mask: y = y_small * m + y_large * (1 - m).
    one, six = xp.asarray(1.0, dtype=dtype), xp.asarray(6.0, dtype=dtype)
    small = a < 1.0
    ys = _erf_small(xp.clip(x, -one, one), _ERF_SMALL[key])
    a_large = xp.clip(a, one, six)
    yl = _erf_large(a_large, xp, _ERFC_SCALED[key])
    sign = xp.clip(x, -six, six)
    sign /= a_large  # +-1 where |x| >= 1 (finite elsewhere; NaN stays NaN): cheaper than copysign
    yl *= sign
    ys *= small
    yl *= ~small
    yl += ys
    return yl


class ErfFn(Function):
    """Gauss error function erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt.

    forward:   y = erf(x)      (own polynomial approximation, ~1 ulp; see _erf_array)
    backward:  dx = dy * 2/sqrt(pi) * exp(-x^2)
    saved:     x
    """

    def forward(self, x):
        if self.needs_input_grad[0]:
            self.save_for_backward(x)
        return _erf_array(x, self.xp)

    def backward(self, dy):
        (x,) = self.saved
        d = x * x
        self.xp.negative(d, out=d)
        self.xp.exp(d, out=d)
        d *= _TWO_OVER_SQRT_PI
        d *= dy
        return d


# ----------------------------------------------------------- functions


def erf(x):
    """The Gauss error function, element-wise (differentiable; no SciPy needed)."""
    x = x if type(x) is Tensor else as_tensor(x)
    kind = x.array.dtype.kind
    if kind != "f":  # integer/bool inputs become float32, as in PyTorch
        if kind not in "iub":
            raise TypeError(f"erf: expected a numeric tensor, got dtype {x.array.dtype}")
        x = Tensor._wrap(x.array.astype(np.float32))
    if x.array.ndim == 0:
        # run as shape (1,): NumPy turns 0-d results into scalars, which the in-place
        # steps of the forward and backward cannot write into
        return ErfFn.apply(x.reshape(1)).reshape(())
    return ErfFn.apply(x)
