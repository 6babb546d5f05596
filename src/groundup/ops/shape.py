"""Shape primitives: reshape, permute, expand, indexing, concatenation, padding, gathering.

Where NumPy gives a view (reshape of contiguous data, transpose, permute,
expand, basic indexing, flip) the output shares memory with the input; no
backward ever writes into its `dy`. Shape-only wrappers (view, squeeze,
unsqueeze, flatten) are all the one `Reshape` primitive; transpose is a
`Permute`; split / chunk / unbind return one basic-indexing node per piece.

Notation: x has shape S, y the output; dims may be negative, as in PyTorch.
"""

import math

import numpy as np

from ..autograd import Function
from ..backend import array_module
from ..tensor import Tensor
from .common import as_tensor, normalize_dim
from .elementwise import cast

__all__ = [
    "reshape", "transpose", "permute", "expand", "squeeze", "unsqueeze", "flatten",
    "getitem", "cat", "stack", "split", "chunk", "unbind", "pad", "masked_fill",
    "one_hot", "gather", "repeat", "flip",
]

_INT_VIEW = {2: "int16", 4: "int32", 8: "int64"}


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


# ------------------------------------------------------------- functions
class Reshape(Function):
    """y = the elements of x in C order, with a new shape.      x: S -> y: T, prod(S) = prod(T)
    dx = dy reshaped to S
    saved: only S. (A view when x's layout allows it, else a copy.)"""

    def forward(self, x, shape):
        self.shape = x.shape
        return x.reshape(shape)

    def backward(self, dy):
        return dy.reshape(self.shape)


class Permute(Function):
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


class Expand(Function):
    """y = x broadcast to `shape` (a read-only view: no copy)     x: S -> y: shape
    dx = dy (the engine sums it back to S: the adjoint of broadcasting is summation)."""

    def forward(self, x, shape):
        return self.xp.broadcast_to(x, shape)

    def backward(self, dy):
        return dy


class Index(Function):
    """y = x[index]   (basic indexing gives a view; integer / boolean arrays a copy)
    dx = zeros(S); dx[index] = dy                    (basic indexing, boolean masks)
         zeros(S); dx[index] += dy, repeats summed    (integer arrays)
    saved: the index, S and how to scatter. Integer arrays on the leading axes
    (x[idx], x[rows, cols], ...) scatter through flat positions and a 1-D
    add.at, 3-4x faster than add.at on the n-d index."""

    def forward(self, x, index, mode):
        self.shape = x.shape
        self.index = index
        self.mode = mode
        return x[index]

    def backward(self, dy):
        xp = self.xp
        dx = xp.zeros(self.shape, dy.dtype)
        index, mode = self.index, self.mode
        if mode == "assign":
            dx[index] = dy
        elif mode == "flat":
            arrays = index if type(index) is tuple else (index,)
            arrays = [a for a in arrays if a is not Ellipsis and not isinstance(a, slice)]
            k = len(arrays)
            lin = None
            for a, n in zip(arrays, self.shape[:k], strict=True):
                if a.size and (a < 0).any():
                    a = a + n * (a < 0)
                lin = a if lin is None else lin * n + a
            inner = math.prod(self.shape[k:])
            if inner != 1:
                lin = lin[..., None] * inner + xp.arange(inner)
            xp.add.at(dx.reshape(-1), lin.reshape(-1), dy.reshape(-1))
        else:
            xp.add.at(dx, index, dy)
        return dx


class Cat(Function):
    """y = x_1, ..., x_k joined along dim d.      x_i: S_i (equal but at d) -> y: sum of S_i[d]
    dx_i = the slice of dy that x_i filled (views)
    saved: the sizes along d."""

    def forward(self, *arrays, dim):
        self.dim = dim
        self.sizes = [a.shape[dim] for a in arrays]
        return self.xp.concatenate(arrays, axis=dim)

    def backward(self, dy):
        lead = (slice(None),) * self.dim
        out, start = [], 0
        for need, n in zip(self.needs_input_grad, self.sizes, strict=True):
            out.append(dy[lead + (slice(start, start + n),)] if need else None)
            start += n
        return tuple(out)


