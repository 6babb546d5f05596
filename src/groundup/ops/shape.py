"""Shape primitives: reshape, permute, expand, squeeze/unsqueeze/flatten, repeat, flip.

Where NumPy gives a view (reshape of contiguous data, transpose, permute,
expand, flip) the output shares memory with the input; no backward ever
writes into its `dy`. Shape-only wrappers (view, squeeze, unsqueeze, flatten)
are all the one `ReshapeFn` primitive; transpose is a `PermuteFn`. Indexing lives
in ops/index.py, concatenation/splitting/padding in ops/join.py.

Notation: x has shape S, y the output; dims may be negative, as in PyTorch.
"""

import math

import numpy as np

from ..autograd import Function
from .common import as_tensor, normalize_dim

__all__ = [
    "reshape", "transpose", "permute", "expand", "squeeze", "unsqueeze", "flatten", "repeat",
    "flip",
]


def _dim(name, dim, ndim, what="dim"):
    """normalize_dim with the op's name in the message."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{name}: {what} must be an int, got {dim!r}")
    try:
        return normalize_dim(int(dim), ndim, what)
    except IndexError as e:
        raise IndexError(f"{name}: {e}") from None


def _ints(name, values, what):
    values = tuple(values)
    for v in values:
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(f"{name}: {what} must be ints, got {values!r}")
    return tuple(int(v) for v in values)


def _dims(name, dims, ndim):
    """A tuple of distinct non-negative dims from an int or a sequence."""
    if isinstance(dims, (int, np.integer)):
        dims = (dims,)
    out = tuple(_dim(name, d, ndim) for d in dims)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: dims {tuple(dims)} name the same dimension more than once")
    return out


class ReshapeFn(Function):
    """y = the elements of x in C order, with a new shape.      x: S -> y: T, prod(S) = prod(T)
    dx = dy reshaped to S
    saved: only S. (A view when x's layout allows it, else a copy.)"""

    def forward(self, x, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, dy):
        return dy.reshape(self.shape)


class PermuteFn(Function):
    """y = x with its axes reordered: y.shape[i] = S[dims[i]]         (a view)
    dx = dy with the inverse permutation
    saved: the inverse permutation."""

    def forward(self, x, dims):
        inverse = [0] * len(dims)
        for i, d in enumerate(dims):
            inverse[d] = i
        self.inverse = tuple(inverse)
        return x.transpose(dims)

    def backward(self, dy):
        return dy.transpose(self.inverse)


class ExpandFn(Function):
    """y = x broadcast to `shape` (a read-only view: no copy)     x: S -> y: shape
    dx = dy (the engine sums it back to S: the adjoint of broadcasting is summation)."""

    def forward(self, x, shape):
        return self.xp.broadcast_to(x, shape)

    def backward(self, dy):
        return dy


class RepeatFn(Function):
    """y = x tiled sizes[k] times along each dim k (leading new dims allowed), as Tensor.repeat
    x: S (padded with leading 1s to len(sizes)) -> y[k] = sizes[k] * S[k]
    dx = dy viewed as (r_0, S_0, r_1, S_1, ...) summed over the r axes
    saved: S and the sizes."""

    def forward(self, x, sizes):
        self.shape = x.shape
        self.sizes = sizes
        return self.xp.tile(x, sizes)

    def backward(self, dy):
        padded = (1,) * (len(self.sizes) - len(self.shape)) + tuple(self.shape)
        split = []
        for r, n in zip(self.sizes, padded, strict=True):
            split += [r, n]
        g = dy.reshape(split).sum(axis=tuple(range(0, 2 * len(padded), 2)))
        return g.reshape(self.shape)


class FlipFn(Function):
    """y = x reversed along the given dims (a view)
    dx = dy reversed along the same dims."""

    def forward(self, x, index):
        self.index = index
        return x[index]

    def backward(self, dy):
        return dy[self.index]


def reshape(x, shape):
    """x with a new shape (one entry may be -1); a view when the layout allows. Also `view`."""
    x = as_tensor(x)
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    shape = _ints("reshape", shape, "shape entries")
    size = x.array.size
    if -1 in shape:
        known = math.prod(n for n in shape if n != -1)
        if shape.count(-1) > 1 or any(n < -1 for n in shape) or known == 0 or size % known:
            raise ValueError(
                f"reshape: cannot reshape a tensor of shape {tuple(x.shape)} ({size} elements) "
                f"into shape {shape}" + (
                    ": only one dimension can be -1" if shape.count(-1) > 1 else
                    ": the size of the -1 dimension is ambiguous" if known == 0 else "")
            )
        shape = tuple(size // known if n == -1 else n for n in shape)
    elif math.prod(shape) != size or any(n < 0 for n in shape):
        raise ValueError(
            f"reshape: cannot reshape a tensor of shape {tuple(x.shape)} ({size} elements) "
            f"into shape {shape} ({math.prod(shape)} elements)"
        )
    return ReshapeFn.apply(x, shape=shape)


def transpose(x, dim0, dim1):
    """Swap two dimensions (a view)."""
    x = as_tensor(x)
    n = x.ndim
    d0 = _dim("transpose", dim0, n, "dim0")
    d1 = _dim("transpose", dim1, n, "dim1")
    dims = list(range(n))
    if n:
        dims[d0], dims[d1] = dims[d1], dims[d0]
    return PermuteFn.apply(x, dims=tuple(dims))


def permute(x, dims):
    """Reorder the dimensions: output dim i is input dim dims[i] (a view)."""
    x = as_tensor(x)
    if isinstance(dims, (int, np.integer)):
        dims = (dims,)
    dims = tuple(dims)
    if len(dims) != x.ndim:
        raise ValueError(
            f"permute: dims {dims} has {len(dims)} entries but the tensor has {x.ndim} "
            f"dimension(s) (shape {tuple(x.shape)})"
        )
    dims = _dims("permute", dims, x.ndim) if x.ndim else ()
    return PermuteFn.apply(x, dims=dims)


def expand(x, shape):
    """Broadcast size-1 dims (and new leading dims) to `shape`; -1 keeps a dim. A view."""
    x = as_tensor(x)
    shape = _ints("expand", (shape,) if isinstance(shape, (int, np.integer)) else shape,
                  "sizes")
    lead = len(shape) - x.ndim
    if lead < 0:
        raise ValueError(
            f"expand: the target shape {shape} has fewer dimensions than the tensor "
            f"(shape {tuple(x.shape)})"
        )
    out = []
    for i, n in enumerate(shape):
        if i < lead:
            if n < 0:
                raise ValueError(f"expand: size {n} is not allowed for the new leading "
                                 f"dimension {i} (target {shape}, tensor {tuple(x.shape)})")
            out.append(n)
            continue
        have = x.shape[i - lead]
        if n == -1:
            n = have
        elif have != 1 and n != have:
            raise ValueError(
                f"expand: cannot expand a tensor of shape {tuple(x.shape)} to {shape}: "
                f"dimension {i} has size {have}, which is not 1 and not {n}"
            )
        elif n < 0:
            raise ValueError(f"expand: invalid size {n} in {shape}")
        out.append(n)
    return ExpandFn.apply(x, shape=tuple(out))


def squeeze(x, dim=None):
    """Remove size-1 dims: all of them (dim=None) or those named (a named dim of another
    size is left alone, as in PyTorch)."""
    x = as_tensor(x)
    shape = x.shape
    if dim is None:
        keep = [n for n in shape if n != 1]
    else:
        dims = _dims("squeeze", dim, x.ndim)
        keep = [n for i, n in enumerate(shape) if not (i in dims and n == 1)]
    return ReshapeFn.apply(x, shape=tuple(keep))


def unsqueeze(x, dim):
    """Insert a size-1 dim at `dim` (in [-ndim - 1, ndim])."""
    x = as_tensor(x)
    d = _dim("unsqueeze", dim, x.ndim + 1)
    shape = x.shape[:d] + (1,) + x.shape[d:]
    return ReshapeFn.apply(x, shape=shape)


def flatten(x, start_dim=0, end_dim=-1):
    """Merge dims start_dim..end_dim into one (a 0-d tensor becomes shape (1,))."""
    x = as_tensor(x)
    if x.ndim == 0:
        return ReshapeFn.apply(x, shape=(1,))
    s = _dim("flatten", start_dim, x.ndim, "start_dim")
    e = _dim("flatten", end_dim, x.ndim, "end_dim")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                         f"(tensor of shape {tuple(x.shape)})")
    shape = x.shape[:s] + (math.prod(x.shape[s:e + 1]),) + x.shape[e + 1:]
    return ReshapeFn.apply(x, shape=shape)


def repeat(x, *sizes):
    """Tile x sizes[k] times along dim k, as Tensor.repeat (len(sizes) >= x.ndim)."""
    x = as_tensor(x)
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = _ints("repeat", sizes, "repeat sizes")
    if len(sizes) < x.ndim or any(s < 0 for s in sizes):
        raise ValueError(
            f"repeat: need one non-negative repeat count per dimension (at least {x.ndim} for "
            f"shape {tuple(x.shape)}), got {sizes}"
        )
    return RepeatFn.apply(x, sizes=sizes)


def flip(x, dims):
    """Reverse the order of elements along the given dims (a view)."""
    x = as_tensor(x)
    dims = _dims("flip", dims, x.ndim) if x.ndim else ()
    index = tuple(slice(None, None, -1) if i in dims else slice(None) for i in range(x.ndim))
    return FlipFn.apply(x, index=index)
