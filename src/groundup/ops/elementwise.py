"""Element-wise arithmetic, comparisons and casts.

Broadcasting is NumPy's; each backward returns gradients of the broadcast
shape and the engine sums them back to each input's shape (autograd.sum_to_shape).
"""

from ..autograd import Function
from ..backend import move, to_dtype
from ..tensor import Tensor
from .common import as_tensor, binary_operands

__all__ = [
    "add", "sub", "mul", "div", "neg", "pow", "exp", "log", "sqrt", "abs", "sin", "cos",
    "maximum", "minimum", "where", "clamp", "eq", "ne", "lt", "le", "gt", "ge",
    "logical_not", "logical_and", "logical_or", "cast", "to_device", "clone",
]


class Add(Function):
    """y = a + b
    da = dy     db = dy"""

    def forward(self, a, b):
        return a + b

    def backward(self, dy):
        return dy, dy


class Sub(Function):
    """y = a - b
    da = dy     db = -dy"""

    def forward(self, a, b):
        return a - b

    def backward(self, dy):
        return dy, (-dy if self.needs_input_grad[1] else None)


class Mul(Function):
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


class Div(Function):
    """y = a / b
    da = dy / b     db = -dy * a / b**2 = -da * y"""

    def forward(self, a, b):
        if a.dtype.kind != "f" and b.dtype.kind != "f":  # true division of integers
            a = a.astype(to_dtype("float32"))
            b = b.astype(a.dtype)
        y = a / b
        self.save_for_backward(b, y)
        return y

    def backward(self, dy):
        b, y = self.saved
        da = dy / b
        db = -da * y if self.needs_input_grad[1] else None
        return (da if self.needs_input_grad[0] else None), db


class Neg(Function):
    """y = -x
    dx = -dy"""

    def forward(self, x):
        return -x

    def backward(self, dy):
        return -dy


class Pow(Function):
    """y = a ** b   (both tensors)
    da = dy * b * a**(b - 1)
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
            da = dy * b * a ** (b - 1)
        if self.needs_input_grad[1]:
            with xp.errstate(divide="ignore", invalid="ignore"):
                loga = xp.log(a)
            db = dy * xp.where((a == 0) & (b >= 0), 0, y * loga)
        return da, db


class PowScalar(Function):
    """y = x ** p   (p a Python number)
    dx = dy * p * x**(p - 1)"""

    def forward(self, x, p):
        self.p = p
        self.save_for_backward(x)
        return x**p

    def backward(self, dy):
        (x,) = self.saved
        p = self.p
        if p == 2:
            return dy * (2 * x)
        return dy * (p * x ** (p - 1))


class Exp(Function):
    """y = exp(x)
    dx = dy * y          (saves the output; no second exp)"""

    def forward(self, x):
        y = self.xp.exp(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        return dy * self.saved[0]


class Log(Function):
    """y = log(x)
    dx = dy / x"""

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.log(x)

    def backward(self, dy):
        return dy / self.saved[0]


class Sqrt(Function):
    """y = sqrt(x)
    dx = dy / (2 y)      (saves the output)"""

    def forward(self, x):
        y = self.xp.sqrt(x)
        self.save_for_backward(y)
        return y

    def backward(self, dy):
        return dy / (2 * self.saved[0])


class Abs(Function):
    """y = |x|
    dx = dy * sign(x)    (0 at x == 0, as in PyTorch)"""

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.abs(x)

    def backward(self, dy):
        return dy * self.xp.sign(self.saved[0])


class Sin(Function):
    """y = sin(x)
    dx = dy * cos(x)"""

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.sin(x)

    def backward(self, dy):
        return dy * self.xp.cos(self.saved[0])


class Cos(Function):
    """y = cos(x)
    dx = -dy * sin(x)"""

    def forward(self, x):
        self.save_for_backward(x)
        return self.xp.cos(x)

    def backward(self, dy):
        return -dy * self.xp.sin(self.saved[0])


class Maximum(Function):
    """y = max(a, b) element-wise
    da = dy * [a > b] + dy/2 * [a == b]     db = dy * [b > a] + dy/2 * [a == b]
    (ties split the gradient in half, as in PyTorch)"""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.xp.maximum(a, b)

    def backward(self, dy):
        a, b = self.saved
        wa = (a > b) + 0.5 * (a == b)
        wa = wa.astype(dy.dtype, copy=False)
        da = dy * wa if self.needs_input_grad[0] else None
        db = dy * (1 - wa) if self.needs_input_grad[1] else None
        return da, db


class Minimum(Function):
    """y = min(a, b) element-wise
    da = dy * [a < b] + dy/2 * [a == b]     db = dy * [b < a] + dy/2 * [a == b]"""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.xp.minimum(a, b)

    def backward(self, dy):
        a, b = self.saved
        wa = ((a < b) + 0.5 * (a == b)).astype(dy.dtype, copy=False)
        da = dy * wa if self.needs_input_grad[0] else None
        db = dy * (1 - wa) if self.needs_input_grad[1] else None
        return da, db


class Where(Function):
    """y = a where cond else b
    da = dy * cond     db = dy * (1 - cond)     (cond gets no gradient)"""

    def forward(self, cond, a, b):
        self.save_for_backward(cond)
        return self.xp.where(cond, a, b)

    def backward(self, dy):
        (cond,) = self.saved
        m = cond.astype(dy.dtype)
        da = dy * m if self.needs_input_grad[1] else None
        db = dy * (1 - m) if self.needs_input_grad[2] else None
        return None, da, db


class Clamp(Function):
    """y = min(max(x, lo), hi)
    dx = dy * [lo <= x <= hi]"""

    def forward(self, x, lo, hi):
        xp = self.xp
        y = x
        mask = None
        if lo is not None:
            mask = x >= lo
            y = xp.maximum(y, xp.asarray(lo, dtype=x.dtype))
        if hi is not None:
            m = x <= hi
            mask = m if mask is None else mask & m
            y = xp.minimum(y, xp.asarray(hi, dtype=x.dtype))
        self.save_for_backward(mask)
        return y if y is not x else x.copy()

    def backward(self, dy):
        (mask,) = self.saved
        return dy if mask is None else dy * mask


class Cast(Function):
    """y = x converted to `dtype`
    dx = dy converted back to x's dtype"""

    def forward(self, x, dtype):
        self.src = x.dtype
        return x.astype(dtype)

    def backward(self, dy):
        return dy.astype(self.src)


