"""Image grids and image files: make_grid and save_image, as torchvision.utils.

make_grid needs only NumPy. save_image writes through Pillow (pip install
"groundup[images]"; matplotlib cannot stand in, as it reads and writes images
through Pillow itself), via a temporary file and a rename.
"""

import math
import os

import numpy as np

from ..data.transforms.image import require_pil
from ..tensor import Tensor

__all__ = ["make_grid", "save_image"]


def _as_batch(tensor):
    """(array (N, C, H, W), was_tensor) from a Tensor, an ndarray or a list of images."""
    if isinstance(tensor, (list, tuple)):
        if not tensor:
            raise ValueError("make_grid: got an empty list of images")
        arrays = [t.array if isinstance(t, Tensor) else np.asarray(t) for t in tensor]
        shapes = {a.shape for a in arrays}
        if len(shapes) > 1:
            raise ValueError(f"make_grid: the images in the list must share one shape; got "
                             f"{sorted(shapes)}")
        return np.stack(arrays), isinstance(tensor[0], Tensor)
    if isinstance(tensor, Tensor):
        return tensor.array, True
    if isinstance(tensor, np.ndarray):
        return tensor, False
    raise TypeError(f"make_grid: expected a Tensor, an ndarray or a list of them; got "
                    f"{type(tensor).__name__}")


def _scale_range(x, low, high):
    """Clamp to [low, high] and map onto [0, 1] (in place on a float copy)."""
    np.clip(x, low, high, out=x)
    x -= low
    x /= max(high - low, 1e-5)


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0):
    """Tile a batch of images into one image (C, H', W'), as torchvision.utils.make_grid.

    tensor: (N, C, H, W), one image (C, H, W) or (H, W), or a list of same-shaped
    images. nrow images per row; `padding` pixels of `pad_value` around each.
    One-channel images are repeated to three. normalize maps value_range (default:
    the min and max of the batch, or of each image with scale_each) to [0, 1].
    A single image comes back without padding. Returns a Tensor for Tensor input,
    else an ndarray.
    """
    x, was_tensor = _as_batch(tensor)
    if x.ndim == 2:
        x = x[None]
    if x.ndim == 3:
        x = x[None]
    if x.ndim != 4:
        raise ValueError(f"make_grid: expected images of shape (N, C, H, W), (C, H, W) or "
                         f"(H, W); got shape {x.shape}")
    if x.shape[1] == 1:
        x = np.concatenate([x, x, x], axis=1)
    if normalize:
        if value_range is not None and (not isinstance(value_range, (tuple, list)) or
                                        len(value_range) != 2):
            raise TypeError(f"make_grid: value_range must be a (min, max) tuple; got "
                            f"{value_range!r}")
        x = x.astype(x.dtype if x.dtype.kind == "f" else np.float32, copy=True)
        images = x if scale_each else [x]
        for image in images:
            low, high = value_range if value_range is not None else (image.min(), image.max())
            _scale_range(image, float(low), float(high))
    wrap = Tensor._wrap if was_tensor else (lambda a: a)
    if x.shape[0] == 1:
        return wrap(x[0].copy())
    n, c, h, w = x.shape
    cols = min(nrow, n)
    rows = int(math.ceil(n / cols))
    cell_h, cell_w = h + padding, w + padding
    # every image in a padded cell, the cells tiled in one reshape, then the leading border
    cells = np.full((rows * cols, c, cell_h, cell_w), pad_value, dtype=x.dtype)
    cells[:n, :, :h, :w] = x
    body = cells.reshape(rows, cols, c, cell_h, cell_w).transpose(2, 0, 3, 1, 4)
    grid = np.full((c, rows * cell_h + padding, cols * cell_w + padding), pad_value,
                   dtype=x.dtype)
    grid[:, padding:, padding:] = body.reshape(c, rows * cell_h, cols * cell_w)
    return wrap(grid)


def _image_format(fp, format):
    if format is not None:
        return format.upper().lstrip(".")
    if isinstance(fp, (str, os.PathLike)):
        ext = os.path.splitext(os.fspath(fp))[1].lower().lstrip(".")
        return {"jpg": "JPEG", "jpeg": "JPEG", "tif": "TIFF"}.get(ext, ext.upper() or "PNG")
    return "PNG"


def save_image(tensor, fp, format=None, **kwargs):
    """Write images to a file (a grid for a batch), as torchvision.utils.save_image.

    tensor: what make_grid takes, with values in [0, 1] (or use normalize=True);
    fp: a path or a binary file object; format: 'PNG' (default), 'JPEG', ... (from
    the extension when fp is a path); **kwargs: make_grid's arguments. Pixels are
    round(255 * v) clamped to 0..255. Returns fp.
    """
    grid = make_grid(tensor, **kwargs)
    grid = grid.array if isinstance(grid, Tensor) else grid
    pixels = np.clip(grid.astype(np.float32) * 255 + 0.5, 0, 255).astype(np.uint8)
    pixels = pixels.transpose(1, 2, 0)  # (H, W, C)
    image = require_pil("save_image").fromarray(np.ascontiguousarray(pixels))
    kind = _image_format(fp, format)
    if isinstance(fp, (str, os.PathLike)):
        from ..io import atomic_open

        with atomic_open(fp, "wb", what="save_image") as f:
            image.save(f, format=kind)
    else:
        image.save(fp, format=kind)
    return fp

