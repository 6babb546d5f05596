"""The CIFAR-10 binary format on small fake files written in tmp_path."""

import os
import tarfile

import numpy as np
import pytest

from groundup.data.datasets import CIFAR10, CIFAR10_CLASSES, DatasetFileError, load_cifar10

RNG = np.random.default_rng(4)


def write_batch(path, n):
    """n records: (label byte, 1024 R, 1024 G, 1024 B bytes); returns (images, labels)."""
    labels = RNG.integers(0, 10, n, dtype=np.uint8)
    images = RNG.integers(0, 256, (n, 3, 32, 32), dtype=np.uint8)
    records = np.concatenate([labels[:, None], images.reshape(n, -1)], axis=1)
    with open(path, "wb") as f:
        f.write(records.tobytes())
    return images, labels


@pytest.fixture
def cifar(tmp_path):
    folder = tmp_path / "cifar-10-batches-bin"
    folder.mkdir()
    train = [write_batch(folder / f"data_batch_{i}.bin", i) for i in range(1, 6)]
    test = write_batch(folder / "test_batch.bin", 3)
    return tmp_path, folder, train, test


def test_train_and_test_splits(cifar):
    parent, folder, train, test = cifar
    X, y, classes = load_cifar10(folder, split="train")
    assert X.shape == (15, 3, 32, 32) and X.dtype == np.float32 and y.dtype == np.int64
    want = np.concatenate([images for images, _ in train])
    np.testing.assert_allclose(X, want / 255.0, rtol=1e-6)
    np.testing.assert_array_equal(y, np.concatenate([labels for _, labels in train]))
    assert classes == list(CIFAR10_CLASSES)
    Xt, yt, _ = load_cifar10(parent, split="test", normalize=False)  # finds the subfolder
    np.testing.assert_array_equal(Xt, test[0])
    np.testing.assert_array_equal(yt, test[1])
    raw = (folder / "data_batch_2.bin").read_bytes()  # records 1 and 2 of the train split
    assert y[1] == raw[0] and y[2] == raw[3073]
    # after the label: the red plane row by row, then green, then blue
    assert X[1, 0, 0, 1] * 255 == pytest.approx(raw[2])
    assert X[1, 0, 1, 0] * 255 == pytest.approx(raw[1 + 32])
    assert X[1, 1, 0, 0] * 255 == pytest.approx(raw[1 + 1024])
    assert X[1, 2, 31, 31] * 255 == pytest.approx(raw[3072])


def test_class_names_from_batches_meta(cifar):
    _, folder, _, _ = cifar
    names = [f"class{i}" for i in range(10)]
    (folder / "batches.meta.txt").write_text("\n".join(names) + "\n\n")
    assert load_cifar10(folder, "test")[2] == names


def test_reads_the_tar_gz_archive(cifar, tmp_path):
    _, folder, train, _ = cifar
    archive = tmp_path / "cifar-10-binary.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(folder, arcname="cifar-10-batches-bin")
    X, y, _ = load_cifar10(archive, "train", normalize=False)
    np.testing.assert_array_equal(X, np.concatenate([images for images, _ in train]))


def test_errors_name_the_file(cifar, tmp_path):
    _, folder, _, _ = cifar
    with pytest.raises(ValueError, match="split"):
        load_cifar10(folder, split="val")
    with pytest.raises(FileNotFoundError, match="no such file"):
        load_cifar10(tmp_path / "nowhere")
    os.remove(folder / "data_batch_3.bin")
    with pytest.raises(FileNotFoundError, match="data_batch_3.bin"):
        load_cifar10(folder, "train")
    with open(folder / "test_batch.bin", "ab") as f:
        f.write(b"\x00" * 10)
    with pytest.raises(DatasetFileError, match=r"test_batch.bin has 9229 bytes.*3073-byte"):
        load_cifar10(folder, "test")
    (folder / "test_batch.bin").write_bytes(b"\x00" * 3074 * 2)
    with pytest.raises(DatasetFileError, match="CIFAR-100"):
        load_cifar10(folder, "test")
    (folder / "test_batch.bin").write_bytes(b"\x0c" + b"\x00" * 3072)
    with pytest.raises(DatasetFileError, match="record 0 has label 12"):
        load_cifar10(folder, "test")
    (tmp_path / "junk.tar.gz").write_bytes(b"not an archive")
    with pytest.raises(DatasetFileError, match="tar archive"):
        load_cifar10(tmp_path / "junk.tar.gz")


def test_cifar10_dataset(cifar):
    Image = pytest.importorskip("PIL.Image")
    parent, _, _, test = cifar
    data = CIFAR10(parent, train=False)
    assert len(data) == 3 and data.data.shape == (3, 32, 32, 3)
    image, label = data[1]
    assert isinstance(image, Image.Image) and image.size == (32, 32) and label == test[1][1]
    np.testing.assert_array_equal(np.asarray(image), test[0][1].transpose(1, 2, 0))
    with pytest.raises(ValueError, match="never downloads"):
        CIFAR10(parent, download=True)
