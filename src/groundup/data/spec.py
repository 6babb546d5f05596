"""Resolve a `--data` string (digits, spirals, PATH.csv, mnist:DIR, images:DIR, ...) into arrays.

Used by the command line. Every dataset comes back as a `Split` of raw inputs
(as the data files hold them: digits pixels 0-16, MNIST, CIFAR and image-file
pixels 0-255, CSV values as written) with int64 class ids, the names of the classes, and the
input scaling the model trains on (`split.scale(X)`): a fixed factor for
pixels, the training part's mean and std for tables and generated points. The
scaling is saved with a run, so `predict` applies it to new raw inputs.

Labels of any values (text, {5, 7, 9}, {-1, 1}) are mapped to classes 0..K-1 in
sorted order; `class_names` keeps the values, so predictions come back as them.
A validation part (`val_split` of the training part, stratified and seeded) is
cut for model selection; the test part is only reported.
"""

import csv
import glob
import os
from dataclasses import dataclass, field

import numpy as np

from . import datasets
from .datasets.files import DatasetFileError, NotTextError, _is_number, detect_delimiter

__all__ = ["Split", "DataSpecError", "USER_ERRORS", "NAMED", "FILE_FORMS", "DIR_PREFIXES", "load",
           "apply_scaling", "describe_scaling", "check_trainable", "read_inputs", "resolve",
           "same", "is_file", "label_name", "input_warning", "PIXELS", "REGRESSION"]


class DataSpecError(ValueError):
    """A --data value that names no dataset, or data that cannot train or feed a classifier."""


# what a command reports as a user's mistake (one line), never as a bug
USER_ERRORS = (DataSpecError, DatasetFileError, FileNotFoundError, IsADirectoryError,
               PermissionError)

GENERATED = {
    "xor": lambda seed: datasets.xor(n=512, noise=0.15, seed=seed),
    "spirals": lambda seed: datasets.spirals(n=600, classes=3, noise=0.1, seed=seed),
    "moons": lambda seed: datasets.moons(n=600, noise=0.15, seed=seed),
    "circles": lambda seed: datasets.circles(n=600, noise=0.08, seed=seed),
    "blobs": lambda seed: datasets.blobs(n=600, centers=3, seed=seed),
}
BUNDLED = ("digits", "iris", "wine")
# every name --data accepts, with what `groundup list` and `train --help` say about it
NAMED = {
    "digits": "handwritten digits, 8x8 pixels: 1,797 images, 10 classes (bundled)",
    "iris": "iris flowers: 150 samples, 4 features, 3 classes (bundled)",
    "wine": "wines: 178 samples, 13 features, 3 classes (bundled)",
    "xor": "generated: 512 noisy XOR points, 2 classes",
    "spirals": "generated: 600 points on 3 interleaved spirals",
    "moons": "generated: 600 points on 2 interleaving half circles",
    "circles": "generated: 600 points on 2 concentric circles",
    "blobs": "generated: 600 points in 3 Gaussian clusters",
    "sine": "generated: 300 points of sin(x) + noise, 1 feature (regression: rbfn)",
    "surface": "generated: 600 points of sin(x1) cos(x2) + noise, 2 features (regression: "
               "rbfn)",
}
# the NAMED data with real-valued targets, not classes: the regression run loads them
# (commands/task_regress.py), a classifier cannot
REGRESSION = ("sine", "surface")
FILE_FORMS = {
    "PATH.csv": "your table: features, then the label in the last column (also .tsv; "
                "the delimiter is detected)",
    "PATH.npz": "your NumPy archive: arrays x (inputs) and y (labels)",
    "mnist:DIR": "MNIST-format IDX files in DIR (train-* and t10k-*)",
    "images:DIR": "your PNG/JPEG images, one subfolder per class (DIR/train/ and DIR/test/ if "
                  "you split them); needs Pillow",
    "cifar:DIR": "CIFAR-10 binary files in DIR (data_batch_1..5.bin, test_batch.bin) or "
                 "the cifar-10-binary.tar.gz itself",
}
# the forms that name a directory (or archive) after a prefix
DIR_PREFIXES = ("mnist:", "images:", "cifar:")
PIXELS = {"kind": "scale", "factor": 1.0 / 255.0, "note": "pixel values 0-255"}
_TABLES = (".csv", ".tsv", ".csv.gz", ".tsv.gz")