class Stack(Function):
    """y = x_1, ..., x_k stacked along a new dim d.     x_i: S -> y: S with k inserted at d
    dx_i = dy[..., i, ...] at dim d (views)."""

    def forward(self, *arrays, dim):
        self.dim = dim
        return self.xp.stack(arrays, axis=dim)

    def backward(self, dy):
        lead = (slice(None),) * self.dim
        return tuple(dy[lead + (i,)] if need else None
                     for i, need in enumerate(self.needs_input_grad))


class Pad(Function):
    """y = x padded by (before, after) per dim; negative amounts crop.
    constant:  y = value around x;                     dx = dy[interior]
    replicate: the edge element is repeated;           dx = interior + the pad sums at each edge
    reflect:   mirrored without the edge element;      dx = interior + the mirrored pads
    saved: the pad amounts and S (nothing else: the backward is index arithmetic on dy)."""

    def forward(self, x, pads, mode, value):
        xp = self.xp
        self.shape = x.shape
        self.pads = pads
        self.mode = mode
        crop = tuple(slice(max(-lo, 0), n - max(-hi, 0))
                     for n, (lo, hi) in zip(x.shape, pads, strict=True))
        self.crop = crop
        xc = x[crop]
        grow = [(max(lo, 0), max(hi, 0)) for lo, hi in pads]
        if mode == "constant":
            out_shape = tuple(n + lo + hi for n, (lo, hi) in zip(xc.shape, grow, strict=True))
            y = xp.full(out_shape, value, dtype=x.dtype)
            y[tuple(slice(lo, lo + n) for n, (lo, _) in zip(xc.shape, grow, strict=True))] = xc
            return y
        return xp.pad(xc, grow, mode="reflect" if mode == "reflect" else "edge")

    def backward(self, dy):
        xp = self.xp
        g = dy
        for d, (lo, hi) in enumerate(self.pads):
            lo, hi = max(lo, 0), max(hi, 0)
            if lo == 0 and hi == 0:
                continue
            n = g.shape[d] - lo - hi
            lead = (slice(None),) * d
            core = g[lead + (slice(lo, lo + n),)]
            if self.mode == "constant":
                g = core
                continue
            core = core.copy()  # the pads are folded back into it
            if self.mode == "replicate":
                if lo:
                    core[lead + (slice(0, 1),)] += g[lead + (slice(0, lo),)].sum(d, keepdims=True)
                if hi:
                    core[lead + (slice(n - 1, n),)] += g[lead + (slice(lo + n, None),)].sum(
                        d, keepdims=True)
            else:  # reflect: pad position lo - j mirrors element j (j = 1..lo), likewise after
                if lo:
                    core[lead + (slice(1, lo + 1),)] += xp.flip(g[lead + (slice(0, lo),)], d)
                if hi:
                    core[lead + (slice(n - 1 - hi, n - 1),)] += xp.flip(
                        g[lead + (slice(lo + n, None),)], d)
            g = core
        if g.shape == self.shape:
            return g
        dx = xp.zeros(self.shape, dy.dtype)  # negative pads cropped x: those parts get 0
        dx[self.crop] = g
        return dx


class MaskedFill(Function):
    """y = value where mask else x              x: S, mask: broadcastable -> y: broadcast shape
    dx = dy * ~mask        dvalue = sum(dy * mask)     (when value is a tensor)
    saved: the mask. Float data is selected bitwise ((x ^ v) & m) ^ x, exact for any value
    (inf, nan) and free of the data-dependent branches that make where() slow here."""

    def forward(self, x, v=None, mask=None, value=None, shape=None):
        xp = self.xp
        self.mask = mask
        if v is not None:
            value = v
        value = xp.asarray(value, dtype=x.dtype)
        kind = _INT_VIEW.get(x.dtype.itemsize) if x.dtype.kind == "f" else None
        if kind is None:
            return xp.where(mask, value, x)
        ity = getattr(xp, kind)
        xb = x.view(ity)
        if x.shape != shape:
            xb = xp.broadcast_to(xb, shape)
        out = xp.asarray(xp.bitwise_xor(xb, value.view(ity)))  # 0-d gives a scalar
        out &= xp.negative(mask.view(xp.int8))  # True -> -1: all bits set after widening
        out ^= xb
        return out.view(x.dtype)

    def backward(self, dy):
        mask = self.mask
        dx = dy * ~mask if self.needs_input_grad[0] else None
        if len(self.needs_input_grad) == 1:
            return dx
        dv = None
        if self.needs_input_grad[1]:
            dv = self.xp.asarray((dy * mask).sum())
        return dx, dv


