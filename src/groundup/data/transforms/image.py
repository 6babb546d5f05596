"""The image values transforms take and give back: PIL images, NumPy arrays and Tensors.

A transform works on one array layout, (..., C, H, W) (channels first, as
torchvision's tensor transforms). `unwrap(img)` turns what the user passed into
that array plus a function that turns a result back into the same kind of
value: a PIL image comes back as a PIL image, an ndarray as an ndarray, a
Tensor as a Tensor. Pillow is optional and imported only when a PIL image or an
image file is handled; `require_pil` raises the ImportError that says how to
install it.
"""

import sys

import numpy as np

from ...tensor import Tensor

__all__ = ["InterpolationMode", "require_pil", "is_pil", "PIL_HINT"]

PIL_HINT = 'pip install "groundup[images]"  (or: pip install Pillow)'


def require_pil(where):
    """The PIL.Image module, or an ImportError saying how to install Pillow."""
    try:
        from PIL import Image
    except ImportError as e:
        raise ImportError(f"{where} needs Pillow, which is not installed: {PIL_HINT}") from e
    return Image


def is_pil(img):
    """Whether `img` is a PIL image (without importing Pillow when nothing imported it)."""
    image_module = sys.modules.get("PIL.Image")
    return image_module is not None and isinstance(img, image_module.Image)


class InterpolationMode:
    """Resampling filters, named as torchvision's enum (the values are plain strings)."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"


INTERPOLATIONS = (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT,
                  InterpolationMode.BILINEAR)


def check_interpolation(mode, where):
    mode = getattr(mode, "value", mode)  # a torchvision-style enum member
    if isinstance(mode, str) and mode.lower() in INTERPOLATIONS:
        return mode.lower()
    raise ValueError(f"{where}: interpolation must be one of {', '.join(INTERPOLATIONS)} "
                     f"(InterpolationMode.NEAREST, NEAREST_EXACT, BILINEAR); got {mode!r}")


# PIL modes whose pixels are stored as they are; any other mode is converted first
_PIL_MODES = {"L", "LA", "RGB", "RGBA", "I", "F"}


def pil_to_array(img):
    """An (H, W, C) or (H, W) array of a PIL image's pixels (palette and 1-bit modes converted)."""
    if img.mode not in _PIL_MODES:
        if img.mode == "1":
            img = img.convert("L")
        elif img.mode == "P":
            img = img.convert("RGBA" if "transparency" in img.info else "RGB")
        elif img.mode.startswith("I;16"):
            img = img.convert("I")
        else:
            img = img.convert("RGB")
    return np.asarray(img)


def array_to_pil(array, where):
    """A PIL image of an (H, W), (H, W, C) array (uint8, int32 or float32 values)."""
    Image = require_pil(where)
    if array.ndim == 3 and array.shape[2] == 1:
        array = array[:, :, 0]
    if array.dtype == np.int64:
        array = array.astype(np.int32)
    elif array.dtype == np.float64:
        array = array.astype(np.float32)
    return Image.fromarray(np.ascontiguousarray(array))


def unwrap(img, where):
    """(array (..., C, H, W) or (H, W), restore) for a PIL image, an ndarray or a Tensor.

    restore(result) gives the result back as the kind of value `img` was.
    """
    if isinstance(img, Tensor):
        return img.array, Tensor._wrap
    if isinstance(img, np.ndarray):
        if img.ndim < 2:
            raise ValueError(f"{where}: expected an image array of shape (..., C, H, W) or "
                             f"(H, W); got shape {img.shape}")
        return img, _same
    if is_pil(img):
        array = pil_to_array(img)
        chw = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)
        gray = array.ndim == 2

        def restore(result):
            result = result[0] if gray else result.transpose(1, 2, 0)
            return array_to_pil(result, where)

        return chw, restore
    raise TypeError(f"{where}: expected a PIL image, a NumPy array or a Tensor of shape "
                    f"(..., C, H, W); got {type(img).__name__}")


def unwrap_batch(x, where):
    """(array (N, C, H, W), restore) for a batch given as an ndarray or a Tensor."""
    if isinstance(x, Tensor):
        array, restore = x.array, Tensor._wrap
    elif isinstance(x, np.ndarray):
        array, restore = x, _same
    else:
        raise TypeError(f"{where}.batch: expected an (N, C, H, W) NumPy array or Tensor; got "
                        f"{type(x).__name__}")
    if array.ndim != 4:
        raise ValueError(f"{where}.batch: expected a batch of shape (N, C, H, W); got shape "
                         f"{array.shape}")
    return array, restore


def _same(array):
    return array


def to_float(array):
    """Float pixels to compute with: float arrays as they are, integers as float32."""
    return array if array.dtype.kind == "f" else array.astype(np.float32)


def cast_like(result, dtype):
    """A float result back to an image's dtype (integers rounded and clipped to their range)."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return result.astype(dtype, copy=False)
    if dtype == np.bool_:
        return result >= 0.5
    info = np.iinfo(dtype)
    return np.clip(np.rint(result), info.min, info.max).astype(dtype)


def max_value(dtype):
    """The brightest pixel value of a dtype: 1.0 for floats, 255 for uint8, and so on."""
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return 1.0
    if dtype == np.bool_:
        return 1
    return np.iinfo(dtype).max
