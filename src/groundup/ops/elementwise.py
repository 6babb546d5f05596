"""Element-wise arithmetic, selection (maximum, minimum, where, clamp), casts and copies.

Broadcasting is NumPy's; each backward returns gradients of the broadcast
shape and the engine sums them back to each input's shape (autograd.sum_to_shape).
Shapes below: a, b, x are any broadcast-compatible shapes; y and dy have the
broadcast shape. Comparisons, logical ops, floor division and remainder, which
give results without gradient, are in ops/compare.py.
"""

import numpy as np

from ..autograd import Function
from ..backend import move, to_dtype
from ..tensor import Tensor
from .common import as_tensor, binary_operands, scalar_constant, to_float

__all__ = [
    "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "abs", "sin", "cos",
    "maximum", "minimum", "where", "clamp", "cast", "to_device", "clone",
]


class AddFn(Function):
    """y = a + b
    da = dy     db = dy"""

    def forward(self, a, b):
        return a + b

    def backward(self, dy):
        return dy, dy


class SubFn(Function):
    """y = a - b
    da = dy     db = -dy"""

    def forward(self, a, b):
        return a - b

    def backward(self, dy):
        return dy, (-dy if self.needs_input_grad[1] else None)


class MulFn(Function):
    """y = a * b
    da = dy * b     db = dy * a"""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, dy):
        a, b = self.saved
        da = dy * b if self.needs_input_grad[0] else None
        db = dy * a if self.needs_input_grad[1] else None
        return da, db


class DivFn(Function):
    """y = a / b          (integer / integer is true division, giving float32)
    da = dy / b     db = -dy * a / b**2 = -da * y
    saved: b, and y only when b needs a gradient"""

    def forward(self, a, b):
        if a.dtype.kind != "f" and b.dtype.kind != "f":  # true division of integers
            a = a.astype(np.float32)
            b = b.astype(np.float32)
        y = a / b
        self.save_for_backward(b, y if self.needs_input_grad[1] else None)
        return y

    def backward(self, dy):
        b, y = self.saved
        da = dy / b
        db = None
        if self.needs_input_grad[1]:
            db = da * y
            db = self.xp.negative(db, out=db) if db.ndim else -db
        return (da if self.needs_input_grad[0] else None), db


class NegFn(Function):
    """y = -x
    dx = -dy"""

    def forward(self, x):
        return -x

    def backward(self, dy):
        return -dy


class PowFn(Function):
    """y = a ** b   (both tensors, or a Python-number base: 2 ** x)
    da = dy * b * a**(b - 1)    (0 where b == 0, as in PyTorch)
    db = dy * y * log(a)        (0 where a == 0 and b >= 0, as in PyTorch)"""

    def forward(self, a, b):
        y = a**b
        self.save_for_backward(a, b, y)
        return y

    def backward(self, dy):
        a, b, y = self.saved
        xp = self.xp
        da = db = None
        if self.needs_input_grad[0]:
            with xp.errstate(divide="ignore", invalid="ignore"):
                da = dy * (b * a ** (b - 1))
            zero = b == 0
            if zero.any():
                da = da * ~zero
        if self.needs_input_grad[1]:
            with xp.errstate(divide="ignore", invalid="ignore"):
                db = dy * (y * xp.log(a))
            zero = (a == 0) & (b >= 0)
            if zero.any():
                db = xp.where(zero, 0, db)
        return da, db


class PowScalarFn(Function):
    """y = x ** p   (p a Python number: never changes x's dtype)
    dx = dy * p * x**(p - 1)    (p == 0: dx = 0; p == 1: dx = dy)
    saved: x"""

    def forward(self, x, p):
        self.p = p
        self.save_for_backward(x)
        return x**p

    def backward(self, dy):
        (x,) = self.saved
        p = self.p
        if p == 2:
            return dy * (x + x)
        if p == 1:
            return dy
        if p == 0:
            return self.xp.zeros_like(dy)
        return dy * (p * x ** (p - 1))