@dataclass
class Split:
    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    class_names: list = None
    scaling: dict = field(default_factory=dict)  # see apply_scaling
    X_val: np.ndarray = None
    y_val: np.ndarray = None
    about: str = ""  # what was found in a file (rows, columns, delimiter)

    @property
    def features(self):
        return int(np.prod(self.X_train.shape[1:]))

    @property
    def input_shape(self):
        return list(self.X_train.shape[1:])

    @property
    def classes(self):
        if self.class_names:
            return len(self.class_names)
        parts = [p for p in (self.y_train, self.y_val, self.y_test) if p is not None]
        return int(max(p.max(initial=0) for p in parts)) + 1

    def scale(self, X):
        """Raw inputs as the model sees them (the run's input scaling applied)."""
        return apply_scaling(X, self.scaling)


def label_name(value):
    """The class name of a label value: 5 -> "5", 5.0 -> "5", -1 -> "-1", 0.5 -> "0.5"."""
    if isinstance(value, (bytes, np.bytes_)):
        value = value.decode("utf-8", "replace")
    if isinstance(value, str):
        value = value.strip()
        if not _is_number(value):
            return value
        value = float(value)
    value = float(value)
    return str(int(value)) if value.is_integer() else format(value, "g")


# ------------------------------------------------------------------ scaling
def apply_scaling(X, scaling):
    """Apply a saved input scaling: {"kind": "scale", "factor": f} multiplies by f;
    {"kind": "standardize", "mean": [...], "std": [...]} subtracts the mean and divides
    by the std of each feature; {} or {"kind": "none"} leaves X as it is."""
    if not scaling or scaling.get("kind", "standardize") == "none":
        return np.asarray(X, dtype=np.float32)
    X = np.asarray(X, dtype=np.float32)
    if scaling.get("kind") == "scale":
        return X * np.float32(scaling["factor"])
    mean = np.asarray(scaling["mean"], dtype=np.float32)
    std = np.asarray(scaling["std"], dtype=np.float32)
    flat = X.reshape(len(X), -1)
    if flat.shape[1] != mean.size:
        raise DataSpecError(f"inputs have {flat.shape[1]} features per row; the model expects "
                            f"{mean.size}")
    return ((flat - mean) / std).reshape(X.shape)


def describe_scaling(scaling):
    """The input scaling in words, e.g. "x 0.0625 (raw 0 to 16 -> 0 to 1)"."""
    kind = (scaling or {}).get("kind", "standardize" if scaling else "none")
    low, high = (scaling or {}).get("range", (None, None))
    if kind == "scale":
        f = scaling["factor"]
        span = f" (raw {low:g} to {high:g} -> {low * f:g} to {high * f:g})" if low is not None \
            else ""
        return f"x {f:g}{span}"
    if kind == "standardize":
        return "standardised: (x - mean) / std of each feature over the training part"
    return "none"


def input_warning(X, scaling, slack=0.1):
    """A warning (str) when raw inputs for predict do not look like the training inputs, else
    None: values outside the training range by more than `slack` of its span (other units),
    or, under a fixed factor, every value inside the *scaled* range (inputs scaled already)."""
    low, high = (scaling or {}).get("range", (None, None))
    if low is None or not np.size(X):
        return None
    span = max(high - low, 1e-12)
    lo, hi = float(np.min(X)), float(np.max(X))
    units = (f"predict takes raw inputs in the units of the training data ({low:g} to "
             f"{high:g}) and applies the run's scaling itself: {describe_scaling(scaling)}")
    if lo < low - slack * span or hi > high + slack * span:
        return f"values from {lo:g} to {hi:g} lie outside the training inputs' range; {units}"
    if scaling.get("kind") == "scale":
        f = scaling["factor"]
        s_low, s_high = sorted((low * f, high * f))
        if hi > 0 and s_high < 0.5 * high and s_low - 1e-6 <= lo and hi <= s_high + 1e-6:
            return (f"every value lies within {s_low:g} to {s_high:g}, the range of the scaled "
                    f"inputs: are they scaled already? {units}")
    return None


