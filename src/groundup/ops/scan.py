"""Scans (running reductions) along one dim: cumsum, cumprod.

Notation: x has shape S, the scan runs along dim d; y has S too. rev_cumsum(v) is the
cumulative sum along d taken from the end: rev_cumsum(v)[k] = sum over j >= k of v[j].
Integer and bool inputs scan in int64, as in PyTorch; `dtype=` casts the input first.
"""

import numpy as np

from ..autograd import Function
from ..backend import to_dtype
from .common import as_tensor, check_dim, keywords
from .elementwise import cast

__all__ = ["cumsum", "cumprod"]


def _rev_cumsum(xp, v, d):
    return xp.flip(xp.cumsum(xp.flip(v, d), axis=d), d)


class CumsumFn(Function):
    """y[k] = x[0] + ... + x[k] along d
    dx[k] = sum over j >= k of dy[j] = rev_cumsum(dy)[k]   (each x[k] feeds every later y)."""

    def forward(self, x, dim):
        self.dim = dim
        return self.xp.cumsum(x, axis=dim)

    def backward(self, dy):
        return _rev_cumsum(self.xp, dy, self.dim)


class CumprodFn(Function):
    """y[k] = x[0] * ... * x[k] along d
    dx[k] = sum over j >= k of dy[j] * prod over i <= j, i != k of x[i]
          = rev_cumsum(dy * y)[k] / x[k]                   where x[k] != 0.
    Where a slice holds zeros, let z be its first zero: the formula still holds for k < z;
    dx[z] = y[z - 1] * sum over j >= z of dy[j] * prod over z < i <= j of x[i]; and dx[k] = 0
    for k > z (every such product contains x[z] = 0). Those slices are done one by one.
    saved: x and y."""

    def forward(self, x, dim):
        self.dim = dim
        y = self.xp.cumprod(x, axis=dim)
        if self.needs_input_grad[0]:
            self.save_for_backward(x, y)
        return y

    def backward(self, dy):
        xp, d = self.xp, self.dim
        x, y = self.saved
        zero = x == 0
        with np.errstate(divide="ignore", invalid="ignore"):
            dx = _rev_cumsum(xp, dy * y, d) / x
        if not zero.any():
            return dx
        # slices with a zero: move d last, flatten the rest into rows
        xr, yr, gr = (xp.moveaxis(a, d, -1).reshape(-1, x.shape[d]) for a in (x, y, dy))
        dxr = xp.moveaxis(dx, d, -1).reshape(-1, x.shape[d]).copy()
        for row in xp.nonzero(xp.moveaxis(zero, d, -1).reshape(xr.shape).any(axis=1))[0]:
            z = int(xp.argmax(xr[row] == 0))
            before = yr[row, z - 1] if z else xp.ones((), x.dtype)
            after = xp.cumprod(xp.concatenate([xp.ones(1, x.dtype), xr[row, z + 1:]]))
            dxr[row, z] = before * (gr[row, z:] * after).sum()
            dxr[row, z + 1:] = 0
        shape = tuple(n for i, n in enumerate(x.shape) if i != d) + (x.shape[d],)
        return xp.moveaxis(dxr.reshape(shape), -1, d)


def _scan(name, fn, input, dim, dtype):
    x = as_tensor(input)
    if dtype is not None:
        x = cast(x, to_dtype(dtype))
    elif x.array.dtype.kind in "biu" and x.array.dtype != np.int64:
        x = cast(x, np.int64)
    d = check_dim(name, dim, x.ndim)
    if x.ndim == 0:
        return fn.apply(x.reshape(1), dim=0).reshape(())
    return fn.apply(x, dim=d)


@keywords
def cumsum(input, dim, *, dtype=None):
    """Running sum along dim: y[k] = x[0] + ... + x[k]."""
    return _scan("cumsum", CumsumFn, input, dim, dtype)


@keywords
def cumprod(input, dim, *, dtype=None):
    """Running product along dim: y[k] = x[0] * ... * x[k] (gradient exact with zeros)."""
    return _scan("cumprod", CumprodFn, input, dim, dtype)
