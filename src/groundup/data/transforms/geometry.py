"""Geometric transforms: Resize, CenterCrop, Pad, RandomCrop, RandomResizedCrop, flips,
RandomAffine and RandomRotation (torchvision's names, arguments and rules)."""

import math
import numbers

import numpy as np

from . import pixels
from .base import RandomTransform, Transform, check_probability
from .image import InterpolationMode, check_interpolation, is_pil, unwrap, unwrap_batch

__all__ = ["Resize", "CenterCrop", "Pad", "RandomCrop", "RandomResizedCrop",
           "RandomHorizontalFlip", "RandomVerticalFlip", "RandomAffine", "RandomRotation"]


class _Deterministic(Transform):
    """A transform with no random parameters: one kernel on (..., C, H, W) serves both paths."""

    def _apply(self, array, pil):
        raise NotImplementedError

    def __call__(self, img):
        array, restore = unwrap(img, type(self).__name__)
        return restore(self._apply(array, is_pil(img)))

    def batch(self, x):
        array, restore = unwrap_batch(x, type(self).__name__)
        return restore(self._apply(array, False))


class Resize(_Deterministic):
    """Resize to `size`: (h, w), or an int that the shorter edge is matched to (aspect kept).

    interpolation: InterpolationMode.BILINEAR (default), NEAREST or NEAREST_EXACT, with
    PyTorch's interpolate rules (align_corners=False). antialias (default True)
    widens the bilinear filter when shrinking, as PIL and PyTorch do; PIL images
    are always antialiased. max_size caps the longer edge when size is an int.
    """

    def __init__(self, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
                 antialias=True):
        checked = pixels.check_size(size, "Resize")
        one_edge = isinstance(size, numbers.Integral) or len(size) == 1
        self.size = (checked[0],) if one_edge else checked  # (short edge,) or (h, w)
        if max_size is not None and (len(self.size) != 1 or max_size <= self.size[0]):
            raise ValueError(f"Resize: max_size applies only when size is an int, and must be "
                             f"greater than it; got size={size!r}, max_size={max_size!r}")
        self.max_size = max_size
        self.interpolation = check_interpolation(interpolation, "Resize")
        self.antialias = bool(antialias)

    def _apply(self, array, pil):
        h, w = array.shape[-2:]
        out_h, out_w = pixels.resized_output_size(h, w, self.size, self.max_size)
        return pixels.resize(array, out_h, out_w, self.interpolation, self.antialias or pil)

    def extra_repr(self):
        size = self.size[0] if len(self.size) == 1 else self.size
        return f"size={size}, interpolation={self.interpolation}, antialias={self.antialias}"


