"""Any saveable object as safetensors tensors plus a JSON description, and back.

`describe(obj)` walks an object and returns ({tensor name: array}, description):
every array goes to a tensor named by its dotted path ("model.fc.weight",
"optimizer.state.0.exp_avg"), the rest becomes JSON. Plain JSON values stand
for themselves; everything else is a one-entry marker object:

    {"__array__": name}                          a NumPy array
    {"__tensor__": name, "requires_grad": b}     a Tensor (Parameter: "__parameter__")
    {"__scalar__": name}                         a NumPy scalar (np.float32(2.5))
    {"__bytes__": name}                          bytes
    {"__tuple__": [...]}, {"__intkeys__": {...}} a tuple; a dict with int keys
    {"__dtype__": "<f4"} (+ "type": true)        a NumPy dtype (or scalar type)
    {"__global__": "module.QualName"}            a class or named function
    {"__dataclass__": "module.QualName", "fields": {...}}
    {"__module__": "module.QualName", "id": i, "attributes": {...}}   a Module
    {"__module_ref__": i}                        a Module met before (shared or a cycle)

A Module is described by its `__dict__`: plain attributes, its parameters,
buffers and submodules (a container's children keep their state-dict names:
a Sequential's weights are "0.weight", not "_modules.0.weight"). An object
met twice (a tied weight, a shared submodule) is stored once and comes back
shared. `rebuild` turns a description back into objects; it creates classes
only from the allow list (see allowlist.py) and runs no code from the file:
a module is `cls.__new__(cls)`, `Module.__init__`, then its saved attributes.
"""

import collections.abc
import dataclasses
import types

import numpy as np

from ..backend import move
from ..nn import Module, Parameter
from ..tensor import Tensor
from .allowlist import allowed_namesakes, global_name, resolve
from .safetensors import SafetensorsError, _to_array

__all__ = ["describe", "flat_description", "rebuild", "unsafe_names", "UntrustedClassError"]

_ARRAY, _TENSOR, _PARAM, _SCALAR, _BYTES = (
    "__array__", "__tensor__", "__parameter__", "__scalar__", "__bytes__")
_TUPLE, _INTKEYS, _DTYPE, _GLOBAL, _DATACLASS, _MODULE, _REF = (
    "__tuple__", "__intkeys__", "__dtype__", "__global__", "__dataclass__", "__module__",
    "__module_ref__")
_MARKERS = frozenset({_ARRAY, _TENSOR, _PARAM, _SCALAR, _BYTES, _TUPLE, _INTKEYS, _DTYPE,
                      _GLOBAL, _DATACLASS, _MODULE, _REF})
_NAMED = (_GLOBAL, _DATACLASS, _MODULE)  # markers that name a class or function


class UntrustedClassError(SafetensorsError):
    """gu.load met a class or function that is not on the allow list."""


def _join(where, key):
    return f"{where}.{key}" if where else str(key)


def _label(where):
    return f"attribute/entry {where!r}" if where else "the object itself"


def _is_array(value):
    return isinstance(value, np.ndarray) or type(value).__module__.startswith("cupy")


