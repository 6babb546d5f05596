"""Loaders for the user's own files: CSV, NPZ, MNIST-format IDX and plain text.

Each loader checks what it reads and raises DatasetFileError (a ValueError)
naming the file and what is wrong with it: missing, truncated, a wrong magic
number, a non-numeric CSV cell with its row and column, labels that do not
match the images, a pickle inside an .npz. Nothing is ever unpickled.
Gzip-compressed files (detected by their first bytes) are read transparently.
"""

import csv
import gzip
import io
import numbers
import os
import zipfile
import zlib

import numpy as np

__all__ = ["DatasetFileError", "NotTextError", "load_csv", "load_npz", "load_mnist", "read_idx",
           "load_text", "detect_delimiter"]


class DatasetFileError(ValueError):
    """A data file that is missing, malformed or not what the loader expects."""


class NotTextError(DatasetFileError):
    """A file read as text that is not text in the expected encoding.

    Attributes: path, encoding, detail (what was found, e.g. "it is a PNG image" or
    "not valid utf-8 text: byte 12 (b'\\xe9')"), binary (True for a binary file).
    """

    def __init__(self, message, path, encoding, detail, binary):
        super().__init__(message)
        self.path, self.encoding, self.detail, self.binary = path, encoding, detail, binary


# the first bytes of binary files people rename by mistake, and what they are
_BINARY_KINDS = (
    (b"\x89PNG", "a PNG image"), (b"\xff\xd8\xff", "a JPEG image"), (b"GIF8", "a GIF image"),
    (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a zip archive (an .npz or .xlsx?)"),
    (b"\x93NUMPY", "a NumPy .npy array"), (b"BM", None), (b"\x80", None),
)


def _binary_kind(data):
    """What a binary file is ("a PNG image", ...), or None for data that may be text."""
    for magic, kind in _BINARY_KINDS:
        if kind is not None and data.startswith(magic):
            return kind
    if data[:1] == b"\x80" and data[1:2] in (b"\x02", b"\x03", b"\x04", b"\x05"):
        return "a Python pickle"
    if b"\x00" in data[:4096]:
        return "a binary file (it holds NUL bytes)"
    return None


def _check_exists(path, what):
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{what}: no such file: {path}")
    if os.path.isdir(path):
        raise DatasetFileError(f"{what}: {path} is a directory, not a file")
    return path


def _is_gzip(path):
    with open(path, "rb") as f:
        return f.read(2) == b"\x1f\x8b"


def _read_bytes(path, what):
    """The file's bytes, gunzipped when it is gzip data."""
    path = _check_exists(path, what)
    with open(path, "rb") as f:
        data = f.read()
    if data[:2] == b"\x1f\x8b":
        try:
            data = gzip.decompress(data)
        except (EOFError, OSError, zlib.error) as e:
            raise DatasetFileError(f"{what}: {path} is a damaged or truncated gzip file ({e})") \
                from None
    return data


# ------------------------------------------------------------------------ text
def load_text(path, encoding="utf-8", what="load_text"):
    """The whole text of a plain-text corpus (optionally gzipped) as one str.

    Line endings are normalised to "\\n". A binary file (an image, an archive, a
    pickle: anything with NUL bytes) or text that is not valid `encoding` raises
    NotTextError (a DatasetFileError) saying what was found.
    """
    data = _read_bytes(path, what)
    path = os.fspath(path)
    kind = _binary_kind(data)
    if kind is not None:
        raise NotTextError(f"{what}: {path} is not text: it is {kind}", path, encoding,
                           f"it is {kind}", True)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as e:
        detail = f"not valid {encoding} text: byte {e.start} ({data[e.start:e.start + 1]!r})"
        raise NotTextError(
            f"{what}: {path} is {detail}; if it is text in another "
            f"encoding, pass encoding=... (e.g. 'latin-1')", path, encoding, detail, False
        ) from None
    return text.replace("\r\n", "\n").replace("\r", "\n")


# ------------------------------------------------------------------------- CSV
DELIMITERS = (",", ";", "\t", "|")


def detect_delimiter(text, candidates=DELIMITERS):
    """The delimiter of CSV `text`: the candidate that splits its first lines (up to 20)
    into the same number of columns, the most columns winning (ties: the earlier
    candidate). "," when none splits them (a one-column file)."""
    lines = [line for line in text.lstrip("\n").split("\n", 21)[:20] if line.strip()]
    best, best_columns = candidates[0], 1
    for candidate in candidates:
        counts = {len(row) for row in csv.reader(lines, delimiter=candidate)}
        if len(counts) == 1 and (columns := counts.pop()) > best_columns:
            best, best_columns = candidate, columns
    return best


def _is_number(cell):
    try:
        float(cell)
    except ValueError:
        return False
    return True


def _label_index(label_column, header_names, ncols, path):
    if label_column is None:
        return None
    if isinstance(label_column, str):
        if header_names is None or label_column not in header_names:
            raise DatasetFileError(
                f"load_csv: {path} has no column named {label_column!r} (header: "
                f"{header_names})"
            )
        return header_names.index(label_column)
    if isinstance(label_column, bool) or not isinstance(label_column, numbers.Integral):
        raise TypeError(
            f"load_csv: label_column must be a column index, a header name or None; got "
            f"{label_column!r}"
        )
    if not -ncols <= label_column < ncols:
        raise DatasetFileError(
            f"load_csv: label_column {label_column} is out of range for {path}, which has "
            f"{ncols} columns"
        )
    return label_column % ncols


def _labels(cells, path, row_offset, column):
    """int64 ids if every label is an integer, float32 if numeric, else class ids + names."""
    try:
        values = np.asarray(cells, dtype=np.float64)
    except ValueError:
        cells = [c.strip() for c in cells]
        names = sorted(set(cells))
        lookup = {name: i for i, name in enumerate(names)}
        return np.array([lookup[c] for c in cells], dtype=np.int64), names
    if np.isnan(values).any():
        row = int(np.flatnonzero(np.isnan(values))[0])
        raise DatasetFileError(
            f"load_csv: {path}: missing label (NaN) at row {row + row_offset}, column {column}"
        )
    if np.all(values == np.round(values)):
        return values.astype(np.int64), None
    return values.astype(np.float32), None


def load_csv(path, label_column=-1, header="infer", delimiter=None, encoding="utf-8",
             finite=False):
    """Read a numeric table (optionally gzipped): one sample per row.

    Args:
        delimiter: the column separator; None detects it (",", ";", tab or "|":
            see detect_delimiter), so semicolon CSVs and TSV files load as they are.
        label_column: the column holding the labels (an index, negative counts
            from the end, or a header name), or None for no labels.
        header: "infer" (a first row with a non-numeric feature cell is a
            header), True or False.
    Returns:
        (X, y, classes): X float32 (rows, features); y int64 when every label
        is an integer, float32 when the labels are other numbers (regression),
        and for text labels int64 ids into `classes`, the sorted list of label
        names (classes is None for numeric labels); y is None without labels.
    Errors name the file, row and column (1-based, rows counting the header).
    """
    what = "load_csv"
    text = load_text(path, encoding, what=what).lstrip("\n")
    path = os.fspath(path)
    if delimiter is None:
        delimiter = detect_delimiter(text)
    first_line = text.split("\n", 1)[0]
    if not first_line.strip():
        raise DatasetFileError(f"{what}: {path} holds no rows")
    first_row = next(csv.reader([first_line], delimiter=delimiter))
    ncols = len(first_row)
    if header == "infer":
        guess = label_column % ncols if isinstance(label_column, numbers.Integral) and \
            -ncols <= label_column < ncols else None
        has_header = isinstance(label_column, str) or not all(
            _is_number(c) for j, c in enumerate(first_row) if j != guess)
    else:
        has_header = bool(header)
    header_names = [c.strip() for c in first_row] if has_header else None
    label = _label_index(label_column, header_names, ncols, path)
    features = [j for j in range(ncols) if j != label]
    first = 2 if has_header else 1  # the 1-based file row of the first data row
    after_header = text.partition("\n")[2]
    if has_header and not after_header.strip():
        raise DatasetFileError(f"{what}: {path} has a header but no data rows")
    try:  # fast path: an all-numeric table, parsed in C
        table = np.loadtxt(io.StringIO(text), delimiter=delimiter, skiprows=first - 1,
                           dtype=np.float64, ndmin=2, quotechar='"', comments=None)
    except ValueError:
        table = None
    if table is not None and table.shape[1] == ncols:
        X = table[:, features].astype(np.float32)
        if finite:
            _check_finite(X, path, first, features, header_names)
        if label is None:
            return X, None, None
        y, classes = _labels(table[:, label], path, first, label + 1)
        return X, y, classes
    return _load_csv_slowly(text, path, delimiter, ncols, first, header_names, label, features,
                            finite)


def _check_finite(values, path, first, features, header_names):
    """Raise DatasetFileError naming the first NaN or infinite (or float32-overflowing) cell."""
    bad = ~np.isfinite(values)
    if bad.any():
        i, j = (int(k) for k in np.argwhere(bad)[0])
        name = f" ({header_names[features[j]]!r})" if header_names else ""
        raise DatasetFileError(
            f"load_csv: {path}: {values[i, j]} feature value at row {i + first}, column "
            f"{features[j] + 1}{name}; features must be finite numbers"
        )


def _load_csv_slowly(text, path, delimiter, ncols, first, header_names, label, features,
                     finite=False):
    """Text labels, or a broken file: parse in Python and name the first bad cell."""
    what = "load_csv"
    rows = [r for r in csv.reader(io.StringIO(text), delimiter=delimiter) if r]
    body = rows[first - 1:]
    if not body:
        raise DatasetFileError(f"{what}: {path} has a header but no data rows")
    for i, r in enumerate(body):
        if len(r) != ncols:
            raise DatasetFileError(
                f"{what}: {path}: row {i + first} has {len(r)} columns, expected {ncols} "
                f"(as in row 1)"
            )
    cells = [[r[j] for j in features] for r in body]
    for i, r in enumerate(cells):
        for j, c in enumerate(r):
            if not _is_number(c):
                name = f" ({header_names[features[j]]!r})" if header_names else ""
                raise DatasetFileError(
                    f"{what}: {path}: non-numeric cell {c!r} at row {i + first}, column "
                    f"{features[j] + 1}{name}"
                )
    X = np.array(cells, dtype=np.float64).astype(np.float32).reshape(len(body), len(features))
    if finite:
        _check_finite(X, path, first, features, header_names)
    if label is None:
        return X, None, None
    y, classes = _labels([r[label] for r in body], path, first, label + 1)
    return X, y, classes


# ------------------------------------------------------------------------- NPZ
def _pick_key(keys, wanted, path, role):
    for k in wanted:
        if k in keys:
            return k
    raise DatasetFileError(
        f"load_npz: {path} has no {role} array {' or '.join(map(repr, wanted))}; its arrays are "
        f"{sorted(keys)} (pass {role}_key=...)"
    )


def load_npz(path, x_key=None, y_key="y"):
    """Inputs and labels from a NumPy .npz archive, never unpickling.

    x_key: the inputs' name (default "x", else "X"); y_key: the labels' name
    (default "y", else "Y"); y_key=None reads no labels. Returns (X, y): float
    inputs become float32 (integers, e.g. uint8 pixels, keep their dtype),
    integer labels int64. An archive holding object (pickled) arrays is refused.
    """
    what = "load_npz"
    path = _check_exists(path, what)
    with open(path, "rb") as f:
        magic = f.read(4)
    if magic[:2] != b"PK":
        kind = "a Python pickle" if magic[:1] == b"\x80" else \
            "a single .npy array" if magic == b"\x93NUM" else "not a zip archive"
        raise DatasetFileError(f"{what}: {path} is not an .npz archive ({kind})")
    try:
        with np.load(path, allow_pickle=False) as archive:
            keys = list(archive.files)
            xk = _pick_key(keys, [x_key] if x_key else ["x", "X"], path, "x")
            yk = None if y_key is None else _pick_key(
                keys, [y_key] + (["Y"] if y_key == "y" else []), path, "y")
            X = archive[xk]
            y = None if yk is None else archive[yk]
    except DatasetFileError:
        raise
    except ValueError as e:
        if "pickle" in str(e).lower():
            raise DatasetFileError(
                f"{what}: {path} holds object arrays (pickled Python objects); groundup never "
                f"loads pickle. Save plain numeric arrays (np.savez with numeric dtypes)"
            ) from None
        raise DatasetFileError(f"{what}: {path} is damaged: {e}") from None
    except (OSError, EOFError, KeyError, zlib.error, zipfile.BadZipFile) as e:
        raise DatasetFileError(f"{what}: {path} is damaged or truncated: {e}") from None
    if X.dtype.kind == "f" and X.dtype != np.float32:
        X = X.astype(np.float32)
    if y is not None:
        if len(y) != len(X):
            raise DatasetFileError(
                f"{what}: {path}: {xk!r} has {len(X)} samples but {yk!r} has {len(y)}"
            )
        if y.dtype.kind in "iub":
            y = y.astype(np.int64)
        elif y.dtype.kind == "f" and y.dtype != np.float32:
            y = y.astype(np.float32)
    return X, y


# ------------------------------------------------------------------- IDX/MNIST
# IDX: two zero bytes, a type code, the number of dims, dims as big-endian uint32, data
_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def read_idx(path, ndim=None):
    """The array in an IDX file (the MNIST format), optionally gzipped.

    Checks the magic number (00 00 type ndim), the type code, `ndim` when
    given, and that the data is exactly as long as the dimensions say.
    Returns a native-endian array (uint8 for MNIST).
    """
    what = "read_idx"
    data = _read_bytes(path, what)
    path = os.fspath(path)
    if len(data) < 4:
        raise DatasetFileError(f"{what}: {path} is truncated: {len(data)} bytes, no IDX header")
    if data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise DatasetFileError(
            f"{what}: {path} has a wrong magic number 0x{data[:4].hex()} for an IDX file "
            f"(expected 0x0000TTNN: type TT one of "
            f"{', '.join(f'{t:02x}' for t in _IDX_TYPES)}, NN dimensions; MNIST images are "
            f"0x00000803, labels 0x00000801)"
        )
    dtype, nd = np.dtype(_IDX_TYPES[data[2]]), data[3]
    if ndim is not None and nd != ndim:
        raise DatasetFileError(
            f"{what}: {path} holds a {nd}-d array (magic 0x{data[:4].hex()}), expected {ndim}-d"
        )
    if len(data) < 4 + 4 * nd:
        raise DatasetFileError(f"{what}: {path} is truncated inside its header")
    dims = tuple(int(d) for d in np.frombuffer(data, ">u4", count=nd, offset=4))
    start = 4 + 4 * nd
    expected = int(np.prod(dims, dtype=np.int64)) * dtype.itemsize
    if len(data) - start != expected:
        state = "truncated" if len(data) - start < expected else "longer than its header says"
        raise DatasetFileError(
            f"{what}: {path} is {state}: dimensions {dims} need {expected} bytes of data, "
            f"found {len(data) - start}"
        )
    array = np.frombuffer(data, dtype, offset=start).reshape(dims)
    return array.astype(dtype.newbyteorder("="))  # native order, and a writable copy


_MNIST_NAMES = {"train": "train", "test": "t10k"}


def _find_idx(base, kind, nd):
    """The path of e.g. train-images-idx3-ubyte[.gz] (also the train-images.idx3-ubyte form)."""
    tried = []
    for sep in ("-", "."):
        for ext in ("", ".gz"):
            candidate = f"{base}-{kind}{sep}idx{nd}-ubyte{ext}"
            if os.path.isfile(candidate):
                return candidate
            tried.append(candidate)
    raise FileNotFoundError(
        f"load_mnist: no {kind} file: tried {tried[0]} and {len(tried) - 1} variants "
        f"({', '.join(os.path.basename(t) for t in tried[1:])})"
    )


def load_mnist(directory_or_prefix, split="train", normalize=True, as_images=False):
    """MNIST-format IDX files (MNIST, Fashion-MNIST, KMNIST, ...) from a directory or prefix.

    Reads <dir>/train-images-idx3-ubyte[.gz] + train-labels-idx1-ubyte[.gz] for
    split="train" and t10k-* for "test"; a prefix such as "data/fashion-"
    reads data/fashion-train-images-idx3-ubyte. Returns X float32 (N, H*W)
    scaled to [0, 1] (normalize=False keeps 0..255; as_images=True gives
    (N, 1, H, W)) and y int64 (N,). Image and label counts must agree.
    """
    if split not in _MNIST_NAMES:
        raise ValueError(f"load_mnist: split must be 'train' or 'test'; got {split!r}")
    root = os.fspath(directory_or_prefix)
    stem = _MNIST_NAMES[split]
    base = os.path.join(root, stem) if os.path.isdir(root) else root + stem
    image_path = _find_idx(base, "images", 3)
    label_path = _find_idx(base, "labels", 1)
    images = read_idx(image_path, ndim=3)
    labels = read_idx(label_path, ndim=1)
    if len(images) != len(labels):
        raise DatasetFileError(
            f"load_mnist: label count mismatch: {image_path} has {len(images)} images but "
            f"{label_path} has {len(labels)} labels"
        )
    X = images.astype(np.float32)
    if normalize:
        X *= 1.0 / 255.0
    n, h, w = images.shape
    X = X.reshape(n, 1, h, w) if as_images else X.reshape(n, h * w)
    return X, labels.astype(np.int64)
