"""Helpers shared by the activation families (ops/activation.py, activation_piecewise.py,
activation_smooth.py): cached zeros, IEEE-quiet forwards, 0-d handling, the logistic
function on arrays, and what `inplace=True` does."""

import math

import numpy as np

from ..autograd import is_grad_enabled
from ..tensor import Tensor
from .common import as_tensor, quiet, scalar_constant

_ZEROS = {}


def cached_zeros(xp, like):
    """A read-only zero array of `like`'s shape, dtype and layout, a view of one cached buffer.

    np.maximum(x, zeros) with a same-shaped zero array runs on NumPy's contiguous
    SIMD path, about 2x faster than np.maximum(x, 0) (which broadcasts a scalar).
    A column-major `like` (a transposed view) gets a column-major view, so that the
    pair stays on that path.
    """
    shape, dtype = like.shape, like.dtype
    n = math.prod(shape)
    key = (xp.__name__, np.dtype(dtype).str)
    buf = _ZEROS.get(key)
    if buf is None or buf.size < n:
        buf = xp.zeros(max(n, 1024), dtype)
        if xp is np:
            buf.flags.writeable = False
        _ZEROS[key] = buf
    flags = like.flags
    if like.ndim > 1 and flags.f_contiguous and not flags.c_contiguous:
        return buf[:n].reshape(shape[::-1]).T
    return buf[:n].reshape(shape)


def relu_array(xp, x, out=None):
    """max(x, 0) as PyTorch's relu gives it (a NaN passes, -0.0 stays -0.0), into `out`.

    np.clip against 0-d bounds runs on NumPy's SIMD path; np.maximum against a 0-d zero
    takes a slower loop (it broadcasts a scalar operand): on 802,816 float32 at 1 thread
    138 us against 412, on 65,536 14 against 32 (AMD EPYC, AVX2; np.maximum also turns
    -0.0 into 0.0, which PyTorch does not).
    """
    zero = scalar_constant(xp, x.dtype, 0)
    if np.dtype(x.dtype).kind != "f":  # integers: no infinity to clip at
        return xp.maximum(x, zero, out=out)
    return xp.clip(x, zero, scalar_constant(xp, x.dtype, np.inf), out=out)


def scalar_zero(xp, dtype):
    """A cached read-only 0-d zero of `dtype` (keeps np.maximum in that dtype, no upcast)."""
    return scalar_constant(xp, dtype, 0)


def ieee(method):
    """Run a forward/backward with IEEE results and no warnings (inf * 0 -> NaN, as PyTorch)."""

    def wrapper(self, *args, **kwargs):
        with quiet(self.xp):
            return method(self, *args, **kwargs)

    wrapper.__name__, wrapper.__doc__ = method.__name__, method.__doc__
    return wrapper


def tensor_arg(x):
    """`x` as a Tensor (arrays and Python numbers are converted)."""
    return x if type(x) is Tensor else as_tensor(x)


def apply_unary(cls, x, **config):
    """cls.apply(x), with a 0-d x run as shape (1,): NumPy turns 0-d results into scalars,
    which the in-place steps of the forward and backward cannot write into."""
    if x.array.ndim == 0:
        return cls.apply(x.reshape(1), **config).reshape(())
    return cls.apply(x, **config)


def sigmoid_array(x, xp):
    """1 / (1 + exp(-x)): exp overflows to inf for very negative x, giving the exact limit 0."""
    s = xp.negative(x)
    with quiet(xp):
        xp.exp(s, out=s)
    s += 1.0
    xp.reciprocal(s, out=s)
    return s


def check_inplace(name, x):
    """Refuse inplace=True on a leaf that requires grad while grad is recorded (as PyTorch)."""
    if type(x) is Tensor and x.requires_grad and x.is_leaf and is_grad_enabled():
        raise RuntimeError(
            f"{name}: inplace=True on a leaf tensor that requires grad; as in PyTorch this is "
            f"not allowed (use inplace=False, or work under gu.no_grad())"
        )


def finish_inplace(name, x, y):
    """What `op(x, inplace=True)` returns, given the out-of-place result `y`.

    - no graph is recorded through x (x needs no grad, or grad mode is off): y is
      written into x's memory and x is returned, as in PyTorch;
    - x is part of a recorded graph (y requires grad): y, a new tensor, is returned
      and x is left as it is: groundup records no in-place ops, and the gradient is
      the same either way;
    - x is not a Tensor or its memory is read-only (a broadcast view): y.
    A result whose dtype differs from x's (a float result of an integer x) cannot be
    stored in x: TypeError, as in PyTorch.
    """
    if type(x) is not Tensor or y.requires_grad:
        return y
    if y.array.dtype != x.array.dtype:
        raise TypeError(
            f"{name}: inplace=True cannot store the {y.array.dtype} result in the "
            f"{x.array.dtype} input; pass a floating-point tensor or use inplace=False"
        )
    if not getattr(x.array.flags, "writeable", True):
        return y
    return x.copy_(y)
