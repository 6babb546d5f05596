"""Resolve a `--data` string (digits, spirals, PATH.csv, mnist:DIR, ...) into train/test arrays.

Used by the command line. Every dataset comes back as a `Split`: float32
inputs, int64 class labels, the number of features and classes, optional
class names, and the standardisation applied to tabular inputs (the mean and
std of the training part, so `predict` can apply the same to new inputs).
"""

import os
from dataclasses import dataclass, field

import numpy as np

from . import datasets

GENERATED = {
    "xor": lambda seed: datasets.xor(n=512, noise=0.15, seed=seed),
    "spirals": lambda seed: datasets.spirals(n=600, classes=3, noise=0.1, seed=seed),
    "moons": lambda seed: datasets.moons(n=600, noise=0.15, seed=seed),
    "circles": lambda seed: datasets.circles(n=600, noise=0.08, seed=seed),
    "blobs": lambda seed: datasets.blobs(n=600, centers=3, seed=seed),
}
BUNDLED = ("digits", "iris", "wine")


@dataclass
class Split:
    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: list = None
    preprocess: dict = field(default_factory=dict)  # {"mean": [...], "std": [...]} or {}

    @property
    def features(self):
        return int(np.prod(self.X_train.shape[1:]))

    @property
    def classes(self):
        if self.class_names:
            return len(self.class_names)
        return int(max(self.y_train.max(initial=0), self.y_test.max(initial=0))) + 1


def standardize(X, preprocess):
    """Apply a saved standardisation (no-op when there is none)."""
    if not preprocess:
        return X
    mean = np.asarray(preprocess["mean"], dtype=np.float32)
    std = np.asarray(preprocess["std"], dtype=np.float32)
    if X.shape[1:] != mean.shape:
        raise ValueError(f"inputs have {X.shape[1:]} features per row; the model expects "
                         f"{mean.shape}")
    return (X - mean) / std


def _fit_standardize(split):
    mean = split.X_train.mean(axis=0)
    std = split.X_train.std(axis=0)
    std[std < 1e-8] = 1.0
    split.preprocess = {"mean": mean.astype(float).tolist(), "std": std.astype(float).tolist()}
    split.X_train = standardize(split.X_train, split.preprocess)
    split.X_test = standardize(split.X_test, split.preprocess)
    return split


def _labels(y, path):
    y = np.asarray(y)
    if y.dtype.kind == "f":
        if not np.all(y == np.round(y)):
            raise ValueError(f"{path}: labels must be class indices (integers); found "
                             f"non-integer values such as {y[y != np.round(y)][0]}")
        y = y.astype(np.int64)
    if y.min(initial=0) < 0:
        raise ValueError(f"{path}: class labels must be >= 0; found {y.min()}")
    return y.astype(np.int64)


def _check_finite(X, path, first_row=None):
    """Refuse NaN and infinite inputs, naming the first bad sample (or, given the file row of
    the first sample, the CSV row and column)."""
    flat = X.reshape(len(X), -1)
    bad = ~np.isfinite(flat)
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        where = f"sample {i}, feature {j}" if first_row is None else \
            f"row {i + first_row}, column {j + 1}"
        raise ValueError(f"{path}: non-finite value {flat[i, j]} at {where}; inputs must be "
                         f"finite numbers")
    return X


def _split_arrays(name, X, y, seed, class_names=None):
    train, test = datasets.stratified_split(y, 0.2, seed)
    return Split(name, X[train], y[train], X[test], y[test], class_names)


