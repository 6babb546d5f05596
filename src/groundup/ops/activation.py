"""Activation functions: element-wise nonlinearities (softmax: ops/softmax.py; erf: ops/special.py).

relu, relu6, hardtanh, leaky_relu, elu, gelu, silu, sigmoid, tanh, softplus, logsigmoid;
the rest of the family: activation_piecewise.py (hardswish, prelu, rrelu, shrinkage, ...)
and activation_smooth.py (mish, selu, celu, softsign, glu, softmin, ...); shared helpers
in activation_common.py.

Each primitive is one Function whose docstring states its derivative. Element-wise
ones map x: (*) -> y: (*) of the same shape and dtype; integer inputs of the smooth
ones are computed in float32, as in PyTorch. Masks are saved as booleans and
multiplied in, instead of selecting with `where` (several times slower on big
arrays); a forward saves nothing when no input needs a gradient.
"""

import math

from .. import kernels
from ..autograd import Function
from .activation_common import (
    apply_unary,
    cached_zeros,
    check_inplace,
    finish_inplace,
    ieee,
    relu_array,
    sigmoid_array,
    tensor_arg,
)
from .common import quiet, to_float
from .special import _erf_array, erf_coefficients

__all__ = [
    "relu", "relu6", "leaky_relu", "elu", "gelu", "silu", "sigmoid", "tanh", "softplus",
    "logsigmoid", "hardtanh",
]

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_GELU_TANH_BETA = math.sqrt(2.0 / math.pi)
_GELU_TANH_KAPPA = 0.044715

# ---------------------------------------------------------- element-wise


class ReLUFn(Function):
    """Rectified linear unit.

    forward:   y = max(x, 0)                        x: (*) -> y: (*)
               (as in PyTorch a NaN passes and -0.0 stays -0.0)
    backward:  dx = dy * [y != 0]   (= [x > 0]; NaN passes dy, as in PyTorch, since
                                     max(NaN, 0) is NaN)
    saved:     y (a reference: the next layer usually holds it anyway, so no mask is stored)
    """

    def forward(self, x):
        y = kernels.relu_forward(x)  # the compiled twin (groundup.kernels): one pass
        if y is None:
            y = relu_array(self.xp, x)
        if self.needs_input_grad[0]:
            self.save_for_backward(y)
        return y

    def backward(self, dy):
        dx = kernels.relu_backward(dy, self.saved[0])
        if dx is not None:
            return dx  # the compiled twin (groundup.kernels): one threaded pass
        return dy * (self.saved[0] != 0)


class HardtanhFn(Function):
    """Clamp into [min_val, max_val] (relu6 is hardtanh(x, 0, 6)).

    forward:   y = min(max(x, lo), hi)              x: (*) -> y: (*)
    backward:  dx = dy * [not (x <= lo or x >= hi)]   (0 at both bounds, as in PyTorch)
    saved:     the boolean mask
    """

    def forward(self, x, lo, hi):
        xp = self.xp
        if self.needs_input_grad[0]:
            self.save_for_backward(~((x <= lo) | (x >= hi)))
        return xp.clip(x, xp.asarray(lo, dtype=x.dtype), xp.asarray(hi, dtype=x.dtype))

    def backward(self, dy):
        return dy * self.saved[0]


class LeakyReLUFn(Function):
    """Leaky ReLU with slope s for x <= 0.

    forward:   y = x * f,  f = 1 where x > 0 else s          x: (*) -> y: (*)
    backward:  dx = dy * f
    saved:     f (built exactly as m + (1 - m) * s from the 0/1 mask m, so both
               branches are exact; the backward is then one multiply)
    """

    def forward(self, x, slope):
        y = kernels.leaky_relu_forward(self, x, slope)  # the compiled twin: one pass
        if y is not None:
            return y
        f = (x > 0).astype(x.dtype)
        g = 1.0 - f
        g *= slope
        f += g
        if self.needs_input_grad[0]:
            self.save_for_backward(f)
        return x * f

    def backward(self, dy):
        return dy * self.saved[0]


