"""The Transform base classes, and the transforms that convert, normalise and combine.

Compose, Lambda, RandomApply, ToTensor, PILToTensor, ToPILImage, Normalize.
"""

import numbers

import numpy as np

from ...random import _numpy_rng
from ...tensor import Tensor
from .image import array_to_pil, is_pil, pil_to_array, require_pil, unwrap, unwrap_batch

__all__ = ["Transform", "RandomTransform", "Compose", "Lambda", "RandomApply", "ToTensor",
           "PILToTensor", "ToPILImage", "Normalize"]


def _array(value):
    """The ndarray inside a transform's result (a Tensor's array, a PIL image's pixels)."""
    if isinstance(value, Tensor):
        return value.array
    if is_pil(value):
        array = pil_to_array(value)
        return array[None] if array.ndim == 2 else array.transpose(2, 0, 1)
    return np.asarray(value)


def batch_of(transform, x):
    """`transform.batch(x)` when it has a batched path, else one call per image, stacked."""
    if hasattr(transform, "batch"):
        return transform.batch(x)
    array, restore = unwrap_batch(x, getattr(transform, "__name__", type(transform).__name__))
    return restore(np.stack([_array(transform(image)) for image in array]))


class Transform:
    """A callable on one image, with a path for a whole batch.

    `t(img)` transforms one image, as in torchvision: a PIL image, or an ndarray or
    Tensor of shape (..., C, H, W) (the leading dimensions share the parameters);
    the result is the same kind of value. `t.batch(x)` transforms an (N, C, H, W)
    batch (ndarray or Tensor) in one vectorised pass. This base class's `batch`
    calls `t` on each image and stacks the results: the fallback for transforms
    with no batched kernel.
    """

    def __call__(self, img):
        raise NotImplementedError(f"{type(self).__name__} must define __call__")

    def batch(self, x):
        array, restore = unwrap_batch(x, type(self).__name__)
        return restore(np.stack([_array(self(image)) for image in array]))

    def extra_repr(self):
        return ""

    def __repr__(self):
        return f"{type(self).__name__}({self.extra_repr()})"


class RandomTransform(Transform):
    """A transform with random parameters drawn per image from groundup's generator.

    Each image takes `draws` uniform numbers in [0, 1) from the shared generator
    (so gu.manual_seed fixes them); `_params(u, h, w)` turns the (N, draws) numbers
    into per-image parameters (a dict of length-N arrays). Image n of a batch uses
    row n, so after the same seed `t.batch(x)` equals `[t(x[n]) for n in range(N)]`.
    Subclasses define `_params`, `_apply_one(array, params_of_one_image)` and
    `_apply_batch(array, params)`, and may pad the image first in `_prepare(array)`.
    """

    draws = 1

    def _uniform(self, n):
        return _numpy_rng(None).random((n, self.draws))

    def _prepare(self, array):
        return array

    def __call__(self, img):
        array, restore = unwrap(img, type(self).__name__)
        array = self._prepare(array)
        params = self._params(self._uniform(1), *array.shape[-2:])
        return restore(self._apply_one(array, {k: v[0] for k, v in params.items()}))

    def batch(self, x):
        array, restore = unwrap_batch(x, type(self).__name__)
        array = self._prepare(array)
        params = self._params(self._uniform(len(array)), *array.shape[-2:])
        return restore(self._apply_batch(array, params))


def check_probability(p, where):
    if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p <= 1:
        raise ValueError(f"{where}: p must be a probability in [0, 1]; got {p!r}")
    return float(p)


class Compose(Transform):
    """Apply transforms in order: Compose([RandomCrop(32, padding=4), ToTensor()]).

    `batch(x)` runs each transform's batched path in turn (a plain function in
    the list is called once per image). Each random transform draws the numbers
    of all images before the next transform draws, so a composed batch sees the
    same distributions as the per-image path, in a different order of draws.
    """

    def __init__(self, transforms):
        self.transforms = list(transforms)
        for t in self.transforms:
            if not callable(t):
                raise TypeError(f"Compose: every transform must be callable; got "
                                f"{type(t).__name__}")

    def __call__(self, img):
        for t in self.transforms:
            img = t(img)
        return img

    def batch(self, x):
        for t in self.transforms:
            x = batch_of(t, x)
        return x

    def __repr__(self):
        lines = "".join(f"\n    {t!r}" for t in self.transforms)
        return f"Compose({lines}\n)"


class Lambda(Transform):
    """A user function as a transform; `batch` calls it once per image."""

    def __init__(self, lambd):
        if not callable(lambd):
            raise TypeError(f"Lambda: lambd must be callable; got {type(lambd).__name__}")
        self.lambd = lambd

    def __call__(self, img):
        return self.lambd(img)


class RandomApply(RandomTransform):
    """Apply a list of transforms together with probability p (torchvision's RandomApply).

    The batched path applies them to the chosen images only, which must keep their shape.
    """

    def __init__(self, transforms, p=0.5):
        self.transforms = Compose(transforms)
        self.p = check_probability(p, "RandomApply")

    def _params(self, u, h, w):
        return {"apply": u[:, 0] <= self.p}  # torchvision skips when p < rand()

    def _apply_one(self, array, params):
        return self.transforms(array) if params["apply"] else array

    def _apply_batch(self, array, params):
        chosen = np.flatnonzero(params["apply"])
        if len(chosen) == 0:
            return array
        changed = _array(self.transforms.batch(array[chosen]))
        if changed.shape[1:] != array.shape[1:]:
            raise ValueError(f"RandomApply.batch: the transforms changed the image shape from "
                             f"{array.shape[1:]} to {changed.shape[1:]}; in a batch every image "
                             f"must keep one shape")
        out = array.astype(changed.dtype, copy=True)
        out[chosen] = changed
        return out

    def extra_repr(self):
        return f"p={self.p}, transforms={self.transforms.transforms!r}"


