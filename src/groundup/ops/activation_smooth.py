"""Smooth activations: mish, selu, celu, softsign, tanhshrink, and the gated glu and softmin.

(elu, gelu, silu, sigmoid, tanh, softplus and logsigmoid are in ops/activation.py.) Each
primitive is one Function whose docstring states its derivative. Integer inputs are
computed in float32 (PyTorch does so for softsign and tanhshrink and refuses the rest).

inplace=True (mish, selu, celu, as PyTorch): with no graph recorded through x (x
needs no grad, or under no_grad) the result is written into x and x is returned;
when x is part of a recorded graph a new tensor is returned and x is left as it is
(groundup records no in-place ops; the gradients are the same). A leaf that
requires grad is refused, as in PyTorch.
"""

import numbers

from ..autograd import Function
from .activation_common import (
    apply_unary,
    cached_zeros,
    check_inplace,
    finish_inplace,
    ieee,
    sigmoid_array,
)
from .common import normalize_dim, to_float
from .elementwise import cast
from .softmax import SoftmaxFn

__all__ = ["mish", "selu", "celu", "softsign", "tanhshrink", "glu", "softmin"]

# SELU's constants (Klambauer et al. 2017), as PyTorch
_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


class MishFn(Function):
    """Mish: x * tanh(softplus(x)).

    forward:   sp = log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|))   (stable for any x)
               t = tanh(sp),  y = x * t                                x: (*) -> y: (*)
    backward:  dx = dy * (t + x * sigmoid(x) * (1 - t^2))
               (d sp / dx = sigmoid(x), d tanh(u) / du = 1 - tanh(u)^2)
    saved:     x and t
    """

    @ieee
    def forward(self, x):
        xp = self.xp
        t = xp.abs(x)
        xp.negative(t, out=t)
        xp.exp(t, out=t)
        xp.log1p(t, out=t)
        t += xp.maximum(x, cached_zeros(xp, x))
        xp.tanh(t, out=t)
        if self.needs_input_grad[0]:
            self.save_for_backward(x, t)
        return x * t

    @ieee
    def backward(self, dy):
        x, t = self.saved
        d = t * t
        self.xp.subtract(1.0, d, out=d)
        d *= sigmoid_array(x, self.xp)
        d *= x
        d += t
        d *= dy
        return d


class ScaledELUFn(Function):
    """The ELU family with PyTorch's three coefficients (the base of SELUFn and CELUFn).

    forward:   y = scale * x                                         for x > 0
               y = scale * alpha * (exp(input_scale * x) - 1)        for x <= 0
               x: (*) -> y: (*)
    backward:  dx = dy * scale                                       for x > 0
               dx = dy * scale * alpha * input_scale * exp(input_scale * x)   for x <= 0
               (the x <= 0 branch at x == 0, and the x > 0 one for NaN, as in PyTorch)
    saved:     x
    """

    @ieee
    def forward(self, x, alpha, scale, input_scale):
        xp = self.xp
        zeros = cached_zeros(xp, x)
        y = xp.minimum(x, zeros)
        if input_scale != 1.0:
            y *= input_scale
        xp.expm1(y, out=y)
        y *= alpha
        y += xp.maximum(x, zeros)  # (NaN propagates through both)
        if scale != 1.0:
            y *= scale
        if self.needs_input_grad[0]:
            self.save_for_backward(x)
        self.coefs = alpha, scale, input_scale
        return y

    @ieee
    def backward(self, dy):
        (x,) = self.saved
        xp = self.xp
        alpha, scale, input_scale = self.coefs
        d = xp.minimum(x, cached_zeros(xp, x))
        if input_scale != 1.0:
            d *= input_scale
        xp.exp(d, out=d)
        d *= alpha * input_scale * scale
        d = xp.where(x <= 0, d, scale).astype(dy.dtype, copy=False)
        d *= dy
        return d


class SELUFn(ScaledELUFn):
    """Scaled ELU: ScaledELUFn with alpha = 1.6732632423543772, scale = 1.0507009873554805,
    input_scale = 1 (self-normalizing networks, Klambauer et al. 2017)."""


class CELUFn(ScaledELUFn):
    """Continuously differentiable ELU: ScaledELUFn with scale = 1, input_scale = 1 / alpha:
    y = max(0, x) + min(0, alpha * (exp(x / alpha) - 1)), dx = dy * exp(x / alpha) for x <= 0."""


class SoftsignFn(Function):
    """Softsign: x / (1 + |x|).

    forward:   a = 1 + |x|,  y = x / a                 x: (*) -> y: (*)
    backward:  dx = dy / a^2
    saved:     a
    """

    @ieee
    def forward(self, x):
        a = self.xp.abs(x)
        a += 1.0
        if self.needs_input_grad[0]:
            self.save_for_backward(a)
        return x / a

    @ieee
    def backward(self, dy):
        (a,) = self.saved
        d = dy / a
        d /= a
        return d


