"""Module and Parameter, the base of every layer; the containers are in layers/container.py.

A `Module` finds its parameters by walking its own `__dict__` in insertion
order, descending into sub-Modules, lists, tuples and dicts; there is no
registration step. The walk gives deterministic dotted names (`layers.0.weight`)
that are PyTorch's names for the same architecture, so state dicts move
between the two libraries by name:

    own parameters (in attribute order), own persistent buffers (in registration
    order), then each child module's entries under `<child name>.`

Buffers (running statistics and other state that is saved but not trained)
are the one thing that is registered, with `register_buffer`, because a
module may hold plain tensors that are not state.

A module's repr and its `summary()` table are built in `display.py`.
"""

from collections import namedtuple

import numpy as np

from ..backend import _DTYPE_NAMES, device_of, is_on, move, normalize_device, to_dtype
from ..tensor import Tensor, as_array
from . import display

__all__ = ["Parameter", "Module"]

# Keys of Module.__dict__ that hold the module's machinery, not its members.
_INTERNAL = frozenset({"training", "_buffers", "_modules", "_forward_hooks", "_forward_pre_hooks"})

IncompatibleKeys = namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])

# Modules inside a recursive train() / apply() right now: an attribute that
# points back up the tree (self.parent = ...) is a cycle, which those calls skip.
_ACTIVE = set()


class Parameter(Tensor):
    """A Tensor that is a trainable parameter of a Module (requires grad by default).

    `Parameter(data, requires_grad=True)`: `data` is a Tensor (its array is shared,
    its dtype kept) or array-like data (converted with groundup's rules: float64
    becomes float32 unless it is already a Tensor).
    """

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            arr = np.empty((0,), np.float32)
        elif isinstance(data, Tensor):
            arr = data.array
        else:
            arr = as_array(data)
            if arr is data:
                arr = arr.copy()
        self.array = arr
        self.grad = None
        self._ctx = None
        self._hooks = None
        self._version = 0
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()


class _RemovableHandle:
    """Returned by register_forward_hook: `handle.remove()` unregisters the hook."""

    _next_id = 0

    def __init__(self, hooks):
        self.hooks = hooks
        self.id = _RemovableHandle._next_id
        _RemovableHandle._next_id += 1

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


def _collect(value, name, params, children):
    """Sort one attribute value (recursing into lists, tuples and dicts) into params/children."""
    if isinstance(value, Parameter):
        params.append((name, value))
    elif isinstance(value, Module):
        children.append((name, value))
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _collect(v, f"{name}.{i}", params, children)
    elif isinstance(value, dict):
        for k, v in value.items():
            if isinstance(k, str):
                _collect(v, f"{name}.{k}", params, children)


def _direct_members(module):
    """(own parameters, direct children) of `module`, each a list of (name, object)."""
    params, children = [], []
    for key, value in module.__dict__.items():
        if key in _INTERNAL:
            if key == "_modules":
                children.extend((k, m) for k, m in value.items() if m is not None)
            continue
        _collect(value, key, params, children)
    return params, children


def _to_numpy(value, key):
    if isinstance(value, Tensor):
        return value.numpy()
    if isinstance(value, np.ndarray):
        return value
    try:
        return np.asarray(value)
    except Exception as e:
        raise TypeError(
            f"load_state_dict: entry {key!r} is a {type(value).__name__}, which does not "
            f"convert to an array ({e}); expected an ndarray or a Tensor"
        ) from None