class Gather(Function):
    """y[..i.., j, ..k..] = x[..i.., index[..i.., j, ..k..], ..k..] along dim d   (torch.gather)
    x: S, index: I (same ndim, I[a] <= S[a] for a != d) -> y: I
    dx = zeros(S); dx[..., index, ...] += dy, repeated indices summed (flat 1-D add.at)
    saved: the index and S."""

    def forward(self, x, index, dim):
        self.shape = x.shape
        self.index = index
        self.dim = dim
        if x.ndim == 0:
            return x.copy()
        lin = _gather_positions(self.xp, x.shape, index, dim)
        if x.flags.c_contiguous:
            return x.reshape(-1)[lin]
        return x[self.xp.unravel_index(lin, x.shape)]

    def backward(self, dy):
        xp = self.xp
        if len(self.shape) == 0:
            return dy
        dx = xp.zeros(self.shape, dy.dtype)
        lin = _gather_positions(xp, self.shape, self.index, self.dim)
        xp.add.at(dx.reshape(-1), lin.reshape(-1), dy.reshape(-1))
        return dx


class Repeat(Function):
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


class Flip(Function):
    """y = x reversed along the given dims (a view)
    dx = dy reversed along the same dims."""

    def forward(self, x, index):
        self.index = index
        return x[index]

    def backward(self, dy):
        return dy[self.index]


def _gather_positions(xp, shape, index, dim):
    """Flat C-order positions in an array of `shape` that gather(x, dim, index) reads."""
    strides = [math.prod(shape[a + 1:]) for a in range(len(shape))]
    lin = index * strides[dim]
    for a, n in enumerate(index.shape):
        if a != dim:
            view = [1] * index.ndim
            view[a] = n
            lin = lin + (xp.arange(n) * strides[a]).reshape(view)
    return lin


# ------------------------------------------------------------ lowercase
def reshape(x, shape):
    """x with a new shape (one entry may be -1); a view when the layout allows. Also `view`."""
    x = as_tensor(x)
    if isinstance(shape, (int, np.integer)):
        shape = (shape,)
    shape = _ints("reshape", shape, "shape entries")
    size = x.data.size
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
    return Reshape.apply(x, shape=shape)


def transpose(x, dim0, dim1):
    """Swap two dimensions (a view)."""
    x = as_tensor(x)
    n = x.ndim
    d0 = _dim("transpose", dim0, n, "dim0")
    d1 = _dim("transpose", dim1, n, "dim1")
    dims = list(range(n))
    if n:
        dims[d0], dims[d1] = dims[d1], dims[d0]
    return Permute.apply(x, dims=tuple(dims))


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
    return Permute.apply(x, dims=dims)


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
    return Expand.apply(x, shape=tuple(out))


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
    return Reshape.apply(x, shape=tuple(keep))


def unsqueeze(x, dim):
    """Insert a size-1 dim at `dim` (in [-ndim - 1, ndim])."""
    x = as_tensor(x)
    d = _dim("unsqueeze", dim, x.ndim + 1)
    shape = x.shape[:d] + (1,) + x.shape[d:]
    return Reshape.apply(x, shape=shape)


def flatten(x, start_dim=0, end_dim=-1):
    """Merge dims start_dim..end_dim into one (a 0-d tensor becomes shape (1,))."""
    x = as_tensor(x)
    if x.ndim == 0:
        return Reshape.apply(x, shape=(1,))
    s = _dim("flatten", start_dim, x.ndim, "start_dim")
    e = _dim("flatten", end_dim, x.ndim, "end_dim")
    if s > e:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim} "
                         f"(tensor of shape {tuple(x.shape)})")
    shape = x.shape[:s] + (math.prod(x.shape[s:e + 1]),) + x.shape[e + 1:]
    return Reshape.apply(x, shape=shape)


