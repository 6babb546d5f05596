"""Pixel kernels of the image transforms, on (..., C, H, W) NumPy arrays.

Every kernel works on a whole stack of images at once; the batched ones take
per-image parameters as arrays of length N and do the pixel work with index
arrays, strided views and batched matrix products (no Python loop over pixels
or images):
    pad, crop, center_crop_box    borders and boxes (torchvision's rules)
    resize_weights, resample      separable resampling: y = Wh @ x @ Ww.T
    flip_batch                    per-image flips of the images an index array picks
    crop_batch                    per-image crops from one strided view
    inverse_affine, affine        torchvision's affine warp (one batched gather)
    rgb_to_grayscale, blend, adjust_brightness, adjust_contrast, adjust_saturation
"""

import math
import numbers
from functools import lru_cache

import numpy as np

from .image import cast_like, max_value, to_float

PADDING_MODES = ("constant", "edge", "reflect", "symmetric")


# ------------------------------------------------------------------ padding and crops
def parse_padding(padding, where):
    """(left, top, right, bottom) from an int, a 2-sequence (l/r, t/b) or a 4-sequence."""
    if isinstance(padding, numbers.Integral) and not isinstance(padding, bool):
        values = (int(padding),) * 4
    elif isinstance(padding, (tuple, list)) and len(padding) in (1, 2, 4) and all(
            isinstance(p, numbers.Integral) and not isinstance(p, bool) for p in padding):
        values = tuple(int(p) for p in padding)
        values = values * 4 if len(values) == 1 else values * 2 if len(values) == 2 else values
    else:
        raise TypeError(f"{where}: padding must be an int or a sequence of 1, 2 or 4 ints "
                        f"(left, top, right, bottom); got {padding!r}")
    if min(values) < 0:
        raise ValueError(f"{where}: padding must be >= 0; got {padding!r}")
    return values


def pad(x, padding, fill=0, padding_mode="constant"):
    """x (..., C, H, W) padded by (left, top, right, bottom) pixels.

    padding_mode: 'constant' (fill: a number or one per channel), 'edge'
    (repeat the border pixel), 'reflect' (mirror without the border pixel),
    'symmetric' (mirror with it), as torchvision.
    """
    left, top, right, bottom = padding
    if not any(padding):
        return x
    if padding_mode != "constant":
        widths = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]
        return np.pad(x, widths, mode=padding_mode)
    *lead, h, w = x.shape
    out = np.empty((*lead, h + top + bottom, w + left + right), dtype=x.dtype)
    fill = np.asarray(fill, dtype=np.float64)
    out[...] = cast_like(fill.reshape(-1, 1, 1) if fill.size > 1 else fill.reshape(()), x.dtype)
    out[..., top:top + h, left:left + w] = x
    return out


def crop(x, top, left, height, width):
    """The box of x (..., H, W) at (top, left) of size (height, width); zeros outside x."""
    h, w = x.shape[-2:]
    if top < 0 or left < 0 or top + height > h or left + width > w:
        grow = (max(-left, 0), max(-top, 0), max(left + width - w, 0), max(top + height - h, 0))
        x = pad(x, grow)
        top, left = top + grow[1], left + grow[0]
    return x[..., top:top + height, left:left + width]


def center_crop_box(h, w, th, tw):
    """(top, left) of a (th, tw) box centred in (h, w), rounded as torchvision (Python round)."""
    return int(round((h - th) / 2.0)), int(round((w - tw) / 2.0))


def crop_batch(x, tops, lefts, height, width):
    """Per-image crops: out[n] = x[n, :, tops[n]:tops[n]+height, lefts[n]:lefts[n]+width].

    One strided view holds every (height, width) window of every image; one
    fancy index picks each image's window (no copy but the result).
    """
    windows = np.lib.stride_tricks.sliding_window_view(x, (height, width), axis=(2, 3))
    # windows: (N, C, H-height+1, W-width+1, height, width)
    return windows[np.arange(len(x)), :, tops, lefts]  # (N, C, height, width)


def flip_batch(x, flags, axis):
    """x (N, C, H, W) with the images where flags[n] is True reversed along `axis` (2 or 3)."""
    chosen = np.flatnonzero(flags)  # the index array of the images to flip
    out = x.copy()
    out[chosen] = np.flip(x[chosen], axis=axis)
    return out


# ------------------------------------------------------------------ resampling
def resized_output_size(h, w, size, max_size=None):
    """(new_h, new_w) for Resize(size): an int matches the shorter edge (aspect kept)."""
    if len(size) == 2:
        return int(size[0]), int(size[1])
    short, long = (w, h) if w <= h else (h, w)
    new_short, new_long = int(size[0]), int(int(size[0]) * long / short)
    if max_size is not None and new_long > max_size:
        new_short, new_long = int(max_size * new_short / new_long), int(max_size)
    return (new_long, new_short) if w <= h else (new_short, new_long)