class Module:
    """Base class of every layer and model.

    Subclasses set parameters (`Parameter`), sub-modules and plain values as
    attributes in `__init__` and define `forward`; calling the module runs
    `forward` (and any forward hooks). `training` is True until `eval()`.
    """

    training = True

    def __init__(self):
        self.training = True

    # -------------------------------------------------------------- calling
    def forward(self, *args, **kwargs):
        raise NotImplementedError(
            f"{type(self).__name__} has no forward(); define forward(self, ...) in the subclass"
        )

    def __call__(self, *args, **kwargs):
        d = self.__dict__
        if d.get("_forward_hooks") or d.get("_forward_pre_hooks"):
            return self._call_with_hooks(args, kwargs)
        return self.forward(*args, **kwargs)

    def _call_with_hooks(self, args, kwargs):
        for hook in list(self.__dict__.get("_forward_pre_hooks", {}).values()):
            new = hook(self, args)
            if new is not None:
                args = new if isinstance(new, tuple) else (new,)
        out = self.forward(*args, **kwargs)
        for hook in list(self.__dict__.get("_forward_hooks", {}).values()):
            new = hook(self, args, out)
            if new is not None:
                out = new
        return out

    def register_forward_hook(self, hook):
        """Call `hook(module, args, output)` after each forward; a returned value replaces it."""
        hooks = self.__dict__.setdefault("_forward_hooks", {})
        handle = _RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def register_forward_pre_hook(self, hook):
        """Call `hook(module, args)` before each forward; a returned value replaces args."""
        hooks = self.__dict__.setdefault("_forward_pre_hooks", {})
        handle = _RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def __getattr__(self, name):
        # Only reached when normal lookup fails: children of containers live in _modules.
        modules = self.__dict__.get("_modules")
        if modules is not None and name in modules:
            return modules[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    # ------------------------------------------------------------ registering
    def register_buffer(self, name, tensor, persistent=True):
        """Add state that is not a parameter (e.g. running statistics) under `name`.

        `tensor` is a Tensor, an array (its dtype is kept) or None. Persistent
        buffers are part of `state_dict()`.
        """
        if not isinstance(name, str) or not name or "." in name:
            raise KeyError(f"register_buffer: buffer name must be a non-empty string without "
                           f"'.', got {name!r}")
        buffers = self.__dict__.setdefault("_buffers", {})
        if name not in buffers and (name in self.__dict__ or name in _INTERNAL):
            raise KeyError(f"register_buffer: attribute {name!r} already exists")
        if tensor is not None and not isinstance(tensor, Tensor):
            arr = np.asarray(tensor) if not hasattr(tensor, "dtype") else tensor
            tensor = Tensor._wrap(as_array(arr, arr.dtype))
        self.__dict__[name] = tensor
        buffers[name] = bool(persistent)

    def register_parameter(self, name, param):
        """Set `param` (a Parameter or None) as attribute `name`."""
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"register_parameter: {name!r} must be a Parameter or None, "
                            f"got {type(param).__name__}")
        setattr(self, name, param)

    def add_module(self, name, module):
        """Set `module` as child `name` (the same as assigning the attribute)."""
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"add_module: {name!r} must be a Module or None, "
                            f"got {type(module).__name__}")
        modules = self.__dict__.get("_modules")
        if modules is not None:
            modules[name] = module
        else:
            setattr(self, name, module)

    register_module = add_module

    # -------------------------------------------------------------- walking
    def named_children(self):
        """(name, module) of each direct child, in attribute order, each module once."""
        seen = set()
        for name, m in _direct_members(self)[1]:
            if id(m) not in seen:
                seen.add(id(m))
                yield name, m

    def children(self):
        for _, m in self.named_children():
            yield m

    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) of this module and every descendant, parents first."""
        for name, m, _ in self._walk_modules(memo, prefix, remove_duplicate, 0):
            yield name, m

    def _walk_modules(self, memo, prefix, remove_duplicate, depth):
        if memo is None:
            memo = set()
        if id(self) in memo:
            return
        memo.add(id(self))
        yield prefix, self, depth
        for name, m in _direct_members(self)[1]:
            if not remove_duplicate:
                if id(m) in memo:
                    continue  # a cycle
            child = f"{prefix}.{name}" if prefix else name
            yield from m._walk_modules(memo, child, remove_duplicate, depth + 1)
            if not remove_duplicate:
                memo.discard(id(m))

    def modules(self):
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter) pairs: each module's own first, then its children's."""
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mprefix, m in mods:
            for name, p in _direct_members(m)[0]:
                if remove_duplicate:
                    if id(p) in seen:
                        continue
                    seen.add(id(p))
                yield (f"{mprefix}.{name}" if mprefix else name), p

    def parameters(self, recurse=True):
        for _, p in self.named_parameters(recurse=recurse):
            yield p

    def _buffer_items(self):
        """(name, Tensor, persistent) for this module's own non-None buffers."""
        d = self.__dict__
        for name, persistent in d.get("_buffers", {}).items():
            value = d.get(name)
            if value is not None:
                yield name, value, persistent

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        seen = set()
        mods = self.named_modules(prefix=prefix) if recurse else [(prefix, self)]
        for mprefix, m in mods:
            for name, b, _ in m._buffer_items():
                if remove_duplicate:
                    if id(b) in seen:
                        continue
                    seen.add(id(b))
                yield (f"{mprefix}.{name}" if mprefix else name), b

    def buffers(self, recurse=True):
        for _, b in self.named_buffers(recurse=recurse):
            yield b

    def get_submodule(self, target):
        if target == "":
            return self
        for name, m in self.named_modules():
            if name == target:
                return m
        raise AttributeError(f"{type(self).__name__} has no submodule {target!r}")

    def get_parameter(self, target):
        for name, p in self.named_parameters():
            if name == target:
                return p
        raise AttributeError(f"{type(self).__name__} has no parameter {target!r}")

    def num_parameters(self, trainable_only=False):
        """The number of parameter elements (each shared parameter counted once)."""
        return sum(int(p.array.size) for p in self.parameters()
                   if p.requires_grad or not trainable_only)

    # -------------------------------------------------------- mode and grads
    def train(self, mode=True):
        """Set training mode on this module and every descendant; returns self."""
        if not isinstance(mode, bool):
            raise ValueError(f"train(): mode must be a bool, got {mode!r}")
        key = ("train", id(self))
        if key in _ACTIVE:
            return self
        _ACTIVE.add(key)
        try:
            self.training = mode
            for m in self.children():
                m.train(mode)
        finally:
            _ACTIVE.discard(key)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        for p in self.parameters():
            if set_to_none:
                p.grad = None
            elif p.grad is not None:
                p.grad.array[...] = 0

    def apply(self, fn):
        """Call `fn(module)` on every child (recursively) and then on self; returns self."""
        key = ("apply", id(self))
        if key in _ACTIVE:
            return self
        _ACTIVE.add(key)
        try:
            for m in self.children():
                m.apply(fn)
        finally:
            _ACTIVE.discard(key)
        fn(self)
        return self

    # -------------------------------------------------------- dtype / device
    def _apply_to_arrays(self, fn):
        for p in self.parameters():
            p.array = fn(p.array)
            if p.grad is not None:
                p.grad.array = fn(p.grad.array)
        for b in self.buffers():
            b.array = fn(b.array)
        return self

    def to(self, *args, device=None, dtype=None, non_blocking=False):
        """Move parameters and buffers to a device and/or cast the floating ones; returns self.

        `to("cpu")`, `to(gu.device("cpu"))`, `to(gu.float64)`, `to("cpu", gu.float32)`,
        `to(device=..., dtype=...)`, `to(tensor)` (its device and dtype). non_blocking is
        accepted and ignored.
        """
        if len(args) > 2:
            raise TypeError(f"Module.to: expected at most a device and a dtype, got "
                            f"{len(args)} positional arguments")
        for a in args:
            if isinstance(a, Tensor):
                device, dtype = a.device, a.dtype
            elif isinstance(a, (type, np.dtype)) or (isinstance(a, str) and a in _DTYPE_NAMES):
                dtype = a
            else:
                device = a
        device = normalize_device(device)
        dtype = to_dtype(dtype)
        if dtype is not None and dtype.kind != "f":
            raise TypeError(f"Module.to: dtype must be a floating-point type, got {dtype}")

        def convert(a):
            if dtype is not None and a.dtype.kind == "f" and a.dtype != dtype:
                a = a.astype(dtype)
            if device is not None and not is_on(a, device):
                a = move(a, device)
            return a

        return self._apply_to_arrays(convert)

    def float(self):
        return self.to(dtype=np.float32)

    def double(self):
        return self.to(dtype=np.float64)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        """Move to a GPU: the current one, or `device` (an index, "cuda:1" or a device)."""
        if isinstance(device, int) and not isinstance(device, bool):
            device = f"cuda:{device}"
        return self.to("cuda" if device is None else device)

    # ------------------------------------------------------------ state dict
    def state_dict(self, destination=None, prefix="", keep_vars=False):
        """{name: ndarray copy} of every parameter and persistent buffer, with PyTorch's keys.

        keep_vars=True gives the Parameters/Tensors themselves instead of copies.
        """
        out = {} if destination is None else destination
        self._save_to(out, prefix, keep_vars, set())
        return out

    def _save_to(self, out, prefix, keep_vars, path):
        path.add(id(self))
        params, children = _direct_members(self)
        for name, p in params:
            out[prefix + name] = p if keep_vars else np.array(move(p.array, "cpu"))
        for name, b, persistent in self._buffer_items():
            if persistent:
                out[prefix + name] = b if keep_vars else np.array(move(b.array, "cpu"))
        for name, m in children:
            if id(m) not in path:
                m._save_to(out, f"{prefix}{name}.", keep_vars, path)
        path.discard(id(self))

    def load_state_dict(self, state_dict, strict=True):
        """Copy `state_dict` ({name: ndarray or Tensor}) into the parameters and buffers.

        All or nothing: every key, shape and dtype kind is checked first, and on any
        problem (a size mismatch; with strict=True also a missing or unexpected key)
        a RuntimeError lists them all and the module is left unchanged. Values are
        cast to each parameter's dtype. Returns (missing_keys, unexpected_keys).
        """
        if not hasattr(state_dict, "items"):
            raise TypeError(f"load_state_dict: expected a dict of arrays, got "
                            f"{type(state_dict).__name__}")
        targets = self.state_dict(keep_vars=True)
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        errors, arrays = [], {}
        for key, target in targets.items():
            if key not in state_dict:
                continue
            arr = _to_numpy(state_dict[key], key)
            want = target.array
            if tuple(arr.shape) != tuple(want.shape):
                errors.append(f"size mismatch for {key}: the model has shape {tuple(want.shape)}, "
                              f"the state dict has shape {tuple(arr.shape)}")
                continue
            kind, got = want.dtype.kind, arr.dtype.kind
            ok = got == "f" if kind == "f" else (got in "iu" if kind in "iu" else got == kind)
            if not ok:
                errors.append(f"dtype mismatch for {key}: the model has {want.dtype}, "
                              f"the state dict has {arr.dtype}")
                continue
            arrays[key] = arr
        if errors or (strict and (missing or unexpected)):
            lines = []
            if strict and missing:
                lines.append("Missing key(s) in state_dict: " + ", ".join(map(repr, missing)))
            if strict and unexpected:
                lines.append("Unexpected key(s) in state_dict: "
                             + ", ".join(map(repr, unexpected)))
            lines += errors
            raise RuntimeError(
                f"Error(s) in loading state_dict for {type(self).__name__} (nothing was loaded; "
                f"the model is unchanged):\n\t" + "\n\t".join(lines)
            )
        for key, arr in arrays.items():
            target = targets[key].array
            target[...] = move(arr, device_of(target))
        return IncompatibleKeys(missing, unexpected)

    # ------------------------------------------------------------------ repr
    def extra_repr(self):
        """One line of the module's settings, shown inside its repr; override in layers."""
        return ""

    def __repr__(self):
        return display.module_repr(self, _direct_members(self)[1])

    def summary(self, input_shape, dtype=None, print_fn=print):
        """Print (and return) a table of sub-modules, their output shapes and parameter counts.

        Runs one forward on zeros of `input_shape` (the full shape, batch included; a
        list of shapes for several inputs) in eval mode under no_grad, with forward
        hooks recording each module's output shape; the modes are restored after.
        `dtype` is the input dtype (default: that of the first floating parameter).
        """
        return display.summary(self, input_shape, dtype, print_fn)