def _with_range(scaling, X):
    """The scaling with the range of the raw training inputs (what predict compares with)."""
    if not np.size(X):
        return dict(scaling)
    return dict(scaling, range=[float(np.min(X)), float(np.max(X))])


def _fit_standardize(X):
    flat = X.reshape(len(X), -1).astype(np.float64)
    mean = flat.mean(axis=0).astype(np.float32)
    std = flat.std(axis=0).astype(np.float32)
    std[std < 1e-8] = 1.0
    return {"kind": "standardize", "mean": mean.astype(float).tolist(),
            "std": std.astype(float).tolist()}


# ------------------------------------------------------------------- labels
def _classes(y, path, names=None):
    """(int64 class ids 0..K-1, class names) of labels of any values (sorted)."""
    y = np.asarray(y)
    if names is not None:  # text labels, numbered by load_csv already
        return y.astype(np.int64), [str(n) for n in names]
    if y.dtype.kind == "f" and not np.isfinite(y).all():
        raise DataSpecError(f"{path}: labels must be finite; found {y[~np.isfinite(y)][0]}")
    if y.dtype.kind not in "biufUS":
        raise DataSpecError(f"{path}: labels must be numbers or text; found {y.dtype} values")
    values, ids = np.unique(y, return_inverse=True)
    if len(values) > 10 and len(values) > len(y) // 2:
        raise DataSpecError(f"{path}: {len(values)} distinct label values in {len(y)} rows: "
                            f"each label value becomes a class, and this looks like a "
                            f"continuous target (the command trains classifiers)")
    names = [label_name(v) for v in values.tolist()]
    if len(set(names)) != len(names):
        raise DataSpecError(f"{path}: labels {values.tolist()[:6]} name the same class twice")
    return ids.reshape(-1).astype(np.int64), names


def _split(name, X, y, seed, class_names):
    train, test = datasets.stratified_split(y, 0.2, seed)
    return Split(name, X[train], y[train], X[test], y[test], class_names)


# ------------------------------------------------------------------ loading
def _check_finite(X, path, first_row=None):
    """Refuse NaN and infinite inputs, naming the first bad sample (or, given the file row of
    the first sample, the CSV row and column)."""
    flat = X.reshape(len(X), -1)
    bad = ~np.isfinite(flat)
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        where = f"sample {i}, feature {j}" if first_row is None else \
            f"row {i + first_row}, column {j + 1}"
        raise DataSpecError(f"{path}: non-finite value {flat[i, j]} at {where}; inputs must be "
                            f"finite numbers")
    return X


def _load_mnist(spec):
    """(X, y, X_test, y_test) of `mnist:DIR`: raw 0-255 images (N, 1, H, W) of one size."""
    directory = os.path.expanduser(spec[len("mnist:"):])
    if not os.path.isdir(directory) and not glob.glob(glob.escape(directory) + "*"):
        raise DataSpecError(f"{spec}: the directory {directory} does not exist")
    X, y = datasets.load_mnist(directory, split="train", normalize=False, as_images=True)
    Xt, yt = datasets.load_mnist(directory, split="test", normalize=False, as_images=True)
    if X.shape[1:] != Xt.shape[1:]:
        (h, w), (ht, wt) = X.shape[2:], Xt.shape[2:]
        raise DataSpecError(f"{spec}: the test images are {ht}x{wt} pixels but the train "
                            f"images are {h}x{w}; both splits must have one image size")
    for part, labels in (("train", y), ("test", yt)):
        if labels.size and labels.max() > 9:
            raise DataSpecError(f"{spec}: MNIST labels must be 0-9; the {part} labels hold "
                                f"{int(labels.max())}")
    return X, y, Xt, yt


