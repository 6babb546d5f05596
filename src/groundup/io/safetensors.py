"""The safetensors format: files with JSON metadata, written atomically, never pickle.

On disk (the safetensors format, written and parsed here by hand):

    8 bytes   N, the header length, little-endian uint64
    N bytes   a JSON object {name: {"dtype": "F32", "shape": [...],
              "data_offsets": [begin, end]}, "__metadata__": {"groundup": "<json>"}},
              padded with spaces so the data starts 8-byte aligned
    the rest  every array's raw little-endian bytes, back to back

Files interoperate with the `safetensors` package (numpy and torch). Every
reader and writer here takes a path (str or os.PathLike) or an open binary
file object (a file opened 'rb'/'wb', io.BytesIO). Loading
checks the file is plausible before parsing anything (header length, a JSON
object, offsets that tile the data exactly) and refuses pickles, zips
(PyTorch .pt), gzip and .npy files with a clear message; no code runs.
Saving to a path writes a temporary file in the target's directory, fsyncs it
and renames it over the target, so a failed save leaves the old file
untouched; a file object is written in place, from its current position.
"""

import collections.abc
import contextlib
import io
import json
import math
import os
import stat
import uuid

import numpy as np

from ..backend import move
from ..tensor import Tensor

__all__ = ["save", "load", "load_metadata", "atomic_open", "SafetensorsError"]

_DTYPES = {
    "BOOL": np.bool_, "U8": np.uint8, "I8": np.int8, "U16": np.uint16, "I16": np.int16,
    "U32": np.uint32, "I32": np.int32, "U64": np.uint64, "I64": np.int64,
    "F16": np.float16, "F32": np.float32, "F64": np.float64,
}
_CODES = {np.dtype(t): code for code, t in _DTYPES.items()}
_MAX_HEADER = 100 * 1024 * 1024  # the limit the safetensors library uses too
_META = "__metadata__"
_KEY = "groundup"  # groundup's metadata: one JSON string under this __metadata__ key


class SafetensorsError(ValueError):
    """A file that is not a valid safetensors file (or not a groundup checkpoint)."""


# ---------------------------------------------------------------------- saving
def _to_array(value, name, what):
    """A C-contiguous little-endian NumPy array for `value`, or a clear TypeError."""
    if isinstance(value, Tensor):
        value = value.array
    if type(value).__module__.startswith("cupy"):
        value = move(value, "cpu")
    if isinstance(value, (bool, int, float, np.generic)):
        value = np.asarray(value)
    if not isinstance(value, np.ndarray):
        raise TypeError(f"{what}: {name!r} is a {type(value).__name__}, not an array or Tensor")
    native = value.dtype.newbyteorder("=")
    if native not in _CODES:
        raise TypeError(
            f"{what}: {name!r} has dtype {value.dtype}, which safetensors cannot store "
            f"(supported: {', '.join(str(np.dtype(t)) for t in _DTYPES.values())})"
        )
    return value.astype(native.newbyteorder("<"), order="C", copy=False)


def _state_of(obj, what):
    """The {name: array} mapping of a Module (via .state_dict()) or a mapping itself."""
    if not isinstance(obj, collections.abc.Mapping):
        state_dict = getattr(obj, "state_dict", None)
        if not callable(state_dict):
            raise TypeError(
                f"{what}: expected a state dict ({{name: array}}) or a Module; got "
                f"{type(obj).__name__}"
            )
        obj = state_dict()
    arrays = {}
    for name, value in obj.items():
        if not isinstance(name, str) or not name or name == _META:
            raise TypeError(f"{what}: tensor names must be non-empty strings other than "
                            f"{_META!r}; got {name!r}")
        if isinstance(value, collections.abc.Mapping):
            raise TypeError(
                f"{what}: {name!r} is a dict; save() stores a flat {{name: array}} mapping "
                f"(use save_checkpoint for optimizer and scheduler state)"
            )
        arrays[name] = _to_array(value, name, what)
    return arrays


