"""Reductions: sum, mean, var, std, max, min, argmax, argmin, logsumexp.

Every reduction takes `dim` (None for all dimensions, an int, or a tuple/list of
ints, negative allowed) and `keepdim`; the NumPy spellings `axis=` and
`keepdims=` are accepted too. Names follow PyTorch: `max(x, dim)` returns a
`(values, indices)` named tuple, `max(x)` a 0-d tensor.

Notation in the docstrings: x has shape S, the reduction runs over the axes A
(n elements per output), y has S with A removed (or kept as 1 with keepdim);
`dy_k` is dy reshaped to the keepdim shape so that it broadcasts against x.
"""

import builtins
import math
from collections import namedtuple

import numpy as np

from ..autograd import Function
from ..backend import array_module
from ..tensor import Tensor
from .common import as_tensor, normalize_dim, to_float

__all__ = ["sum", "mean", "var", "std", "max", "min", "argmax", "argmin", "logsumexp"]

ValuesIndices = namedtuple("ValuesIndices", ["values", "indices"])
ValuesIndices.__doc__ = "What max(x, dim) and min(x, dim) return: (values, indices), as in PyTorch."

_GEMV_MIN = 2048  # below this many elements a plain NumPy sum is as fast


# ---------------------------------------------------------------- helpers
def _options(name, dim, keepdim, aliases):
    """Map the NumPy aliases axis= / keepdims= onto dim / keepdim; reject anything else."""
    for key, value in aliases.items():
        if key == "axis":
            if dim is not None:
                raise TypeError(f"{name}(): got both dim={dim!r} and axis={value!r}")
            dim = value
        elif key == "keepdims":
            keepdim = value
        else:
            raise TypeError(f"{name}() got an unexpected keyword argument {key!r}")
    return dim, bool(keepdim)


def _axes(name, dim, ndim):
    """None (every axis) or a sorted tuple of distinct non-negative axes; () for a 0-d tensor.

    As in PyTorch, an empty tuple/list means every axis.
    """
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, (int, np.integer)) else dim
    if not isinstance(dims, (tuple, list)) or not builtins.all(
        isinstance(d, (int, np.integer)) and not isinstance(d, bool) for d in dims
    ):
        raise TypeError(f"{name}(): dim must be None, an int or a tuple of ints, got {dim!r}")
    if len(dims) == 0:
        return None
    try:
        axes = [normalize_dim(int(d), ndim) for d in dims]
    except IndexError as e:
        raise IndexError(f"{name}(): {e}") from None
    if len(set(axes)) != len(axes):
        raise ValueError(f"{name}(): dim {tuple(dims)} names the same dimension more than once")
    return () if ndim == 0 else tuple(sorted(axes))


def _int_dim(name, dim, ndim):
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(
            f"{name}(): dim must be an int (one dimension), got {dim!r}; "
            f"reduce one dimension at a time"
        )
    try:
        return normalize_dim(int(dim), ndim)
    except IndexError as e:
        raise IndexError(f"{name}(): {e}") from None


def _kept_shape(shape, axes):
    """The keepdim shape: reduced axes become 1."""
    if axes is None:
        return (1,) * len(shape)
    return tuple(1 if i in axes else n for i, n in enumerate(shape))


def _out_shape(shape, axes, keepdim):
    if keepdim:
        return _kept_shape(shape, axes)
    if axes is None:
        return ()
    return tuple(n for i, n in enumerate(shape) if i not in axes)


def _count(shape, axes):
    """Number of elements reduced into each output."""
    if axes is None:
        return math.prod(shape)
    return math.prod(shape[i] for i in axes)


def _sum(xp, x, axes, keepdim):
    """Sum over `axes` (None: all). Float row / column sums of big arrays run as a GEMV
    with a ones vector (4-5x faster than ufunc.reduce here)."""
    nd = x.ndim
    if (
        axes is not None and x.dtype.kind == "f" and 0 < len(axes) < nd
        and x.size >= _GEMV_MIN and (nd == 2 or x.flags.c_contiguous)
    ):
        k = len(axes)
        out_shape = _out_shape(x.shape, axes, keepdim)
        if axes == tuple(range(nd - k, nd)):  # trailing block: row sums
            n = math.prod(x.shape[nd - k:])
            y = x.reshape(-1, n) @ xp.ones(n, x.dtype)
            return y.reshape(out_shape)
        if axes == tuple(range(k)):  # leading block: column sums
            n = math.prod(x.shape[:k])
            y = xp.ones(n, x.dtype) @ x.reshape(n, -1)
            return y.reshape(out_shape)
        a = axes[0]
        if x.flags.c_contiguous and axes == tuple(range(a, a + k)):  # a middle block
            n = math.prod(x.shape[a:a + k])
            y = xp.ones(n, x.dtype) @ x.reshape(math.prod(x.shape[:a]), n, -1)  # batched GEMV
            return y.reshape(out_shape)
    dtype = xp.int64 if x.dtype.kind in "biu" else None
    return xp.asarray(x.sum(axis=axes, keepdims=keepdim, dtype=dtype))


