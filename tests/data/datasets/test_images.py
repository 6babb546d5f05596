"""ImageFolder / DatasetFolder / load_image_folder on small trees of PNG and JPEG files."""

import os

import numpy as np
import pytest

import groundup as gu
from groundup.data import DataLoader
from groundup.data import transforms as T
from groundup.data.datasets import (
    DatasetFileError,
    DatasetFolder,
    ImageFolder,
    load_image_folder,
)

Image = pytest.importorskip("PIL.Image")
RNG = np.random.default_rng(3)


def write_png(path, array):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    Image.fromarray(array).save(path)
    return array


@pytest.fixture
def tree(tmp_path):
    """root/dog/{b.png, a.png (gray)}, root/cat/{x.png, sub/y.jpg, notes.txt}."""
    root = tmp_path / "pets"
    pics = {}
    pics["dog/b.png"] = write_png(str(root / "dog" / "b.png"),
                                  RNG.integers(0, 256, (4, 5, 3), dtype=np.uint8))
    pics["dog/a.png"] = write_png(str(root / "dog" / "a.png"),
                                  RNG.integers(0, 256, (4, 5), dtype=np.uint8))
    pics["cat/x.png"] = write_png(str(root / "cat" / "x.png"),
                                  RNG.integers(0, 256, (4, 5, 3), dtype=np.uint8))
    os.makedirs(root / "cat" / "sub")
    Image.fromarray(np.full((4, 5, 3), 128, np.uint8)).save(root / "cat" / "sub" / "y.jpg")
    (root / "cat" / "notes.txt").write_text("not an image")
    return root, pics


def test_classes_samples_and_targets(tree):
    root, _ = tree
    data = ImageFolder(root)
    assert data.classes == ["cat", "dog"] and data.class_to_idx == {"cat": 0, "dog": 1}
    names = [os.path.relpath(p, root) for p, _ in data.samples]
    assert names == ["cat/x.png", os.path.join("cat", "sub", "y.jpg"), "dog/a.png", "dog/b.png"]
    assert data.targets == [0, 0, 1, 1] and data.imgs == data.samples and len(data) == 4
    image, label = data[2]
    assert isinstance(image, Image.Image) and image.mode == "RGB" and label == 1
    assert "Number of datapoints: 4" in repr(data)


def test_transform_gives_exact_pixels(tree):
    root, pics = tree
    data = ImageFolder(root, transform=T.ToTensor(), target_transform=lambda t: t + 10)
    image, label = data[3]  # dog/b.png
    assert isinstance(image, gu.Tensor) and image.shape == (3, 4, 5) and label == 11
    np.testing.assert_allclose(image.numpy(), pics["dog/b.png"].transpose(2, 0, 1) / 255,
                               rtol=1e-6)
    gray, _ = data[2]  # a gray PNG comes back as RGB with three equal channels
    np.testing.assert_allclose(gray.numpy(), np.stack([pics["dog/a.png"] / 255] * 3), rtol=1e-6)
    xb, yb = next(iter(DataLoader(data, batch_size=4)))
    assert xb.shape == (4, 3, 4, 5) and yb.numpy().tolist() == [10, 10, 11, 11]


def test_is_valid_file_and_custom_loader(tree):
    root, _ = tree
    data = ImageFolder(root, is_valid_file=lambda p: p.endswith(".png"))
    assert len(data) == 3
    data = DatasetFolder(root, loader=lambda p: os.path.getsize(p), extensions=(".txt",),
                         allow_empty=True)
    assert len(data) == 1 and data[0] == (len("not an image"), 0)


def test_unreadable_images_name_the_file(tree):
    root, _ = tree
    (root / "dog" / "c.png").write_bytes(b"this is not a png")
    good = (root / "cat" / "x.png").read_bytes()
    (root / "dog" / "d.png").write_bytes(good[: len(good) // 2])  # truncated
    data = ImageFolder(root, transform=T.ToTensor())
    with pytest.raises(DatasetFileError, match=r"c\.png.*class 'dog'"):
        data[data.samples.index((str(root / "dog" / "c.png"), 1))]
    with pytest.raises(DatasetFileError, match=r"d\.png"):
        data[data.samples.index((str(root / "dog" / "d.png"), 1))]
    with pytest.raises(DatasetFileError, match=r"c\.png"):
        load_image_folder(root)


def test_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such directory"):
        ImageFolder(tmp_path / "missing")
    (tmp_path / "file.png").write_bytes(b"x")
    with pytest.raises(NotADirectoryError):
        ImageFolder(tmp_path / "file.png")
    with pytest.raises(FileNotFoundError, match="no class folders.*1 image files directly"):
        ImageFolder(tmp_path)
    os.makedirs(tmp_path / "a")
    os.makedirs(tmp_path / "b")
    write_png(str(tmp_path / "a" / "1.png"), np.zeros((2, 2), np.uint8))
    with pytest.raises(FileNotFoundError, match=r"ImageFolder: no valid files in .*'b'"):
        ImageFolder(tmp_path)
    assert len(ImageFolder(tmp_path, allow_empty=True)) == 1


def test_load_image_folder_arrays(tree, tmp_path):
    root, pics = tree
    X, y, classes = load_image_folder(root)
    assert X.shape == (4, 3, 4, 5) and X.dtype == np.float32 and y.dtype == np.int64
    assert y.tolist() == [0, 0, 1, 1] and classes == ["cat", "dog"]
    np.testing.assert_allclose(X[3], pics["dog/b.png"].transpose(2, 0, 1) / 255, rtol=1e-6)
    gray_root = tmp_path / "digits"
    write_png(str(gray_root / "0" / "a.png"), np.zeros((6, 6), np.uint8))
    write_png(str(gray_root / "1" / "b.png"), np.full((6, 6), 255, np.uint8))
    X, y, _ = load_image_folder(gray_root)
    assert X.shape == (2, 1, 6, 6) and X[1].min() == 1.0  # all gray -> one channel
    write_png(str(gray_root / "1" / "c.png"), np.zeros((3, 8), np.uint8))
    with pytest.raises(DatasetFileError, match="c.png is 3x8 pixels.*size="):
        load_image_folder(gray_root)
    X, _, _ = load_image_folder(gray_root, size=4, channels=3)
    assert X.shape == (3, 3, 4, 4)


def test_without_pillow_the_error_says_how_to_install(tree, monkeypatch):
    import sys

    root, _ = tree
    for name in list(sys.modules):
        if name == "PIL" or name.startswith("PIL."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "PIL", None)
    with pytest.raises(ImportError, match=r'pip install "groundup\[images\]"'):
        ImageFolder(root)
    with pytest.raises(ImportError, match=r'pip install "groundup\[images\]"'):
        load_image_folder(root)
    assert len(DatasetFolder(root, loader=open, extensions=(".png",))) == 3
