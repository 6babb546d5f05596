"""make_grid layout against a hand-written tiling; save_image writes a readable PNG."""

import io
import math
import os
import sys

import numpy as np
import pytest

import groundup as gu
from groundup.viz import make_grid, save_image

RNG = np.random.default_rng(5)
PNG = b"\x89PNG\r\n\x1a\n"


def tiled_by_hand(x, nrow, padding, pad_value):
    """torchvision's make_grid loop: image k at row k // cols, column k % cols."""
    n, c, h, w = x.shape
    cols = min(nrow, n)
    rows = math.ceil(n / cols)
    grid = np.full((c, rows * (h + padding) + padding, cols * (w + padding) + padding),
                   pad_value, dtype=x.dtype)
    for k in range(n):
        top, left = (k // cols) * (h + padding) + padding, (k % cols) * (w + padding) + padding
        grid[:, top:top + h, left:left + w] = x[k]
    return grid


@pytest.mark.parametrize("n,nrow,padding", [(5, 2, 1), (8, 8, 2), (3, 8, 0), (7, 3, 3)])
def test_make_grid_layout(n, nrow, padding):
    x = RNG.random((n, 3, 4, 5)).astype(np.float32)
    grid = make_grid(x, nrow=nrow, padding=padding, pad_value=0.5)
    np.testing.assert_array_equal(grid, tiled_by_hand(x, nrow, padding, 0.5))
    assert grid.shape == (3, math.ceil(n / min(nrow, n)) * (4 + padding) + padding,
                          min(nrow, n) * (5 + padding) + padding)


def test_make_grid_shapes_and_types():
    x = RNG.random((4, 1, 3, 3)).astype(np.float32)
    grid = make_grid(gu.tensor(x), nrow=2, padding=1)
    assert isinstance(grid, gu.Tensor) and grid.shape == (3, 9, 9)  # one channel -> three
    np.testing.assert_array_equal(grid.numpy(), tiled_by_hand(np.repeat(x, 3, 1), 2, 1, 0))
    assert make_grid(x[0]).shape == (3, 3, 3)  # one image: no padding
    assert make_grid(x[0, 0]).shape == (3, 3, 3)
    np.testing.assert_array_equal(make_grid(list(x), nrow=2, padding=1),
                                  tiled_by_hand(np.repeat(x, 3, 1), 2, 1, 0))
    with pytest.raises(ValueError, match="one shape"):
        make_grid([x[0], x[0, :, :2]])
    with pytest.raises(ValueError, match="shape"):
        make_grid(np.zeros((1, 1, 1, 2, 2)))


def test_make_grid_normalize():
    x = np.stack([np.full((3, 2, 2), 2.0), np.full((3, 2, 2), 4.0)]).astype(np.float32)
    x[0, 0, 0, 0] = 0.0
    whole = make_grid(x, normalize=True, padding=0)  # (x - 0) / 4 over the whole batch
    np.testing.assert_allclose(whole, tiled_by_hand(x / 4, 8, 0, 0))
    each = make_grid(x, normalize=True, scale_each=True, padding=0)
    np.testing.assert_allclose(each[:, :, 2:], 0.0)  # a constant image: (4 - 4) / 1e-5
    np.testing.assert_allclose(each[0, 0, 1], 1.0)
    ranged = make_grid(x, normalize=True, value_range=(1.0, 3.0), padding=0)
    np.testing.assert_allclose(ranged, tiled_by_hand(np.clip(x - 1, 0, 2) / 2, 8, 0, 0))
    assert x[0, 0, 0, 0] == 0.0  # the input is left alone
    with pytest.raises(TypeError, match="value_range"):
        make_grid(x, normalize=True, value_range=3)


def test_save_image_writes_a_readable_png(tmp_path):
    Image = pytest.importorskip("PIL.Image")
    x = RNG.random((3, 3, 4, 4)).astype(np.float32)
    path = save_image(gu.tensor(x), tmp_path / "grid.png", nrow=3, padding=1)
    assert path == tmp_path / "grid.png"
    with Image.open(path) as img:
        assert img.format == "PNG" and img.size == (16, 6) and img.mode == "RGB"
        pixels = np.asarray(img)
    want = np.clip(tiled_by_hand(x, 3, 1, 0) * 255 + 0.5, 0, 255).astype(np.uint8)
    np.testing.assert_array_equal(pixels, want.transpose(1, 2, 0))
    assert os.listdir(tmp_path) == ["grid.png"]  # no temporary file left
    buffer = io.BytesIO()
    save_image(x[0], buffer)
    assert buffer.getvalue().startswith(PNG)


def _hide(monkeypatch, *packages):
    for name in list(sys.modules):
        if name.split(".")[0] in packages:
            monkeypatch.delitem(sys.modules, name)
    for package in packages:
        monkeypatch.setitem(sys.modules, package, None)


def test_save_image_without_pillow(tmp_path, monkeypatch):
    _hide(monkeypatch, "PIL")
    with pytest.raises(ImportError, match=r'pip install "groundup\[images\]"'):
        save_image(np.zeros((3, 2, 2)), tmp_path / "x.png")
    assert not os.listdir(tmp_path)