def _header(arrays, metadata_strings):
    """The padded header bytes and the arrays in data order.

    The data is laid out by decreasing item size, so every array starts
    aligned to its own item size (8-byte types first); the header lists the
    names in the caller's order.
    """
    names = list(arrays)
    order = sorted(names, key=lambda k: -arrays[k].dtype.itemsize)  # stable: ties keep order
    offsets, position = {}, 0
    for name in order:
        offsets[name] = [position, position + arrays[name].nbytes]
        position += arrays[name].nbytes
    header = {}
    if metadata_strings:
        header[_META] = metadata_strings
    for name in names:
        a = arrays[name]
        header[name] = {"dtype": _CODES[a.dtype.newbyteorder("=")], "shape": list(a.shape),
                        "data_offsets": offsets[name]}
    raw = json.dumps(header, separators=(",", ":")).encode("utf-8")
    raw += b" " * (-len(raw) % 8)  # 8 + len(raw) is then a multiple of 8
    return raw, [arrays[k] for k in order]


def _write_array(f, array):
    if array.nbytes:
        f.write(array.reshape(-1).view(np.uint8))


def _write_file(f, header, ordered):
    f.write(len(header).to_bytes(8, "little"))
    f.write(header)
    for array in ordered:
        _write_array(f, array)


def _fsync_directory(directory):
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return  # not possible everywhere (e.g. Windows); the rename is still atomic
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextlib.contextmanager
def atomic_open(path, mode="wb", what="atomic_open"):
    """Open a temporary file next to `path` for writing; on success fsync it and rename it
    over `path`, on an exception delete it (so `path` is either the old file or the new one).

    mode: "wb" (binary) or "w" (text, UTF-8, newlines as written). Keeps the
    permissions of a file it replaces. Usable by anything that writes files:

        with atomic_open("history.csv", "w") as f:
            f.write(text)
    """
    if mode not in ("wb", "w"):
        raise ValueError(f"{what}: mode must be 'wb' or 'w'; got {mode!r}")
    path = os.fspath(path)
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory):
        raise FileNotFoundError(
            f"{what}: cannot write {path}: directory {directory} does not exist")
    if os.path.isdir(path):
        raise IsADirectoryError(f"{what}: cannot write {path}: it is a directory")
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    text = {} if mode == "wb" else {"encoding": "utf-8", "newline": ""}
    try:
        with os.fdopen(fd, mode, **text) as f:
            if os.path.exists(path):  # keep the permissions of the file being replaced
                os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_directory(directory)


def _metadata_strings(metadata, what):
    if metadata is None:
        return {}
    if not isinstance(metadata, collections.abc.Mapping):
        raise TypeError(f"{what}: metadata must be a dict; got {type(metadata).__name__}")
    try:
        return {_KEY: json.dumps(metadata, separators=(",", ":"))}
    except (TypeError, ValueError) as e:
        raise TypeError(f"{what}: metadata is not JSON-serialisable: {e}") from None


def _write(target, header, ordered, what):
    """Write a file: atomically to a path, or in place to a binary file object."""
    if hasattr(target, "write"):
        if isinstance(target, io.TextIOBase):
            raise TypeError(f"{what}: the file object is open in text mode; open it in binary "
                            f"mode ('wb')")
        _write_file(target, header, ordered)
        return
    with atomic_open(_fspath(target, what, "writing ('wb')"), "wb", what) as f:
        _write_file(f, header, ordered)


def save(state_dict_or_module, path, metadata=None):
    """Write a flat {name: array} state dict (or a Module's .state_dict()) as safetensors.

    The format-level writer (gu.save, in .serialization, also saves nested
    structures and whole modules). Values may be NumPy arrays, Tensors or
    numbers, of dtype bool, int8-64, uint8-64 or float16/32/64, any shape (0-d
    and empty included). metadata: a JSON-serialisable dict, stored as JSON in
    the header's __metadata__ under "groundup" (read it back with
    load_metadata). `path` is a path (written atomically) or a binary file object.
    """
    what = "save"
    arrays = _state_of(state_dict_or_module, what)
    header, ordered = _header(arrays, _metadata_strings(metadata, what))
    _write(path, header, ordered, what)


# --------------------------------------------------------------------- loading
def _not_safetensors(path, why):
    return SafetensorsError(f"{path} is not a safetensors file ({why})")


