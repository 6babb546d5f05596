"""Number classes and closeness: sign, isnan, isinf, isfinite, isclose, allclose, equal.

Only sign is a Function: it is piecewise constant, so its gradient is 0 everywhere (PyTorch
gives 0 at the jump as well). The others return bool tensors (or a Python bool for allclose
and equal) that carry no gradient.
"""

import numpy as np

from ..autograd import Function
from ..backend import array_module
from ..tensor import Tensor
from .common import as_tensor, binary_operands, keywords

__all__ = ["sign", "isnan", "isinf", "isfinite", "isclose", "allclose", "equal"]


class SignFn(Function):
    """y = -1, 0 or 1 as x < 0, x = 0, x > 0; 0 for nan, as in PyTorch
    dx = 0 everywhere (y is piecewise constant)."""

    def forward(self, x):
        if x.dtype.kind != "f":
            return self.xp.sign(x)
        return (x > 0).astype(x.dtype) - (x < 0).astype(x.dtype)

    def backward(self, dy):
        return self.xp.zeros_like(dy)


@keywords
def sign(input):
    """-1, 0 or 1 by the sign of each element (0 for nan), in the input's dtype (bool stays
    bool)."""
    x = as_tensor(input)
    if x.array.dtype.kind == "b":
        return Tensor._wrap(x.array.copy())
    return SignFn.apply(x)


def _test(name, input, fn):
    x = as_tensor(input)
    a = x.array
    if a.dtype.kind != "f":  # integers and bools are always finite numbers
        value = name == "isfinite"
        return Tensor._wrap(array_module(a).full(a.shape, value, dtype=bool))
    return Tensor._wrap(fn(a))


@keywords
def isnan(input):
    """True where the element is nan (bool tensor)."""
    x = as_tensor(input)
    return _test("isnan", x, array_module(x.array).isnan)


@keywords
def isinf(input):
    """True where the element is +inf or -inf (bool tensor)."""
    x = as_tensor(input)
    return _test("isinf", x, array_module(x.array).isinf)


@keywords
def isfinite(input):
    """True where the element is neither nan nor infinite (bool tensor)."""
    x = as_tensor(input)
    return _test("isfinite", x, array_module(x.array).isfinite)


def _close(name, input, other, rtol, atol, equal_nan):
    a, b = binary_operands(input, other)
    xp = array_module(a.array)
    try:
        np.broadcast_shapes(a.shape, b.shape)
    except ValueError:
        raise ValueError(f"{name}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be "
                         f"broadcast together") from None
    return xp.isclose(a.array, b.array, rtol=rtol, atol=atol, equal_nan=bool(equal_nan))


@keywords
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """|input - other| <= atol + rtol * |other| element-wise (bool tensor); infinities are
    close only to themselves, nan to nothing unless equal_nan=True."""
    return Tensor._wrap(_close("isclose", input, other, rtol, atol, equal_nan))


@keywords
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """True when isclose(input, other, ...) holds for every element (a Python bool)."""
    return bool(_close("allclose", input, other, rtol, atol, equal_nan).all())


@keywords
def equal(input, other):
    """True when both tensors have the same shape and the same values (a Python bool; nan is
    never equal to nan)."""
    a, b = as_tensor(input), as_tensor(other)
    if a.shape != b.shape:
        return False
    return bool((a.array == b.array).all())
