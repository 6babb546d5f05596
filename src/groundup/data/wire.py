"""Sending a batch between processes as raw arrays: a JSON header, then each array's bytes.

groundup never unpickles, so a worker process cannot hand a batch back as a
pickled object. A batch is a tree of Tensors, NumPy arrays and scalars,
Python numbers, strings, bytes and None, inside tuples, lists, dicts and
namedtuples. `send(conn, meta, batch)` writes one JSON message describing the
tree (each array as dtype + shape) and then the arrays' bytes, one message per
array, over a multiprocessing Connection (`send_bytes`, which never pickles);
`receive(conn)` reads the arrays straight into fresh, writable arrays. Any
other element type is refused with a TypeError naming where it sits.
"""

import json
import sys

import numpy as np

from ..tensor import Tensor

__all__ = ["send", "receive"]

_SCALARS = (bool, int, float, str, type(None))


def _dtype_ok(dtype):
    return dtype.kind in "biufcSU" and dtype.fields is None and dtype.subdtype is None


def _encode(value, arrays, where):
    """The JSON description of `value`; arrays go to `arrays` (contiguous, in order)."""
    if isinstance(value, _SCALARS):
        return value  # Python's json writes and reads back NaN and Infinity too
    if isinstance(value, (Tensor, np.ndarray, np.generic)):
        array = value.array if isinstance(value, Tensor) else np.asarray(value)
        if type(array) is not np.ndarray:
            raise TypeError(f"{where} is an array of type {type(array).__name__}; only NumPy "
                            f"arrays can be sent from a worker process")
        if not _dtype_ok(array.dtype):
            raise TypeError(f"{where} has dtype {array.dtype}, which cannot be sent from a worker "
                            f"process as raw bytes (numbers, booleans and fixed-size strings can)")
        arrays.append(np.ascontiguousarray(array))
        kind = "tensor" if isinstance(value, Tensor) else \
            "ndarray" if isinstance(value, np.ndarray) else "scalar"
        out = {"t": kind, "dtype": array.dtype.str, "shape": list(array.shape)}
        if kind == "tensor" and value.requires_grad:
            out["grad"] = True
        return out
    if isinstance(value, bytes):
        arrays.append(np.frombuffer(value, dtype=np.uint8))
        return {"t": "bytes", "n": len(value)}
    if isinstance(value, dict):
        for k in value:
            if not isinstance(k, _SCALARS):
                raise TypeError(f"{where} has a key of type {type(k).__name__}; a batch sent from "
                                f"a worker process may have str, int, float, bool or None keys")
        return {"t": "dict", "v": [[k, _encode(v, arrays, f"{where}[{k!r}]")]
                                   for k, v in value.items()]}
    if isinstance(value, (tuple, list)):
        items = [_encode(v, arrays, f"{where}[{i}]") for i, v in enumerate(value)]
        if isinstance(value, tuple) and hasattr(value, "_fields"):
            kind = type(value)
            return {"t": "namedtuple", "module": kind.__module__, "name": kind.__qualname__,
                    "v": items}
        return {"t": type(value).__name__ if type(value) in (tuple, list) else
                ("tuple" if isinstance(value, tuple) else "list"), "v": items}
    raise TypeError(
        f"{where} is of type {type(value).__name__}, which cannot be sent from a worker process "
        f"without pickle (groundup never pickles); batches may hold Tensors, NumPy arrays and "
        f"scalars, numbers, str, bytes and None, in tuples, lists and dicts. Make collate_fn "
        f"return those, or use num_workers=0"
    )


def _namedtuple(module, name):
    """A namedtuple class that is already loaded in this process (nothing is imported)."""
    obj = sys.modules.get(module)
    for part in name.split("."):
        obj = getattr(obj, part, None)
    if not (isinstance(obj, type) and issubclass(obj, tuple) and hasattr(obj, "_fields")):
        raise TypeError(f"DataLoader: a worker sent a namedtuple {module}.{name} that is not "
                        f"defined in the main process")
    return obj


def _decode(node, arrays):
    if not isinstance(node, dict):
        return node
    kind = node["t"]
    if kind in ("tensor", "ndarray", "scalar"):
        array = next(arrays)
        if kind == "tensor":
            return Tensor._wrap(array, requires_grad=bool(node.get("grad", False)))
        return array if kind == "ndarray" else array[()]
    if kind == "bytes":
        return next(arrays).tobytes()
    if kind == "dict":
        return {k: _decode(v, arrays) for k, v in node["v"]}
    items = [_decode(v, arrays) for v in node["v"]]
    if kind == "namedtuple":
        return _namedtuple(node["module"], node["name"])(*items)
    return tuple(items) if kind == "tuple" else items


def _array_specs(node, out):
    """The (dtype, shape) of every array in the tree, in the order they are sent."""
    if isinstance(node, dict):
        kind = node["t"]
        if kind in ("tensor", "ndarray", "scalar"):
            out.append((np.dtype(node["dtype"]), tuple(node["shape"])))
        elif kind == "bytes":
            out.append((np.dtype(np.uint8), (node["n"],)))
        elif kind == "dict":
            for _, v in node["v"]:
                _array_specs(v, out)
        elif kind in ("tuple", "list", "namedtuple"):
            for v in node["v"]:
                _array_specs(v, out)
    return out


def send(conn, meta, batch=None, where="batch"):
    """Send `meta` (a JSON-able dict) and `batch`; the whole tree is checked before any write."""
    arrays = []
    tree = _encode(batch, arrays, where)
    conn.send_bytes(json.dumps({"meta": meta, "tree": tree}).encode("utf-8"))
    for array in arrays:
        if array.nbytes:
            conn.send_bytes(array.reshape(-1).view(np.uint8))


def receive(conn):
    """(meta, batch) from one send(); the arrays are new and writable."""
    message = json.loads(conn.recv_bytes().decode("utf-8"))
    arrays = []
    for dtype, shape in _array_specs(message["tree"], []):
        array = np.empty(shape, dtype=dtype)
        if array.nbytes:
            conn.recv_bytes_into(array.reshape(-1).view(np.uint8))
        arrays.append(array)
    return message["meta"], _decode(message["tree"], iter(arrays))