def resize_weights(out_size, length, start, full, mode, antialias):
    """(N, out_size, full) float64 weights that resample x[start : start+length] to out_size.

    Row i of image n holds the weights of output pixel i over the `full` input
    pixels (zero outside the window [start[n], start[n] + length[n])):
      nearest:        the one pixel floor(i * scale), scale = length / out_size
      nearest-exact:  the one pixel floor((i + 0.5) * scale)
      bilinear:       a triangle filter centred on (i + 0.5) * scale, normalised to sum 1;
                      its half-width is 1 pixel, or `scale` pixels when shrinking with
                      antialias (PIL's and PyTorch's antialiased filter). Without
                      antialias this is PyTorch's bilinear with align_corners=False.
    """
    length = np.asarray(length, dtype=np.float64).reshape(-1)
    start = np.asarray(start, dtype=np.int64).reshape(-1)
    scale = length / out_size  # (N,)
    i = np.arange(out_size, dtype=np.float64)
    weights = np.zeros((len(length), out_size, full))
    if mode in ("nearest", "nearest-exact"):
        offset = 0.5 if mode == "nearest-exact" else 0.0
        src = np.floor((i + offset) * scale[:, None])  # (N, out)
        src = np.minimum(src, length[:, None] - 1).astype(np.int64) + start[:, None]
        rows = np.arange(len(length))[:, None], np.arange(out_size)
        weights[rows[0], rows[1], src] = 1.0
        return weights
    support = np.maximum(scale, 1.0) if antialias else np.ones_like(scale)
    center = (i + 0.5) * scale[:, None]  # (N, out) in window coordinates
    j = np.arange(full) - start[:, None, None] + 0.5  # (N, 1, full): pixel centres
    weights = np.maximum(1.0 - np.abs(j - center[:, :, None]) / support[:, None, None], 0.0)
    inside = (j >= 0) & (j < length[:, None, None])
    weights *= inside
    weights /= weights.sum(axis=-1, keepdims=True)
    return weights


@lru_cache(maxsize=64)
def _cached_weights(out_size, full, mode, antialias, dtype):
    weights = resize_weights(out_size, full, 0, full, mode, antialias)[0].astype(dtype)
    weights.flags.writeable = False
    return weights


def resize(x, out_h, out_w, mode="bilinear", antialias=True):
    """x (..., H, W) resampled to (..., out_h, out_w); integer images rounded back."""
    h, w = x.shape[-2:]
    if (h, w) == (out_h, out_w):
        return x.copy()
    xf = to_float(x)
    wh = _cached_weights(out_h, h, mode, bool(antialias), xf.dtype.str)
    ww = _cached_weights(out_w, w, mode, bool(antialias), xf.dtype.str)
    return cast_like(wh @ xf @ ww.T, x.dtype)


def resample_batch(x, wh, ww):
    """x (N, C, H, W) through per-image weights wh (N, oh, H), ww (N, ow, W)."""
    xf = to_float(x)
    wh, ww = wh.astype(xf.dtype), ww.astype(xf.dtype)
    out = wh[:, None] @ xf @ ww[:, None].transpose(0, 1, 3, 2)  # (N, C, oh, ow)
    return cast_like(out, x.dtype)


# ------------------------------------------------------------------ affine warp
def inverse_affine(center, angle, translate, scale, shear):
    """(N, 2, 3) matrices mapping output to input pixels, torchvision's _get_inverse_affine_matrix.

    Per image: angle (degrees, clockwise), translate (tx, ty) pixels, scale, shear
    (sx, sy) degrees; center (cx, cy) relative to the image centre. Arguments are
    arrays of length N (center, translate, shear: (N, 2)).
    """
    rot = np.radians(angle)
    sx, sy = np.radians(shear[:, 0]), np.radians(shear[:, 1])
    cx, cy = center[:, 0], center[:, 1]
    tx, ty = translate[:, 0], translate[:, 1]
    # rotation-scale-shear matrix [[a, b], [c, d]] without the scale (its determinant is 1)
    a = np.cos(rot - sy) / np.cos(sy)
    b = -np.cos(rot - sy) * np.tan(sx) / np.cos(sy) - np.sin(rot)
    c = np.sin(rot - sy) / np.cos(sy)
    d = -np.sin(rot - sy) * np.tan(sx) / np.cos(sy) + np.cos(rot)
    m = np.stack([d, -b, np.zeros_like(a), -c, a, np.zeros_like(a)], axis=1) / scale[:, None]
    # then undo the translation and the centre shift: C * RSS^-1 * C^-1 * T^-1
    m[:, 2] += m[:, 0] * (-cx - tx) + m[:, 1] * (-cy - ty) + cx
    m[:, 5] += m[:, 3] * (-cx - tx) + m[:, 4] * (-cy - ty) + cy
    return m.reshape(-1, 2, 3)