def _index_item(it, xp):
    """One index entry as NumPy understands it, and its kind: 'b' basic, 'i' ints, 'm' mask."""
    if isinstance(it, Tensor):
        it = it.data
    elif isinstance(it, (list, range)):
        it = np.asarray(it) if len(it) else np.zeros(0, np.int64)
    if isinstance(it, (bool, np.bool_)):
        return it, "m"
    if it is None or it is Ellipsis or isinstance(it, (int, np.integer, slice)):
        return it, "b"
    if hasattr(it, "dtype") and hasattr(it, "shape"):
        kind = it.dtype.kind
        if kind not in "iub":
            raise IndexError(
                f"getitem: index arrays must be integer or bool, got dtype {it.dtype}"
            )
        if array_module(it) is not xp:
            it = xp.asarray(it)
        return it, ("m" if kind == "b" else "i")
    raise IndexError(
        f"getitem: unsupported index {it!r} ({type(it).__name__}); use ints, slices, None, "
        f"..., integer or boolean arrays/tensors, or a tuple of them"
    )


def getitem(x, index):
    """x[index]: ints, slices (with steps), None, ..., integer arrays / lists / tensors,
    boolean masks, and tuples mixing them (NumPy's rules)."""
    x = as_tensor(x)
    if type(index) is int or type(index) is slice:
        items, mode = index, "assign"
    else:
        xp = array_module(x.data)
        parts = [_index_item(it, xp) for it in (index if type(index) is tuple else (index,))]
        kinds = "".join(k for _, k in parts)
        items = tuple(it for it, _ in parts)
        if type(index) is not tuple:
            items = items[0]
        if "i" not in kinds:
            mode = "assign"  # basic indexing and boolean masks select each element once
        else:
            k = len(kinds) - len(kinds.lstrip("i"))
            rest = [it for it, _ in parts[k:]]
            full = all(type(it) is slice and it == slice(None) for it in rest)
            if rest and rest[-1] is Ellipsis:
                full = all(type(it) is slice and it == slice(None) for it in rest[:-1])
            mode = "flat" if full and k <= x.ndim else "accumulate"
    try:
        return Index.apply(x, index=items, mode=mode)
    except IndexError as e:
        raise IndexError(f"getitem: {e} (tensor of shape {tuple(x.shape)})") from None


def _float_target(tensors):
    dtypes = [t.data.dtype for t in tensors]
    if all(d == dtypes[0] for d in dtypes):
        return None
    floats = [d for d in dtypes if d.kind == "f"]
    return max(floats, key=lambda d: d.itemsize) if floats else np.result_type(*dtypes)


def _same_dtype(tensors):
    """Promote as PyTorch does: to the widest float present, else NumPy's integer promotion."""
    target = _float_target(tensors)
    if target is None:
        return tensors
    return [t if t.data.dtype == target else cast(t, target) for t in tensors]


def _sequence(name, tensors):
    if isinstance(tensors, Tensor) or not isinstance(tensors, (list, tuple)):
        raise TypeError(
            f"{name}: expected a list or tuple of tensors, got {type(tensors).__name__}"
        )
    if len(tensors) == 0:
        raise ValueError(f"{name}: expected a non-empty list of tensors")
    return [as_tensor(t) for t in tensors]


def cat(tensors, dim=0):
    """Join tensors along an existing dim; all other sizes must match. Mixed dtypes promote."""
    tensors = _sequence("cat", tensors)
    if any(t.ndim != 1 or t.shape[0] != 0 for t in tensors):
        # PyTorch skips 1-d empty tensors when joining tensors of more dimensions
        kept = [t for t in tensors if not (t.ndim == 1 and t.shape[0] == 0)]
        tensors = kept or tensors[:1]
    ref = tensors[0]
    if ref.ndim == 0:
        raise ValueError("cat: zero-dimensional tensors cannot be concatenated; use stack")
    d = _dim("cat", dim, ref.ndim)
    for i, t in enumerate(tensors[1:], 1):
        if t.ndim != ref.ndim or any(
            a != b for j, (a, b) in enumerate(zip(t.shape, ref.shape, strict=True)) if j != d
        ):
            raise ValueError(
                f"cat: tensor {i} has shape {tuple(t.shape)} but tensor 0 has shape "
                f"{tuple(ref.shape)}; all sizes except along dim {d} must match"
            )
    if len(tensors) == 1:
        return Reshape.apply(tensors[0], shape=tensors[0].shape)
    return Cat.apply(*_same_dtype(tensors), dim=d)


def stack(tensors, dim=0):
    """Join equally shaped tensors along a new dim (in [-ndim - 1, ndim])."""
    tensors = _sequence("stack", tensors)
    ref = tensors[0]
    for i, t in enumerate(tensors[1:], 1):
        if t.shape != ref.shape:
            raise ValueError(
                f"stack: every tensor must have the same shape, but tensor 0 has "
                f"{tuple(ref.shape)} and tensor {i} has {tuple(t.shape)}"
            )
    d = _dim("stack", dim, ref.ndim + 1)
    return Stack.apply(*_same_dtype(tensors), dim=d)


