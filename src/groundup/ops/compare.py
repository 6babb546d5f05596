"""Comparisons, logical ops, floor division and remainder: element-wise, without gradient.

Broadcasting is NumPy's (a, b: any broadcast-compatible shapes; the result has the
broadcast shape). Comparisons and logical ops give bool tensors; floor division and
remainder keep the promoted dtype, as Python's // and %. None of the results carries
a gradient: they are plain tensors, not Function outputs.
"""

import operator

from ..tensor import Tensor
from .common import as_tensor, binary_operands

__all__ = [
    "eq", "ne", "lt", "le", "gt", "ge", "logical_not", "logical_and", "logical_or",
    "logical_xor", "floor_divide", "remainder",
]


def _no_grad_binary(op, a, b):
    """A binary op whose result carries no gradient (comparisons, logic, floor division)."""
    a, b = binary_operands(a, b)
    try:
        return Tensor._wrap(op(a.array, b.array))
    except ValueError as e:
        if "could not be broadcast" not in str(e):
            raise
        raise ValueError(
            f"{op.__name__}: shapes {tuple(a.shape)} and {tuple(b.shape)} cannot be broadcast "
            f"together"
        ) from None


def eq(a, b):
    """a == b element-wise (bool, no gradient)."""
    return _no_grad_binary(operator.eq, a, b)


def ne(a, b):
    """a != b element-wise (bool, no gradient)."""
    return _no_grad_binary(operator.ne, a, b)


def lt(a, b):
    """a < b element-wise (bool, no gradient)."""
    return _no_grad_binary(operator.lt, a, b)


def le(a, b):
    """a <= b element-wise (bool, no gradient)."""
    return _no_grad_binary(operator.le, a, b)


def gt(a, b):
    """a > b element-wise (bool, no gradient)."""
    return _no_grad_binary(operator.gt, a, b)


def ge(a, b):
    """a >= b element-wise (bool, no gradient)."""
    return _no_grad_binary(operator.ge, a, b)


def _bool(x):
    return x if x.dtype.kind == "b" else x.astype(bool)


def _logical_and(x, y):
    return _bool(x) & _bool(y)


def _logical_or(x, y):
    return _bool(x) | _bool(y)


def _logical_xor(x, y):
    return _bool(x) ^ _bool(y)


def logical_not(x):
    """not x element-wise (bool; nonzero counts as true)."""
    return Tensor._wrap(~_bool(as_tensor(x).array))


def logical_and(a, b):
    """a and b element-wise (bool; nonzero counts as true)."""
    return _no_grad_binary(_logical_and, a, b)


def logical_or(a, b):
    """a or b element-wise (bool; nonzero counts as true)."""
    return _no_grad_binary(_logical_or, a, b)


def logical_xor(a, b):
    """a xor b element-wise (bool; nonzero counts as true)."""
    return _no_grad_binary(_logical_xor, a, b)


def floor_divide(a, b):
    """floor(a / b) element-wise, as Python's // (no gradient)."""
    return _no_grad_binary(operator.floordiv, a, b)


def remainder(a, b):
    """a - b * floor(a / b), with the sign of b as Python's % (no gradient)."""
    return _no_grad_binary(operator.mod, a, b)
