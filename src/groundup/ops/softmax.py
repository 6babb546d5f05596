"""The (log-)softmax family along one dimension, numerically stable and cache-blocked.

forward subtracts a shift m (a maximum) before exponentiating; along the last
dim the rows are processed in blocks small enough to stay in cache.
"""

import numpy as np

from ..autograd import Function
from .common import normalize_dim, quiet, to_float
from .elementwise import cast

__all__ = ["softmax", "log_softmax"]


_CHUNK = 1 << 16  # elements per block of rows: 256 KiB of float32, so a block stays in cache


def _exp_rows(xc, zc, ec, ones, xp):
    """zc = xc - shift, ec = exp(zc) (ec may be zc itself); returns the row sums of ec.

    The shift is the maximum of the whole block (one cheap reduction, not one per
    row). When that is not finite, or a row's sum comes out below 1e-10 (its own
    maximum lies far below the block's, so its terms would lose digits or
    underflow), the block is redone with per-row maxima. Row sums are a GEMV
    with a ones vector, several times faster than a sum over the last axis.
    """
    g = xc.max()
    if xp.isfinite(g):
        xp.subtract(xc, g, out=zc)
        xp.exp(zc, out=ec)
        s = ec @ ones
        if s.min() >= 1e-10:
            return s
    xp.subtract(xc, xc.max(axis=1, keepdims=True), out=zc)
    xp.exp(zc, out=ec)
    return ec @ ones


def _blocks(rows):
    """Row slices covering an (R, C) array in blocks of about _CHUNK elements."""
    R, C = rows.shape
    step = max(1, _CHUNK // max(C, 1))
    return [slice(i, i + step) for i in range(0, R, step)], step


def _softmax_rows(x, log, xp):
    """(log-)softmax of each row of a C-contiguous (R, C) array, block by block."""
    out = xp.empty_like(x)
    ones = xp.ones(x.shape[1], dtype=x.dtype)
    blocks, step = _blocks(x)
    tmp = xp.empty((min(step, x.shape[0]), x.shape[1]), dtype=x.dtype) if log else None
    with quiet(xp):
        for b in blocks:
            xc, oc = x[b], out[b]
            ec = oc if tmp is None else tmp[: xc.shape[0]]
            s = _exp_rows(xc, oc, ec, ones, xp)
            if log:
                xp.log(s, out=s)
                oc -= s[:, None]
            else:
                xp.reciprocal(s, out=s)
                oc *= s[:, None]
    return out


def _softmax_any_dim(x, dim, log, xp):
    """(log-)softmax along a dim that is not the last: whole-array steps with keepdims sums."""
    with quiet(xp):
        z = x - x.max(axis=dim, keepdims=True)
        e = xp.exp(z)
        s = e.sum(axis=dim, keepdims=True)
        if log:
            z -= xp.log(s)
            return z
        e /= s
        return e


def _rows_of(a):
    """a as a C-contiguous (R, C) array of its last-axis rows (a copy only if a is strided)."""
    if a.ndim == 0:
        return a.reshape(1, 1)
    if not a.flags.c_contiguous:
        a = a.copy()
    return a.reshape(-1, a.shape[-1])


class _SoftmaxBaseFn(Function):
    """The shared forward of SoftmaxFn and LogSoftmaxFn (`log` picks which): y is saved."""

    log = False

    def forward(self, x, dim):
        xp = self.xp
        self.last = dim == x.ndim - 1 or x.ndim == 0
        if x.size == 0:
            return x.copy()
        if self.last:
            y = _softmax_rows(_rows_of(x), self.log, xp).reshape(x.shape)
        else:
            y = _softmax_any_dim(x, dim, self.log, xp)
        if self.needs_input_grad[0]:
            self.save_for_backward(y)
        self.dim = dim
        return y


class SoftmaxFn(_SoftmaxBaseFn):
    """Softmax along `dim`, numerically stable.

    forward:   y = exp(x - m) / sum_dim exp(x - m),  m a shift (a maximum)
               x: (*) -> y: (*)
    backward:  dx = y * (dy - sum_dim(dy * y))
    saved:     y
    Along the last dim the work runs in cache-sized blocks of rows (each pass
    over a block stays in cache; whole-array passes would go to memory).
    """

    log = False

    def backward(self, dy):
        if dy.size == 0:
            return dy.copy()
        (y,) = self.saved
        xp = self.xp
        if not self.last:
            dx = dy - (dy * y).sum(axis=self.dim, keepdims=True)
            dx *= y
            return dx
        y2, dy2 = _rows_of(y), _rows_of(dy)
        dx = xp.empty_like(y2)
        for b in _blocks(y2)[0]:
            yc, dyc, oc = y2[b], dy2[b], dx[b]
            d = xp.einsum("ij,ij->i", dyc, yc)  # row dots, no product temporary
            xp.subtract(dyc, d[:, None], out=oc)
            oc *= yc
        return dx.reshape(dy.shape)


class LogSoftmaxFn(_SoftmaxBaseFn):
    """Log-softmax along `dim`, numerically stable.

    forward:   y = (x - m) - log(sum_dim exp(x - m)),  m a shift (a maximum)
               x: (*) -> y: (*)
    backward:  dx = dy - exp(y) * sum_dim(dy)          (exp(y) is the softmax)
    saved:     y
    Along the last dim the work runs in cache-sized blocks of rows.
    """

    log = True

    def backward(self, dy):
        if dy.size == 0:
            return dy.copy()
        (y,) = self.saved
        xp = self.xp
        if not self.last:
            p = xp.exp(y)
            p *= dy.sum(axis=self.dim, keepdims=True)
            xp.subtract(dy, p, out=p)
            return p
        y2, dy2 = _rows_of(y), _rows_of(dy)
        dx = xp.empty_like(y2)
        ones = xp.ones(y2.shape[1], dtype=y2.dtype)
        for b in _blocks(y2)[0]:
            yc, dyc, oc = y2[b], dy2[b], dx[b]
            s = dyc @ ones  # row sums as a GEMV
            xp.exp(yc, out=oc)
            oc *= s[:, None]
            xp.subtract(dyc, oc, out=oc)
        return dx.reshape(dy.shape)



def _softmax_input(x, dim, dtype, name):
    x = to_float(x, name)
    if dtype is not None:
        x = cast(x, dtype)
    if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)):
        raise TypeError(f"{name}: dim must be an int, got {type(dim).__name__}")
    return x, normalize_dim(int(dim), x.ndim)


def softmax(x, dim=-1, dtype=None):
    """exp(x) / sum(exp(x)) along `dim` (default the last), computed stably."""
    x, dim = _softmax_input(x, dim, dtype, "softmax")
    return SoftmaxFn.apply(x, dim=dim)


def log_softmax(x, dim=-1, dtype=None):
    """log(softmax(x)) along `dim` (default the last), computed stably."""
    x, dim = _softmax_input(x, dim, dtype, "log_softmax")
    return LogSoftmaxFn.apply(x, dim=dim)
