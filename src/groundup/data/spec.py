"""Resolve a `--data` string (digits, spirals, PATH.csv, mnist:DIR, ...) into train/test arrays.

Used by the command line. Every dataset comes back as a `Split`: float32
inputs, int64 class labels, the number of features and classes, optional
class names, and the standardisation applied to tabular inputs (the mean and
std of the training part, so `predict` can apply the same to new inputs).
"""

import csv
import glob
import os
from dataclasses import dataclass, field

import numpy as np

from . import datasets
from .datasets.files import _is_number

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


def _load_mnist(spec):
    """(X, y, X_test, y_test) of `mnist:DIR`, train and test images of one size."""
    directory = os.path.expanduser(spec[len("mnist:"):])
    if not os.path.isdir(directory) and not glob.glob(glob.escape(directory) + "*"):
        raise ValueError(f"{spec}: the directory {directory} does not exist")
    X, y = datasets.load_mnist(directory, split="train", as_images=True)
    Xt, yt = datasets.load_mnist(directory, split="test", as_images=True)
    (h, w), (ht, wt) = X.shape[2:], Xt.shape[2:]
    if (h, w) != (ht, wt):
        raise ValueError(f"{spec}: the test images are {ht}x{wt} pixels but the train images "
                         f"are {h}x{w}; both splits must have one image size")
    return X.reshape(len(X), h * w), y, Xt.reshape(len(Xt), h * w), yt


def load(spec, seed=0):
    """The train/test Split that `--data spec` names."""
    if spec == "digits":
        (X, y), (Xt, yt) = datasets.load_digits(split="train"), datasets.load_digits(split="test")
        return Split("digits", X, y, Xt, yt, [str(i) for i in range(10)])
    if spec in ("iris", "wine"):
        loader = getattr(datasets, f"load_{spec}")
        (X, y), (Xt, yt) = loader(split="train"), loader(split="test")
        names = list(getattr(datasets, f"{spec.upper()}_CLASSES"))
        return _fit_standardize(Split(spec, X, y, Xt, yt, names))
    if spec in GENERATED:
        X, y = GENERATED[spec](seed)
        return _fit_standardize(_split_arrays(spec, X.astype(np.float32), _labels(y, spec), seed))
    if spec.startswith("mnist:"):
        X, y, Xt, yt = _load_mnist(spec)
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
        if X.dtype.kind not in "biuf":
            raise ValueError(f"{spec}: inputs 'x' must be numbers; found {X.dtype} values")
        if y.dtype.kind not in "biuf":
            raise ValueError(f"{spec}: labels 'y' must be integers (class ids 0..K-1); found "
                             f"{y.dtype} values")
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


def _npy_inputs(path):
    """The array of an .npy file of numbers, never unpickling."""
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic != b"\x93NUMPY":
        raise ValueError(f"{path}: not a .npy file (it does not start with the NumPy header); "
                         f"save inputs with np.save, or write them as a .csv")
    try:
        X = np.load(path, allow_pickle=False)
    except ValueError as e:
        if "pickle" in str(e).lower():
            raise ValueError(f"{path}: holds Python objects; inputs must be numbers (an array "
                             f"of floats or integers)") from None
        raise ValueError(f"{path}: a damaged .npy file: {e}") from None
    except (EOFError, OSError) as e:
        raise ValueError(f"{path}: a damaged or truncated .npy file: {e}") from None
    if X.dtype.kind not in "biuf":
        kind = "text" if X.dtype.kind in "US" else "non-numeric"
        raise ValueError(f"{path}: holds {kind} values (dtype {X.dtype}); inputs must be numbers "
                         f"(an array of floats or integers)")
    return X


def _csv_inputs(path, features, classes, class_names):
    """(X, file row of the first sample) of a CSV of inputs.

    A file one column wider than the model's inputs is in the training format (the label
    in the last column) when that column holds class ids 0..classes-1 or names of the
    run's classes; the column is then dropped. Any other width is left for the caller
    to refuse."""
    lines = datasets.load_text(path).lstrip("\n").split("\n", 1)
    if not lines[0].strip():
        raise ValueError(f"{path}: no rows; expected one sample per row, {features} comma-"
                         f"separated numbers each")
    first_row = next(csv.reader(lines[:1]))
    labelled = len(first_row) == features + 1
    cells = first_row[:-1] if labelled else first_row
    first = 1 if all(_is_number(c) for c in cells) else 2  # 2: a header row
    X, y, names = datasets.load_csv(path, label_column=-1 if labelled else None)
    if not labelled:
        return X, first
    if names is not None:
        unknown = [n for n in names if n not in (class_names or ())]
        if unknown:
            raise ValueError(f"{path}: column {features + 1} holds labels the model does not "
                             f"know ({', '.join(map(repr, unknown[:3]))}); inputs must be "
                             f"{features} numbers per row: drop the label column")
        return X, first
    if y.dtype.kind == "i" and y.min() >= 0 and (classes is None or y.max() < classes):
        return X, first
    ids = "class ids" if classes is None else f"class ids 0..{classes - 1}"
    raise ValueError(f"{path}: rows have {features + 1} values; the model expects {features} "
                     f"features (a last column is dropped as the label column only when it "
                     f"holds {ids} or class names)")


def read_inputs(path, features, classes=None, class_names=None):
    """Inputs for `groundup predict`: an .npy array or a CSV of feature columns.

    A CSV may also be in the training format, its label column last: the column is
    dropped when it holds class ids below `classes` or names from `class_names`.
    """
    if not os.path.exists(path):
        raise FileNotFoundError(2, "No such file", path)
    first_row = None
    if path.lower().endswith(".npy"):
        X = _npy_inputs(path)
    elif path.lower().endswith(".csv"):
        X, first_row = _csv_inputs(path, features, classes, class_names)
    else:
        raise ValueError(f"{path}: expected a .npy or .csv file of inputs")
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 1:
        X = X[None]
    if len(X) == 0:
        raise ValueError(f"{path}: no rows; expected samples of {features} features")
    X = X.reshape(len(X), int(np.prod(X.shape[1:])))
    if X.shape[1] != features:
        raise ValueError(f"{path}: rows have {X.shape[1]} values; the model expects {features} "
                         f"features")
    return _check_finite(X, path, first_row)
