"""Real data shipped inside the package: UCI digits (8x8), iris and wine.

The arrays live in files/*.npz (read with allow_pickle=False); see
data/datasets/NOTICE for their source, licence (CC BY 4.0) and citations.
Each loader returns `(X, y)`: X float32, y int64 class ids, and takes the
same fixed split: `split=None` (all samples, in file order), "train" or
"test". The split is stratified and seeded: from each class,
floor(test_fraction * count + 0.5) samples chosen by
np.random.default_rng(seed) go to "test" and the rest to "train"; both keep
file order.
"""

import functools
import math
import os

import numpy as np

from ..dataset import _generator

__all__ = ["load_digits", "load_iris", "load_wine", "stratified_split",
           "IRIS_CLASSES", "IRIS_FEATURES", "WINE_CLASSES", "WINE_FEATURES"]

_FILES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files")

IRIS_CLASSES = ("setosa", "versicolor", "virginica")
IRIS_FEATURES = ("sepal length (cm)", "sepal width (cm)", "petal length (cm)",
                 "petal width (cm)")
WINE_CLASSES = ("class_0", "class_1", "class_2")
WINE_FEATURES = ("alcohol", "malic_acid", "ash", "alcalinity_of_ash", "magnesium",
                 "total_phenols", "flavanoids", "nonflavanoid_phenols", "proanthocyanins",
                 "color_intensity", "hue", "od280/od315_of_diluted_wines", "proline")


@functools.lru_cache(maxsize=None)
def _bundled(name):
    """The arrays of files/<name>.npz, read once and kept read-only."""
    path = os.path.join(_FILES, f"{name}.npz")
    try:
        with np.load(path, allow_pickle=False) as f:
            arrays = {k: f[k] for k in f.files}
    except FileNotFoundError:
        raise FileNotFoundError(
            f"the bundled data file {path} is missing: the groundup installation is incomplete "
            f"(reinstall it; package data data/datasets/files/* must be included)"
        ) from None
    for a in arrays.values():
        a.flags.writeable = False
    return arrays


def stratified_split(y, test_fraction=0.2, seed=0):
    """(train_indices, test_indices) for labels y, stratified by class and seeded.

    From each class, floor(test_fraction * count + 0.5) indices chosen with
    np.random.default_rng(seed) (seed None: the shared generator) go to test.
    Both index arrays are sorted (file order).
    """
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must lie strictly between 0 and 1; got {test_fraction!r}")
    y = np.asarray(y)
    rng = _generator(seed)
    test = []
    for c in np.unique(y):
        members = np.flatnonzero(y == c)
        k = int(math.floor(test_fraction * len(members) + 0.5))
        test.append(rng.permutation(members)[:k])
    is_test = np.zeros(len(y), dtype=bool)
    is_test[np.concatenate(test)] = True
    return np.flatnonzero(~is_test), np.flatnonzero(is_test)


def _select(name, y, split, test_fraction, seed):
    """The indices of `split` (None/"all", "train" or "test")."""
    if split in (None, "all"):
        return None
    if split not in ("train", "test"):
        raise ValueError(f"{name}: split must be None, 'train' or 'test'; got {split!r}")
    train, test = stratified_split(y, test_fraction, seed)
    return train if split == "train" else test


def load_digits(split=None, test_fraction=0.2, seed=0, normalize=True, as_images=False):
    """UCI optical handwritten digits: 1,797 images of 8x8 pixels, 10 classes (0-9).

    Returns X float32, (N, 64) or (N, 1, 8, 8) with `as_images=True`, pixel
    values scaled to [0, 1] (normalize=False keeps the raw 0..16 counts), and
    y int64 (N,). With the defaults (test_fraction=0.2, seed=0) "train" has
    1,438 images and "test" 359 (stratified: 35-37 of each digit).

    Example:
        X, y = load_digits(split="train")
        Xt, yt = load_digits(split="test")
    """
    arrays = _bundled("digits")
    images, labels = arrays["images"], arrays["labels"]
    index = _select("load_digits", labels, split, test_fraction, seed)
    if index is not None:
        images, labels = images[index], labels[index]
    X = images.astype(np.float32)
    if normalize:
        X *= 1.0 / 16.0
    if as_images:
        X = X.reshape(-1, 1, 8, 8)  # (N, C=1, H=8, W=8)
    return X, labels.astype(np.int64)


def _tabular(name, split, test_fraction, seed, standardize):
    arrays = _bundled(name)
    X, y = arrays["features"], arrays["labels"]
    index = _select(f"load_{name}", y, split, test_fraction, seed)
    if standardize:
        # statistics of the training part only, so the test part leaks nothing
        fit = X if index is None else X[_select(f"load_{name}", y, "train", test_fraction, seed)]
        mean, std = fit.mean(axis=0), fit.std(axis=0)
        X = (X - mean) / np.where(std > 0, std, 1.0).astype(np.float32)
    if index is not None:
        X, y = X[index], y[index]
    return np.array(X, dtype=np.float32), y.astype(np.int64)


def load_iris(split=None, test_fraction=0.2, seed=0, standardize=False):
    """Fisher's iris: 150 flowers, 4 features (IRIS_FEATURES, in cm), 3 classes (IRIS_CLASSES).

    Returns X float32 (N, 4) and y int64 (N,). standardize=True rescales each
    feature to zero mean and unit variance using the statistics of the
    training part (of all 150 when split is None). Defaults: "train" 120, "test" 30.
    """
    return _tabular("iris", split, test_fraction, seed, standardize)


def load_wine(split=None, test_fraction=0.2, seed=0, standardize=False):
    """UCI wine: 178 wines, 13 chemical features (WINE_FEATURES), 3 cultivars (WINE_CLASSES).

    Returns X float32 (N, 13) and y int64 (N,); the features differ in scale by
    1000x, so standardize=True (statistics of the training part) is advised
    for gradient training. Defaults: "train" 142, "test" 36.
    """
    return _tabular("wine", split, test_fraction, seed, standardize)
