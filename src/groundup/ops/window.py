"""Sliding windows and memory layouts shared by pooling and resampling (ops/pool.py,
ops/adaptive_pool.py, ops/resample.py).

Axis describes one spatial axis of a pool (PyTorch's output-size rule, ceil_mode, whether
the windows tile); window_views gives the k strided views, one per kernel offset, that a
pass over that axis combines; empty_in_layout / in_layout keep new arrays in the memory
order of the input (an (N, C, H, W) tensor may be a view of (C, H, W, N) memory); the
first-maximum helpers implement PyTorch's tie rule for max pooling.
"""

import numpy as np

from .common import as_tensor, check_ints


# ------------------------------------------------------------------ geometry and layout
def layout_order(a):
    """a's axes from the slowest-varying in memory to the fastest (by |stride|)."""
    return tuple(sorted(range(a.ndim), key=lambda ax: -abs(a.strides[ax])))


def empty_in_layout(xp, like, shape, dtype=None, fill=None):
    """A new array of `shape` laid out in the axis order of `like`'s memory (its strides),
    or in the axis order `like` when it is a tuple: for an (N, C, H, W) view of (C, H, W, N)
    memory, another such view."""
    order = like if isinstance(like, tuple) else layout_order(like)
    dtype = like.dtype if dtype is None else dtype
    shape_in_order = [shape[a] for a in order]
    base = (xp.empty(shape_in_order, dtype) if fill is None
            else xp.full(shape_in_order, fill, dtype))
    return base.transpose(np.argsort(order))


def window_views(a, axis, k, s, d, n):
    """The k views a[..., j*d : j*d + (n - 1)*s + 1 : s, ...] along `axis` (j < k): view j
    holds the j-th element of each of the n windows."""
    at = (slice(None),) * axis
    return [a[at + (slice(j * d, j * d + (n - 1) * s + 1, s),)] for j in range(k)]


class Axis:
    """One spatial axis of a pool: input length L, kernel k, stride s, padding p, dilation d,
    output length n, the extra right padding ceil_mode needs, and whether windows tile."""

    __slots__ = ("L", "k", "s", "p", "d", "n", "extra", "tiles")

    def __init__(self, L, k, s, p, d=1, ceil_mode=False):
        self.L, self.k, self.s, self.p, self.d = L, k, s, p, d
        span = L + 2 * p - d * (k - 1) - 1
        n = (span + (s - 1 if ceil_mode else 0)) // s + 1
        if ceil_mode and (n - 1) * s >= L + p:  # the last window must start inside
            n -= 1
        self.n = n
        self.extra = max(0, (n - 1) * s + d * (k - 1) + 1 - (L + 2 * p))
        # each element in exactly one window: a backward may write instead of add
        self.tiles = p == 0 and self.extra == 0 and s == k and d == 1 and n * k == L

    @property
    def padded(self):
        return self.L + 2 * self.p + self.extra


def in_layout(xp, a, like):
    """a, or a copy of it laid out as `like` (an array, or an axis order): an ufunc over
    operands of different layouts runs several times slower than over matching ones."""
    if a.ndim < 2 or layout_order(a) == (like if isinstance(like, tuple) else layout_order(like)):
        return a
    out = empty_in_layout(xp, like, a.shape, a.dtype)
    out[...] = a
    return out


def padded(xp, x, axes, fill):
    """x with its trailing axes padded by p on the left and p + extra on the right."""
    if all(a.p == 0 and a.extra == 0 for a in axes):
        return x
    lead = x.ndim - len(axes)
    out = empty_in_layout(xp, x, x.shape[:lead] + tuple(a.padded for a in axes), fill=fill)
    out[(Ellipsis,) + tuple(slice(a.p, a.p + a.L) for a in axes)] = x
    return out


def interior(g, axes):
    if all(a.p == 0 and a.extra == 0 for a in axes):
        return g
    return g[(Ellipsis,) + tuple(slice(a.p, a.p + a.L) for a in axes)]


def lowest(dtype):
    return -np.inf if np.dtype(dtype).kind == "f" else np.iinfo(dtype).min


def _max_mask(xp, views, m):
    """A function j -> the mask of the elements of views[j] equal to their window's maximum
    m. A nan is a maximum (np.maximum propagates it) and, as in PyTorch's CPU kernels, the
    LAST nan of a window is its maximum: where m is nan, views[j] matches where it is nan
    and no later view is. The nan masks are built (all at once) only when m has a nan."""
    if not (m.dtype.kind == "f" and xp.isnan(m).any()):
        return lambda j: views[j] == m
    masks, later = [None] * len(views), xp.zeros(m.shape, bool)
    for j in range(len(views) - 1, -1, -1):
        nan = xp.isnan(views[j])
        masks[j] = (views[j] == m) | (nan & ~later)
        later |= nan
    return masks.__getitem__


def first_max_offsets(xp, views, m):
    """Per window, the first offset j whose element equals the window's maximum m (int64,
    shaped as m); the last nan when the maximum is nan (PyTorch's rule)."""
    off = xp.full(m.shape, len(views) - 1, dtype=np.int64)
    is_max = _max_mask(xp, views, m)
    for j in range(len(views) - 2, -1, -1):  # backwards, so the first match is written last
        xp.copyto(off, j, where=is_max(j))
    return off


def first_max_hits(xp, views, m):
    """For j = 0, 1, ...: the mask of windows whose FIRST element equal to their maximum m
    (the last nan when m is nan, as PyTorch) is views[j] (True for every window when
    k == 1)."""
    k = len(views)
    if k == 1:
        yield True
        return
    is_max = _max_mask(xp, views, m)
    free = None  # windows whose maximum has not been found yet
    for j in range(k - 1):
        hit = is_max(j)
        if free is None:
            free = ~hit
        else:
            hit &= free
            free ^= hit  # hit is a subset of free
        yield hit
    yield free  # the maximum is at the last offset when it was not earlier


# ------------------------------------------------------------------ arguments
def spatial_tuple(name, value, nd, what):
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return (int(value),) * nd
    values = check_ints(name, value, what)
    if len(values) == 1 and nd > 1:
        values = values * nd
    if len(values) != nd:
        raise ValueError(f"{name}: {what} must be an int or a tuple of {nd} ints, "
                         f"got {value!r}")
    return values


def pool_input(name, input, nd):
    """The input as a Tensor of nd + 1 (unbatched) or nd + 2 dims with non-empty planes."""
    x = as_tensor(input)
    if x.ndim not in (nd + 1, nd + 2) or 0 in x.shape[x.ndim - nd - 1:]:
        kind = "(C, L) or (N, C, L)" if nd == 1 else "(C, H, W) or (N, C, H, W)"
        raise ValueError(f"{name}: expected a {nd + 1}-D or {nd + 2}-D input {kind} with "
                         f"non-empty channels and spatial sizes, got shape {tuple(x.shape)}")
    return x