class ELUFn(Function):
    """Exponential linear unit.

    forward:   y = x                       for x > 0
               y = alpha * (exp(x) - 1)    for x <= 0        x: (*) -> y: (*)
               computed as max(x, 0) + alpha * expm1(min(x, 0))
    backward:  dx = dy * 1                 for x > 0
               dx = dy * alpha * exp(x)    for x <= 0  (alpha at x == 0, as in PyTorch)
    saved:     x (exp(x) is recomputed: expm1(x) + 1 would lose the digits of a tiny exp(x))
    """

    def forward(self, x, alpha):
        xp = self.xp
        zeros = cached_zeros(xp, x)
        y = xp.expm1(xp.minimum(x, zeros))
        y *= alpha
        y += xp.maximum(x, zeros)
        if self.needs_input_grad[0]:
            self.save_for_backward(x)
        self.alpha = alpha
        return y

    def backward(self, dy):
        (x,) = self.saved
        xp = self.xp
        m = (x > 0).astype(dy.dtype)
        d = xp.exp(xp.minimum(x, cached_zeros(xp, x)))
        d *= self.alpha
        d *= 1.0 - m  # exactly 0 or the alpha * exp(x) branch ...
        d += m  # ... plus exactly 1 on the positive side
        d *= dy
        return d


class GELUFn(Function):
    """Gaussian error linear unit, exact (erf) form.

    forward:   y = x * Phi(x),  Phi(x) = (1 + erf(x / sqrt(2))) / 2     x: (*) -> y: (*)
    backward:  dx = dy * (Phi(x) + x * phi(x)),  phi(x) = exp(-x^2 / 2) / sqrt(2 pi)
    saved:     x and Phi(x) (recomputing erf would cost more than storing it)
    """

    @ieee
    def forward(self, x):
        y = kernels.gelu_forward(self, x, erf_coefficients)
        if y is not None:
            return y  # the compiled twin (groundup.kernels): same result, same saved state
        cdf = _erf_array(x * _SQRT_HALF, self.xp)
        cdf += 1.0
        cdf *= 0.5
        if self.needs_input_grad[0]:
            self.save_for_backward(x, cdf)
        return x * cdf

    @ieee
    def backward(self, dy):
        dx = kernels.gelu_backward(self, dy)
        if dx is not None:
            return dx  # the compiled twin (groundup.kernels)
        xp = self.xp
        x, cdf = self.saved
        pdf = x * x
        pdf *= -0.5
        xp.exp(pdf, out=pdf)
        pdf *= x
        pdf *= _INV_SQRT_2PI
        pdf += cdf
        pdf *= dy
        return pdf


class GELUTanhFn(Function):
    """Gaussian error linear unit, tanh approximation (approximate="tanh").

    forward:   t = tanh(b * (x + k x^3)),  b = sqrt(2/pi), k = 0.044715
               y = x (1 + t) / 2                                        x: (*) -> y: (*)
    backward:  dx = dy * ((1 + t) / 2 + x/2 * (1 - t^2) * b * (1 + 3 k x^2))
    saved:     x and t
    """

    @ieee
    def forward(self, x):
        y = kernels.gelu_tanh_forward(self, x)
        if y is not None:
            return y  # the compiled twin (groundup.kernels): same result, same saved state
        xp = self.xp
        x2 = x * x
        inner = x2 * _GELU_TANH_KAPPA
        inner += 1.0
        inner *= x
        inner *= _GELU_TANH_BETA
        t = xp.tanh(inner, out=inner)
        if self.needs_input_grad[0]:
            self.save_for_backward(x, t)
        y = t + 1.0
        y *= x
        y *= 0.5
        return y

    @ieee
    def backward(self, dy):
        dx = kernels.gelu_tanh_backward(self, dy)
        if dx is not None:
            return dx  # the compiled twin (groundup.kernels)
        x, t = self.saved
        d = x * x
        d *= 3.0 * _GELU_TANH_KAPPA
        d += 1.0
        d *= _GELU_TANH_BETA
        d *= 1.0 - t * t
        d *= x
        d += t
        d += 1.0
        d *= 0.5
        d *= dy
        return d