class _Describer:
    def __init__(self, what):
        self.what = what
        self.arrays = {}   # tensor name -> little-endian C-contiguous array
        self.seen = {}     # id(object) -> (tensor name, object): shared storage saved once
        self.modules = {}  # id(module) -> (index, module)
        self.open = set()  # ids of the lists, tuples and dicts being described (a loop guard)

    def store(self, obj, array, where):
        if obj is not None and id(obj) in self.seen:
            return self.seen[id(obj)][0]
        base = where or "tensor"
        name, i = base, 1
        while name in self.arrays or name == "__metadata__":
            name, i = f"{base}#{i}", i + 1
        self.arrays[name] = _to_array(array, name, self.what)
        if obj is not None:
            self.seen[id(obj)] = (name, obj)
        return name

    def refuse(self, where, why):
        raise TypeError(
            f"{self.what}: cannot save {_label(where)}: {why}. groundup saves arrays, Tensors, "
            f"Modules, numbers, strings, bools, None, bytes, NumPy dtypes, dataclasses, lists, "
            f"tuples and dicts of them, and references to named classes and functions "
            f"(never code)")

    def describe(self, obj, where):
        if isinstance(obj, Tensor):
            kind = _PARAM if isinstance(obj, Parameter) else _TENSOR
            return {kind: self.store(obj, obj.array, where),
                    "requires_grad": bool(obj.requires_grad)}
        if _is_array(obj):
            return {_ARRAY: self.store(obj, obj, where)}
        if isinstance(obj, np.generic) and not isinstance(obj, (np.str_, np.bytes_)):
            return {_SCALAR: self.store(None, np.asarray(obj), where)}
        if obj is None or isinstance(obj, bool):
            return obj
        for kind in (int, float, str):
            if isinstance(obj, kind):
                return kind(obj)
        if isinstance(obj, (bytes, bytearray)):
            return {_BYTES: self.store(None, np.frombuffer(bytes(obj), np.uint8), where)}
        if isinstance(obj, Module):
            return self.describe_module(obj, where)
        if isinstance(obj, np.dtype):
            return {_DTYPE: self.dtype_name(obj, where)}
        if isinstance(obj, type) and issubclass(obj, np.generic):
            return {_DTYPE: self.dtype_name(np.dtype(obj), where), "type": True}
        if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
            fields = {f.name: self.describe(getattr(obj, f.name), _join(where, f.name))
                      for f in dataclasses.fields(obj)}
            return {_DATACLASS: global_name(type(obj)), "fields": fields}
        if isinstance(obj, (collections.abc.Mapping, tuple, list)):
            if id(obj) in self.open:
                self.refuse(where, "it contains itself")
            self.open.add(id(obj))
            try:
                return self.describe_container(obj, where)
            finally:
                self.open.discard(id(obj))
        if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
            if "<lambda>" in obj.__qualname__:
                self.refuse(where, "it is a lambda, which has no name to save it by (define it "
                                   "with def and allow-list it)")
            return {_GLOBAL: global_name(obj)}
        self.refuse(where, f"it is a {type(obj).__module__}.{type(obj).__qualname__}")

    def dtype_name(self, dtype, where):
        if dtype.kind in "OV" or np.dtype(dtype.str) != dtype:
            self.refuse(where, f"dtype {dtype} has no plain name")
        return dtype.str

    def describe_container(self, obj, where):
        if isinstance(obj, tuple):
            return {_TUPLE: [self.describe(v, _join(where, i)) for i, v in enumerate(obj)]}
        if isinstance(obj, list):
            return [self.describe(v, _join(where, i)) for i, v in enumerate(obj)]
        keys = list(obj)
        if all(isinstance(k, str) for k in keys):
            reserved = [k for k in keys if k in _MARKERS]
            if reserved:
                self.refuse(_join(where, reserved[0]), "its key is reserved by the file format")
            return {k: self.describe(v, _join(where, k)) for k, v in obj.items()}
        if all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in keys):
            return {_INTKEYS: {str(int(k)): self.describe(v, _join(where, int(k)))
                               for k, v in obj.items()}}
        self.refuse(where, f"a dict's keys must be all strings or all ints; got {keys[:5]}")

    def describe_module(self, module, where):
        if id(module) in self.modules:
            return {_REF: self.modules[id(module)][0]}
        index = len(self.modules)
        self.modules[id(module)] = (index, module)
        attributes = {}
        for key, value in module.__dict__.items():
            # a container's children (in _modules) keep their state-dict names
            inner = where if key == "_modules" else _join(where, key)
            attributes[key] = self.describe(value, inner)
        return {_MODULE: global_name(type(module)), "id": index, "attributes": attributes}


def describe(obj, what="save"):
    """({tensor name: array}, JSON-able description) of `obj`; raises TypeError naming the
    path of anything that cannot be described (before anything is written)."""
    d = _Describer(what)
    return d.arrays, d.describe(obj, "")


def flat_description(state):
    """The description of a flat state dict saved with one tensor per name: markers that say
    which names were Tensors (every other value comes back as an array)."""
    out = {}
    for name, value in state.items():
        if isinstance(value, Tensor):
            kind = _PARAM if isinstance(value, Parameter) else _TENSOR
            out[name] = {kind: name, "requires_grad": bool(value.requires_grad)}
        else:
            out[name] = {_ARRAY: name}
    return out


# ------------------------------------------------------------------ loading
def _bad(source, why):
    return SafetensorsError(f"{source}: its saved description is malformed ({why})")


def _names(node, out):
    """Collect the class/function names a description refers to."""
    if isinstance(node, list):
        for v in node:
            _names(v, out)
    elif isinstance(node, dict):
        marker = next(iter(node), None)
        if marker in _NAMED and isinstance(node[marker], str):
            out.setdefault(node[marker], marker)
        for v in node.values():
            _names(v, out)
    return out


def unsafe_names(description):
    """The class and function names in `description` that are not allowed, in order."""
    return [n for n in _names(description, {}) if resolve(n) is None]


def _refusal(missing, source, what):
    short = ", ".join(n.rpartition(".")[2] for n in missing)
    plural = "es" if len(missing) > 1 else ""
    lines = [f"{what}: {source} holds the class{plural} or function(s) "
             f"{', '.join(missing)}, which are not allow-listed; gu.load rebuilds only "
             f"groundup's own classes and those you allow (it imports nothing and runs no "
             f"code from a file). If you trust this file, allow them:",
             f"    with gu.serialization.safe_globals([{short}]):",
             "        obj = gu.load(f)",
             f"or call gu.serialization.add_safe_globals([{short}]) before gu.load."]
    ours = [n for n in missing if n.startswith("groundup.")]
    if ours:
        lines.append(f"(groundup's own classes are trusted once their module is imported: "
                     f"`import {'.'.join(ours[0].split('.')[:2])}` allows {ours[0]}.)")
    for name in missing:
        for other in allowed_namesakes(name):
            lines.append(f"({other} is allowed; if {name} is the same class saved under another "
                         f"module name, allow it as ({name.rpartition('.')[2]}, {name!r}).)")
    return UntrustedClassError("\n".join(lines))