def load(spec, seed=0):
    """The train/test Split that `--data spec` names."""
    if spec == "digits":
        (X, y), (Xt, yt) = datasets.load_digits(split="train"), datasets.load_digits(split="test")
        return Split("digits", X, y, Xt, yt, [str(i) for i in range(10)])
    if spec in ("iris", "wine"):
        loader = getattr(datasets, f"load_{spec}")
        (X, y), (Xt, yt) = loader(split="train"), loader(split="test")
        return _fit_standardize(Split(spec, X, y, Xt, yt))
    if spec in GENERATED:
        X, y = GENERATED[spec](seed)
        return _fit_standardize(_split_arrays(spec, X.astype(np.float32), _labels(y, spec), seed))
    if spec.startswith("mnist:"):
        directory = os.path.expanduser(spec[len("mnist:"):])
        X, y = datasets.load_mnist(directory, split="train")
        Xt, yt = datasets.load_mnist(directory, split="test")
        for part, labels in (("train", y), ("test", yt)):
            if labels.size and labels.max() > 9:
                raise ValueError(f"{spec}: MNIST labels must be 0-9; the {part} labels hold "
                                 f"{int(labels.max())}")
        return Split(spec, X, y, Xt, yt, [str(i) for i in range(10)])
    lower = spec.lower()
    if lower.endswith(".csv"):
        X, y, classes = datasets.load_csv(spec, finite=True)
        return _fit_standardize(_split_arrays(spec, X, _labels(y, spec), seed,
                                              list(classes) if classes is not None else None))
    if lower.endswith(".npz"):
        X, y = datasets.load_npz(spec)
        X = _check_finite(X.astype(np.float32).reshape(len(X), -1), spec)
        return _fit_standardize(_split_arrays(spec, X, _labels(y, spec), seed))
    known = ", ".join(list(BUNDLED) + list(GENERATED))
    raise ValueError(f"unknown dataset {spec!r}: expected one of {known}, a PATH.csv, a PATH.npz "
                     f"or mnist:DIR")


def is_file(spec):
    """Whether `--data spec` names a file or directory (PATH.csv, PATH.npz, mnist:DIR)."""
    return spec.startswith("mnist:") or spec.lower().endswith((".csv", ".npz"))


def resolve(spec):
    """`spec` with a file's path made absolute, so a run can name its data from anywhere."""
    if spec.startswith("mnist:"):
        return "mnist:" + os.path.abspath(os.path.expanduser(spec[len("mnist:"):]))
    if is_file(spec):
        return os.path.abspath(os.path.expanduser(spec))
    return spec


def same(a, b):
    """Whether two `--data` specs name the same data (files compared by resolved path)."""
    if is_file(a) and is_file(b):
        return a.startswith("mnist:") == b.startswith("mnist:") and \
            os.path.realpath(resolve(a).removeprefix("mnist:")) == \
            os.path.realpath(resolve(b).removeprefix("mnist:"))
    return a == b


def check_trainable(split):
    """Refuse a Split that cannot train a classifier: an empty part, fewer than two
    classes, or integer labels that are not class indices 0..K-1 (sparse ids such as
    {0, 1000000} would make a model with a million outputs; renumber them, or use text
    labels, which are numbered by name)."""
    if len(split.y_train) == 0 or len(split.y_test) == 0:
        raise ValueError(f"{split.name}: too few samples for a train/test split "
                         f"({len(split.y_train)} train, {len(split.y_test)} test); each class "
                         f"needs at least 2 samples")
    used = np.unique(np.concatenate([split.y_train, split.y_test]))
    if len(used) < 2:
        raise ValueError(f"{split.name}: every label is {split.y_train[0]}; a classifier needs "
                         f"at least 2 classes")
    if not split.class_names and split.classes > max(2 * len(used), 10):
        raise ValueError(f"{split.name}: labels must be class indices 0..K-1; found "
                         f"{len(used)} distinct labels up to {int(used[-1])}, which would make a "
                         f"{split.classes}-class model (renumber them 0..{len(used) - 1})")
    return split


def read_inputs(path, features):
    """Inputs for `groundup predict`: an .npy array or a CSV of feature columns."""
    if not os.path.exists(path):
        raise FileNotFoundError(2, "No such file", path)
    first_row = None
    if path.lower().endswith(".npy"):
        X = np.load(path, allow_pickle=False)
    elif path.lower().endswith(".csv"):
        first_row = 1
        try:
            X = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2)
        except ValueError:
            X = np.loadtxt(path, delimiter=",", dtype=np.float64, ndmin=2, skiprows=1)
            first_row = 2
        if X.shape[1] == features + 1:  # a labelled file: drop the label column
            X = X[:, :-1]
    else:
        raise ValueError(f"{path}: expected a .npy or .csv file of inputs")
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 1:
        X = X[None]
    X = X.reshape(len(X), -1)
    if X.shape[1] != features:
        raise ValueError(f"{path}: rows have {X.shape[1]} values; the model expects {features} "
                         f"features")
    return _check_finite(X, path, first_row)
