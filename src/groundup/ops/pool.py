"""Pooling over sliding windows: max_pool1d/2d, avg_pool1d/2d, max_unpool1d/2d.

Both poolings are separable: the maximum (or sum) over a kh x kw window is the maximum
(sum) over kw columns of each row, then over kh of those rows. So a pool is one pass per
spatial axis, last axis first, and each pass is a loop over the k kernel offsets of that
axis: offset j reads the strided view a[..., j*d :: s] (k views, no copies) and meets the
running maximum (sum) in one ufunc over the output. When the windows tile the input
(stride == kernel, no padding or dilation, divisible sizes) these views are exactly the
slices of the reshape (..., H/kh, kh, W/kw, kw): pooling by reshape, without a copy.

Layout: the views and every array made here follow the memory order of the input, so an
(N, C, H, W) tensor that is a view of (C, H, W, N) memory (batch innermost) is pooled in
that layout and the output keeps it; any strides are correct.

Ties: max-pool backward routes each window's gradient to its FIRST maximum in row-major
window order, as PyTorch does. Taking the last axis first makes this come out of the
separable passes: the W pass picks the first maximal column of each row, the H pass the
first row holding the window's maximum. (With a zero background, as in MNIST, every
window ties; routing to all tied maxima would multiply those gradients.)
"""

import numpy as np

from .. import kernels
from ..autograd import Function
from ..tensor import Tensor
from .common import check_ints
from .window import (
    Axis,
    empty_in_layout,
    first_max_hits,
    first_max_offsets,
    in_layout,
    interior,
    layout_order,
    lowest,
    padded,
    pool_input,
    spatial_tuple,
    window_views,
)

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "max_unpool1d",
           "max_unpool2d"]


# ------------------------------------------------------------------ max pooling
class MaxPoolFn(Function):
    """Max pooling over the trailing len(kernel) axes (1 or 2), one pass per axis.

    forward:   pad x with -inf by p (and ceil_mode's extra), then for the W axis and then
               the H axis: a_next[.., o, ..] = max_j a[.., o*s + j*d, ..]   (j < k)
               x: (*, H, W) -> m: (*, Hp, Wo) -> y: (*, Ho, Wo)
    backward:  per pass, last first: da[.., o*s + j*d, ..] += dm[.., o, ..] for the FIRST j
               whose a equals the pass's maximum (row-major first maximum overall, as
               PyTorch); dx = the unpadded part of the result.
    saved:     the padded x (x itself when unpadded), the intermediate m, y.
    """

    def forward(self, x, kernel, stride, padding, dilation, ceil_mode, indices_out=None):
        xp = self.xp
        nd = len(kernel)
        self.axes = axes = [Axis(L, *a, ceil_mode) for L, *a in zip(
            x.shape[x.ndim - nd:], kernel, stride, padding, dilation, strict=True)]
        y = kernels.max_pool2d_forward(self, x, axes, indices_out)
        if y is not None:
            return y  # done by the compiled kernel
        a = padded(xp, x, axes, lowest(x.dtype))
        stages = [a]
        for i in reversed(range(nd)):  # last axis first: see the module docstring on ties
            ax = axes[i]
            views = window_views(a, x.ndim - nd + i, ax.k, ax.s, ax.d, ax.n)
            a = views[0].copy(order="K") if ax.k == 1 else xp.maximum(views[0], views[1])
            for v in views[2:]:
                xp.maximum(a, v, out=a)
            stages.append(a)
        if indices_out is not None:
            indices_out.append(self._indices(stages))
        if self.needs_input_grad[0]:
            self.save_for_backward(*stages)
        return a

    def backward(self, dy):
        if kernels.saved_by_kernel(self):
            return kernels.max_pool2d_backward(self, dy)
        xp, stages, axes = self.xp, self.saved, self.axes
        nd = len(axes)
        g = in_layout(xp, dy, stages[-1])
        for p in range(nd):  # the passes in reverse: axis p was pass nd - 1 - p
            ax, a, m = axes[p], stages[nd - 1 - p], stages[nd - p]
            axis = dy.ndim - nd + p
            # tiling windows write each element of da once: no zeros needed
            da = xp.empty_like(a) if ax.tiles else xp.zeros_like(a)
            views = window_views(a, axis, ax.k, ax.s, ax.d, ax.n)
            dviews = window_views(da, axis, ax.k, ax.s, ax.d, ax.n)
            for dv, hit in zip(dviews, first_max_hits(xp, views, m), strict=True):
                if ax.tiles:
                    xp.multiply(g, hit, out=dv)
                else:
                    dv += g * hit
            g = da
        return interior(g, axes)

    def _indices(self, stages):
        """Flat index (h * W + w) into each input plane of every window's first maximum."""
        xp, axes = self.xp, self.axes
        nd, ndim = len(axes), stages[0].ndim
        offs = []
        for i in reversed(range(nd)):
            ax = axes[i]
            views = window_views(stages[nd - 1 - i], ndim - nd + i, ax.k, ax.s, ax.d, ax.n)
            offs.append(first_max_offsets(xp, views, stages[nd - i]))
        ax = axes[-1]
        w_off = offs[0]  # the W pass: shaped (*, Hp, Wo)
        if nd == 2:
            ah = axes[0]
            row = (xp.arange(ah.n)[:, None] * ah.s + offs[1] * ah.d)  # padded rows, (*, Ho, Wo)
            w_off = xp.take_along_axis(w_off, row, axis=-2)
            base = (row - ah.p) * ax.L
        else:
            base = 0
        col = xp.arange(ax.n) * ax.s + w_off * ax.d - ax.p
        return base + col