class SigmoidFn(Function):
    """Logistic sigmoid.

    forward:   y = 1 / (1 + exp(-x))        x: (*) -> y: (*); finite for any x
               (exp(-x) = inf for x << 0 gives y = 0, the correct limit)
    backward:  dx = dy * y * (1 - y)
    saved:     y (the derivative is a function of the output)
    """

    def forward(self, x):
        y = sigmoid_array(x, self.xp)
        if self.needs_input_grad[0]:
            self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        d = 1.0 - y
        d *= y
        d *= dy
        return d


class TanhFn(Function):
    """Hyperbolic tangent.

    forward:   y = tanh(x)                  x: (*) -> y: (*)
    backward:  dx = dy * (1 - y^2)
    saved:     y
    """

    def forward(self, x):
        y = self.xp.tanh(x)
        if self.needs_input_grad[0]:
            self.save_for_backward(y)
        return y

    def backward(self, dy):
        (y,) = self.saved
        d = y * y
        self.xp.subtract(1.0, d, out=d)
        d *= dy
        return d


class SiLUFn(Function):
    """Sigmoid-weighted linear unit (swish).

    forward:   s = sigmoid(x),  y = x * s               x: (*) -> y: (*)
    backward:  dx = dy * s * (1 + x * (1 - s))
    saved:     x and s
    """

    @ieee
    def forward(self, x):
        s = sigmoid_array(x, self.xp)
        if self.needs_input_grad[0]:
            self.save_for_backward(x, s)
        return x * s

    @ieee
    def backward(self, dy):
        x, s = self.saved
        d = 1.0 - s
        d *= x
        d += 1.0
        d *= s
        d *= dy
        return d


class SoftplusFn(Function):
    """Smooth ReLU: log(1 + exp(beta x)) / beta, and x itself where beta x > threshold.

    forward:   z = beta x
               y = log1p(exp(z)) / beta    for z <= threshold     x: (*) -> y: (*)
               y = x                       for z >  threshold  (PyTorch's linear regime)
    backward:  dx = dy * sigmoid(z)        for z <= threshold
               dx = dy                     for z >  threshold
    saved:     sigmoid(min(z, threshold)) and the 0/1 mask [z > threshold]
    """

    def forward(self, x, beta, threshold):
        xp = self.xp
        z = x * beta if beta != 1.0 else x
        m = (z > threshold).astype(x.dtype)  # 1 in the linear regime
        zc = xp.minimum(z, xp.asarray(threshold, dtype=x.dtype))
        with quiet(xp):
            e = xp.exp(zc)
        y = xp.log1p(e)
        if beta != 1.0:
            y /= beta
        # y = y * (1 - m) + x * m, with x clamped into the linear regime's side
        # (so x = -inf elsewhere gives 0 * finite, not NaN)
        edge = xp.asarray(threshold / beta, dtype=x.dtype)
        lin = xp.maximum(x, edge) if beta > 0 else xp.minimum(x, edge)
        lin *= m
        y *= 1.0 - m
        y += lin
        if self.needs_input_grad[0]:
            s = e + 1.0
            xp.divide(e, s, out=s)  # e^z / (1 + e^z), finite since z <= threshold
            self.save_for_backward(s, m)
        return y

    def backward(self, dy):
        s, m = self.saved
        d = 1.0 - m
        d *= s
        d += m
        d *= dy
        return d


class LogSigmoidFn(Function):
    """log(sigmoid(x)), stable for any x.

    forward:   y = min(x, 0) - log1p(exp(-|x|))               x: (*) -> y: (*)
    backward:  dx = dy * (1 - sigmoid(x)) = dy * sigmoid(-x)
               with e = exp(-|x|):  sigmoid(-x) = e / (1 + e) for x >= 0,
                                                  1 / (1 + e) for x < 0
    saved:     e and the mask [x < 0]
    """

    def forward(self, x):
        xp = self.xp
        e = xp.abs(x)
        xp.negative(e, out=e)
        xp.exp(e, out=e)
        y = xp.log1p(e)
        xp.subtract(xp.minimum(x, cached_zeros(xp, x)), y, out=y)
        if self.needs_input_grad[0]:
            self.save_for_backward(e, x < 0)
        return y

    def backward(self, dy):
        e, neg = self.saved
        m = neg.astype(dy.dtype)
        num = 1.0 - e
        num *= m
        num += e  # 1 where x < 0, e where x >= 0 (e <= 1: all finite)
        den = e + 1.0
        num /= den
        num *= dy
        return num


