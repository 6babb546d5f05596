"""Helpers shared by the loss families (ops/loss.py, ops/pointwise_loss.py): reduction,
the upstream factor of a reduced loss, input/target checking and promotion, constant weights."""

import warnings

import numpy as np

from ..backend import array_module
from ..tensor import Tensor
from .common import as_tensor
from .elementwise import cast

REDUCTIONS = ("mean", "sum", "none")


def check_reduction(name, reduction, allowed=REDUCTIONS):
    if reduction not in allowed:
        names = ", ".join(repr(r) for r in allowed)
        raise ValueError(f"{name}: reduction must be one of {names}; got {reduction!r}")


def reduce_loss(xp, loss, reduction, n):
    """'none' -> loss; 'sum' -> its sum; 'mean' (and 'batchmean') -> sum / n; 0-d arrays."""
    if reduction == "none":
        return loss
    total = loss.sum()
    if reduction != "sum":
        if n:  # (np.errstate costs ~15 us; only an empty input can warn)
            total = total / n
        else:
            with np.errstate(invalid="ignore", divide="ignore"):  # empty input: nan, as PyTorch
                total = total / n
    return xp.asarray(total, dtype=loss.dtype)


def upstream(dy, reduction, n):
    """The factor each element's local derivative is multiplied by in backward."""
    if reduction == "none" or reduction == "sum":
        return dy
    if n:  # (np.errstate costs ~15 us; only n == 0 can warn)
        return dy / n
    with np.errstate(invalid="ignore", divide="ignore"):
        return dy / n


def target_upstream(dy, reduction, norm):
    """`upstream` for the class-index losses: when 'mean' has nothing to divide by (every
    target ignored, or weight 0) the gradient is 0, as PyTorch's, not 0 * inf = NaN."""
    if reduction == "mean" and not norm:
        return dy * 0
    return upstream(dy, reduction, norm)


def float_input(name, x, what="input"):
    x = as_tensor(x)
    if x.array.dtype.kind != "f":
        raise TypeError(f"{name}: {what} must be a floating-point tensor, got {x.array.dtype}")
    return x


def input_target_pair(name, input, target, same_shape=False):
    """input and target as float Tensors of one dtype (the wider), shapes checked."""
    x = float_input(name, input)
    t = as_tensor(target, x)
    if t.array.dtype.kind != "f":
        t = Tensor._wrap(t.array.astype(x.array.dtype))
    if t.array.dtype != x.array.dtype:  # promote to the wider float, as PyTorch does
        if t.array.dtype.itemsize > x.array.dtype.itemsize:
            x = cast(x, t.array.dtype)
        else:
            t = cast(t, x.array.dtype)
    if same_shape:
        if t.shape != x.shape:
            raise ValueError(
                f"{name}: target shape {tuple(t.shape)} must equal the input shape "
                f"{tuple(x.shape)}"
            )
    elif t.shape != x.shape:
        try:
            np.broadcast_shapes(x.shape, t.shape)
        except ValueError:
            raise ValueError(
                f"{name}: input shape {tuple(x.shape)} and target shape {tuple(t.shape)} "
                f"do not broadcast together"
            ) from None
        warnings.warn(
            f"{name}: target shape {tuple(t.shape)} differs from the input shape "
            f"{tuple(x.shape)}; they are broadcast, which is rarely meant (a (N, 1) output "
            f"against (N,) targets compares every output with every target)",
            UserWarning, stacklevel=3,
        )
    return x, t


def constant_array(name, what, value, x, shape=None):
    """A weight-like constant as an array of x's dtype; shape-checked (exact or broadcast)."""
    if value is None:
        return None
    arr = value.array if isinstance(value, Tensor) else np.asarray(value)
    arr = array_module(x.array).asarray(arr)
    if arr.dtype.kind not in "fiub":
        raise TypeError(f"{name}: {what} must hold numbers, got dtype {arr.dtype}")
    arr = arr.astype(x.array.dtype, copy=False)
    if shape is not None:
        if arr.shape != shape:
            raise ValueError(f"{name}: {what} must have shape {shape}, got {tuple(arr.shape)}")
    else:
        try:
            ok = np.broadcast_shapes(arr.shape, x.shape) == tuple(x.shape)
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(
                f"{name}: {what} of shape {tuple(arr.shape)} does not broadcast to the "
                f"input shape {tuple(x.shape)}"
            )
    return arr