def _along_axis(xp, shape, d, index):
    """Flat (C-order) positions in an array of `shape` of index[..] taken along axis d.

    index has `shape` with shape[d] replaced by 1; the result has index's shape.
    """
    outer = math.prod(shape[:d])
    n = shape[d]
    inner = math.prod(shape[d + 1:])
    base = xp.arange(outer)[:, None] * (n * inner) + xp.arange(inner)[None, :]  # (outer, inner)
    return (base + index.reshape(outer, inner) * inner).reshape(index.shape)


# ------------------------------------------------------------- functions
class SumFn(Function):
    """y = sum of x over the axes A.            x: S -> y: S without A (1s with keepdim)
    dx = dy_k broadcast to S                  (a read-only view; the engine copies for leaves)
    saved: only shapes."""

    def forward(self, x, axes, keepdim):
        self.shape = x.shape
        self.kept = _kept_shape(x.shape, axes)
        return _sum(self.xp, x, axes, keepdim)

    def backward(self, dy):
        return self.xp.broadcast_to(dy.reshape(self.kept), self.shape)


class MeanFn(Function):
    """y = (1/n) sum of x over A, n = number of reduced elements (nan when n == 0).
    dx = dy_k / n broadcast to S
    saved: only shapes and n."""

    def forward(self, x, axes, keepdim):
        xp = self.xp
        self.shape = x.shape
        self.kept = _kept_shape(x.shape, axes)
        self.n = n = _count(x.shape, axes)
        y = _sum(xp, x, axes, keepdim)
        if n == 0:
            return xp.full(y.shape, math.nan, dtype=x.dtype)
        if y is x or not y.flags.writeable:
            y = y.copy()
        y /= n  # a Python int: float32 stays float32
        return y

    def backward(self, dy):
        xp = self.xp
        if self.n == 0:
            return xp.zeros(self.shape, dy.dtype)
        return xp.broadcast_to(dy.reshape(self.kept) / self.n, self.shape)


class VarFn(Function):
    """y = sum over A of (x - m)**2 / max(0, n - c),   m = mean of x over A, c = correction.
    dx = dy_k * 2 (x - m) / (n - c)     (n - c unclamped here, matching PyTorch)
    saved: d = x - m (needed by backward; forward computes it anyway)."""

    def forward(self, x, axes, keepdim, correction):
        xp = self.xp
        self.kept = _kept_shape(x.shape, axes)
        n = _count(x.shape, axes)
        self.dof = n - correction  # the backward divides by it unclamped, as PyTorch does
        with xp.errstate(divide="ignore", invalid="ignore"):
            m = _sum(xp, x, axes, True) / n if n else xp.full(self.kept, math.nan, x.dtype)
            d = x - m
            v = _sum(xp, d * d, axes, keepdim)
            v = v / builtins.max(0, self.dof)  # no degrees of freedom: nan or inf
        if self.needs_input_grad[0]:
            self.save_for_backward(d)
        return v

    def backward(self, dy):
        (d,) = self.saved
        scale = 2.0 / self.dof if self.dof else math.inf
        return d * (dy.reshape(self.kept) * scale)


class StdFn(VarFn):
    """y = sqrt(var(x)) over A (same correction rule as VarFn).
    dx = dy_k * (x - m) / (y_k * (n - c))     (0 where y == 0, as in PyTorch)
    saved: d = x - m and the output y."""

    def forward(self, x, axes, keepdim, correction):
        y = self.xp.sqrt(super().forward(x, axes, keepdim, correction))
        if self.needs_input_grad[0]:
            self.save_for_backward(self.saved[0], y)
        return y

    def backward(self, dy):
        xp = self.xp
        d, y = self.saved
        y = y.reshape(self.kept)
        with xp.errstate(divide="ignore", invalid="ignore"):
            scale = dy.reshape(self.kept) / (y * self.dof)
        scale = xp.where(y == 0, 0, scale)  # output-sized, small
        return d * scale