def _hwc_to_chw(array):
    """(..., H, W, C) -> (..., C, H, W) float32 with uint8 scaled to [0, 1], as torchvision."""
    chw = np.moveaxis(array, -1, -3)
    if array.dtype == np.uint8:
        return np.multiply(chw, 1.0 / 255.0, dtype=np.float32)
    if array.dtype in (np.bool_, np.float64):  # float64 -> float32, groundup's default
        return chw.astype(np.float32)
    return np.ascontiguousarray(chw)


class ToTensor(Transform):
    """A PIL image or an (H, W, C) / (H, W) ndarray -> a (C, H, W) float32 Tensor.

    uint8 pixels are scaled to [0, 1]; float pixels are kept as they are (float64
    becomes float32, groundup's default); other integers keep their values and
    dtype, as in torchvision. `batch(x)` takes an (N, H, W, C) or (N, H, W) ndarray.
    """

    def __call__(self, pic):
        if is_pil(pic):
            array = pil_to_array(pic)
        elif isinstance(pic, np.ndarray):
            if pic.ndim not in (2, 3):
                raise ValueError(f"ToTensor: expected an (H, W, C) or (H, W) image array; got "
                                 f"shape {pic.shape}")
            array = pic
        else:
            raise TypeError(f"ToTensor: expected a PIL image or an (H, W, C) ndarray; got "
                            f"{type(pic).__name__} (a Tensor is already (C, H, W): leave "
                            f"ToTensor out)")
        return Tensor._wrap(_hwc_to_chw(array[:, :, None] if array.ndim == 2 else array))

    def batch(self, x):
        if not isinstance(x, np.ndarray) or x.ndim not in (3, 4):
            shape = getattr(x, "shape", None)
            raise TypeError(f"ToTensor.batch: expected an (N, H, W, C) or (N, H, W) ndarray; "
                            f"got {type(x).__name__} of shape {shape}")
        return Tensor._wrap(_hwc_to_chw(x[..., None] if x.ndim == 3 else x))


class PILToTensor(Transform):
    """A PIL image -> a (C, H, W) Tensor of its pixels, dtype kept (no scaling)."""

    def __call__(self, pic):
        if not is_pil(pic):
            raise TypeError(f"PILToTensor: expected a PIL image; got {type(pic).__name__}")
        array = pil_to_array(pic)
        array = array[None] if array.ndim == 2 else array.transpose(2, 0, 1)
        return Tensor._wrap(np.ascontiguousarray(array))

    def batch(self, x):
        raise TypeError("PILToTensor.batch: a batch is already an array; PILToTensor converts "
                        "single PIL images")


class ToPILImage(Transform):
    """A (C, H, W) Tensor/ndarray (or (H, W)) -> a PIL image; floats in [0, 1] become uint8.

    Floats are multiplied by 255 and truncated, as torchvision. 1, 2, 3 and 4
    channels give modes L, LA, RGB and RGBA.
    """

    def __call__(self, pic):
        require_pil("ToPILImage")
        array = pic.array if isinstance(pic, Tensor) else np.asarray(pic)
        if array.ndim == 2:
            array = array[None]
        if array.ndim != 3 or array.shape[0] not in (1, 2, 3, 4):
            raise ValueError(f"ToPILImage: expected a (C, H, W) image with 1 to 4 channels; got "
                             f"shape {array.shape}")
        if array.dtype.kind == "f":
            array = (array * 255).astype(np.uint8)
        return array_to_pil(array.transpose(1, 2, 0), "ToPILImage")

    def batch(self, x):
        raise TypeError("ToPILImage.batch: PIL images are made one at a time")


class Normalize(Transform):
    """(x - mean) / std per channel of a float (..., C, H, W) image, as torchvision.

    mean, std: one value per channel (or one for all). inplace=True writes into the input.
    """

    def __init__(self, mean, std, inplace=False):
        self.mean, self.std, self.inplace = mean, std, inplace
        values = np.asarray(std, dtype=np.float64)
        if np.any(values == 0):
            raise ValueError(f"Normalize: std must be non-zero; got {std!r}")

    def _normalize(self, array, where):
        if array.ndim < 3:
            raise ValueError(f"{where}: expected an image of shape (..., C, H, W); got shape "
                             f"{array.shape}")
        if array.dtype.kind != "f":
            raise TypeError(f"{where}: expected float pixels; got {array.dtype} (use ToTensor "
                            f"first)")
        mean = np.asarray(self.mean, dtype=array.dtype).reshape(-1, 1, 1)
        std = np.asarray(self.std, dtype=array.dtype).reshape(-1, 1, 1)
        channels = array.shape[-3]
        for name, v in (("mean", mean), ("std", std)):
            if len(v) not in (1, channels):
                raise ValueError(f"{where}: {name} has {len(v)} values but the image has "
                                 f"{channels} channels")
        if self.inplace and array.flags.writeable:
            array -= mean
            array /= std
            return array
        return (array - mean) / std

    def __call__(self, img):
        if is_pil(img):
            raise TypeError("Normalize: expected a float Tensor or ndarray; got a PIL image "
                            "(use ToTensor first)")
        array, restore = unwrap(img, "Normalize")
        return restore(self._normalize(array, "Normalize"))

    def batch(self, x):
        array, restore = unwrap_batch(x, "Normalize")
        return restore(self._normalize(array, "Normalize.batch"))

    def extra_repr(self):
        return f"mean={self.mean}, std={self.std}"