def _narrow(x, d, start, stop):
    return Index.apply(x, index=(slice(None),) * d + (slice(start, stop),), mode="assign")


def split(x, split_size_or_sections, dim=0):
    """Split along dim into pieces of split_size (the last may be smaller) or of the given sizes.
    Returns a tuple of tensors (views of x)."""
    x = as_tensor(x)
    if x.ndim == 0:
        raise ValueError("split: a zero-dimensional tensor cannot be split")
    d = _dim("split", dim, x.ndim)
    n = x.shape[d]
    s = split_size_or_sections
    if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
        s = int(s)
        if s < 0 or (s == 0 and n != 0):
            raise ValueError(f"split: split_size must be positive, got {s} (dimension {d} "
                             f"has size {n})")
        starts = list(range(0, n, s)) if n else [0]
        return tuple(_narrow(x, d, a, min(a + s, n)) for a in starts)
    sizes = _ints("split", s, "split sizes")
    if any(k < 0 for k in sizes) or sum(sizes) != n:
        raise ValueError(
            f"split: sizes {list(sizes)} must be non-negative and sum to {n}, the size of "
            f"dimension {d} (tensor of shape {tuple(x.shape)})"
        )
    out, a = [], 0
    for k in sizes:
        out.append(_narrow(x, d, a, a + k))
        a += k
    return tuple(out)


