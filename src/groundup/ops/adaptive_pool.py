"""Adaptive pooling: the output size is given, the windows follow from it, as PyTorch's.

Along an axis of length L pooled to O outputs, window o covers [start_o, end_o) with
start_o = floor(o * L / O) and end_o = ceil((o + 1) * L / O): the windows may differ in
length by one and may overlap. Both poolings are separable and run one pass per spatial
axis, last axis first:
- average: a pass is a product with the (O, L) averaging matrix P (P[o, i] = 1 / len_o
  inside window o), one GEMM over all rows; the backward multiplies by P transposed;
- maximum: a pass gathers offset j of every window (index min(start_o + j, end_o - 1):
  short windows repeat their last element, which never beats the first maximum) and takes
  the running maximum; the backward routes each gradient to the first maximum, as
  max pooling does (ops/pool.py).
"""

import numpy as np

from ..autograd import Function
from ..tensor import Tensor
from .window import first_max_hits, first_max_offsets, in_layout, pool_input

__all__ = ["adaptive_avg_pool1d", "adaptive_avg_pool2d", "adaptive_max_pool1d",
           "adaptive_max_pool2d"]


def adaptive_windows(L, O):
    """start and end (exclusive) of the O adaptive windows over a length L."""
    o = np.arange(O)
    return (o * L) // O, -((-(o + 1) * L) // O)


def _along(xp, a, axis, M):
    """M (O, L) applied along `axis` of a: (.., L, ..) -> (.., O, ..), as one GEMM."""
    b = xp.moveaxis(a, axis, -1)
    rows = b.reshape(-1, b.shape[-1]) @ M.T  # reshape copies when b is not contiguous
    return xp.moveaxis(rows.reshape(b.shape[:-1] + (M.shape[0],)), -1, axis)


class AdaptiveAvgPoolFn(Function):
    """Adaptive average pooling over the trailing len(out_size) axes.

    forward:   per axis (last first): a_next = P a along that axis, P (O, L) averaging
               matrix                                   x: (*, H, W) -> y: (*, Ho, Wo)
               (y = P_h x P_w^T for images)
    backward:  per axis (first first): da = P^T dy along that axis
    saved:     the averaging matrices (small: O x L each).
    """

    def forward(self, x, out_size):
        xp = self.xp
        nd = len(out_size)
        self.mats = []
        for L, O in zip(x.shape[x.ndim - nd:], out_size, strict=True):
            start, end = adaptive_windows(L, O)
            i = np.arange(L)
            inside = (i >= start[:, None]) & (i < end[:, None])
            self.mats.append(xp.asarray(inside / (end - start)[:, None], dtype=x.dtype))
        a = x
        for i in reversed(range(nd)):
            a = _along(xp, a, x.ndim - nd + i, self.mats[i])
        return in_layout(xp, a, x)

    def backward(self, dy):
        nd = len(self.mats)
        g = dy
        for i in range(nd):
            g = _along(self.xp, g, dy.ndim - nd + i, self.mats[i].T)
        return g


