"""Resampling: interpolate (nearest, nearest-exact, linear/bilinear/trilinear, bicubic, area)
and pixel_shuffle / pixel_unshuffle, as PyTorch's.

Every interpolation mode is separable: along each spatial axis, output position o reads a
few input taps, y[o] = sum_t w_t[o] * x[idx_t[o]] (one tap of weight 1 for nearest, two for
linear, four for cubic). So interpolate is one pass per axis, each a few gathers and
multiply-adds, and the backward scatters dy * w_t back to idx_t. Each idx_t is
non-decreasing in o, so the scatter is a sum over runs of equal indices (add.reduceat),
no loop over pixels. The source positions are PyTorch's (computed in the input's float
type; nearest in float32 as PyTorch does), so the outputs match its kernels.
"""

import math

import numpy as np

from ..autograd import Function
from .adaptive_pool import AdaptiveAvgPoolFn
from .common import as_tensor
from .window import in_layout

__all__ = ["interpolate", "upsample", "pixel_shuffle", "pixel_unshuffle"]


# ------------------------------------------------------------------ taps per axis
def _scale(L, O, align_corners, scale, dt):
    """PyTorch's area_pixel_compute_scale: input positions per output position."""
    if align_corners:
        return dt((L - 1) / (O - 1)) if O > 1 else dt(0)
    if scale is not None and scale > 0:
        return dt(1.0 / scale)
    return dt(L) / dt(O)


def _nearest_taps(L, O, scale, exact):
    s = _scale(L, O, False, scale, np.float32)
    o = np.arange(O)
    src = (o.astype(np.float32) * s) if not exact else ((o + 0.5) * float(s)).astype(np.float32)
    return [np.minimum(np.floor(src).astype(np.int64), L - 1)], None


def _source(L, O, align_corners, scale, dt, cubic):
    s = _scale(L, O, align_corners, scale, dt)
    o = np.arange(O).astype(dt)
    if align_corners:
        return s * o
    src = s * (o + dt(0.5)) - dt(0.5)
    return src if cubic else np.maximum(src, dt(0))


def _linear_taps(L, O, align_corners, scale, dt):
    src = _source(L, O, align_corners, scale, dt, cubic=False)
    i0 = np.minimum(np.floor(src).astype(np.int64), L - 1)
    lam = np.clip(src - i0.astype(dt), dt(0), dt(1))
    i1 = i0 + (i0 < L - 1)
    return [i0, i1], [dt(1) - lam, lam]


def _cubic_taps(L, O, align_corners, scale, dt):
    src = _source(L, O, align_corners, scale, dt, cubic=True)
    i0 = np.minimum(np.floor(src).astype(np.int64), L - 1)
    t = np.clip(src - i0.astype(dt), dt(0), dt(1))
    A = dt(-0.75)

    def near(x):  # |x| <= 1
        return ((A + dt(2)) * x - (A + dt(3))) * x * x + dt(1)

    def far(x):  # 1 < |x| < 2
        return ((A * x - dt(5) * A) * x + dt(8) * A) * x - dt(4) * A

    weights = [far(t + dt(1)), near(t), near(dt(1) - t), far(dt(2) - t)]
    return [np.clip(i0 - 1 + j, 0, L - 1) for j in range(4)], weights


def _scatter_sorted(xp, g, axis, idx, L):
    """out[.., i, ..] = sum of g[.., o, ..] over the o with idx[o] == i (idx non-decreasing)."""
    uniq, first = np.unique(idx, return_index=True)
    sums = xp.add.reduceat(g, xp.asarray(first), axis=axis)
    if len(uniq) == L:  # every input position is read
        return sums
    shape = list(g.shape)
    shape[axis] = L
    out = xp.zeros(shape, g.dtype)
    out[(slice(None),) * axis + (xp.asarray(uniq),)] = sums
    return out


