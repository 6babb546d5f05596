"""CIFAR-10 in its binary format, from files you have (groundup never downloads anything).

The binary version ("CIFAR-10 binary version (suitable for C programs)") holds
data_batch_1.bin ... data_batch_5.bin (training, 10,000 images each) and
test_batch.bin, usually in a folder cifar-10-batches-bin/, with the class names
in batches.meta.txt. Each record is 3,073 bytes: the label (0-9), then 1,024 red,
1,024 green and 1,024 blue pixel values of a 32x32 image, row by row. The
pickled "python version" is never read (nothing is ever unpickled).
"""

import os
import tarfile

import numpy as np

from ..dataset import Dataset
from ..transforms.image import require_pil
from .files import DatasetFileError

__all__ = ["CIFAR10_CLASSES", "load_cifar10", "CIFAR10"]

CIFAR10_CLASSES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse",
                   "ship", "truck")
_FILES = {"train": [f"data_batch_{i}.bin" for i in range(1, 6)], "test": ["test_batch.bin"]}
_FOLDER = "cifar-10-batches-bin"
_RECORD = 1 + 3 * 32 * 32


def _read_from_dir(root, names):
    """{name: bytes} of the files in root (or root/cifar-10-batches-bin), and the folder used."""
    folder = root
    if not os.path.exists(os.path.join(root, names[0])) and \
            os.path.isdir(os.path.join(root, _FOLDER)):
        folder = os.path.join(root, _FOLDER)
    missing = [n for n in names if not os.path.isfile(os.path.join(folder, n))]
    if missing:
        raise FileNotFoundError(
            f"load_cifar10: {folder} lacks {', '.join(missing)}; expected the CIFAR-10 binary "
            f"version (data_batch_1.bin ... data_batch_5.bin, test_batch.bin), in the folder "
            f"or in {_FOLDER}/ inside it")
    contents = {}
    for n in names + ["batches.meta.txt"]:
        path = os.path.join(folder, n)
        if os.path.isfile(path):
            with open(path, "rb") as f:
                contents[n] = f.read()
    return contents, folder


def _read_from_tar(path, names):
    """{name: bytes} of the files inside a cifar-10-binary.tar.gz archive (nothing extracted)."""
    try:
        with tarfile.open(path) as archive:
            members = {os.path.basename(m.name): m for m in archive.getmembers() if m.isfile()}
            missing = [n for n in names if n not in members]
            if missing:
                raise FileNotFoundError(f"load_cifar10: the archive {path} lacks "
                                        f"{', '.join(missing)}")
            return {n: archive.extractfile(members[n]).read()
                    for n in names + ["batches.meta.txt"] if n in members}
    except (tarfile.TarError, EOFError, OSError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise DatasetFileError(f"load_cifar10: {path} is not a readable tar archive ({e})") \
            from None


def _records(data, where):
    """(images uint8 (N, 3, 32, 32), labels uint8 (N,)) of one batch file's bytes."""
    size = len(data)
    if size == 0 or size % _RECORD:
        hint = (" (its size fits 3,074-byte records: is it CIFAR-100, which has two label "
                "bytes?)" if size and size % (_RECORD + 1) == 0 else "")
        raise DatasetFileError(
            f"load_cifar10: {where} has {size} bytes, not a whole number of {_RECORD}-byte "
            f"records (1 label byte + 3,072 pixel bytes){hint}")
    records = np.frombuffer(data, dtype=np.uint8).reshape(-1, _RECORD)
    labels = records[:, 0]
    if labels.max() > 9:
        bad = int(np.argmax(labels > 9))
        raise DatasetFileError(f"load_cifar10: {where}: record {bad} has label {labels[bad]}; "
                               f"CIFAR-10 labels are 0-9")
    return records[:, 1:].reshape(-1, 3, 32, 32), labels


def _load(root, split):
    """(images uint8 (N, 3, 32, 32), labels uint8 (N,), class names) of one split."""
    if split not in _FILES:
        raise ValueError(f"load_cifar10: split must be 'train' or 'test'; got {split!r}")
    root = os.path.expanduser(os.fspath(root))
    names = _FILES[split]
    if os.path.isdir(root):
        contents, where = _read_from_dir(root, names)
    elif os.path.isfile(root):
        contents, where = _read_from_tar(root, names), root
    else:
        raise FileNotFoundError(f"load_cifar10: no such file or directory: {root}")
    parts = [_records(contents[n], os.path.join(where, n)) for n in names]
    classes = list(CIFAR10_CLASSES)
    if "batches.meta.txt" in contents:
        text = contents["batches.meta.txt"].decode("utf-8", errors="replace")
        found = [line.strip() for line in text.splitlines() if line.strip()]
        if len(found) == 10:
            classes = found
    images = np.concatenate([images for images, _ in parts])
    return images, np.concatenate([labels for _, labels in parts]), classes


def load_cifar10(root, split="train", normalize=True):
    """CIFAR-10 binary files -> (X, y, classes).

    root: the folder holding the .bin files (or holding cifar-10-batches-bin/), or
    the cifar-10-binary.tar.gz archive itself. split: "train" (data_batch_1..5)
    or "test" (test_batch). X is float32 (N, 3, 32, 32) scaled to [0, 1]
    (normalize=False keeps 0..255), y int64 (N,), classes the ten names (from
    batches.meta.txt when present).
    """
    images, labels, classes = _load(root, split)
    X = images.astype(np.float32)
    if normalize:
        X *= np.float32(1.0 / 255.0)
    return X, labels.astype(np.int64), classes


class CIFAR10(Dataset):
    """CIFAR-10 from your binary files as a Dataset, with torchvision's arguments.

    `dataset[i]` is (image, label): an RGB PIL image (Pillow needed) passed
    through `transform`, as torchvision's CIFAR10. `data` is the uint8 (N, 32,
    32, 3) array, `targets` the labels, `classes` the names. download=True is
    refused: get the binary version yourself and point root at it.
    """

    def __init__(self, root, train=True, transform=None, target_transform=None, download=False):
        if download:
            raise ValueError("CIFAR10: download=True is not supported (groundup never "
                             "downloads); point root at the CIFAR-10 binary files you have")
        images, labels, self.classes = _load(root, "train" if train else "test")
        self.root, self.train = root, train
        self.data = np.ascontiguousarray(images.transpose(0, 2, 3, 1))  # (N, 32, 32, 3)
        self.targets = labels.astype(np.int64).tolist()
        self.class_to_idx = {name: i for i, name in enumerate(self.classes)}
        self.transform, self.target_transform = transform, target_transform

    def __getitem__(self, index):
        Image = require_pil("CIFAR10")
        image, target = Image.fromarray(self.data[index]), self.targets[index]
        if self.transform is not None:
            image = self.transform(image)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return image, target

    def __len__(self):
        return len(self.data)
