"""Joining and cutting: cat, stack, split, chunk, unbind, narrow, pad.

split / chunk / unbind return one basic-indexing node (ops/index.py IndexFn) per piece.
"""


import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from .common import as_tensor, check_dim, check_ints, keywords
from .elementwise import cast
from .index import IndexFn
from .shape import ReshapeFn

__all__ = ["cat", "stack", "split", "chunk", "unbind", "narrow", "pad"]


class CatFn(Function):
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


class StackFn(Function):
    """y = x_1, ..., x_k stacked along a new dim d.     x_i: S -> y: S with k inserted at d
    dx_i = dy[..., i, ...] at dim d (views)."""

    def forward(self, *arrays, dim):
        self.dim = dim
        return self.xp.stack(arrays, axis=dim)

    def backward(self, dy):
        lead = (slice(None),) * self.dim
        return tuple(dy[lead + (i,)] if need else None
                     for i, need in enumerate(self.needs_input_grad))


class PadFn(Function):
    """y = x padded by (lo, hi) per dim; negative amounts crop.       x: S -> y: S + lo + hi

    Per padded dim of size n (positions 0..n-1 of x; pad position -j before, n-1+j after):
    constant:  y = value around x                      dx = dy[interior]
    replicate: y[-j] = x[0], y[n-1+j] = x[n-1]         dx = interior + each pad's sum at its edge
    reflect:   y[-j] = x[j], y[n-1+j] = x[n-1-j]       dx = interior + the pads, flipped, at the
               (mirrored without the edge element)          elements they copy
    circular:  y[-j] = x[n-j], y[n-1+j] = x[j-1]       dx = interior + each pad at the elements
               (the far end wrapped around)                  it copies (no flip)
    Negative amounts crop as PyTorch does: reflect and replicate pad the whole of x and then
    crop (a reflection may reach into the cropped part); constant and circular crop first
    and pad what is left.
    saved: the pad amounts and shapes (the backward is index arithmetic on dy, nothing else).
    """

    def forward(self, x, pads, mode, value):
        xp = self.xp
        self.shape, self.mode = x.shape, mode
        self.grow = tuple((max(lo, 0), max(hi, 0)) for lo, hi in pads)
        self.pad_first = mode in ("reflect", "replicate")
        if self.pad_first:
            full = xp.pad(x, self.grow, mode="reflect" if mode == "reflect" else "edge")
            self.full_shape = full.shape
            self.cut = _cut(full.shape, pads)
            return full[self.cut]
        self.cut = _cut(x.shape, pads)
        xc = x[self.cut]
        if mode == "circular":
            return xp.pad(xc, self.grow, mode="wrap")
        out_shape = tuple(n + lo + hi for n, (lo, hi) in zip(xc.shape, self.grow, strict=True))
        y = xp.full(out_shape, value, dtype=x.dtype)
        y[tuple(slice(lo, lo + n) for n, (lo, _) in zip(xc.shape, self.grow, strict=True))] = xc
        return y

    def backward(self, dy):
        xp = self.xp
        if self.pad_first:
            g = dy
            if g.shape != self.full_shape:  # the cropped parts of the padded x get 0
                g = xp.zeros(self.full_shape, dy.dtype)
                g[self.cut] = dy
            return self._fold(g)
        g = self._fold(dy)
        if g.shape == self.shape:
            return g
        dx = xp.zeros(self.shape, dy.dtype)  # negative pads cropped x: those parts get 0
        dx[self.cut] = g
        return dx

    def _fold(self, g):
        """Add each pad's gradient to the elements it copies; return the interior."""
        xp = self.xp
        for d, (lo, hi) in enumerate(self.grow):
            if lo == 0 and hi == 0:
                continue
            n = g.shape[d] - lo - hi
            at = (slice(None),) * d
            core = g[at + (slice(lo, lo + n),)]
            if self.mode == "constant":
                g = core
                continue
            core = core.copy()  # the pads are folded into it
            before, after = g[at + (slice(0, lo),)], g[at + (slice(lo + n, None),)]
            if self.mode == "replicate":
                if lo:
                    core[at + (slice(0, 1),)] += before.sum(d, keepdims=True)
                if hi:
                    core[at + (slice(n - 1, n),)] += after.sum(d, keepdims=True)
            elif self.mode == "reflect":  # pad position -j mirrors element j (j = 1..lo)
                if lo:
                    core[at + (slice(1, lo + 1),)] += xp.flip(before, d)
                if hi:
                    core[at + (slice(n - 1 - hi, n - 1),)] += xp.flip(after, d)
            else:  # circular: the lo pads copy the last lo elements, the hi pads the first hi
                if lo:
                    core[at + (slice(n - lo, n),)] += before
                if hi:
                    core[at + (slice(0, hi),)] += after
            g = core
        return g