class InterpolateFn(Function):
    """Separable resampling of the trailing len(taps) axes.

    forward:   per axis (last first): a_next[.., o, ..] = sum_t w_t[o] a[.., idx_t[o], ..]
               x: (N, C, *S) -> y: (N, C, *S_out)     (w = 1 for nearest's single tap)
    backward:  per axis (first first):
               da[.., i, ..] = sum_t sum_{o: idx_t[o] = i} w_t[o] dy[.., o, ..]
    saved:     the taps (indices and weights, small) and the input lengths.
    """

    def forward(self, x, taps):
        xp = self.xp
        nd = len(taps)
        self.taps, self.lengths = taps, x.shape[x.ndim - nd:]
        a = x
        for i in reversed(range(nd)):
            axis = x.ndim - nd + i
            a = self._resample(xp, a, axis, *taps[i])
        return in_layout(xp, a, x)

    @staticmethod
    def _resample(xp, a, axis, idx, weights):
        shape = (-1,) + (1,) * (a.ndim - axis - 1)
        out = None
        for t, ix in enumerate(idx):
            part = xp.take(a, xp.asarray(ix), axis=axis)
            if weights is not None:
                part *= xp.asarray(weights[t], dtype=a.dtype).reshape(shape)
            if out is None:
                out = part
            else:
                out += part
        return out

    def backward(self, dy):
        xp = self.xp
        nd = len(self.taps)
        g = dy
        for i in range(nd):
            axis = dy.ndim - nd + i
            idx, weights = self.taps[i]
            shape = (-1,) + (1,) * (dy.ndim - axis - 1)
            da = None
            for t, ix in enumerate(idx):
                part = g if weights is None else g * xp.asarray(
                    weights[t], dtype=g.dtype).reshape(shape)
                part = _scatter_sorted(xp, part, axis, ix, self.lengths[i])
                if da is None:
                    da = part
                else:
                    da += part
            g = da
        return g


# ------------------------------------------------------------------ interpolate
_MODES = ("nearest", "nearest-exact", "linear", "bilinear", "trilinear", "bicubic", "area")
_RANK = {"linear": 3, "bilinear": 4, "trilinear": 5, "bicubic": 4}


def _sizes(x, nd, size, scale_factor, recompute_scale_factor, mode):
    """(output sizes, the scales the kernels use or Nones), following F.interpolate."""
    spatial = x.shape[2:]
    if size is not None and scale_factor is not None:
        raise ValueError("interpolate: give only one of size or scale_factor")
    if size is not None:
        if recompute_scale_factor:
            raise ValueError("interpolate: recompute_scale_factor is not meaningful with an "
                             "explicit size")
        sizes = tuple(size) if isinstance(size, (list, tuple)) else (size,) * nd
        if len(sizes) != nd:
            raise ValueError(f"interpolate: size {size!r} must have {nd} entries for an input "
                             f"with spatial sizes {tuple(spatial)}")
        for s in sizes:
            if not isinstance(s, (int, np.integer)) or isinstance(s, bool) or s <= 0:
                raise ValueError(f"interpolate: size must hold positive ints, got {size!r}")
        return tuple(int(s) for s in sizes), (None,) * nd
    if scale_factor is None:
        raise ValueError("interpolate: either size or scale_factor must be given")
    scales = (tuple(scale_factor) if isinstance(scale_factor, (list, tuple))
              else (scale_factor,) * nd)
    if len(scales) != nd:
        raise ValueError(f"interpolate: scale_factor {scale_factor!r} must have {nd} entries "
                         f"for an input with spatial sizes {tuple(spatial)}")
    scales = tuple(float(s) for s in scales)
    sizes = tuple(math.floor(L * s) for L, s in zip(spatial, scales, strict=True))
    if any(s <= 0 for s in sizes):
        raise ValueError(f"interpolate: scale_factor {scale_factor!r} makes an empty output "
                         f"{sizes} from spatial sizes {tuple(spatial)}")
    if recompute_scale_factor or mode == "area":
        scales = (None,) * nd  # the kernels use input / output sizes
    return sizes, scales