def _refuse_foreign(head, path):
    if not head:
        raise _not_safetensors(path, "it is empty")
    if head[:1] == b"\x80":
        raise _not_safetensors(path, "it looks like a Python pickle; groundup never loads pickle")
    if head[:2] == b"PK":
        raise _not_safetensors(
            path, "it looks like a zip archive, such as a PyTorch .pt/.pth checkpoint, which "
                  "holds a pickle, or a NumPy .npz; groundup never loads pickle. In PyTorch, "
                  "convert it with safetensors.torch.save_file(model.state_dict(), path)")
    if head[:2] == b"\x1f\x8b":
        raise _not_safetensors(path, "it is gzip-compressed; decompress it first")
    if head[:6] == b"\x93NUMPY":
        raise _not_safetensors(path, "it is a NumPy .npy file")


def _entry(name, spec, path):
    """(dtype, shape, begin, end) of one header entry, validated."""
    bad = f"tensor {name!r}"
    if not isinstance(spec, dict) or not {"dtype", "shape", "data_offsets"} <= set(spec):
        raise _not_safetensors(path, f"{bad}: entry {spec!r:.60} lacks dtype/shape/data_offsets")
    code, shape, offsets = spec["dtype"], spec["shape"], spec["data_offsets"]
    if code not in _DTYPES:
        extra = " (NumPy has no bfloat16; convert it to float32 first)" if code == "BF16" else ""
        raise SafetensorsError(f"{path}: {bad} has dtype {code!r}, which groundup cannot read"
                               f"{extra}; supported: {', '.join(_DTYPES)}")
    if not isinstance(shape, list) or not all(
            isinstance(d, int) and not isinstance(d, bool) and d >= 0 for d in shape):
        raise _not_safetensors(path, f"{bad}: bad shape {shape!r}")
    if not (isinstance(offsets, list) and len(offsets) == 2 and all(
            isinstance(o, int) and not isinstance(o, bool) and o >= 0 for o in offsets)):
        raise _not_safetensors(path, f"{bad}: bad data_offsets {offsets!r}")
    dtype = np.dtype(_DTYPES[code]).newbyteorder("<")
    begin, end = offsets
    if end - begin != math.prod(shape) * dtype.itemsize:
        raise _not_safetensors(
            path, f"{bad}: data_offsets {offsets} hold {end - begin} bytes but shape {shape} of "
                  f"{code} needs {math.prod(shape) * dtype.itemsize}")
    return dtype, tuple(shape), begin, end


def _read_header(f, path, size):
    """Parse and validate the header: (entries {name: (dtype, shape, begin, end)}, metadata)."""
    head = f.read(9)
    n = int.from_bytes(head[:8], "little") if len(head) >= 8 else -1
    # A plausible header comes first: a valid length can begin with any byte (0x80 included)
    if not (2 <= n <= min(size - 8, _MAX_HEADER) and head[8:9] == b"{"):
        _refuse_foreign(head, path)
        if len(head) < 8:
            raise _not_safetensors(path, f"it is only {size} bytes long")
        if 2 <= n <= size - 8:
            raise _not_safetensors(path, "its header does not start with a JSON object")
        raise _not_safetensors(
            path, f"its header length field says {n} bytes, but the file has {size - 8} bytes "
                  f"after it: truncated, or some other format")
    raw = head[8:] + f.read(n - 1)
    try:
        header = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as e:
        raise _not_safetensors(path, f"its header is not valid JSON: {e}") from None
    if not isinstance(header, dict):
        raise _not_safetensors(path, "its header is not a JSON object")
    metadata = header.pop(_META, None) or {}
    if not isinstance(metadata, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in metadata.items()):
        raise _not_safetensors(path, "its __metadata__ is not a map of strings to strings")
    entries = {name: _entry(name, spec, path) for name, spec in header.items()}
    data_size = size - 8 - n
    position = 0
    for name, (_, _, begin, end) in sorted(entries.items(), key=lambda kv: kv[1][2:]):
        if begin != position:
            raise _not_safetensors(
                path, f"tensor {name!r} starts at byte {begin} of the data, expected {position} "
                      f"(the tensors must tile the data without gaps or overlaps)")
        position = end
    if position > data_size:
        raise SafetensorsError(
            f"{path} is truncated: its header describes {position} bytes of data, the file "
            f"holds {data_size}")
    if position < data_size:
        raise _not_safetensors(path, f"{data_size - position} bytes follow the last tensor")
    return entries, metadata, data_size