def _prefixed(spec):
    """(prefix, path) of a spec such as mnist:DIR, or (None, spec)."""
    for prefix in DIR_PREFIXES:
        if spec.startswith(prefix):
            return prefix, spec[len(prefix):]
    return None, spec


def _image_files(spec, root):
    """(classes, [(path, class index)]) of the class folders under root."""
    try:
        classes, index = datasets.find_classes(root)
        return classes, datasets.make_dataset(root, index, extensions=datasets.IMG_EXTENSIONS)
    except FileNotFoundError as e:
        raise DataSpecError(f"{spec}: {e}") from None


def _image_format(spec, samples):
    """((h, w), channels, about) that every image is brought to: the most common size (the
    first found among equals), 1 channel when every image is gray, else 3."""
    from .datasets.images import _GRAY_MODES, _READ_ERRORS
    from .transforms.image import PIL_HINT, require_pil

    try:
        Image = require_pil(spec)
    except ImportError:
        raise DataSpecError(f"{spec}: reading images needs Pillow, which is not installed: "
                            f"{PIL_HINT}") from None
    sizes, gray = {}, True
    for path, _ in samples:
        try:
            with Image.open(path) as img:  # reads the header only
                w, h = img.size
                gray = gray and img.mode in _GRAY_MODES
        except (*_READ_ERRORS, Image.DecompressionBombError) as e:
            raise DataSpecError(f"{spec}: cannot read the image {path}: {e}") from None
        sizes[(h, w)] = sizes.get((h, w), 0) + 1
    size = max(sizes, key=sizes.get)  # dicts keep insertion order: ties go to the first
    channels = 1 if gray else 3
    others = len(samples) - sizes[size]
    about = f"{len(samples)} images, {channels} channel{'s' if channels > 1 else ''}, " \
        f"{size[0]}x{size[1]} pixels"
    if others:
        about += f" (the most common size; {others} other images resized to it)"
    return size, channels, about


def _load_images(spec):
    """(X, y, X_test or None, y_test, classes, about) of `images:DIR`: raw 0-255 pixels
    (N, C, H, W); the test part is DIR/test when DIR holds train/ and test/ folders."""
    root = os.path.expanduser(_prefixed(spec)[1])
    if not os.path.isdir(root):
        what = "is a file; expected a directory" if os.path.exists(root) else "does not exist"
        raise DataSpecError(f"{spec}: {root} {what} (a folder with one subfolder of images "
                            f"per class)")
    parts = [os.path.join(root, part) for part in ("train", "test")]
    given = all(os.path.isdir(part) for part in parts)
    found = [_image_files(spec, part) for part in (parts if given else [root])]
    size, channels, about = _image_format(spec, [s for _, samples in found for s in samples])
    arrays = []
    for part in parts if given else [root]:
        X, y, classes = datasets.load_image_folder(part, size=size, channels=channels)
        arrays.append((np.rint(X * np.float32(255.0)), y, classes))
    (X, y, classes), test = arrays[0], arrays[1:]
    about = f"{spec}: {about}, {len(classes)} classes"
    if not test:
        return X, y, None, None, classes, about + " (test part cut from them)"
    Xt, yt, test_classes = test[0]
    extra = sorted(set(test_classes) - set(classes))
    if extra:
        raise DataSpecError(f"{spec}: test/ holds class folder(s) {', '.join(map(repr, extra))} "
                            f"that train/ lacks; the model can only learn classes it trains on")
    yt = np.asarray([classes.index(c) for c in test_classes], dtype=np.int64)[yt]
    return X, y, Xt, yt, classes, about + " (train/ and test/ folders)"