def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resize the spatial dims of x (N, C, L), (N, C, H, W) or (N, C, D, H, W), as PyTorch's.

    size or scale_factor (an int/float or one per spatial dim): with scale_factor the output
    is floor(size * scale_factor) and the kernels use 1 / scale_factor as the step, unless
    recompute_scale_factor=True (then input / output, as with size). Modes: nearest,
    nearest-exact, linear (3-D), bilinear (4-D), trilinear (5-D), bicubic (4-D), area
    (adaptive average pooling). align_corners (linear modes and bicubic; default False):
    the corner pixels' centres of input and output coincide.
    """
    x = as_tensor(input)
    if mode not in _MODES:
        raise ValueError(f"interpolate: unknown mode {mode!r}; supported: {', '.join(_MODES)}")
    if antialias:
        raise ValueError("interpolate: antialias=True is not supported")
    if x.ndim not in (3, 4, 5):
        raise ValueError(f"interpolate: expected a 3-D, 4-D or 5-D input (N, C, *spatial), "
                         f"got shape {tuple(x.shape)}")
    if mode in _RANK and x.ndim != _RANK[mode]:
        raise ValueError(f"interpolate: mode {mode!r} needs a {_RANK[mode]}-D input, got "
                         f"shape {tuple(x.shape)} ({x.ndim}-D)")
    if mode in ("nearest", "nearest-exact", "area"):
        if align_corners is not None:
            raise ValueError("interpolate: align_corners can only be set with the "
                             "interpolating modes linear, bilinear, bicubic and trilinear")
    else:
        align_corners = bool(align_corners)
    if x.array.dtype.kind != "f":
        raise TypeError(f"interpolate: expected a floating-point input, got {x.array.dtype}")
    nd = x.ndim - 2
    if 0 in x.shape[1:]:
        raise ValueError(f"interpolate: expected non-empty channels and spatial sizes, got "
                         f"shape {tuple(x.shape)}")
    sizes, scales = _sizes(x, nd, size, scale_factor, recompute_scale_factor, mode)
    if mode == "area":
        return AdaptiveAvgPoolFn.apply(x, out_size=sizes)
    dt = x.array.dtype.type
    taps = []
    for L, O, s in zip(x.shape[2:], sizes, scales, strict=True):
        if mode in ("nearest", "nearest-exact"):
            taps.append(_nearest_taps(L, O, s, exact=mode == "nearest-exact"))
        elif mode == "bicubic":
            taps.append(_cubic_taps(L, O, align_corners, s, dt))
        else:
            taps.append(_linear_taps(L, O, align_corners, s, dt))
    return InterpolateFn.apply(x, taps=tuple(taps))


def upsample(input, size=None, scale_factor=None, mode="nearest", align_corners=None):
    """interpolate under its older name (as torch.nn.functional.upsample)."""
    return interpolate(input, size, scale_factor, mode, align_corners)


# ------------------------------------------------------------------ pixel shuffle
def _shuffle(a, r):
    """(*, C r^2, H, W) -> (*, C, H r, W r): channel c r^2 + i r + j goes to pixel (i, j)."""
    *lead, C, H, W = a.shape
    c = C // (r * r)
    b = a.reshape(*lead, c, r, r, H, W)
    n = len(lead)
    b = b.transpose(*range(n), n, n + 3, n + 1, n + 4, n + 2)  # (*, c, H, r, W, r)
    return b.reshape(*lead, c, H * r, W * r)


def _unshuffle(a, r):
    """(*, C, H r, W r) -> (*, C r^2, H, W), the inverse of _shuffle."""
    *lead, C, Hr, Wr = a.shape
    H, W = Hr // r, Wr // r
    b = a.reshape(*lead, C, H, r, W, r)
    n = len(lead)
    b = b.transpose(*range(n), n, n + 2, n + 4, n + 1, n + 3)  # (*, C, r, r, H, W)
    return b.reshape(*lead, C * r * r, H, W)


class PixelShuffleFn(Function):
    """Rearrange channels into space: y[.., c, h r + i, w r + j] = x[.., c r^2 + i r + j, h, w].

    forward:   x: (*, C r^2, H, W) -> y: (*, C, H r, W r)     (a reshape, transpose, copy)
    backward:  dx = the inverse rearrangement of dy (pixel_unshuffle)
    saved:     r only.
    """

    def forward(self, x, r):
        self.r = r
        return _shuffle(x, r)

    def backward(self, dy):
        return _unshuffle(dy, self.r)


class PixelUnshuffleFn(Function):
    """Rearrange space into channels, the inverse of PixelShuffleFn.

    forward:   x: (*, C, H r, W r) -> y: (*, C r^2, H, W)
    backward:  dx = pixel_shuffle of dy
    saved:     r only.
    """

    def forward(self, x, r):
        self.r = r
        return _unshuffle(x, r)

    def backward(self, dy):
        return _shuffle(dy, self.r)


def _factor(name, x, r, what):
    if not isinstance(r, (int, np.integer)) or isinstance(r, bool) or r <= 0:
        raise ValueError(f"{name}: {what} must be a positive int, got {r!r}")
    if x.ndim < 3:
        raise ValueError(f"{name}: expected an input of at least 3 dims (*, C, H, W), got "
                         f"shape {tuple(x.shape)}")
    return int(r)


def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r) with r = upscale_factor, as PyTorch's."""
    x = as_tensor(input)
    r = _factor("pixel_shuffle", x, upscale_factor, "upscale_factor")
    if x.shape[-3] % (r * r):
        raise ValueError(f"pixel_shuffle: the channel dimension of input shape "
                         f"{tuple(x.shape)} must be divisible by upscale_factor^2 = {r * r}")
    return PixelShuffleFn.apply(x, r=r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W) with r = downscale_factor, as PyTorch's."""
    x = as_tensor(input)
    r = _factor("pixel_unshuffle", x, downscale_factor, "downscale_factor")
    if x.shape[-2] % r or x.shape[-1] % r:
        raise ValueError(f"pixel_unshuffle: the height and width of input shape "
                         f"{tuple(x.shape)} must be divisible by downscale_factor = {r}")
    return PixelUnshuffleFn.apply(x, r=r)