class TanhshrinkFn(Function):
    """Tanhshrink: x - tanh(x).

    forward:   t = tanh(x),  y = x - t                 x: (*) -> y: (*)
    backward:  dx = dy * (1 - (1 - t^2)) = dy * t^2
    saved:     t
    """

    @ieee
    def forward(self, x):
        t = self.xp.tanh(x)
        if self.needs_input_grad[0]:
            self.save_for_backward(t)
        return x - t

    @ieee
    def backward(self, dy):
        (t,) = self.saved
        d = t * t
        d *= dy
        return d


class GLUFn(Function):
    """Gated linear unit: the first half of x along `dim`, gated by the sigmoid of the second.

    forward:   a, b = x split in two halves along dim;  s = sigmoid(b),  y = a * s
               x: (..., 2n, ...) -> y: (..., n, ...)
    backward:  da = dy * s,  db = dy * a * s * (1 - s);  dx = da and db joined along dim
    saved:     a (a view of x) and s
    """

    @ieee
    def forward(self, x, dim):
        xp = self.xp
        a, b = xp.split(x, 2, axis=dim)
        s = sigmoid_array(b, xp)
        if self.needs_input_grad[0]:
            self.save_for_backward(a, s)
        self.dim = dim
        return a * s

    @ieee
    def backward(self, dy):
        a, s = self.saved
        xp = self.xp
        da = dy * s
        db = 1.0 - s
        db *= da
        db *= a
        return xp.concatenate([da, db], axis=self.dim)


class SoftminFn(SoftmaxFn):
    """Softmin along `dim`: the softmax of -x.

    forward:   y = softmax(-x) = exp(m - x) / sum_dim exp(m - x),  m = min_dim x
               x: (*) -> y: (*)
    backward:  dx = -y * (dy - sum_dim(dy * y))    (softmax's backward, negated: d(-x)/dx = -1)
    saved:     y
    """

    def forward(self, x, dim):
        return super().forward(-x, dim)

    def backward(self, dy):
        dx = super().backward(dy)
        self.xp.negative(dx, out=dx)
        return dx


# ----------------------------------------------------------- functions


def _inplace(name, x, inplace, fn):
    """fn() computed out of place, then finished as inplace=True asks (see the module doc)."""
    if not inplace:
        return fn()
    check_inplace(name, x)
    return finish_inplace(name, x, fn())


def mish(input, inplace=False):
    """x * tanh(softplus(x)) element-wise."""
    return _inplace("mish", input, inplace, lambda: apply_unary(MishFn, to_float(input, "mish")))


def selu(input, inplace=False):
    """scale * (x for x > 0, alpha * (exp(x) - 1) otherwise), PyTorch's alpha and scale."""
    return _inplace("selu", input, inplace, lambda: apply_unary(
        SELUFn, to_float(input, "selu"), alpha=_SELU_ALPHA, scale=_SELU_SCALE, input_scale=1.0))


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha * (exp(x / alpha) - 1)) element-wise (alpha != 0)."""
    if alpha == 0:
        raise ValueError("celu: alpha must be non-zero (the input is divided by it)")
    alpha = float(alpha)
    return _inplace("celu", input, inplace, lambda: apply_unary(
        CELUFn, to_float(input, "celu"), alpha=alpha, scale=1.0, input_scale=1.0 / alpha))


def softsign(input):
    """x / (1 + |x|) element-wise."""
    return apply_unary(SoftsignFn, to_float(input, "softsign"))


def tanhshrink(input):
    """x - tanh(x) element-wise."""
    return apply_unary(TanhshrinkFn, to_float(input, "tanhshrink"))


def _dim_arg(name, dim, ndim):
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise TypeError(f"{name}: dim must be an int, got {type(dim).__name__}")
    return normalize_dim(int(dim), ndim)


def glu(input, dim=-1):
    """a * sigmoid(b), where a and b are the two halves of the input along `dim`."""
    x = to_float(input, "glu")
    if x.ndim == 0:
        raise ValueError("glu: a 0-d tensor cannot be halved; expected at least one dimension")
    d = _dim_arg("glu", dim, x.ndim)
    if x.shape[d] % 2:
        raise ValueError(f"glu: dimension {d} must have an even size to be halved; it has "
                         f"size {x.shape[d]} (input shape {tuple(x.shape)})")
    return GLUFn.apply(x, dim=d)


def softmin(input, dim=None, dtype=None):
    """softmax(-x) along `dim`. dim=None means the last dimension, as groundup's Softmax
    (PyTorch's deprecated implicit choice is not copied). dtype= casts the input first."""
    x = to_float(input, "softmin")
    if dtype is not None:
        x = cast(x, dtype)
    d = _dim_arg("softmin", -1 if dim is None else dim, x.ndim)
    return apply_unary(SoftminFn, x, dim=d)  # (a 0-d x runs as shape (1,), dim 0)