def _load_cifar(spec):
    """(X, y, X_test, y_test, classes) of `cifar:DIR`: raw 0-255 pixels (N, 3, 32, 32)."""
    path = os.path.expanduser(_prefixed(spec)[1])
    if not os.path.exists(path):
        raise DataSpecError(f"{spec}: {path} does not exist (expected a folder of CIFAR-10 "
                            f"binary files, or the cifar-10-binary.tar.gz archive)")
    X, y, classes = datasets.load_cifar10(path, split="train", normalize=False)
    Xt, yt, _ = datasets.load_cifar10(path, split="test", normalize=False)
    return X, y, Xt, yt, classes


def _load_table(spec, delimiter):
    what = "load_csv"
    try:
        text = datasets.load_text(spec, what=what)
    except NotTextError as e:
        if e.binary:
            raise DataSpecError(f"{spec}: not a CSV file: {e.detail}") from None
        raise DataSpecError(f"{spec}: {e.detail}; save the file as UTF-8 text") from None
    found = delimiter if delimiter is not None else detect_delimiter(text)
    shown = {"\t": "tab", " ": "space"}.get(found, repr(found))
    X, y, names = datasets.load_csv(spec, delimiter=found, finite=True)
    if X.shape[1] == 0:
        others = "" if delimiter is not None else \
            " (no delimiter among , ; tab | splits its rows into columns)"
        raise DataSpecError(f"{spec}: found 1 column with delimiter {shown}{others}: no "
                            f"feature columns beside the label; pass --delimiter if the file "
                            f"uses another one")
    about = (f"{spec}: {len(X)} rows, {X.shape[1]} features + label, delimiter {shown}"
             f"{'' if delimiter is not None else ' (detected)'}")
    return X, y, names, about


def load(spec, seed=0, val_split=0.1, delimiter=None):
    """The Split that `--data spec` names, with `val_split` of its training part as val."""
    about, scaling = "", None
    if spec == "digits":
        (X, y), (Xt, yt) = [datasets.load_digits(split=s, normalize=False, as_images=True)
                            for s in ("train", "test")]
        split = Split("digits", X, y, Xt, yt, [str(i) for i in range(10)])
        scaling = {"kind": "scale", "factor": 1.0 / 16.0, "note": "pixel counts 0-16"}
    elif spec in ("iris", "wine"):
        loader = getattr(datasets, f"load_{spec}")
        (X, y), (Xt, yt) = loader(split="train"), loader(split="test")
        split = Split(spec, X, y, Xt, yt, list(getattr(datasets, f"{spec.upper()}_CLASSES")))
    elif spec in GENERATED:
        X, y = GENERATED[spec](seed)
        y, names = _classes(y, spec)
        split = _split(spec, X.astype(np.float32), y, seed, names)
    elif spec.startswith("mnist:"):
        X, y, Xt, yt = _load_mnist(spec)
        split = Split(spec, X, y, Xt, yt, [str(i) for i in range(10)])
        scaling = dict(PIXELS)
    elif spec.startswith("images:"):
        X, y, Xt, yt, names, about = _load_images(spec)
        split = _split(spec, X, y, seed, names) if Xt is None else \
            Split(spec, X, y, Xt, yt, names)
        scaling = dict(PIXELS)
    elif spec.startswith("cifar:"):
        X, y, Xt, yt, names = _load_cifar(spec)
        split = Split(spec, X, y, Xt, yt, names)
        scaling = dict(PIXELS)
    elif spec.lower().endswith(_TABLES):
        X, y, names, about = _load_table(spec, delimiter)
        if y is None:
            raise DataSpecError(f"{spec}: no label column")
        y, names = _classes(y, spec, names)
        split = _split(spec, X, y, seed, names)
    elif spec.lower().endswith(".npz"):
        X, y = datasets.load_npz(spec)
        if X.dtype.kind not in "biuf":
            raise DataSpecError(f"{spec}: inputs 'x' must be numbers; found {X.dtype} values")
        X = _check_finite(X.astype(np.float32), spec)
        y, names = _classes(y, spec)
        split = _split(spec, X, y, seed, names)
    elif spec in REGRESSION:
        raise DataSpecError(f"{spec} is regression data (real-valued targets, not classes): "
                            f"models that fit it: rbfn")
    else:
        known = ", ".join(NAMED)
        raise DataSpecError(f"unknown dataset {spec!r}: expected one of {known}, a PATH.csv "
                            f"(or .tsv), a PATH.npz, mnist:DIR, images:DIR or cifar:DIR")
    split.about = about
    _cut_validation(split, val_split, seed)
    if scaling is None:
        scaling = _fit_standardize(split.X_train) if len(split.X_train) else {"kind": "none"}
    split.scaling = _with_range(scaling, split.X_train)
    return split