# ------------------------------------------------------------------ average pooling
class AvgPoolFn(Function):
    """Average pooling over the trailing len(kernel) axes, one sum pass per axis.

    forward:   pad x with zeros, then per axis a_next[.., o, ..] = sum_j a[.., o*s + j, ..]
               y = sum / D, D per window: k_h * k_w, or with count_include_pad=False only
               the positions inside x, with ceil_mode windows clipped at the padded edge,
               or divisor_override.                         x: (*, H, W) -> y: (*, Ho, Wo)
    backward:  g = dy / D; per pass, last first: da[.., o*s + j, ..] += g[.., o, ..]
    saved:     D and the shapes (no arrays: the backward is a scatter of dy / D).
    """

    def forward(self, x, kernel, stride, padding, ceil_mode, count_include_pad,
                divisor_override):
        xp = self.xp
        nd = len(kernel)
        self.axes = axes = [Axis(L, k, s, p, 1, ceil_mode) for L, k, s, p in zip(
            x.shape[x.ndim - nd:], kernel, stride, padding, strict=True)]
        a = padded(xp, x, axes, 0)
        self.shapes = []
        for i in reversed(range(nd)):
            ax = axes[i]
            self.shapes.append(a.shape)
            views = window_views(a, x.ndim - nd + i, ax.k, ax.s, 1, ax.n)
            a = views[0].copy(order="K") if ax.k == 1 else views[0] + views[1]
            for v in views[2:]:
                a += v
        self.order = layout_order(x)
        self.divisor = D = self._divisor(xp, x.dtype, count_include_pad, divisor_override)
        if x.dtype.kind != "f":  # integer division truncates, as PyTorch's
            return (a / D).astype(x.dtype)
        if isinstance(D, float):
            a /= D
        else:
            xp.divide(a, D, out=a)
        return a

    def _divisor(self, xp, dtype, count_include_pad, divisor_override):
        if divisor_override:
            return float(divisor_override)
        D = 1.0
        for i, ax in enumerate(self.axes):
            start = np.arange(ax.n) * ax.s - ax.p
            if count_include_pad:
                count = np.minimum(start + ax.k, ax.L + ax.p) - start
            else:
                count = np.minimum(start + ax.k, ax.L) - np.maximum(start, 0)
            trailing = len(self.axes) - 1 - i
            D = D * count.reshape((-1,) + (1,) * trailing)
        if (D == D.flat[0]).all():  # every window counts the same: a scalar divides faster
            return float(D.flat[0])
        return xp.asarray(D, dtype=dtype if np.dtype(dtype).kind == "f" else np.float64)

    def backward(self, dy):
        xp, axes = self.xp, self.axes
        nd = len(axes)
        g = dy / self.divisor
        g = in_layout(xp, g, self.order)
        for p in range(nd):
            ax, shape = axes[p], self.shapes[nd - 1 - p]
            axis = dy.ndim - nd + p
            da = empty_in_layout(xp, self.order, shape, dy.dtype, None if ax.tiles else 0)
            for dv in window_views(da, axis, ax.k, ax.s, 1, ax.n):
                if ax.tiles:
                    xp.copyto(dv, g)
                else:
                    dv += g
            g = da
        return interior(g, axes)