def chunk(x, chunks, dim=0):
    """Split into `chunks` pieces of ceil(n / chunks) (fewer pieces when they run out),
    as torch.chunk."""
    x = as_tensor(x)
    if not isinstance(chunks, (int, np.integer)) or isinstance(chunks, bool) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    if x.ndim == 0:
        raise ValueError("chunk: a zero-dimensional tensor cannot be chunked")
    d = _dim("chunk", dim, x.ndim)
    n = x.shape[d]
    size = -(-n // int(chunks))
    if size == 0:
        return tuple(_narrow(x, d, 0, 0) for _ in range(int(chunks)))
    return split(x, size, d)


def unbind(x, dim=0):
    """The slices of x along dim, as a tuple (each without that dim)."""
    x = as_tensor(x)
    if x.ndim == 0:
        raise ValueError("unbind: a zero-dimensional tensor has no dimension to unbind")
    d = _dim("unbind", dim, x.ndim)
    lead = (slice(None),) * d
    return tuple(Index.apply(x, index=lead + (i,), mode="assign") for i in range(x.shape[d]))


_PAD_MODES = ("constant", "reflect", "replicate")


def pad(x, pad, mode="constant", value=0.0):
    """Pad (or, with negative amounts, crop) as torch.nn.functional.pad: `pad` lists
    (before, after) pairs from the LAST dim backwards. Modes: constant, reflect, replicate."""
    x = as_tensor(x)
    amounts = _ints("pad", pad, "pad amounts")
    if len(amounts) % 2 or len(amounts) > 2 * x.ndim:
        raise ValueError(
            f"pad: expected an even number of pad amounts, at most 2 * ndim = {2 * x.ndim} "
            f"for a tensor of shape {tuple(x.shape)}; got {len(amounts)}"
        )
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: unknown mode {mode!r}; expected one of {_PAD_MODES}")
    pads = [(0, 0)] * x.ndim
    for k in range(len(amounts) // 2):
        pads[x.ndim - 1 - k] = (amounts[2 * k], amounts[2 * k + 1])
    for d, ((lo, hi), n) in enumerate(zip(pads, x.shape, strict=True)):
        inner = n - max(-lo, 0) - max(-hi, 0)
        if inner < 0 or inner + max(lo, 0) + max(hi, 0) < 0:
            raise ValueError(f"pad: padding {(lo, hi)} crops dimension {d} of size {n} below 0")
        if mode == "reflect" and (lo > 0 or hi > 0) and (lo >= inner or hi >= inner):
            raise ValueError(
                f"pad: reflect padding {(lo, hi)} must be smaller than the size {inner} of "
                f"dimension {d} (tensor of shape {tuple(x.shape)})"
            )
        if mode == "replicate" and (lo > 0 or hi > 0) and inner == 0:
            raise ValueError(f"pad: cannot replicate-pad the empty dimension {d}")
    return Pad.apply(x, pads=tuple(pads), mode=mode, value=value)


def masked_fill(x, mask, value):
    """`value` where `mask` (bool, broadcastable to x) is True, else x.

    value: a Python number or a 0-d tensor (which then gets the gradient sum(dy * mask))."""
    x = as_tensor(x)
    mask = mask.data if isinstance(mask, Tensor) else mask
    xp = array_module(x.data)
    mask = xp.asarray(mask)
    if mask.dtype.kind != "b":
        raise TypeError(f"masked_fill: the mask must be a bool tensor, got dtype {mask.dtype}")
    try:
        shape = tuple(np.broadcast_shapes(x.shape, mask.shape))
    except ValueError:
        raise ValueError(
            f"masked_fill: mask of shape {tuple(mask.shape)} does not broadcast with the "
            f"tensor's shape {tuple(x.shape)}"
        ) from None
    if isinstance(value, Tensor):
        if value.ndim != 0:
            raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got a "
                             f"tensor of shape {tuple(value.shape)}")
        if value.requires_grad and x.data.dtype.kind == "f":
            if value.data.dtype != x.data.dtype:
                value = cast(value, x.data.dtype)
            return MaskedFill.apply(x, value, mask=mask, shape=shape)
        value = value.data
    return MaskedFill.apply(x, mask=mask, value=value, shape=shape)


def one_hot(x, num_classes=-1):
    """int64 one-hot encoding: shape x.shape + (num_classes,); -1 infers max(x) + 1."""
    x = as_tensor(x)
    a = x.data
    xp = array_module(a)
    if a.dtype.kind not in "iu":
        raise TypeError(f"one_hot: expected an integer tensor of class indices, got {a.dtype}")
    if num_classes == -1:
        if a.size == 0:
            raise ValueError("one_hot: cannot infer num_classes from an empty tensor; pass it")
        num_classes = int(a.max()) + 1
    if num_classes < 0:
        raise ValueError(f"one_hot: num_classes must be positive (or -1), got {num_classes}")
    if a.size:
        lo, hi = int(a.min()), int(a.max())
        if lo < 0 or hi >= num_classes:
            raise ValueError(
                f"one_hot: class values must lie in [0, {num_classes}); got values in "
                f"[{lo}, {hi}]"
            )
    out = xp.zeros((a.size, num_classes), dtype=xp.int64)
    out[xp.arange(a.size), a.reshape(-1)] = 1
    return Tensor._wrap(out.reshape(a.shape + (num_classes,)))


def gather(x, dim, index):
    """torch.gather: y[i][j][k] = x[i][index[i][j][k]][k] for dim=1 (any ndim).

    index: int64 with x's ndim, each size <= x's except along dim; values in [0, S[dim])."""
    x = as_tensor(x)
    idx = index.data if isinstance(index, Tensor) else array_module(x.data).asarray(index)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"gather: index must be an integer tensor, got dtype {idx.dtype}")
    d = _dim("gather", dim, x.ndim)
    if idx.ndim != x.ndim:
        raise ValueError(
            f"gather: index has {idx.ndim} dimension(s) (shape {tuple(idx.shape)}) but the "
            f"input has {x.ndim} (shape {tuple(x.shape)}); they must match"
        )
    for a, (i, n) in enumerate(zip(idx.shape, x.shape, strict=True)):
        if a != d and i > n:
            raise ValueError(
                f"gather: index shape {tuple(idx.shape)} is larger than the input shape "
                f"{tuple(x.shape)} in dimension {a} (only dim {d} may be larger)"
            )
    n = x.shape[d] if x.ndim else 1
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= n:
            raise IndexError(
                f"gather: index values must lie in [0, {n}) for dimension {d}; got "
                f"values in [{lo}, {hi}]"
            )
    return Gather.apply(x, index=idx.astype(np.int64, copy=False), dim=d)


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
    return Repeat.apply(x, sizes=sizes)


def flip(x, dims):
    """Reverse the order of elements along the given dims (a view)."""
    x = as_tensor(x)
    dims = _dims("flip", dims, x.ndim) if x.ndim else ()
    index = tuple(slice(None, None, -1) if i in dims else slice(None) for i in range(x.ndim))
    return Flip.apply(x, index=index)