def _cut_validation(split, fraction, seed):
    if not fraction:
        return
    if not 0.0 < fraction < 1.0:
        raise DataSpecError(f"--val-split must lie in [0, 1); got {fraction}")
    if len(split.y_train) < 2:
        return  # check_trainable names the problem
    train, val = datasets.stratified_split(split.y_train, fraction, seed)
    if len(val) == 0 or len(train) == 0:
        raise DataSpecError(f"{split.name}: too few training samples ({len(split.y_train)}) to "
                            f"cut a validation part of {fraction:g}; pass --val-split 0 (no "
                            f"validation: the last model is kept) or a larger fraction")
    split.X_val, split.y_val = split.X_train[val], split.y_train[val]
    split.X_train, split.y_train = split.X_train[train], split.y_train[train]


def is_file(spec):
    """Whether `--data spec` names a file or directory (PATH.csv, PATH.npz, mnist:DIR,
    images:DIR, cifar:DIR)."""
    return _prefixed(spec)[0] is not None or spec.lower().endswith(_TABLES + (".npz",))


def resolve(spec):
    """`spec` with a file's path made absolute, so a run can name its data from anywhere."""
    if not is_file(spec):
        return spec
    prefix, path = _prefixed(spec)
    return (prefix or "") + os.path.abspath(os.path.expanduser(path))


def same(a, b):
    """Whether two `--data` specs name the same data (files compared by resolved path)."""
    if is_file(a) and is_file(b):
        (prefix_a, path_a), (prefix_b, path_b) = _prefixed(resolve(a)), _prefixed(resolve(b))
        return prefix_a == prefix_b and os.path.realpath(path_a) == os.path.realpath(path_b)
    return a == b


def check_trainable(split):
    """Refuse a Split that cannot train a classifier: an empty part, fewer than two
    classes, or labels that look like a continuous target (as many distinct values as
    rows: each would become a class)."""
    if len(split.y_train) == 0 or len(split.y_test) == 0:
        raise DataSpecError(f"{split.name}: too few samples for a train/test split "
                            f"({len(split.y_train)} train, {len(split.y_test)} test); each "
                            f"class needs at least 2 samples")
    parts = [p for p in (split.y_train, split.y_val, split.y_test) if p is not None]
    labels = np.concatenate(parts)
    used = np.unique(labels)
    if len(used) < 2:
        name = split.class_names[used[0]] if split.class_names else used[0]
        raise DataSpecError(f"{split.name}: every label is {name}; a classifier needs at least "
                            f"2 classes")
    if len(used) > 10 and len(used) > len(labels) // 2:
        raise DataSpecError(f"{split.name}: {len(used)} distinct label values in {len(labels)} "
                            f"rows: each label value becomes a class, and this looks like a "
                            f"continuous target (the command trains classifiers)")
    return split