class ExpFn(Function):
    """y = exp(x)
    dx = dy * y          (saves the output; no second exp)"""

    def forward(self, x):
        y = self.xp.exp(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        return dy * self.saved[0]


class LogFn(Function):
    """y = log(x)
    dx = dy / x"""

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.log(x)

    def backward(self, dy):
        return dy / self.saved[0]


class SqrtFn(Function):
    """y = sqrt(x)
    dx = dy / (2 y) = 0.5 * dy / y      (saves the output)"""

    def forward(self, x):
        y = self.xp.sqrt(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        dx = dy / self.saved[0]
        dx *= 0.5
        return dx


class AbsFn(Function):
    """y = |x|
    dx = dy * sign(x)    (0 at x == 0, as in PyTorch)"""

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.abs(x)

    def backward(self, dy):
        return dy * self.xp.sign(self.saved[0])


class SinFn(Function):
    """y = sin(x)
    dx = dy * cos(x)"""

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.sin(x)

    def backward(self, dy):
        return dy * self.xp.cos(self.saved[0])


class CosFn(Function):
    """y = cos(x)
    dx = -dy * sin(x)"""

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.cos(x)

    def backward(self, dy):
        return -dy * self.xp.sin(self.saved[0])


class MaximumFn(Function):
    """y = max(a, b) element-wise
    da = dy * [a > b] + dy/2 * [a == b]     db = dy * [b > a] + dy/2 * [a == b]
    (ties split the gradient in half, as in PyTorch)"""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.xp.maximum(a, b)

    def backward(self, dy):
        a, b = self.saved
        return _select_grads(self, dy, a > b, a == b)


class MinimumFn(Function):
    """y = min(a, b) element-wise
    da = dy * [a < b] + dy/2 * [a == b]     db = dy * [b < a] + dy/2 * [a == b]"""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.xp.minimum(a, b)

    def backward(self, dy):
        a, b = self.saved
        return _select_grads(self, dy, a < b, a == b)


def _select_grads(fn, dy, a_wins, tie):
    """Gradients of a two-way selection: a gets dy where it won, b where it won, halves on ties."""
    w = a_wins.astype(dy.dtype)
    if tie.any():
        w += 0.5 * tie
    da = dy * w if fn.needs_input_grad[0] else None
    db = None
    if fn.needs_input_grad[1]:
        db = dy - da if da is not None else dy * (1 - w)
    return da, db


class WhereFn(Function):
    """y = a where cond else b      (cond bool, broadcast with a and b)
    da = dy * cond     db = dy * ~cond     (cond gets no gradient)
    saved: cond"""

    def forward(self, cond, a, b):
        self.save_for_backward(cond)
        return self.xp.where(cond, a, b)

    def backward(self, dy):
        (cond,) = self.saved
        da = dy * cond if self.needs_input_grad[1] else None
        db = None
        if self.needs_input_grad[2]:
            db = dy - da if da is not None else dy * ~cond
        return None, da, db


class ClampFn(Function):
    """y = min(max(x, lo), hi)      (lo, hi Python numbers; either may be None)
    dx = dy * [lo <= x <= hi]       (the boundary passes the gradient, as in PyTorch)
    saved: the boolean mask, only when x needs a gradient"""

    def forward(self, x, lo, hi):
        xp = self.xp
        lo_a = None if lo is None else xp.asarray(lo, dtype=x.dtype)
        hi_a = None if hi is None else xp.asarray(hi, dtype=x.dtype)
        if self.needs_input_grad[0]:
            mask = None
            if lo_a is not None:
                mask = x >= lo_a
            if hi_a is not None:
                mask = x <= hi_a if mask is None else mask & (x <= hi_a)
            self.save_for_backward(mask)
        if x.dtype.kind == "f" and not (lo_a is not None and xp.isnan(lo_a)
                                         or hi_a is not None and xp.isnan(hi_a)):
            # one np.clip against 0-d bounds: NumPy's SIMD path (maximum / minimum against
            # a 0-d bound take a slower loop), and -0.0 stays -0.0 as in PyTorch; lo > hi
            # gives hi everywhere, as torch.clamp does
            return xp.clip(x, scalar_constant(xp, x.dtype, -np.inf) if lo_a is None else lo_a,
                           scalar_constant(xp, x.dtype, np.inf) if hi_a is None else hi_a)
        if hi_a is None:
            return xp.maximum(x, lo_a)
        if lo_a is None:
            return xp.minimum(x, hi_a)
        return xp.minimum(xp.maximum(x, lo_a), hi_a)

    def backward(self, dy):
        (mask,) = self.saved
        return dy * mask


class CastFn(Function):
    """y = x converted to `dtype`
    dx = dy converted back to x's dtype"""

    def forward(self, x, dtype):
        self.src = x.dtype
        return x.astype(dtype)

    def backward(self, dy):
        return dy.astype(self.src)


class ToDeviceFn(Function):
    """y = x copied to `device`
    dx = dy copied back to x's device"""

    def forward(self, x, device):
        self.src = "cpu" if self.xp.__name__ == "numpy" else "cuda"
        return move(x, device)

    def backward(self, dy):
        return move(dy, self.src)


class CloneFn(Function):
    """y = copy of x
    dx = dy"""

    def forward(self, x):
        return x.copy()

    def backward(self, dy):
        return dy


def add(a, b):
    return AddFn.apply(*binary_operands(a, b))


def sub(a, b):
    return SubFn.apply(*binary_operands(a, b))


def mul(a, b):
    return MulFn.apply(*binary_operands(a, b))


def div(a, b):
    return DivFn.apply(*binary_operands(a, b))


def neg(x):
    return NegFn.apply(as_tensor(x))


def pow(a, b):
    """a ** b; a Python-number exponent uses the cheaper PowScalarFn (never changes the dtype)."""
    if isinstance(a, Tensor) and isinstance(b, (int, float, np.integer, np.floating)) and not \
            isinstance(b, (bool, np.bool_)):
        b = b.item() if isinstance(b, np.generic) else b  # a NumPy scalar must not upcast
        if a.array.dtype.kind != "f" and (isinstance(b, float) or b < 0):
            a = cast(a, np.float32)
        return PowScalarFn.apply(a, p=b)
    return PowFn.apply(*binary_operands(a, b))


def exp(x):
    return ExpFn.apply(to_float(x))


def log(x):
    return LogFn.apply(to_float(x))


def sqrt(x):
    return SqrtFn.apply(to_float(x))


def abs(x):
    return AbsFn.apply(as_tensor(x))


def sin(x):
    return SinFn.apply(to_float(x))


def cos(x):
    return CosFn.apply(to_float(x))


def maximum(a, b):
    return MaximumFn.apply(*binary_operands(a, b))


def minimum(a, b):
    return MinimumFn.apply(*binary_operands(a, b))


def where(cond, a, b):
    """Element-wise select: `a` where `cond` is true, else `b` (cond gets no gradient)."""
    cond = as_tensor(cond)
    if cond.array.dtype.kind != "b":
        cond = Tensor._wrap(cond.array.astype(bool))
    a, b = binary_operands(a, b)
    return WhereFn.apply(cond, a, b)


def clamp(x, min=None, max=None):
    """Clamp into [min, max]; either bound may be None. Tensor bounds use maximum/minimum."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    x = as_tensor(x)
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        y = x
        if min is not None:
            y = maximum(y, min)
        if max is not None:
            y = minimum(y, max)
        return y
    if x.array.dtype.kind != "f" and (isinstance(min, float) or isinstance(max, float)):
        x = cast(x, np.float32)  # an integer tensor clamped to a float bound becomes float
    return ClampFn.apply(x, lo=min, hi=max)



def cast(x, dtype):
    """x converted to `dtype`; differentiable between float dtypes, no gradient otherwise."""
    dtype = to_dtype(dtype)
    x = as_tensor(x)
    if dtype.kind != "f":
        return Tensor._wrap(x.array.astype(dtype))
    return CastFn.apply(x, dtype=dtype)


def to_device(x, device):
    return ToDeviceFn.apply(x, device=device)


def clone(x):
    return CloneFn.apply(x)
