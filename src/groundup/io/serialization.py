"""gu.save / gu.load: PyTorch's saving surface on safetensors files, never pickle.

What gu.save(obj, f) accepts and what gu.load(f) gives back (what was saved
comes back: arrays as arrays, Tensors as Tensors, a Module as a Module):

- a state dict, {name: array, Tensor or number}: one tensor per name, the
  file any safetensors reader reads (numbers become 0-d arrays, as the
  values of a state dict are all tensors);
- nested dicts, lists and tuples of arrays, Tensors and JSON-like values
  (ints, floats, strings, bools, None), such as {"model": m.state_dict(),
  "optimizer": opt.state_dict(), "epoch": 5}: the arrays become tensors named
  by their path ("optimizer.state.0.exp_avg"), the structure JSON metadata;
- a whole Module: its tree (classes, plain attributes, submodules) as JSON,
  its parameters and buffers as tensors under their state-dict names. It is
  rebuilt only from allow-listed classes (see `safe_globals`): groundup's own
  are trusted; a class of yours must be allowed, as in current PyTorch.

The format is described in io/structure.py; every such file is a valid
safetensors file (the structure sits in its __metadata__).
"""

import json

import numpy as np

from ..backend import move, normalize_device
from ..nn import Module
from ..tensor import Tensor
from .safetensors import (
    _KEY,
    SafetensorsError,
    _header,
    _metadata_strings,
    _read_header,
    _read_raw,
    _source,
    _to_array,
    _write,
)
from .structure import describe, flat_description, rebuild, unsafe_names

__all__ = ["save", "load", "get_unsafe_globals_in_checkpoint"]

_OBJECT = "groundup.object"  # the __metadata__ key of the JSON description
_VERSION = 1


def _is_number(value):
    return isinstance(value, (bool, int, float, np.generic)) and not isinstance(
        value, (np.str_, np.bytes_))


def _is_state_dict(obj):
    """A flat {name: array, Tensor or number}, saved as plain safetensors (as before)."""
    if not isinstance(obj, dict):
        return False
    for name, value in obj.items():
        if not isinstance(name, str) or not name or name == "__metadata__":
            return False
        if not (isinstance(value, Tensor) or hasattr(value, "__array_interface__")
                or type(value).__module__.startswith("cupy") or _is_number(value)):
            return False
    return True


def _flat(obj, what):
    """(arrays, description or None) of a state dict; a description only to mark Tensors."""
    arrays = {name: _to_array(value, name, what) for name, value in obj.items()}
    if not any(isinstance(v, Tensor) for v in obj.values()):
        return arrays, None
    return arrays, flat_description(obj)


def save(obj, f, metadata=None):
    """Save `obj` to `f` (a path, written atomically, or a binary file object such as
    open(path, 'wb') or io.BytesIO()) as a safetensors file; never pickle.

    obj: a state dict ({name: array/Tensor/number}), nested dicts/lists/tuples
    of arrays, Tensors and JSON-like values (a checkpoint dict with an
    optimizer's state_dict()), or a whole Module (its class tree as JSON, its
    parameters and buffers as tensors; load it inside
    `gu.serialization.safe_globals([YourModel])`). An object with a
    state_dict() method that is not a Module is saved as its state dict.
    metadata: a JSON-serialisable dict, read back by gu.io.load_metadata.

    Everything is checked before anything is written: an attribute that
    cannot be described (a lambda, an open file, an arbitrary object) raises
    a TypeError naming its path, and no file is created or changed.
    """
    what = "save"
    strings = _metadata_strings(metadata, what)
    if (not isinstance(obj, (Module, Tensor, dict, list, tuple))
            and callable(getattr(obj, "state_dict", None))):
        obj = obj.state_dict()
    if _is_state_dict(obj):
        arrays, description = _flat(obj, what)
        structured = description is not None
    else:
        (arrays, description), structured = describe(obj, what), True
    if structured:
        info = {"format": _OBJECT, "version": _VERSION, "object": description}
        strings = {_KEY: strings.get(_KEY, "{}"), _OBJECT: json.dumps(info, separators=(",", ":"))}
    header, ordered = _header(arrays, strings)
    _write(f, header, ordered, what)


def _device(map_location):
    if map_location is None:
        return None
    if isinstance(map_location, dict) or callable(map_location):
        raise TypeError("load: map_location must be None, a device or a device name such as "
                        f"'cpu'; got {type(map_location).__name__} (dicts and functions are "
                        f"not supported)")
    return normalize_device(map_location)


def _description(strings, source, what):
    try:
        info = json.loads(strings[_OBJECT])
    except ValueError as e:
        raise SafetensorsError(f"{what}: {source}: its saved description is not valid JSON: "
                               f"{e}") from None
    if not isinstance(info, dict) or info.get("format") != _OBJECT or "object" not in info:
        raise SafetensorsError(f"{what}: {source}: its saved description is not a groundup "
                               f"object description")
    if info.get("version") != _VERSION:
        raise SafetensorsError(f"{what}: {source} was saved in format version "
                               f"{info.get('version')!r}; this groundup reads version {_VERSION}")
    return info["object"]


def load(f, map_location=None, *, weights_only=True):
    """Load what gu.save saved in `f` (a path or a binary file object such as
    open(path, 'rb') or io.BytesIO), or any safetensors file ({name: ndarray}).

    A whole module comes back only if every class it names is allowed:
    groundup's own classes are trusted by default; a class of yours must be
    allowed with `with gu.serialization.safe_globals([YourModel]):` or
    `gu.serialization.add_safe_globals([YourModel])`, otherwise an
    UntrustedClassError names it and the call that allows it. Nothing is ever
    imported by a name read from the file and no code from it runs (a module
    is rebuilt by `cls.__new__(cls)`, `Module.__init__` and its saved attributes).

    map_location: None (arrays stay on the CPU), a device or device name:
    every array and Tensor is moved there. weights_only: accepted as in
    PyTorch; groundup files never contain code and nothing is ever unpickled,
    so weights_only=False loads the same way (classes still come from the
    allow list). A pickle or a PyTorch .pt file is refused with a SafetensorsError.
    """
    what = "load"
    if weights_only not in (True, False, None):
        raise TypeError(f"{what}: weights_only must be True, False or None; got {weights_only!r}")
    device = _device(map_location)
    arrays, strings, source = _read_raw(f, what)
    if _OBJECT not in strings:
        if device is not None:
            arrays = {k: move(a, device) for k, a in arrays.items()}
        return arrays
    return rebuild(_description(strings, source, what), arrays, device, source, what)


def get_unsafe_globals_in_checkpoint(f):
    """The names ("module.QualName") of the classes and functions in a file saved by gu.save
    that gu.load would refuse now (neither groundup's own nor allow-listed); [] if none."""
    what = "get_unsafe_globals_in_checkpoint"
    with _source(f, what) as (opened, source, size):
        _, strings, _ = _read_header(opened, source, size)
    if _OBJECT not in strings:
        return []
    return unsafe_names(_description(strings, source, what))
