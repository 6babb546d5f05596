"""Shape primitives: reshape, permute, expand, squeeze/unsqueeze/flatten, repeat, tile,
repeat_interleave, flip, roll, movedim, t.

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
from ..backend import move
from .common import as_tensor, check_dim, check_ints, keywords

__all__ = [
    "reshape", "transpose", "permute", "expand", "squeeze", "unsqueeze", "flatten", "repeat",
    "flip", "roll", "movedim", "moveaxis", "t", "tile", "repeat_interleave",
]


def _dims(name, dims, ndim):
    """A tuple of distinct non-negative dims from an int or a sequence."""
    if isinstance(dims, (int, np.integer)):
        dims = (dims,)
    out = tuple(check_dim(name, d, ndim) for d in dims)
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


class RollFn(Function):
    """y = x shifted circularly by shifts[k] along dims[k]: y[i + s mod n] = x[i]   (a copy)
    dx = dy shifted back by -shifts along the same dims (the inverse permutation)."""

    def forward(self, x, shifts, dims):
        self.shifts, self.dims = shifts, dims
        return self.xp.roll(x, shifts, axis=dims)

    def backward(self, dy):
        return self.xp.roll(dy, tuple(-s for s in self.shifts), axis=self.dims)


class RepeatInterleaveFn(Function):
    """y = each slice x[..., i, ...] along dim d repeated r_i times in place (np.repeat)
    x: S -> y: S with S[d] replaced by sum(r)
    dx[..., i, ...] = the sum of dy over the r_i positions that copy x[..., i, ...]
                      (0 where r_i = 0): a segment sum along d
    saved: the repeats (an int, or an array with one count per slice)."""

    def forward(self, x, repeats, dim):
        if not isinstance(repeats, int):
            repeats = self.xp.asarray(repeats)
        self.repeats, self.dim, self.n = repeats, dim, x.shape[dim]
        return self.xp.repeat(x, repeats, axis=dim)

    def backward(self, dy):
        xp, d, r, n = self.xp, self.dim, self.repeats, self.n
        if isinstance(r, int):  # equal segments: view (..., n, r, ...) and sum the r axis
            return dy.reshape(dy.shape[:d] + (n, r) + dy.shape[d + 1:]).sum(axis=d + 1)
        dx = xp.zeros(dy.shape[:d] + (n,) + dy.shape[d + 1:], dy.dtype)
        nz = xp.nonzero(r)[0]  # reduceat needs non-empty segments
        if nz.size:
            starts = (xp.cumsum(r) - r)[nz]
            dx[(slice(None),) * d + (nz,)] = xp.add.reduceat(dy, starts, axis=d)
        return dx


def reshape(input, shape):
    """x with a new shape (one entry may be -1); a view when the layout allows. Also `view`."""
    x = as_tensor(input)
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    shape = check_ints("reshape", shape, "shape entries")
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


def transpose(input, dim0, dim1):
    """Swap two dimensions (a view)."""
    x = as_tensor(input)
    n = x.ndim
    d0 = check_dim("transpose", dim0, n, "dim0")
    d1 = check_dim("transpose", dim1, n, "dim1")
    dims = list(range(n))
    if n:
        dims[d0], dims[d1] = dims[d1], dims[d0]
    return PermuteFn.apply(x, dims=tuple(dims))


def permute(input, dims):
    """Reorder the dimensions: output dim i is input dim dims[i] (a view)."""
    x = as_tensor(input)
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


def expand(input, shape):
    """Broadcast size-1 dims (and new leading dims) to `shape`; -1 keeps a dim. A view."""
    x = as_tensor(input)
    shape = check_ints("expand", (shape,) if isinstance(shape, (int, np.integer)) else shape,
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


def squeeze(input, dim=None):
    """Remove size-1 dims: all of them (dim=None) or those named (a named dim of another
    size is left alone, as in PyTorch)."""
    x = as_tensor(input)
    shape = x.shape
    if dim is None:
        keep = [n for n in shape if n != 1]
    else:
        dims = _dims("squeeze", dim, x.ndim)
        keep = [n for i, n in enumerate(shape) if not (i in dims and n == 1)]
    return ReshapeFn.apply(x, shape=tuple(keep))


def unsqueeze(input, dim):
    """Insert a size-1 dim at `dim` (in [-ndim - 1, ndim])."""
    x = as_tensor(input)
    d = check_dim("unsqueeze", dim, x.ndim + 1)
    shape = x.shape[:d] + (1,) + x.shape[d:]
    return ReshapeFn.apply(x, shape=shape)


def flatten(input, start_dim=0, end_dim=-1):
    """Merge dims start_dim..end_dim into one (a 0-d tensor becomes shape (1,))."""
    x = as_tensor(input)
    if x.ndim == 0:
        return ReshapeFn.apply(x, shape=(1,))
    s = check_dim("flatten", start_dim, x.ndim, "start_dim")
    e = check_dim("flatten", end_dim, x.ndim, "end_dim")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                         f"(tensor of shape {tuple(x.shape)})")
    shape = x.shape[:s] + (math.prod(x.shape[s:e + 1]),) + x.shape[e + 1:]
    return ReshapeFn.apply(x, shape=shape)


def repeat(input, *sizes):
    """Tile x sizes[k] times along dim k, as Tensor.repeat (len(sizes) >= x.ndim)."""
    x = as_tensor(input)
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = tuple(sizes[0])
    sizes = check_ints("repeat", sizes, "repeat sizes")
    if len(sizes) < x.ndim or any(s < 0 for s in sizes):
        raise ValueError(
            f"repeat: need one non-negative repeat count per dimension (at least {x.ndim} for "
            f"shape {tuple(x.shape)}), got {sizes}"
        )
    return RepeatFn.apply(x, sizes=sizes)


@keywords
def flip(input, dims):
    """Reverse the order of elements along the given dims (a view)."""
    x = as_tensor(input)
    dims = _dims("flip", dims, x.ndim) if x.ndim else ()
    index = tuple(slice(None, None, -1) if i in dims else slice(None) for i in range(x.ndim))
    return FlipFn.apply(x, index=index)


@keywords
def roll(input, shifts, dims=None):
    """Shift elements circularly by `shifts` along `dims` (ints or equal-length tuples);
    with dims=None the tensor is flattened, rolled and given back its shape, as torch.roll."""
    x = as_tensor(input)
    if dims is None:
        if not isinstance(shifts, (int, np.integer)):
            shifts = check_ints("roll", shifts, "shifts")
            if len(shifts) != 1:
                raise ValueError(f"roll: with dims=None, shifts must be one int, got {shifts}")
            shifts = shifts[0]
        flat = ReshapeFn.apply(x, shape=(x.array.size,))
        return ReshapeFn.apply(roll(flat, int(shifts), 0), shape=x.shape)
    shifts = check_ints("roll", (shifts,) if isinstance(shifts, (int, np.integer)) else shifts,
                   "shifts")
    dims = (dims,) if isinstance(dims, (int, np.integer)) else tuple(dims)
    if len(shifts) != len(dims):
        raise ValueError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    dims = tuple(check_dim("roll", d, x.ndim) for d in dims)
    return RollFn.apply(x, shifts=shifts, dims=dims)


@keywords
def movedim(input, source, destination):
    """Move dims `source` to positions `destination` (ints or equal-length tuples), keeping the
    order of the others; a view (a permute)."""
    x = as_tensor(input)
    src = _dims("movedim", source, x.ndim)
    dst = _dims("movedim", destination, x.ndim)
    if len(src) != len(dst):
        raise ValueError(f"movedim: source {source} and destination {destination} must have "
                         f"the same number of dims")
    if x.ndim == 0:
        return PermuteFn.apply(x, dims=())
    order = [d for d in range(x.ndim) if d not in src]
    perm = [None] * x.ndim
    for s, d in zip(src, dst, strict=True):
        perm[d] = s
    rest = iter(order)
    perm = tuple(next(rest) if p is None else p for p in perm)
    return PermuteFn.apply(x, dims=perm)


moveaxis = movedim


def t(input):
    """Transpose a tensor of at most 2 dims (0-d and 1-d are returned as they are), as torch.t."""
    x = as_tensor(input)
    if x.ndim > 2:
        raise ValueError(f"t: expects a tensor with at most 2 dimensions, got shape "
                         f"{tuple(x.shape)}; use transpose(dim0, dim1) or permute")
    return PermuteFn.apply(x, dims=tuple(range(x.ndim))[::-1])


@keywords
def tile(input, dims):
    """Repeat x dims[k] times along dim k; fewer entries than x.ndim are padded with leading 1s
    (torch.tile), more add leading dims (as Tensor.repeat)."""
    x = as_tensor(input)
    reps = check_ints("tile", (dims,) if isinstance(dims, (int, np.integer)) else dims, "dims")
    reps = (1,) * (x.ndim - len(reps)) + reps
    if any(r < 0 for r in reps):
        raise ValueError(f"tile: repeat counts must be non-negative, got {reps}")
    return RepeatFn.apply(x, sizes=reps)


@keywords
def repeat_interleave(input, repeats, dim=None, *, output_size=None):
    """Repeat each element (dim=None: of the flattened tensor) or each slice along `dim`
    `repeats` times: an int, or a 1-D integer tensor with one count per slice."""
    x = as_tensor(input)
    if dim is None:
        x, d = ReshapeFn.apply(x, shape=(x.array.size,)), 0
    else:
        d = check_dim("repeat_interleave", dim, max(x.ndim, 1))
        if x.ndim == 0:
            x = ReshapeFn.apply(x, shape=(1,))
    n = x.shape[d]
    if isinstance(repeats, (int, np.integer)) and not isinstance(repeats, bool):
        r = int(repeats)
        if r < 0:
            raise ValueError(f"repeat_interleave: repeats must be non-negative, got {r}")
        total = r * n
    else:
        r = np.asarray(move(getattr(repeats, "array", repeats), "cpu"))
        if r.dtype.kind not in "iu" or r.ndim > 1:
            raise TypeError(f"repeat_interleave: repeats must be an int or a 1-D integer tensor, "
                            f"got dtype {r.dtype}, shape {tuple(r.shape)}")
        r = r.reshape(-1).astype(np.int64)
        if r.size == 1:
            r = np.full(n, r[0])
        if r.size != n or (r < 0).any():
            raise ValueError(f"repeat_interleave: repeats must hold {n} non-negative counts "
                             f"(one per slice of dim {d}), got {r.tolist()}")
        total = int(r.sum())
    if output_size is not None and output_size != total:
        raise ValueError(f"repeat_interleave: output_size={output_size} but the repeats give "
                         f"{total}")
    return RepeatInterleaveFn.apply(x, repeats=r, dim=d)