class CenterCrop(_Deterministic):
    """Crop the centre (h, w) box; an image smaller than the box is padded with zeros first."""

    def __init__(self, size):
        self.size = pixels.check_size(size, "CenterCrop")

    def _apply(self, array, pil):
        h, w = array.shape[-2:]
        th, tw = self.size
        if th > h or tw > w:
            grow_w, grow_h = max(tw - w, 0), max(th - h, 0)
            array = pixels.pad(array, (grow_w // 2, grow_h // 2, (grow_w + 1) // 2,
                                       (grow_h + 1) // 2))
            h, w = array.shape[-2:]
        top, left = pixels.center_crop_box(h, w, th, tw)
        return array[..., top:top + th, left:left + tw].copy()

    def extra_repr(self):
        return f"size={self.size}"


def _check_fill(fill, where):
    if isinstance(fill, numbers.Real) and not isinstance(fill, bool):
        return fill
    if isinstance(fill, (tuple, list)) and all(isinstance(f, numbers.Real) for f in fill):
        return tuple(fill)
    raise TypeError(f"{where}: fill must be a number or a sequence of numbers (one per channel); "
                    f"got {fill!r}")


def _check_padding_mode(mode, where):
    if mode not in pixels.PADDING_MODES:
        raise ValueError(f"{where}: padding_mode must be one of {pixels.PADDING_MODES}; got "
                         f"{mode!r}")
    return mode


class Pad(_Deterministic):
    """Pad the borders: padding an int, (left/right, top/bottom) or (left, top, right, bottom)."""

    def __init__(self, padding, fill=0, padding_mode="constant"):
        self.padding = pixels.parse_padding(padding, "Pad")
        self.fill = _check_fill(fill, "Pad")
        self.padding_mode = _check_padding_mode(padding_mode, "Pad")

    def _apply(self, array, pil):
        return pixels.pad(array, self.padding, self.fill, self.padding_mode)

    def extra_repr(self):
        return f"padding={self.padding}, fill={self.fill}, padding_mode={self.padding_mode}"


def _column(u, k, lo, hi):
    """Uniform numbers in [lo, hi) from column k of the (N, draws) uniforms."""
    return lo + (hi - lo) * u[:, k]


def _integers(u, count):
    """Integers uniform in [0, count) from uniforms in [0, 1) (count may be an array)."""
    return np.minimum(np.floor(u * count), np.asarray(count) - 1).astype(np.int64)


class RandomCrop(RandomTransform):
    """Crop a random (h, w) box, after optional padding (torchvision's RandomCrop).

    padding: added on every side first (int, 2- or 4-sequence); pad_if_needed pads
    an image smaller than the box; fill and padding_mode as Pad. The batched path
    takes every image's box from one strided view of the padded batch.
    """

    draws = 2

    def __init__(self, size, padding=None, pad_if_needed=False, fill=0, padding_mode="constant"):
        self.size = pixels.check_size(size, "RandomCrop")
        self.padding = None if padding is None else pixels.parse_padding(padding, "RandomCrop")
        self.pad_if_needed = bool(pad_if_needed)
        self.fill = _check_fill(fill, "RandomCrop")
        self.padding_mode = _check_padding_mode(padding_mode, "RandomCrop")

    def _prepare(self, array):
        if self.padding is not None:
            array = pixels.pad(array, self.padding, self.fill, self.padding_mode)
        h, w = array.shape[-2:]
        th, tw = self.size
        if self.pad_if_needed and (w < tw or h < th):
            grow_w, grow_h = max(tw - w, 0), max(th - h, 0)
            array = pixels.pad(array, (grow_w, grow_h, grow_w, grow_h), self.fill,
                               self.padding_mode)
        h, w = array.shape[-2:]
        if h < th or w < tw:
            raise ValueError(f"RandomCrop: the crop size {self.size} is larger than the (padded) "
                             f"image size {(h, w)}")
        return array

    def _params(self, u, h, w):
        th, tw = self.size
        return {"top": _integers(u[:, 0], h - th + 1), "left": _integers(u[:, 1], w - tw + 1)}

    def _apply_one(self, array, params):
        top, left = params["top"], params["left"]
        return array[..., top:top + self.size[0], left:left + self.size[1]].copy()

    def _apply_batch(self, array, params):
        return pixels.crop_batch(array, params["top"], params["left"], *self.size)

    def extra_repr(self):
        return f"size={self.size}, padding={self.padding}"


class RandomResizedCrop(RandomTransform):
    """Crop a random box of random area and aspect ratio, then resize it to `size`.

    As torchvision: up to 10 tries draw an area fraction in `scale` and a log-uniform
    aspect ratio in `ratio`; the first box that fits is used, else the centre crop
    clipped to `ratio`. The batched path resamples every image's box in one batched
    matrix product (per-image weights that are zero outside the box).
    """

    draws = 40  # 10 tries x (area, aspect ratio, top, left)

    def __init__(self, size, scale=(0.08, 1.0), ratio=(3.0 / 4.0, 4.0 / 3.0),
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
        self.size = pixels.check_size(size, "RandomResizedCrop")
        self.scale = pixels.uniform_range(tuple(scale), "RandomResizedCrop", "scale", low=0.0)
        self.ratio = pixels.uniform_range(tuple(ratio), "RandomResizedCrop", "ratio", low=0.0)
        if self.ratio[0] <= 0:
            raise ValueError(f"RandomResizedCrop: ratio must be positive; got {ratio!r}")
        self.interpolation = check_interpolation(interpolation, "RandomResizedCrop")
        self.antialias = bool(antialias)

    def _params(self, u, h, w):
        u = u.reshape(len(u), 10, 4)
        area = h * w * (self.scale[0] + (self.scale[1] - self.scale[0]) * u[..., 0])
        log_lo, log_hi = math.log(self.ratio[0]), math.log(self.ratio[1])
        aspect = np.exp(log_lo + (log_hi - log_lo) * u[..., 1])
        bw = np.rint(np.sqrt(area * aspect)).astype(np.int64)  # (N, 10): round half to even
        bh = np.rint(np.sqrt(area / aspect)).astype(np.int64)
        fits = (bw > 0) & (bw <= w) & (bh > 0) & (bh <= h)
        first = fits.argmax(axis=1)
        rows = np.arange(len(u))
        bw, bh, u = bw[rows, first], bh[rows, first], u[rows, first]
        top, left = _integers(u[:, 2], h - bh + 1), _integers(u[:, 3], w - bw + 1)
        # no try fitted: the whole image, cut to the nearest allowed aspect ratio, centred
        in_ratio = w / h
        if in_ratio < min(self.ratio):
            fw, fh = w, int(round(w / min(self.ratio)))
        elif in_ratio > max(self.ratio):
            fw, fh = int(round(h * max(self.ratio))), h
        else:
            fw, fh = w, h
        found = fits.any(axis=1)
        return {"top": np.where(found, top, (h - fh) // 2),
                "left": np.where(found, left, (w - fw) // 2),
                "height": np.where(found, bh, fh), "width": np.where(found, bw, fw)}

    def _apply_one(self, array, params):
        top, left, h, w = (int(params[k]) for k in ("top", "left", "height", "width"))
        box = array[..., top:top + h, left:left + w]
        return pixels.resize(box, *self.size, self.interpolation, self.antialias)

    def _apply_batch(self, array, params):
        (out_h, out_w), (h, w) = self.size, array.shape[-2:]
        wh = pixels.resize_weights(out_h, params["height"], params["top"], h,
                                   self.interpolation, self.antialias)
        ww = pixels.resize_weights(out_w, params["width"], params["left"], w,
                                   self.interpolation, self.antialias)
        return pixels.resample_batch(array, wh, ww)

    def extra_repr(self):
        return f"size={self.size}, scale={self.scale}, ratio={self.ratio}"


class _RandomFlip(RandomTransform):
    axis = -1

    def __init__(self, p=0.5):
        self.p = check_probability(p, type(self).__name__)

    def _params(self, u, h, w):
        return {"flip": u[:, 0] < self.p}

    def _apply_one(self, array, params):
        if not params["flip"]:
            return array
        return np.flip(array, axis=self.axis).copy()

    def _apply_batch(self, array, params):
        return pixels.flip_batch(array, params["flip"], axis=array.ndim + self.axis)

    def extra_repr(self):
        return f"p={self.p}"


class RandomHorizontalFlip(_RandomFlip):
    """Mirror left-right with probability p (the batched path flips through an index array)."""

    axis = -1


class RandomVerticalFlip(_RandomFlip):
    """Mirror top-bottom with probability p."""

    axis = -2


class _RandomWarp(RandomTransform):
    """Shared by RandomAffine and RandomRotation: theta per image, one batched warp."""

    def _setup_warp(self, interpolation, fill, center, where):
        self.interpolation = check_interpolation(interpolation, where)
        if self.interpolation == InterpolationMode.NEAREST_EXACT:
            raise ValueError(f"{where}: interpolation must be NEAREST or BILINEAR; got "
                             f"{interpolation!r}")
        self.fill = _check_fill(fill, where)
        if center is not None and (len(center) != 2):
            raise ValueError(f"{where}: center must be (x, y) pixels or None; got {center!r}")
        self.center = center

    def _warp(self, array, theta):
        h, w = array.shape[-2:]
        channels = array.shape[-3] if array.ndim >= 3 else 1
        fill = np.asarray(self.fill, dtype=np.float64).reshape(-1)
        if len(fill) not in (1, channels):
            raise ValueError(f"{type(self).__name__}: fill has {len(fill)} values but the image "
                             f"has {channels} channels")
        if array.size == 0:
            return array.copy()
        stack = array.reshape(len(theta), -1, h, w)
        out = pixels.affine(stack, theta, self.interpolation, fill)
        return out.reshape(array.shape)

    def _theta(self, angle, translate, scale, shear, h, w):
        n = len(angle)
        center = np.zeros((n, 2))
        if self.center is not None:
            center[:] = (self.center[0] - w * 0.5, self.center[1] - h * 0.5)
        return pixels.inverse_affine(center, angle, translate, scale, shear)

    def _apply_one(self, array, params):
        return self._warp(array, params["theta"][None])

    def _apply_batch(self, array, params):
        return self._warp(array, params["theta"])


class RandomAffine(_RandomWarp):
    """A random affine warp about the centre, as torchvision's RandomAffine.

    degrees: rotation range (d means (-d, d); positive turns clockwise); translate
    (a, b): fractions of the width and height (whole pixels drawn); scale (lo, hi);
    shear: x-shear range in degrees (a number s, or 2 values), or 4 values for x
    then y. interpolation NEAREST (default) or BILINEAR; fill for pixels from
    outside; center (x, y) in pixels. The batched path warps all images with one
    gather per interpolation corner.
    """

    draws = 6  # angle, translate x, translate y, scale, shear x, shear y

    def __init__(self, degrees, translate=None, scale=None, shear=None,
                 interpolation=InterpolationMode.NEAREST, fill=0, center=None):
        self.degrees = pixels.uniform_range(degrees, "RandomAffine", "degrees")
        if translate is not None and (len(translate) != 2 or
                                      not all(0 <= t <= 1 for t in translate)):
            raise ValueError(f"RandomAffine: translate must be two fractions in [0, 1]; got "
                             f"{translate!r}")
        if scale is not None and (len(scale) != 2 or not 0 < scale[0] <= scale[1]):
            raise ValueError(f"RandomAffine: scale must be (min, max) with 0 < min <= max; got "
                             f"{scale!r}")
        if shear is not None and not isinstance(shear, numbers.Real):
            if len(shear) not in (2, 4):
                raise ValueError(f"RandomAffine: shear must be a number or 2 or 4 values; got "
                                 f"{shear!r}")
            shear = tuple(pixels.uniform_range(tuple(shear[k:k + 2]), "RandomAffine", "shear")
                          for k in range(0, len(shear), 2))
        elif shear is not None:
            shear = (pixels.uniform_range(shear, "RandomAffine", "shear"),)
        self.translate, self.scale, self.shear = translate, scale, shear
        self._setup_warp(interpolation, fill, center, "RandomAffine")

    def _params(self, u, h, w):
        n = len(u)
        angle = _column(u, 0, *self.degrees)
        translate = np.zeros((n, 2))
        if self.translate is not None:
            max_dx, max_dy = self.translate[0] * w, self.translate[1] * h
            translate[:, 0] = np.rint(_column(u, 1, -max_dx, max_dx))
            translate[:, 1] = np.rint(_column(u, 2, -max_dy, max_dy))
        scale = np.ones(n) if self.scale is None else _column(u, 3, *self.scale)
        shear = np.zeros((n, 2))
        for k, bounds in enumerate(self.shear or ()):
            shear[:, k] = _column(u, 4 + k, *bounds)
        return {"theta": self._theta(angle, translate, scale, shear, h, w)}

    def extra_repr(self):
        return (f"degrees={self.degrees}, translate={self.translate}, scale={self.scale}, "
                f"shear={self.shear}, interpolation={self.interpolation}")


class RandomRotation(_RandomWarp):
    """Rotate by a random angle in `degrees` (counter-clockwise), as torchvision (expand=False)."""

    def __init__(self, degrees, interpolation=InterpolationMode.NEAREST, expand=False,
                 center=None, fill=0):
        if expand:
            raise ValueError("RandomRotation: expand=True is not supported (the output keeps "
                             "the input's size)")
        self.degrees = pixels.uniform_range(degrees, "RandomRotation", "degrees")
        self._setup_warp(interpolation, fill, center, "RandomRotation")

    def _params(self, u, h, w):
        n = len(u)
        angle = -_column(u, 0, *self.degrees)  # rotate() turns the other way from affine()
        return {"theta": self._theta(angle, np.zeros((n, 2)), np.ones(n), np.zeros((n, 2)),
                                     h, w)}

    def extra_repr(self):
        return f"degrees={self.degrees}, interpolation={self.interpolation}"