class MaxAllFn(Function):
    """y = max (or min) of all elements of x.     x: S -> y: () (1s with keepdim)
    dx = dy / k at each of the k elements equal to y, 0 elsewhere (ties share evenly;
         when y is nan, the nans share it), as PyTorch does for the full reduction.
    saved: x and y (the tie mask is built only when backward runs)."""

    def forward(self, x, keepdim, largest):
        y = x.max(keepdims=keepdim) if largest else x.min(keepdims=keepdim)
        y = self.xp.asarray(y)
        self.save_for_backward(x, y)
        return y

    def backward(self, dy):
        xp = self.xp
        x, y = self.saved
        mask = xp.isnan(x) if xp.isnan(y).any() else (x == y)
        count = int(mask.sum())
        return mask * (dy.reshape(()) / count)


class MaxDimFn(Function):
    """values = x[..., i, ...] at i = index (the first max / min along dim d).
    x: S -> values: S with S[d] removed (1 with keepdim)
    dx = zeros(S) with dy put at the chosen index only (PyTorch's rule for ties)
    saved: the index (S with S[d] = 1) and S."""

    def forward(self, x, dim, index, keepdim):
        xp = self.xp
        self.shape = x.shape
        self.dim = dim
        self.index = index
        if x.ndim == 0:
            return x.copy()
        if x.flags.c_contiguous:
            values = x.reshape(-1)[_along_axis(xp, x.shape, dim, index)]
        else:
            values = xp.take_along_axis(x, index, axis=dim)
        return values if keepdim else values.reshape(values.shape[:dim] + values.shape[dim + 1:])

    def backward(self, dy):
        xp = self.xp
        if len(self.shape) == 0:
            return dy
        dx = xp.zeros(self.shape, dy.dtype)
        dx.reshape(-1)[_along_axis(xp, self.shape, self.dim, self.index)] = dy.reshape(
            self.index.shape
        )
        return dx


class LogSumExpFn(Function):
    """y = m + log(sum over A of exp(x - m)),  m = max over A (0 where it is +-inf).
    dx = dy_k * exp(x - y_k)            (softmax of x over A, from the saved output)
    saved: x and y_k (keepdim shape)."""

    def forward(self, x, axes, keepdim):
        xp = self.xp
        self.kept = _kept_shape(x.shape, axes)
        out_shape = _out_shape(x.shape, axes, keepdim)
        if _count(x.shape, axes) == 0 and x.ndim:
            self.save_for_backward(x, None)
            return xp.full(out_shape, -math.inf, dtype=x.dtype)
        m = xp.asarray(x.max(axis=axes, keepdims=True))
        m = xp.where(xp.isinf(m), 0, m)  # output-sized, small: keeps inf rows inf, not nan
        e = xp.asarray(x - m)  # 0-d arithmetic gives a NumPy scalar
        xp.exp(e, out=e)
        s = _sum(xp, e, axes, True)
        with xp.errstate(divide="ignore"):
            xp.log(s, out=s)
        s += m
        if self.needs_input_grad[0]:
            self.save_for_backward(x, s)
        return s.reshape(out_shape)

    def backward(self, dy):
        xp = self.xp
        x, y = self.saved
        if y is None:
            return xp.zeros(x.shape, dy.dtype)
        g = xp.asarray(x - y)
        xp.exp(g, out=g)
        g *= dy.reshape(self.kept)
        return g


# ------------------------------------------------------------ lowercase
def sum(input, dim=None, keepdim=False, **aliases):
    """Sum over `dim` (None: all). Integer and bool tensors sum to int64, as in PyTorch."""
    dim, keepdim = _options("sum", dim, keepdim, aliases)
    x = as_tensor(input)
    return SumFn.apply(x, axes=_axes("sum", dim, x.ndim), keepdim=keepdim)


def mean(input, dim=None, keepdim=False, **aliases):
    """Mean over `dim` (None: all); nan over an empty dimension. Integer input gives float32."""
    dim, keepdim = _options("mean", dim, keepdim, aliases)
    x = to_float(input)
    return MeanFn.apply(x, axes=_axes("mean", dim, x.ndim), keepdim=keepdim)


def _correction(unbiased, correction):
    if correction is None:
        return 1 if unbiased else 0
    return correction