# ------------------------------------------------------------------ unpooling
class MaxUnpoolFn(Function):
    """Inverse of max pooling: each value goes to its index, zeros elsewhere.

    forward:   y[p, idx[p, i]] = x[p, i]        per plane p;   x, idx: (*, *S) -> y: (*, *So)
    backward:  dx[p, i] = dy[p, idx[p, i]]      (a gather)
    saved:     the indices as (P, n) rows and the plane row numbers.
    """

    def forward(self, x, indices, out_spatial):
        xp = self.xp
        nd = len(out_spatial)
        lead = x.shape[:x.ndim - nd]
        P = int(np.prod(lead, dtype=np.int64))
        idx = indices.reshape(P, -1)
        rows = xp.arange(P)[:, None]
        self.rows, self.idx, self.shape = rows, idx, x.shape
        y = xp.zeros((P, int(np.prod(out_spatial, dtype=np.int64))), x.dtype)
        y[rows, idx] = x.reshape(P, -1)
        return y.reshape(lead + tuple(out_spatial))

    def backward(self, dy):
        P = self.idx.shape[0]
        return dy.reshape(P, -1)[self.rows, self.idx].reshape(self.shape)


# ------------------------------------------------------------------ argument checks
def _window_args(name, x, nd, kernel_size, stride, padding, dilation, ceil_mode, avg=False):
    kernel = spatial_tuple(name, kernel_size, nd, "kernel_size")
    stride = kernel if stride is None or (not isinstance(stride, int) and len(stride) == 0) \
        else spatial_tuple(name, stride, nd, "stride")
    padding = spatial_tuple(name, padding, nd, "padding")
    dilation = spatial_tuple(name, dilation, nd, "dilation")
    for what, vals in (("kernel_size", kernel), ("stride", stride), ("dilation", dilation)):
        if any(v <= 0 for v in vals):
            raise ValueError(f"{name}: {what} must be positive, got {vals}")
    for k, p, d in zip(kernel, padding, dilation, strict=True):
        limit = k // 2 if avg else (d * (k - 1) + 1) // 2
        if p < 0 or p > limit:
            what = "kernel_size" if avg else "effective kernel size (dilation * (k - 1) + 1)"
            raise ValueError(f"{name}: padding must be at most half of the {what}, got "
                             f"padding={padding}, kernel_size={kernel}"
                             + ("" if avg else f", dilation={dilation}"))
    spatial = x.shape[x.ndim - nd:]
    out = tuple(Axis(L, k, s, p, d, ceil_mode).n for L, k, s, p, d in zip(
        spatial, kernel, stride, padding, dilation, strict=True))
    if any(n < 1 for n in out):
        raise ValueError(
            f"{name}: kernel_size {kernel} (dilation {dilation}) is larger than the padded "
            f"input {tuple(L + 2 * p for L, p in zip(spatial, padding, strict=True))} "
            f"(input shape {tuple(x.shape)}, padding {padding}); the output would be {out}")
    return kernel, stride, padding, dilation