# ------------------------------------------------------------- predict inputs
def _npy_inputs(path):
    """The array of an .npy file of numbers, never unpickling."""
    with open(path, "rb") as f:
        magic = f.read(6)
    if magic != b"\x93NUMPY":
        raise DataSpecError(f"{path}: not a .npy file (it does not start with the NumPy "
                            f"header); save inputs with np.save, or write them as a .csv")
    try:
        X = np.load(path, allow_pickle=False)
    except ValueError as e:
        if "pickle" in str(e).lower():
            raise DataSpecError(f"{path}: holds Python objects; inputs must be numbers (an "
                                f"array of floats or integers)") from None
        raise DataSpecError(f"{path}: a damaged .npy file: {e}") from None
    except (EOFError, OSError) as e:
        raise DataSpecError(f"{path}: a damaged or truncated .npy file: {e}") from None
    if X.dtype.kind not in "biuf":
        kind = "text" if X.dtype.kind in "US" else "non-numeric"
        raise DataSpecError(f"{path}: holds {kind} values (dtype {X.dtype}); inputs must be "
                            f"numbers (an array of floats or integers)")
    return X


def _csv_inputs(path, features, class_names, delimiter):
    """(X, file row of the first sample) of a CSV of inputs.

    A file one column wider than the model's inputs is in the training format (the label
    in the last column) when that column holds names of the run's classes; the column is
    then dropped. Any other width is left for the caller to refuse."""
    try:
        text = datasets.load_text(path, what="predict").lstrip("\n")
    except NotTextError as e:
        raise DataSpecError(f"{path}: not a CSV of inputs: {e.detail}") from None
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise DataSpecError(f"{path}: no rows; expected one sample per row, {features} "
                            f"numbers each")
    delimiter = delimiter if delimiter is not None else detect_delimiter(text)
    first_row = next(csv.reader([first_line], delimiter=delimiter))
    labelled = len(first_row) == features + 1
    cells = first_row[:-1] if labelled else first_row
    first = 1 if all(_is_number(c) for c in cells) else 2  # 2: a header row
    X, y, names = datasets.load_csv(path, label_column=-1 if labelled else None,
                                    delimiter=delimiter)
    if not labelled:
        return X, first
    values = names if names is not None else sorted({label_name(v) for v in y.tolist()})
    unknown = [n for n in values if label_name(n) not in set(class_names or ())]
    if unknown:
        raise DataSpecError(f"{path}: rows have {features + 1} values and column "
                            f"{features + 1} holds labels the model does not know "
                            f"({', '.join(map(repr, unknown[:3]))}); inputs must be "
                            f"{features} numbers per row: drop the label column")
    return X, first


def read_inputs(path, input_shape, class_names=None, delimiter=None):
    """Raw inputs for `groundup predict`, shaped (N, *input_shape): an .npy array of
    samples (or of one sample), or a CSV of one flattened sample per row. A CSV may
    also be in the training format, its label column last: the column is dropped when
    it holds names of the run's classes (class_names)."""
    if not os.path.exists(path):
        raise FileNotFoundError(2, "No such file", path)
    features = int(np.prod(input_shape))
    first_row = None
    if path.lower().endswith(".npy"):
        X = _npy_inputs(path)
    elif path.lower().endswith(_TABLES):
        X, first_row = _csv_inputs(path, features, class_names, delimiter)
    else:
        raise DataSpecError(f"{path}: expected a .npy or .csv file of inputs")
    X = np.asarray(X, dtype=np.float32)
    if X.ndim == 1 or (X.size == features and X.shape[0] != 1):
        X = X.reshape(1, -1)  # one sample (a row, or one image of any shape)
    if len(X) == 0:
        raise DataSpecError(f"{path}: no rows; expected samples of {features} features")
    X = X.reshape(len(X), int(np.prod(X.shape[1:])))
    if X.shape[1] != features:
        raise DataSpecError(f"{path}: rows have {X.shape[1]} values; the model expects "
                            f"{features} features")
    _check_finite(X, path, first_row)
    return X.reshape([len(X)] + list(input_shape))