class AdaptiveMaxPoolFn(Function):
    """Adaptive max pooling over the trailing len(out_size) axes.

    forward:   per axis (last first): a_next[.., o, ..] = max_j a[.., idx_j[o], ..],
               idx_j[o] = min(start_o + j, end_o - 1), j < the longest window
               x: (*, H, W) -> m: (*, H, Wo) -> y: (*, Ho, Wo)
    backward:  per axis (first first): da[.., idx_j[o], ..] += dm[.., o, ..] for the first
               j whose element equals the maximum (row-major first maximum, as PyTorch)
    saved:     x, m, y and the index lists (the gathers are redone in the backward).
    """

    def forward(self, x, out_size, indices_out=None):
        xp = self.xp
        nd = len(out_size)
        self.passes = []  # per pass, last axis first: (axis, index lists)
        stages = [x]
        for i in reversed(range(nd)):
            axis = x.ndim - nd + i
            start, end = adaptive_windows(x.shape[axis], out_size[i])
            kmax = int((end - start).max())
            idx = [xp.asarray(np.minimum(start + j, end - 1)) for j in range(kmax)]
            views = [xp.take(stages[-1], ix, axis=axis) for ix in idx]
            m = views[0] if kmax == 1 else xp.maximum(views[0], views[1])
            for v in views[2:]:
                xp.maximum(m, v, out=m)
            self.passes.append((axis, idx))
            stages.append(m)
            if indices_out is not None:
                self.passes[-1] += (first_max_offsets(xp, views, m),)
        if indices_out is not None:
            indices_out.append(self._indices(x.shape))
        if self.needs_input_grad[0]:
            self.save_for_backward(*stages)
        return stages[-1]

    def backward(self, dy):
        xp, stages = self.xp, self.saved
        g = dy
        for k in reversed(range(len(self.passes))):
            axis, idx = self.passes[k][:2]
            a, m = stages[k], stages[k + 1]
            views = [xp.take(a, ix, axis=axis) for ix in idx]
            da = xp.zeros(a.shape, dy.dtype)
            at = (slice(None),) * axis
            for ix, hit in zip(idx, first_max_hits(xp, views, m), strict=True):
                part = g * hit
                if bool((ix[1:] > ix[:-1]).all()):
                    da[at + (ix,)] += part  # distinct targets: fancy += adds each once
                else:
                    xp.add.at(da, at + (ix,), part)  # windows meet at one offset
            g = da
        return g

    def _indices(self, shape):
        """Flat index (h * W + w) into each input plane of every window's first maximum."""
        xp = self.xp
        (_, idx_w, off_w) = self.passes[0]
        idx_w = xp.stack(idx_w)  # (k, Wo): input column of offset j of window o
        if len(self.passes) == 1:
            return idx_w[off_w, xp.arange(off_w.shape[-1])]
        (_, idx_h, off_h) = self.passes[1]
        idx_h = xp.stack(idx_h)
        row = idx_h[off_h, xp.arange(off_h.shape[-2])[:, None]]  # (*, Ho, Wo) input rows
        w_sel = xp.take_along_axis(off_w, row, axis=-2)  # the W pass's offset on that row
        col = idx_w[w_sel, xp.arange(off_w.shape[-1])]
        return row * shape[-1] + col


def _output_size(name, x, nd, output_size):
    if isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool):
        sizes = (int(output_size),) * nd
    else:
        sizes = tuple(output_size)
        if len(sizes) == 1 and nd > 1:
            sizes = sizes * nd
        if len(sizes) != nd:
            raise ValueError(f"{name}: output_size must be an int or a tuple of {nd}, got "
                             f"{output_size!r}")
    spatial = x.shape[x.ndim - nd:]
    sizes = tuple(L if o is None else o for o, L in zip(sizes, spatial, strict=True))
    for o in sizes:
        if not isinstance(o, (int, np.integer)) or isinstance(o, bool) or o < 0:
            raise ValueError(f"{name}: output_size must hold non-negative ints (or None to "
                             f"keep a size), got {output_size!r}")
    return tuple(int(o) for o in sizes)


def _empty_result(xp, x, nd, sizes, return_indices):
    y = Tensor._wrap(xp.zeros(x.shape[:x.ndim - nd] + sizes, x.array.dtype))
    return (y, Tensor._wrap(xp.zeros(y.shape, np.int64))) if return_indices else y


def _adaptive_avg(name, nd, input, output_size):
    x = pool_input(name, input, nd)
    if x.array.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point input, got {x.array.dtype}")
    sizes = _output_size(name, x, nd, output_size)
    if 0 in sizes:
        return _empty_result(np, x, nd, sizes, False)
    return AdaptiveAvgPoolFn.apply(x, out_size=sizes)


def _adaptive_max(name, nd, input, output_size, return_indices):
    x = pool_input(name, input, nd)
    sizes = _output_size(name, x, nd, output_size)
    if 0 in sizes:
        return _empty_result(np, x, nd, sizes, return_indices)
    holder = [] if return_indices else None
    y = AdaptiveMaxPoolFn.apply(x, out_size=sizes, indices_out=holder)
    return (y, Tensor._wrap(holder[0])) if return_indices else y


def adaptive_avg_pool1d(input, output_size):
    """Mean over L_out adaptive windows of the last axis: (N, C, L) or (C, L) -> (.., L_out)."""
    return _adaptive_avg("adaptive_avg_pool1d", 1, input, output_size)


def adaptive_avg_pool2d(input, output_size):
    """Mean over adaptive windows: (N, C, H, W) or (C, H, W) -> (.., Ho, Wo); output_size
    an int or (Ho, Wo), None keeping that size (adaptive_avg_pool2d(x, 1): global average)."""
    return _adaptive_avg("adaptive_avg_pool2d", 2, input, output_size)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max over L_out adaptive windows of the last axis; return_indices as max_pool1d."""
    return _adaptive_max("adaptive_max_pool1d", 1, input, output_size, return_indices)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max over adaptive windows: (N, C, H, W) or (C, H, W) -> (.., Ho, Wo); return_indices
    gives the flat h * W + w of each window's first maximum (int64)."""
    return _adaptive_max("adaptive_max_pool2d", 2, input, output_size, return_indices)