# ----------------------------------------------------------- functions


# inplace=True (as in PyTorch): with no graph recorded through x the result is written
# into x and x is returned; when x is part of a graph a new tensor is returned and x is
# left as it is (activation_common.finish_inplace); a leaf that requires grad is refused.


def relu(x, inplace=False):
    """max(x, 0) element-wise (integer tensors stay integer)."""
    if inplace:
        check_inplace("relu", x)
        return finish_inplace("relu", x, relu(x))
    return apply_unary(ReLUFn, tensor_arg(x))


def relu6(x, inplace=False):
    """min(max(x, 0), 6) element-wise: hardtanh(x, 0, 6)."""
    if inplace:
        check_inplace("relu6", x)
        return finish_inplace("relu6", x, hardtanh(x, 0.0, 6.0))
    return hardtanh(x, 0.0, 6.0)


def hardtanh(x, min_val=-1.0, max_val=1.0, inplace=False):
    """Clamp into [min_val, max_val]; gradient 1 strictly inside, 0 outside and at the bounds."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    if inplace:
        check_inplace("hardtanh", x)
        return finish_inplace("hardtanh", x, hardtanh(x, min_val, max_val))
    x = tensor_arg(x)
    if x.array.dtype.kind == "f":
        min_val, max_val = float(min_val), float(max_val)
    return apply_unary(HardtanhFn, x, lo=min_val, hi=max_val)


def leaky_relu(x, negative_slope=0.01, inplace=False):
    """x for x > 0, negative_slope * x otherwise."""
    if inplace:
        check_inplace("leaky_relu", x)
        return finish_inplace("leaky_relu", x, leaky_relu(x, negative_slope))
    return apply_unary(LeakyReLUFn, to_float(x, "leaky_relu"), slope=float(negative_slope))


def elu(x, alpha=1.0, inplace=False):
    """x for x > 0, alpha * (exp(x) - 1) otherwise."""
    if inplace:
        check_inplace("elu", x)
        return finish_inplace("elu", x, elu(x, alpha))
    return apply_unary(ELUFn, to_float(x, "elu"), alpha=float(alpha))


def gelu(x, approximate="none"):
    """x * Phi(x) with the exact normal CDF (approximate="none", the default) or its tanh form."""
    if approximate == "none":
        return apply_unary(GELUFn, to_float(x, "gelu"))
    if approximate == "tanh":
        return apply_unary(GELUTanhFn, to_float(x, "gelu"))
    raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")


def silu(x, inplace=False):
    """x * sigmoid(x)."""
    if inplace:
        check_inplace("silu", x)
        return finish_inplace("silu", x, silu(x))
    return apply_unary(SiLUFn, to_float(x, "silu"))


def sigmoid(x):
    """1 / (1 + exp(-x)), finite for any input."""
    return apply_unary(SigmoidFn, to_float(x, "sigmoid"))


def tanh(x):
    """Hyperbolic tangent."""
    return apply_unary(TanhFn, to_float(x, "tanh"))


def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + exp(beta x)) / beta, reverting to x where beta x > threshold (as in PyTorch)."""
    if beta == 0:
        raise ValueError("softplus: beta must be non-zero")
    return apply_unary(SoftplusFn, to_float(x, "softplus"), beta=float(beta),
                       threshold=float(threshold))


def logsigmoid(x):
    """log(sigmoid(x)), stable for large |x|."""
    return apply_unary(LogSigmoidFn, to_float(x, "logsigmoid"))