class ToDevice(Function):
    """y = x copied to `device`
    dx = dy copied back to x's device"""

    def forward(self, x, device):
        self.src = "cpu" if self.xp.__name__ == "numpy" else "cuda"
        return move(x, device)

    def backward(self, dy):
        return move(dy, self.src)


class Clone(Function):
    """y = copy of x
    dx = dy"""

    def forward(self, x):
        return x.copy()

    def backward(self, dy):
        return dy


def add(a, b):
    return Add.apply(*binary_operands(a, b))


def sub(a, b):
    return Sub.apply(*binary_operands(a, b))


def mul(a, b):
    return Mul.apply(*binary_operands(a, b))


def div(a, b):
    return Div.apply(*binary_operands(a, b))


def neg(x):
    return Neg.apply(x)


def pow(a, b):
    """a ** b; a Python-number exponent uses the cheaper PowScalar."""
    if isinstance(a, Tensor) and isinstance(b, (int, float)) and not isinstance(b, bool):
        if a.data.dtype.kind != "f" and (isinstance(b, float) or b < 0):
            a = cast(a, to_dtype("float32"))
        return PowScalar.apply(a, p=b)
    return Pow.apply(*binary_operands(a, b))


def exp(x):
    return Exp.apply(_float(x))


def log(x):
    return Log.apply(_float(x))


def sqrt(x):
    return Sqrt.apply(_float(x))


def abs(x):
    return Abs.apply(as_tensor(x))


def sin(x):
    return Sin.apply(_float(x))


def cos(x):
    return Cos.apply(_float(x))


def maximum(a, b):
    return Maximum.apply(*binary_operands(a, b))


def minimum(a, b):
    return Minimum.apply(*binary_operands(a, b))


def where(cond, a, b):
    """Element-wise select: `a` where `cond` is true, else `b` (cond gets no gradient)."""
    cond = as_tensor(cond)
    if cond.data.dtype.kind != "b":
        cond = Tensor._wrap(cond.data.astype(bool))
    a, b = binary_operands(a, b)
    return Where.apply(cond, a, b)


def clamp(x, min=None, max=None):
    """Clamp into [min, max]; either bound may be None. Tensor bounds use maximum/minimum."""
    if min is None and max is None:
        raise ValueError("clamp: at least one of min and max must be given")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        y = x
        if min is not None:
            y = maximum(y, min)
        if max is not None:
            y = minimum(y, max)
        return y
    return Clamp.apply(x, lo=min, hi=max)


def _compare(op, a, b):
    a, b = binary_operands(a, b)
    return Tensor._wrap(op(a.data, b.data))


def eq(a, b):
    return _compare(lambda x, y: x == y, a, b)


def ne(a, b):
    return _compare(lambda x, y: x != y, a, b)


def lt(a, b):
    return _compare(lambda x, y: x < y, a, b)


def le(a, b):
    return _compare(lambda x, y: x <= y, a, b)


def gt(a, b):
    return _compare(lambda x, y: x > y, a, b)


def ge(a, b):
    return _compare(lambda x, y: x >= y, a, b)


def logical_not(x):
    return Tensor._wrap(~as_tensor(x).data.astype(bool))


def logical_and(a, b):
    return _compare(lambda x, y: x.astype(bool) & y.astype(bool), a, b)


def logical_or(a, b):
    return _compare(lambda x, y: x.astype(bool) | y.astype(bool), a, b)


def cast(x, dtype):
    dtype = to_dtype(dtype)
    if dtype.kind != "f":
        return Tensor._wrap(x.data.astype(dtype))
    return Cast.apply(x, dtype=dtype)


def to_device(x, device):
    return ToDevice.apply(x, device=device)


def clone(x):
    return Clone.apply(x)


def _float(x):
    """Transcendental functions of integer tensors return float32, as in PyTorch."""
    x = as_tensor(x)
    if x.data.dtype.kind != "f":
        return Tensor._wrap(x.data.astype(to_dtype("float32")))
    return x