class _Rebuilder:
    def __init__(self, arrays, objects, device, source):
        self.arrays, self.objects, self.device, self.source = arrays, objects, device, source
        self.cache = {}    # (marker, tensor name) -> object: shared storage comes back shared
        self.modules = {}  # id -> module

    def array(self, node, marker):
        name = node[marker]
        if not isinstance(name, str) or name not in self.arrays:
            raise _bad(self.source, f"it refers to a missing tensor {name!r}")
        a = self.arrays[name]
        return move(a, self.device) if self.device else a

    def cached(self, node, marker, make):
        key = (marker, node[marker])
        if key not in self.cache:
            self.cache[key] = make(self.array(node, marker))
        return self.cache[key]

    def named(self, node, marker):
        name = node[marker]
        if not isinstance(name, str) or name not in self.objects:
            raise _bad(self.source, f"{marker} names {name!r:.60}")
        return name, self.objects[name]

    def field(self, node, key, kind):
        value = node.get(key)
        if not isinstance(value, kind):
            raise _bad(self.source, f"{key!r} of {next(iter(node))} is {value!r:.60}")
        return value

    def rebuild(self, node):
        if isinstance(node, list):
            return [self.rebuild(v) for v in node]
        if not isinstance(node, dict):
            return node
        marker = next(iter(node), None)
        if marker not in _MARKERS:
            return {k: self.rebuild(v) for k, v in node.items()}
        if marker == _ARRAY:
            return self.cached(node, marker, lambda a: a)
        if marker in (_TENSOR, _PARAM):
            grad = bool(node.get("requires_grad", False))
            if marker == _PARAM:
                return self.cached(node, marker, lambda a: Parameter(Tensor._wrap(a), grad))
            return self.cached(node, marker, lambda a: Tensor._wrap(a, grad))
        if marker == _SCALAR:
            return self.array(node, marker)[()]
        if marker == _BYTES:
            return bytes(memoryview(self.array(node, marker)))
        if marker == _TUPLE:
            return tuple(self.rebuild(v) for v in self.field(node, marker, list))
        if marker == _INTKEYS:
            items = self.field(node, marker, dict).items()
            try:
                return {int(k): self.rebuild(v) for k, v in items}
            except ValueError:
                raise _bad(self.source, "a non-integer key under __intkeys__") from None
        if marker == _DTYPE:
            try:
                dtype = np.dtype(self.field(node, marker, str))
            except TypeError:
                raise _bad(self.source, f"unknown dtype {node[marker]!r}") from None
            return dtype.type if node.get("type") else dtype
        if marker == _GLOBAL:
            return self.named(node, marker)[1]
        if marker == _DATACLASS:
            return self.rebuild_dataclass(node)
        if marker == _REF:
            index = node[marker]
            if not isinstance(index, int) or index not in self.modules:
                raise _bad(self.source, f"a reference to an unknown module {index!r}")
            return self.modules[index]
        return self.rebuild_module(node)

    def rebuild_dataclass(self, node):
        name, cls = self.named(node, _DATACLASS)
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise _bad(self.source, f"{name} is not a dataclass")
        names = {f.name for f in dataclasses.fields(cls)}
        fields = self.field(node, "fields", dict)
        unknown = set(fields) - names
        if unknown:
            raise _bad(self.source, f"{name} has no field(s) {sorted(unknown)}")
        obj = cls.__new__(cls)
        for key, value in fields.items():
            object.__setattr__(obj, key, self.rebuild(value))  # frozen dataclasses too
        return obj

    def rebuild_module(self, node):
        name, cls = self.named(node, _MODULE)
        if not (isinstance(cls, type) and issubclass(cls, Module)):
            raise _bad(self.source, f"{name} is not a Module class")
        index = self.field(node, "id", int)
        attributes = self.field(node, "attributes", dict)
        module = cls.__new__(cls)
        Module.__init__(module)  # the base bookkeeping only; the subclass's __init__ never runs
        self.modules[index] = module  # before the attributes: they may point back (a cycle)
        for key, value in attributes.items():
            module.__dict__[key] = self.rebuild(value)
        return module


def rebuild(description, arrays, device=None, source="the file", what="load"):
    """The object a description stands for; every class and function it names is resolved
    on the allow list first, and one that is not there refuses the whole file."""
    names = _names(description, {})
    objects = {n: resolve(n) for n in names}
    missing = [n for n, obj in objects.items() if obj is None]
    if missing:
        raise _refusal(missing, source, what)
    return _Rebuilder(arrays, objects, device, source).rebuild(description)