def _cut(shape, pads):
    """The slices that crop `shape` by the negative pad amounts."""
    return tuple(slice(max(-lo, 0), n - max(-hi, 0))
                 for n, (lo, hi) in zip(shape, pads, strict=True))


def _float_target(tensors):
    dtypes = [t.array.dtype for t in tensors]
    if all(d == dtypes[0] for d in dtypes):
        return None
    floats = [d for d in dtypes if d.kind == "f"]
    return max(floats, key=lambda d: d.itemsize) if floats else np.result_type(*dtypes)


def _same_dtype(tensors):
    """Promote as PyTorch does: to the widest float present, else NumPy's integer promotion."""
    target = _float_target(tensors)
    if target is None:
        return tensors
    return [t if t.array.dtype == target else cast(t, target) for t in tensors]


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
    d = check_dim("cat", dim, ref.ndim)
    for i, t in enumerate(tensors[1:], 1):
        if t.ndim != ref.ndim or any(
            a != b for j, (a, b) in enumerate(zip(t.shape, ref.shape, strict=True)) if j != d
        ):
            raise ValueError(
                f"cat: tensor {i} has shape {tuple(t.shape)} but tensor 0 has shape "
                f"{tuple(ref.shape)}; all sizes except along dim {d} must match"
            )
    if len(tensors) == 1:
        return ReshapeFn.apply(tensors[0], shape=tensors[0].shape)
    return CatFn.apply(*_same_dtype(tensors), dim=d)


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
    d = check_dim("stack", dim, ref.ndim + 1)
    return StackFn.apply(*_same_dtype(tensors), dim=d)


def _narrow(x, d, start, stop):
    return IndexFn.apply(x, index=(slice(None),) * d + (slice(start, stop),), mode="assign")


def split(x, split_size_or_sections, dim=0):
    """Split along dim into pieces of split_size (the last may be smaller) or of the given sizes.
    Returns a tuple of tensors (views of x)."""
    x = as_tensor(x)
    if x.ndim == 0:
        raise ValueError("split: a zero-dimensional tensor cannot be split")
    d = check_dim("split", dim, x.ndim)
    n = x.shape[d]
    s = split_size_or_sections
    if isinstance(s, (int, np.integer)) and not isinstance(s, bool):
        s = int(s)
        if s < 0 or (s == 0 and n != 0):
            raise ValueError(f"split: split_size must be positive, got {s} (dimension {d} "
                             f"has size {n})")
        starts = list(range(0, n, s)) if n else [0]
        return tuple(_narrow(x, d, a, min(a + s, n)) for a in starts)
    sizes = check_ints("split", s, "split sizes")
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