def affine(x, theta, mode="nearest", fill=0.0):
    """Warp x (N, C, H, W) by per-image inverse matrices theta (N, 2, 3), as torchvision.

    Output pixel (i, j) has centred coordinates (j - W/2 + 0.5, i - H/2 + 0.5); theta
    maps them to the input, which is sampled with grid_sample's rules
    (align_corners=False, zeros outside). Pixels that fall outside take `fill`:
    'nearest' replaces them, 'bilinear' blends out = sample * m + (1 - m) * fill,
    m being the sampled in-bounds mask, exactly as torchvision does.
    """
    n, c, h, w = x.shape
    xf = to_float(x)
    theta = theta.astype(xf.dtype)
    xs = np.arange(w, dtype=xf.dtype) - (w * 0.5 - 0.5)  # (W,)
    ys = (np.arange(h, dtype=xf.dtype) - (h * 0.5 - 0.5))[:, None]  # (H, 1)
    t = theta[:, :, :, None, None]  # (N, 2, 3, 1, 1)
    col = t[:, 0, 0] * xs + t[:, 0, 1] * ys + t[:, 0, 2] + (w * 0.5 - 0.5)  # (N, H, W)
    row = t[:, 1, 0] * xs + t[:, 1, 1] * ys + t[:, 1, 2] + (h * 0.5 - 0.5)
    flat = xf.reshape(n, c, h * w)
    if mode == "nearest":
        corners = [(np.rint(row), np.rint(col), None)]
    else:
        r0, c0 = np.floor(row), np.floor(col)
        fr, fc = row - r0, col - c0
        corners = [(r0, c0, (1 - fr) * (1 - fc)), (r0, c0 + 1, (1 - fr) * fc),
                   (r0 + 1, c0, fr * (1 - fc)), (r0 + 1, c0 + 1, fr * fc)]
    out = np.zeros_like(xf)
    mask = np.zeros((n, 1, h, w), dtype=xf.dtype)
    for r, cc, weight in corners:  # four corners (or one): one gather each, for the whole batch
        valid = (r >= 0) & (r <= h - 1) & (cc >= 0) & (cc <= w - 1)
        index = (np.clip(r, 0, h - 1) * w + np.clip(cc, 0, w - 1)).astype(np.intp)
        weight = valid.astype(xf.dtype) if weight is None else weight * valid
        picked = np.take_along_axis(flat, index.reshape(n, 1, h * w), axis=2)
        out += picked.reshape(n, c, h, w) * weight[:, None]
        mask += weight[:, None]
    fill = np.asarray(fill, dtype=xf.dtype).reshape(-1, 1, 1)
    if mode == "nearest":
        out = np.where(mask < 0.5, fill, out)
    else:
        out = out * mask + (1 - mask) * fill
    return cast_like(out, x.dtype)


# ------------------------------------------------------------------ colour
def rgb_to_grayscale(x):
    """(..., 3, H, W) -> (..., 1, H, W): 0.2989 R + 0.587 G + 0.114 B (integers truncated)."""
    xf = to_float(x)
    gray = 0.2989 * xf[..., 0:1, :, :] + 0.587 * xf[..., 1:2, :, :] + 0.114 * xf[..., 2:3, :, :]
    return gray.astype(x.dtype)


def blend(a, b, ratio):
    """clamp(ratio * a + (1 - ratio) * b, 0, max) in a's dtype, as torchvision's _blend.

    ratio: a number or an array broadcasting against a (one factor per image).
    """
    af = to_float(a)
    ratio = np.asarray(ratio, dtype=af.dtype)
    out = np.clip(ratio * af + (1 - ratio) * to_float(b), 0, max_value(a.dtype))
    return out.astype(a.dtype)


def adjust_brightness(x, factor):
    return blend(x, np.zeros_like(x), factor)


def adjust_contrast(x, factor):
    """Blend with the mean gray level of each image (over its C, H, W)."""
    gray = rgb_to_grayscale(x) if x.shape[-3] == 3 else x
    mean = to_float(gray).mean(axis=(-3, -2, -1), keepdims=True)
    return blend(x, mean, factor)


def adjust_saturation(x, factor):
    if x.shape[-3] == 1:
        return x
    return blend(x, rgb_to_grayscale(x), factor)


def check_size(size, where, name="size"):
    """(h, w) from an int or a sequence of one or two ints (a single int means square)."""
    if isinstance(size, numbers.Integral) and not isinstance(size, bool):
        size = (int(size), int(size))
    elif isinstance(size, (tuple, list)) and len(size) in (1, 2) and all(
            isinstance(s, numbers.Integral) and not isinstance(s, bool) for s in size):
        size = (int(size[0]),) * 2 if len(size) == 1 else (int(size[0]), int(size[1]))
    else:
        raise TypeError(f"{where}: {name} must be an int or a sequence of 1 or 2 ints (h, w); "
                        f"got {size!r}")
    if min(size) <= 0:
        raise ValueError(f"{where}: {name} must be positive; got {size!r}")
    return size


def uniform_range(value, where, name, center=0.0, low=-math.inf):
    """(lo, hi) from a number v (center -v .. center +v) or a pair."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"{where}: {name} as a single number must be >= 0; got {value}")
        return center - float(value), center + float(value)
    if isinstance(value, (tuple, list)) and len(value) == 2:
        lo, hi = float(value[0]), float(value[1])
        if lo > hi or lo < low:
            raise ValueError(f"{where}: {name} must be (min, max) with {low} <= min <= max; "
                             f"got {value!r}")
        return lo, hi
    raise TypeError(f"{where}: {name} must be a number or a (min, max) pair; got {value!r}")