def _max_pool(name, nd, input, kernel_size, stride, padding, dilation, ceil_mode,
              return_indices):
    x = pool_input(name, input, nd)
    if x.array.dtype.kind not in "fiu":
        raise TypeError(f"{name}: expected a numeric input, got dtype {x.array.dtype}")
    kernel, stride, padding, dilation = _window_args(name, x, nd, kernel_size, stride,
                                                     padding, dilation, ceil_mode)
    holder = [] if return_indices else None
    y = MaxPoolFn.apply(x, kernel=kernel, stride=stride, padding=padding, dilation=dilation,
                        ceil_mode=bool(ceil_mode), indices_out=holder)
    return (y, Tensor._wrap(holder[0])) if return_indices else y


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over windows of the last axis: (N, C, L) or (C, L) -> (.., Lo), as PyTorch's.

    stride defaults to kernel_size; padding (at most half the dilated kernel) pads with
    -inf; ceil_mode rounds the output length up. return_indices: also the flat position
    of each window's first maximum (int64), as max_unpool1d takes it."""
    return _max_pool("max_pool1d", 1, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max over kh x kw windows: (N, C, H, W) or (C, H, W) -> (.., Ho, Wo), as PyTorch's.

    Arguments as max_pool1d, each an int or an (h, w) pair; indices are h * W + w. The
    gradient of a window goes to its first maximum in row-major order."""
    return _max_pool("max_pool2d", 2, input, kernel_size, stride, padding, dilation,
                     ceil_mode, return_indices)


def _avg_pool(name, nd, input, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override):
    x = pool_input(name, input, nd)
    if x.array.dtype.kind not in "fiu":
        raise TypeError(f"{name}: expected a numeric input, got dtype {x.array.dtype}")
    kernel, stride, padding, _ = _window_args(name, x, nd, kernel_size, stride, padding, 1,
                                              ceil_mode, avg=True)
    if divisor_override is not None and divisor_override == 0:
        raise ValueError(f"{name}: divisor_override must not be zero")
    return AvgPoolFn.apply(x, kernel=kernel, stride=stride, padding=padding,
                           ceil_mode=bool(ceil_mode),
                           count_include_pad=bool(count_include_pad),
                           divisor_override=divisor_override)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """Mean over windows of the last axis: (N, C, L) or (C, L) -> (.., Lo), as PyTorch's.

    count_include_pad=False divides by the number of positions inside the input only."""
    return _avg_pool("avg_pool1d", 1, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Mean over kh x kw windows: (N, C, H, W) or (C, H, W) -> (.., Ho, Wo), as PyTorch's.

    Arguments as avg_pool1d; divisor_override replaces every window's divisor."""
    return _avg_pool("avg_pool2d", 2, input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override)


def _max_unpool(name, nd, input, indices, kernel_size, stride, padding, output_size):
    x = pool_input(name, input, nd)
    if not isinstance(indices, Tensor) or indices.array.dtype.kind not in "iu":
        raise TypeError(f"{name}: indices must be an integer Tensor (from return_indices)")
    if tuple(indices.shape) != tuple(x.shape):
        raise ValueError(f"{name}: indices of shape {tuple(indices.shape)} do not match the "
                         f"input of shape {tuple(x.shape)}")
    kernel = spatial_tuple(name, kernel_size, nd, "kernel_size")
    stride = kernel if stride is None else spatial_tuple(name, stride, nd, "stride")
    padding = spatial_tuple(name, padding, nd, "padding")
    spatial = x.shape[x.ndim - nd:]
    default = tuple((L - 1) * s - 2 * p + k for L, k, s, p in zip(
        spatial, kernel, stride, padding, strict=True))
    if output_size is None:
        out = default
    else:
        out = check_ints(name, output_size, "output_size")
        if len(out) == nd + 2 or (len(out) == nd + 1 and x.ndim == nd + 1):
            out = out[len(out) - nd:]
        if len(out) != nd:
            raise ValueError(f"{name}: output_size must have {nd} or {nd + 2} elements, "
                             f"got {output_size!r}")
        for o, dflt, s in zip(out, default, stride, strict=True):
            if not dflt - s < o < dflt + s:
                raise ValueError(f"{name}: invalid output_size {tuple(out)} (expected sizes "
                                 f"between {tuple(d - s for d, s in zip(default, stride))} "
                                 f"and {tuple(d + s for d, s in zip(default, stride))}, "
                                 f"exclusive)")
    size = int(np.prod(out))
    idx = indices.array
    if idx.size and (int(idx.min()) < 0 or int(idx.max()) >= size):
        bad = int(idx.max()) if int(idx.max()) >= size else int(idx.min())
        raise ValueError(f"{name}: index {bad} is out of range for an output of spatial "
                         f"size {tuple(out)} ({size} positions)")
    return MaxUnpoolFn.apply(x, indices=idx, out_spatial=tuple(out))


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value back where max_pool1d found it (zeros elsewhere), as PyTorch's.
    Output length (L - 1) * stride - 2 * padding + kernel_size unless output_size says."""
    return _max_unpool("max_unpool1d", 1, input, indices, kernel_size, stride, padding,
                       output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Put each value back where max_pool2d found it (zeros elsewhere), as PyTorch's."""
    return _max_unpool("max_unpool2d", 2, input, indices, kernel_size, stride, padding,
                       output_size)
