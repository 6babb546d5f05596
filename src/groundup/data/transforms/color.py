"""Colour transforms: ColorJitter, Grayscale and RandomGrayscale (torchvision's rules)."""

import numbers

import numpy as np

from . import pixels
from .base import RandomTransform, Transform, check_probability
from .image import unwrap, unwrap_batch

__all__ = ["ColorJitter", "Grayscale", "RandomGrayscale"]


def _channels(array, where, allowed=(1, 3)):
    if array.ndim < 3 or array.shape[-3] not in allowed:
        raise ValueError(f"{where}: expected an image of shape (..., C, H, W) with C in "
                         f"{allowed}; got shape {array.shape}")


def _gray(array, channels):
    """Gray levels of a (..., 1 or 3, H, W) image, repeated to `channels` channels."""
    gray = pixels.rgb_to_grayscale(array) if array.shape[-3] == 3 else array.copy()
    if channels == 3:
        gray = np.repeat(gray, 3, axis=-3)
    return gray


class Grayscale(Transform):
    """RGB -> gray (0.2989 R + 0.587 G + 0.114 B) with 1 or 3 output channels."""

    def __init__(self, num_output_channels=1):
        if num_output_channels not in (1, 3):
            raise ValueError(f"Grayscale: num_output_channels must be 1 or 3; got "
                             f"{num_output_channels!r}")
        self.num_output_channels = num_output_channels

    def __call__(self, img):
        array, restore = unwrap(img, "Grayscale")
        _channels(array, "Grayscale")
        return restore(_gray(array, self.num_output_channels))

    def batch(self, x):
        array, restore = unwrap_batch(x, "Grayscale")
        _channels(array, "Grayscale.batch")
        return restore(_gray(array, self.num_output_channels))

    def extra_repr(self):
        return f"num_output_channels={self.num_output_channels}"


class RandomGrayscale(RandomTransform):
    """Turn the image gray with probability p, keeping its number of channels."""

    def __init__(self, p=0.1):
        self.p = check_probability(p, "RandomGrayscale")

    def _params(self, u, h, w):
        return {"gray": u[:, 0] < self.p}

    def _apply_one(self, array, params):
        _channels(array, "RandomGrayscale")
        return _gray(array, array.shape[-3]) if params["gray"] else array

    def _apply_batch(self, array, params):
        _channels(array, "RandomGrayscale.batch")
        chosen = np.flatnonzero(params["gray"])
        out = array.copy()
        out[chosen] = _gray(array[chosen], array.shape[1])
        return out

    def extra_repr(self):
        return f"p={self.p}"


def _factor_range(value, name):
    """torchvision's ColorJitter._check_input: None when the factor never changes anything."""
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        if value < 0:
            raise ValueError(f"ColorJitter: {name} as a single number must be >= 0; got {value}")
        lo, hi = max(1.0 - float(value), 0.0), 1.0 + float(value)
    else:
        lo, hi = pixels.uniform_range(value, "ColorJitter", name, low=0.0)
    return None if lo == hi == 1.0 else (lo, hi)


_ADJUST = (pixels.adjust_brightness, pixels.adjust_contrast, pixels.adjust_saturation)


class ColorJitter(RandomTransform):
    """Random brightness, contrast and saturation, applied in a random order per image.

    Each argument b is a number (the factor is drawn from [max(0, 1 - b), 1 + b])
    or a (min, max) pair; 0 leaves that property alone. brightness scales the
    pixels, contrast blends with the image's mean gray level, saturation with its
    gray version, each clamped to the pixel range (torchvision's formulas). hue
    is not supported (it must be 0). The batched path applies each adjustment to
    every image with its own factor, step by step in each image's order.
    """

    draws = 6  # an order key and a factor for each of the three adjustments

    def __init__(self, brightness=0, contrast=0, saturation=0, hue=0):
        if hue not in (0, None, (0, 0), [0, 0]):
            raise ValueError(f"ColorJitter: hue is not supported (only brightness, contrast "
                             f"and saturation); got hue={hue!r}")
        self.brightness = _factor_range(brightness, "brightness")
        self.contrast = _factor_range(contrast, "contrast")
        self.saturation = _factor_range(saturation, "saturation")
        self.hue = None

    def _params(self, u, h, w):
        order = np.argsort(u[:, :3], axis=1, kind="stable")  # a random permutation per image
        factors = np.ones((len(u), 3))
        for k, bounds in enumerate((self.brightness, self.contrast, self.saturation)):
            if bounds is not None:
                factors[:, k] = bounds[0] + (bounds[1] - bounds[0]) * u[:, 3 + k]
        return {"order": order, "factors": factors}

    def _active(self):
        return [b is not None for b in (self.brightness, self.contrast, self.saturation)]

    def _apply_one(self, array, params):
        _channels(array, "ColorJitter")
        active = self._active()
        for k in params["order"]:
            if active[k]:
                array = _ADJUST[k](array, params["factors"][k])
        return array

    def _apply_batch(self, array, params):
        _channels(array, "ColorJitter.batch")
        active, order, factors = self._active(), params["order"], params["factors"]
        out = array.copy()
        for step in range(3):
            for k in range(3):
                chosen = np.flatnonzero(order[:, step] == k)
                if active[k] and len(chosen):
                    out[chosen] = _ADJUST[k](out[chosen], factors[chosen, k, None, None, None])
        return out

    def extra_repr(self):
        return (f"brightness={self.brightness}, contrast={self.contrast}, "
                f"saturation={self.saturation}")