def var(input, dim=None, keepdim=False, unbiased=True, correction=None, **aliases):
    """Variance over `dim`, dividing by n - correction (correction defaults to 1 if unbiased,
    else 0; `correction=` overrides `unbiased`, as in PyTorch)."""
    dim, keepdim = _options("var", dim, keepdim, aliases)
    x = to_float(input)
    return VarFn.apply(x, axes=_axes("var", dim, x.ndim), keepdim=keepdim,
                     correction=_correction(unbiased, correction))


def std(input, dim=None, keepdim=False, unbiased=True, correction=None, **aliases):
    """Standard deviation over `dim`: sqrt(var(x, dim, ...)), same arguments as var."""
    dim, keepdim = _options("std", dim, keepdim, aliases)
    x = to_float(input)
    return StdFn.apply(x, axes=_axes("std", dim, x.ndim), keepdim=keepdim,
                     correction=_correction(unbiased, correction))


def _extreme(name, largest, x, dim, keepdim, aliases):
    dim, keepdim = _options(name, dim, keepdim, aliases)
    x = as_tensor(x)
    if dim is None:
        if x.array.size == 0:
            raise RuntimeError(
                f"{name}(): the tensor is empty (shape {tuple(x.shape)}); there is no "
                f"{name}imum. Pass dim= to reduce one dimension"
            )
        return MaxAllFn.apply(x, keepdim=keepdim, largest=largest)
    d = _int_dim(name, dim, x.ndim)
    index = _arg(name, largest, x.array, d, True)
    values = MaxDimFn.apply(x, dim=d, index=index, keepdim=keepdim)
    if not keepdim and x.ndim:
        index = index.reshape(index.shape[:d] + index.shape[d + 1:])
    return ValuesIndices(values, Tensor._wrap(index))


def max(input, dim=None, keepdim=False, **aliases):
    """max(x): the largest element (0-d tensor); max(x, dim): (values, indices) along dim.
    For the maximum of two tensors use maximum(a, b)."""
    return _extreme("max", True, input, dim, keepdim, aliases)


def min(input, dim=None, keepdim=False, **aliases):
    """min(x): the smallest element (0-d tensor); min(x, dim): (values, indices) along dim.
    For the minimum of two tensors use minimum(a, b)."""
    return _extreme("min", False, input, dim, keepdim, aliases)


def _arg(name, largest, a, d, keepdim):
    """int64 positions of the first max / min (nan counts as the largest, as in PyTorch)."""
    xp = array_module(a)
    if a.ndim == 0:
        return xp.zeros((), dtype=xp.int64)
    if a.shape[d] == 0:
        raise IndexError(
            f"{name}(): dimension {d} of the tensor (shape {tuple(a.shape)}) is empty; "
            f"there is nothing to reduce"
        )
    f = xp.argmax if largest else xp.argmin
    return f(a, axis=d, keepdims=keepdim).astype(xp.int64, copy=False)


def _argext(name, largest, x, dim, keepdim, aliases):
    dim, keepdim = _options(name, dim, keepdim, aliases)
    x = as_tensor(x)
    a = x.array
    xp = array_module(a)
    if dim is None:
        if a.size == 0:
            raise RuntimeError(
                f"{name}(): the tensor is empty (shape {tuple(a.shape)}); pass dim= to "
                f"reduce one dimension"
            )
        f = xp.argmax if largest else xp.argmin
        out = xp.asarray(f(a.reshape(-1))).astype(xp.int64)
        return Tensor._wrap(out.reshape((1,) * a.ndim) if keepdim else out)
    d = _int_dim(name, dim, a.ndim)
    return Tensor._wrap(_arg(name, largest, a, d, keepdim))


def argmax(input, dim=None, keepdim=False, **aliases):
    """int64 index of the first maximum: over the flattened tensor (dim=None) or along dim."""
    return _argext("argmax", True, input, dim, keepdim, aliases)


def argmin(input, dim=None, keepdim=False, **aliases):
    """int64 index of the first minimum: over the flattened tensor (dim=None) or along dim."""
    return _argext("argmin", False, input, dim, keepdim, aliases)


def logsumexp(input, dim=None, keepdim=False, **aliases):
    """log(sum(exp(x))) over `dim`, computed stably (shifted by the maximum); -inf when empty."""
    dim, keepdim = _options("logsumexp", dim, keepdim, aliases)
    x = to_float(input)
    return LogSumExpFn.apply(x, axes=_axes("logsumexp", dim, x.ndim), keepdim=keepdim)