def chunk(input, chunks, dim=0):
    """Split into `chunks` pieces of ceil(n / chunks) (fewer pieces when they run out),
    as torch.chunk."""
    x = as_tensor(input)
    if not isinstance(chunks, (int, np.integer)) or isinstance(chunks, bool) or chunks <= 0:
        raise ValueError(f"chunk: chunks must be a positive int, got {chunks!r}")
    if x.ndim == 0:
        raise ValueError("chunk: a zero-dimensional tensor cannot be chunked")
    d = check_dim("chunk", dim, x.ndim)
    n = x.shape[d]
    size = -(-n // int(chunks))
    if size == 0:
        return tuple(_narrow(x, d, 0, 0) for _ in range(int(chunks)))
    return split(x, size, d)


def unbind(input, dim=0):
    """The slices of x along dim, as a tuple (each without that dim)."""
    x = as_tensor(input)
    if x.ndim == 0:
        raise ValueError("unbind: a zero-dimensional tensor has no dimension to unbind")
    d = check_dim("unbind", dim, x.ndim)
    lead = (slice(None),) * d
    return tuple(IndexFn.apply(x, index=lead + (i,), mode="assign") for i in range(x.shape[d]))


@keywords
def narrow(input, dim, start, length):
    """The `length` elements of dim from `start` (negative counts from the end): a view,
    as torch.narrow; start may be a 0-d integer tensor."""
    x = as_tensor(input)
    if x.ndim == 0:
        raise ValueError("narrow: a zero-dimensional tensor cannot be narrowed")
    d = check_dim("narrow", dim, x.ndim)
    start = int(start.item()) if isinstance(start, Tensor) else start
    (start, length), n = check_ints("narrow", (start, length), "start and length"), x.shape[d]
    if not -n <= start <= n:
        raise IndexError(f"narrow: start {start} is out of range for dimension {d} of size {n} "
                         f"(expected {-n} <= start <= {n})")
    if start < 0:
        start += n
    if length < 0 or start + length > n:
        raise ValueError(f"narrow: start ({start}) + length ({length}) exceeds dimension {d} of "
                         f"size {n} (tensor of shape {tuple(x.shape)})")
    return _narrow(x, d, start, start + length)


_PAD_MODES = ("constant", "reflect", "replicate", "circular")


def pad(input, pad, mode="constant", value=None):
    """Pad (or, with negative amounts, crop) as torch.nn.functional.pad: `pad` lists
    (before, after) pairs from the LAST dim backwards.

    Modes: 'constant' (with `value`, default 0), 'reflect' (mirror without the edge; each
    amount smaller than the dim), 'replicate' (repeat the edge), 'circular' (wrap around;
    each amount at most the dim). Unlike PyTorch, the non-constant modes pad any number of
    dims of a tensor of any rank.
    """
    x = as_tensor(input)
    amounts = check_ints("pad", pad, "pad amounts")
    if len(amounts) % 2 or len(amounts) > 2 * x.ndim:
        raise ValueError(
            f"pad: expected an even number of pad amounts, at most 2 * ndim = {2 * x.ndim} "
            f"for a tensor of shape {tuple(x.shape)}; got {len(amounts)}"
        )
    if mode not in _PAD_MODES:
        raise ValueError(f"pad: unknown mode {mode!r}; expected one of {_PAD_MODES}")
    if mode != "constant" and value is not None and value != 0:
        raise ValueError(f"pad: mode {mode!r} takes no value (got value={value!r}); "
                         f"only mode 'constant' pads with a value")
    pads = [(0, 0)] * x.ndim
    for k in range(len(amounts) // 2):
        pads[x.ndim - 1 - k] = (amounts[2 * k], amounts[2 * k + 1])
    for d, (lo, hi) in enumerate(pads):
        _check_pad_amounts(mode, d, lo, hi, x.shape)
    return PadFn.apply(x, pads=tuple(pads), mode=mode, value=0.0 if value is None else value)


def _check_pad_amounts(mode, d, lo, hi, shape):
    n = shape[d]
    inner = n - max(-lo, 0) - max(-hi, 0)  # what is left after cropping
    grows = lo > 0 or hi > 0
    if mode in ("reflect", "replicate"):  # pad the whole dim, then crop
        if n + lo + hi < 0:
            raise ValueError(f"pad: padding {(lo, hi)} crops dimension {d} of size {n} below 0")
    elif inner < 0:
        raise ValueError(f"pad: padding {(lo, hi)} crops dimension {d} of size {n} below 0")
    where = f"dimension {d} (tensor of shape {tuple(shape)})"
    if mode == "reflect" and grows and (lo >= n or hi >= n):
        raise ValueError(f"pad: reflect padding {(lo, hi)} must be smaller than the size {n} "
                         f"of {where}")
    if mode == "replicate" and grows and n == 0:
        raise ValueError(f"pad: cannot replicate-pad the empty {where}")
    if mode == "circular" and grows and (lo > inner or hi > inner):
        raise ValueError(f"pad: circular padding {(lo, hi)} must be at most the size {inner} "
                         f"of {where} (after cropping); it would wrap around more than once")