def _fspath(f, what, mode):
    try:
        return os.fspath(f)
    except TypeError:
        raise TypeError(f"{what}: expected a path (str or os.PathLike) or a binary file object "
                        f"open for {mode}; got {type(f).__name__}") from None


@contextlib.contextmanager
def _source(f, what):
    """(readable binary file, its name for messages, the bytes left in it) for a path or a
    file object (read from its current position)."""
    if not hasattr(f, "read"):
        path = _fspath(f, what, "reading ('rb')")
        if not os.path.exists(path):
            raise FileNotFoundError(f"{what}: no such file: {path}")
        if os.path.isdir(path):
            raise IsADirectoryError(f"{what}: {path} is a directory, not a file")
        with open(path, "rb") as opened:
            yield opened, path, os.path.getsize(path)
        return
    if isinstance(f, io.TextIOBase):
        raise TypeError(f"{what}: the file object is open in text mode; open it in binary "
                        f"mode ('rb')")
    name = getattr(f, "name", None)
    name = name if isinstance(name, str) else f"the {type(f).__name__} object"
    seekable = getattr(f, "seekable", None)
    if callable(seekable) and seekable() and hasattr(f, "readinto"):
        start = f.tell()
        size = f.seek(0, os.SEEK_END) - start
        f.seek(start)
        yield f, name, size
        return
    data = f.read()  # a stream: read it all
    if not isinstance(data, (bytes, bytearray)):
        raise TypeError(f"{what}: the file object's read() returned {type(data).__name__}, "
                        f"not bytes; open it in binary mode ('rb')")
    yield io.BytesIO(data), name, len(data)


def _decode_metadata(metadata, path):
    if _KEY not in metadata:
        return dict(metadata)  # a foreign file's own string metadata, if any
    try:
        return json.loads(metadata[_KEY])
    except ValueError as e:
        raise SafetensorsError(f"{path}: its groundup metadata is not valid JSON: {e}") from None


def _read_raw(source, what):
    """(arrays {name: ndarray}, raw __metadata__ strings, name) of a safetensors file."""
    with _source(source, what) as (f, path, size):
        entries, metadata, data_size = _read_header(f, path, size)
        data = bytearray(data_size)  # one writable buffer; the arrays are views into it
        if f.readinto(data) != data_size:
            raise SafetensorsError(f"{path} changed or was truncated while being read")
    arrays = {}
    for name, (dtype, shape, begin, _) in entries.items():
        count = math.prod(shape)
        if count == 0:
            a = np.empty(shape, dtype)
        else:
            a = np.frombuffer(data, dtype, count=count, offset=begin).reshape(shape)
        if dtype.kind == "b" and count and a.view(np.uint8).max() > 1:
            raise SafetensorsError(f"{path}: bool tensor {name!r} holds bytes other than 0 and 1")
        if not dtype.isnative or not a.flags.aligned:
            a = a.astype(dtype.newbyteorder("="))
        arrays[name] = a
    return arrays, metadata, path


def _read(source, what):
    """(arrays {name: ndarray}, decoded metadata) of a safetensors file."""
    arrays, metadata, path = _read_raw(source, what)
    return arrays, _decode_metadata(metadata, path)


def load(path):
    """The {name: ndarray} state dict in a safetensors file (in the file's order).

    The format-level reader: gu.load (in .serialization) also rebuilds what
    gu.save stored beyond flat arrays. `path`: a path or a binary file object.
    The arrays are writable and keep the stored dtypes. A file that is not
    safetensors (a pickle, a PyTorch .pt zip, truncated or garbage) raises
    SafetensorsError before anything is parsed; nothing is ever executed.
    """
    return _read(path, "load")[0]


def load_metadata(path):
    """The metadata dict saved with the file (reads the header only).

    groundup's metadata (the dict given to save) when present; otherwise the
    file's own __metadata__ strings (e.g. {"format": "pt"}), or {}. `path`: a
    path or a binary file object.
    """
    with _source(path, "load_metadata") as (f, name, size):
        _, metadata, _ = _read_header(f, name, size)
    return _decode_metadata(metadata, name)
