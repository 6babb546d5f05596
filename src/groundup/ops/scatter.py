"""Scatter: write (or add) values at the places an index names along one dim, the inverse of
gather. scatter, scatter_add; the in-place Tensor.scatter_ / scatter_add_ call these.

Notation: x has shape S, index has shape I (same ndim; I[a] <= S[a] except along dim d);
src has at least I in every dim, and only its leading I block is read, as in PyTorch.
For dim d = 1 of a 3-d tensor:  y[i, index[i, j, k], k] = src[i, j, k].
"""

import numpy as np

from ..autograd import Function
from ..backend import array_module
from ..tensor import Tensor
from .common import as_tensor, check_dim, keywords
from .index import _gather_positions
from .shape import ReshapeFn

__all__ = ["scatter", "scatter_add"]


class ScatterFn(Function):
    """y = x, then y[..., index, ...] = src (add=False) or += src (add=True; repeats sum)
    along d; with no src tensor, a number `value` is written instead.
    dx   = dy with the written places set to 0 (add=False: those x values were overwritten)
         = dy                                  (add=True: y is x plus something)
    dsrc = dy gathered at index, i.e. gather(dy, d, index), in src's I block (0 elsewhere)
    saved: the flat C-order positions of the writes, I and src's shape."""

    def forward(self, x, src=None, index=None, dim=0, value=None, add=False):
        xp = self.xp
        self.lin = _gather_positions(xp, x.shape, index, dim).reshape(-1)
        self.add = add
        self.index_shape = index.shape
        out = x.copy(order="C")
        flat = out.reshape(-1)
        if src is None:
            flat[self.lin] = value
            return out
        self.src_shape = src.shape
        block = src[tuple(slice(0, n) for n in index.shape)].reshape(-1)
        if add:
            xp.add.at(flat, self.lin, block)
        else:
            flat[self.lin] = block
        return out

    def backward(self, dy):
        xp = self.xp
        need = self.needs_input_grad
        dx = dsrc = None
        if need[0]:
            dx = dy
            if not self.add:
                dx = dy.copy(order="C")
                dx.reshape(-1)[self.lin] = 0
        if len(need) > 1 and need[1]:
            picked = dy.reshape(-1)[self.lin].reshape(self.index_shape)
            if self.src_shape == self.index_shape:
                dsrc = picked
            else:
                dsrc = xp.zeros(self.src_shape, dy.dtype)
                dsrc[tuple(slice(0, n) for n in self.index_shape)] = picked
        return (dx, dsrc) if len(need) > 1 else dx


def _scatter(name, input, dim, index, src, value, add):
    x = as_tensor(input)
    xp = array_module(x.array)
    idx = index.array if isinstance(index, Tensor) else xp.asarray(index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"{name}: index must be an integer tensor, got dtype {idx.dtype}")
    d = check_dim(name, dim, x.ndim)
    if idx.ndim != x.ndim:
        raise ValueError(f"{name}: index has {idx.ndim} dimension(s) (shape {tuple(idx.shape)})"
                         f" but the input has {x.ndim} (shape {tuple(x.shape)}); they must match")
    for a, (i, n) in enumerate(zip(idx.shape, x.shape, strict=True)):
        if a != d and i > n:
            raise ValueError(f"{name}: index shape {tuple(idx.shape)} is larger than the input "
                             f"shape {tuple(x.shape)} in dimension {a} (only dim {d} may be)")
    n = x.shape[d] if x.ndim else 1
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= n):
        raise IndexError(f"{name}: index values must lie in [0, {n}) for dimension {d}; got "
                         f"values in [{int(idx.min())}, {int(idx.max())}]")
    idx = idx.astype(np.int64, copy=False)
    if src is not None:
        src = as_tensor(src)
        if src.array.dtype != x.array.dtype:
            raise TypeError(f"{name}: src has dtype {src.array.dtype} but the input has "
                            f"{x.array.dtype}; they must match (cast one with .to(dtype))")
        if src.ndim != idx.ndim or any(
                i > s for i, s in zip(idx.shape, src.shape, strict=True)):
            raise ValueError(f"{name}: index shape {tuple(idx.shape)} must be no larger than "
                             f"src shape {tuple(src.shape)} in every dimension")
    if x.ndim == 0:  # work on one element
        one = ReshapeFn.apply(x, shape=(1,))
        src1 = None if src is None else ReshapeFn.apply(src, shape=(1,))
        args = (one,) if src1 is None else (one, src1)
        y = ScatterFn.apply(*args, index=idx.reshape(1), dim=0, value=value, add=add)
        return ReshapeFn.apply(y, shape=())
    args = (x,) if src is None else (x, src)
    return ScatterFn.apply(*args, index=idx, dim=d, value=value, add=add)


@keywords
def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """A copy of x with src[..., j, ...] written at x[..., index[..., j, ...], ...] along dim
    (a number as src, or value=, writes that number). With several writes to one place the
    last wins. reduce='add' adds instead (as scatter_add); 'multiply' is not supported."""
    if src is not None and not isinstance(src, Tensor) and np.ndim(src) == 0:
        src, value = None, src
    if src is None and value is None:
        raise TypeError("scatter: pass src (a tensor) or value (a number)")
    if src is not None and value is not None:
        raise TypeError("scatter: pass either src or value, not both")
    if reduce not in (None, "add"):
        raise ValueError(f"scatter: reduce={reduce!r} is not supported; use reduce=None "
                         f"(write) or 'add' (as scatter_add)")
    return _scatter("scatter", input, dim, index, src, value, reduce == "add")


@keywords
def scatter_add(input, dim, index, src):
    """A copy of x with src[..., j, ...] added at x[..., index[..., j, ...], ...] along dim;
    repeated indices add up."""
    return _scatter("scatter_add", input, dim, index, src, None, True)
