"""The allow list: the classes and functions gu.load may rebuild, as PyTorch's safe globals.

A file saved by gu.save names classes (a module's class, a dataclass) and
functions (an attribute such as `self.act = F.relu`) by their qualified name,
"module.QualName". gu.load never imports anything by such a name: it looks
the name up among the objects the program has allowed, and only there.

- `add_safe_globals([MyModel, Block])` allows them until `clear_safe_globals()`;
- `with safe_globals([MyModel]):` allows them inside the block only;
- an item may be a pair `(MyModel, "old_module.MyModel")` to accept a class
  saved under another name (a class saved from a script is "__main__.Name");
- `get_safe_globals()` lists what is allowed.

groundup's own classes and functions (every `groundup.nn` layer and
container, the zoo's models and configs, `groundup.nn.functional`) are trusted
without being listed: a name under "groundup." is looked up in groundup's
modules that are already imported (still never importing by name).
"""

import contextlib
import dataclasses
import sys
import types

from ..nn import Module

__all__ = ["add_safe_globals", "get_safe_globals", "clear_safe_globals", "safe_globals",
           "global_name", "resolve"]

_ALLOWED = []  # objects, or (object, "module.QualName") pairs


def global_name(obj):
    """The "module.QualName" under which gu.save records a class or function."""
    return f"{obj.__module__}.{obj.__qualname__}"


def _checked(items, what):
    if not isinstance(items, (list, tuple)):
        raise TypeError(f"{what}: expected a list of classes and functions; got "
                        f"{type(items).__name__}")
    for item in items:
        obj = item
        if isinstance(item, tuple):
            if len(item) != 2 or not isinstance(item[1], str) or "." not in item[1]:
                raise TypeError(f"{what}: a pair must be (object, 'module.QualName'); got "
                                f"{item!r}")
            obj = item[0]
        if not isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)):
            raise TypeError(f"{what}: expected classes and functions (or (object, "
                            f"'module.QualName') pairs); got {obj!r}, a {type(obj).__name__}")
    return list(items)


def add_safe_globals(safe_globals):
    """Allow gu.load to rebuild these classes (and refer to these functions) from now on."""
    for item in _checked(safe_globals, "add_safe_globals"):
        if item not in _ALLOWED:
            _ALLOWED.append(item)


def get_safe_globals():
    """A list of what add_safe_globals / safe_globals allow now (groundup's own not included)."""
    return list(_ALLOWED)


def clear_safe_globals():
    """Forget every allowed class and function (groundup's own stay trusted)."""
    _ALLOWED.clear()


@contextlib.contextmanager
def safe_globals(safe_globals):
    """Allow these classes and functions inside the `with` block; the list before is restored
    on leaving it (whatever was added inside the block included)."""
    items = _checked(safe_globals, "safe_globals")
    saved = list(_ALLOWED)
    for item in items:
        if item not in _ALLOWED:
            _ALLOWED.append(item)
    try:
        yield
    finally:
        _ALLOWED[:] = saved


def _groundup_object(name):
    """groundup's own class or function `name`, found in imported modules only, or None."""
    parts = name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:i]))
        if module is None:
            continue
        obj = module
        for part in parts[i:]:  # vars(): no __getattr__ hook runs (nothing is imported)
            obj = vars(obj).get(part) if hasattr(obj, "__dict__") else None
            if obj is None:
                break
        if isinstance(obj, type):
            trusted = issubclass(obj, Module) or dataclasses.is_dataclass(obj)
        else:
            trusted = isinstance(obj, types.FunctionType)
        if trusted and obj.__module__.startswith("groundup.") and global_name(obj) == name:
            return obj
        return None
    return None


def resolve(name):
    """The allowed object saved under `name`, or None: the allow list first (latest added
    first), then groundup's own."""
    for item in reversed(_ALLOWED):
        if isinstance(item, tuple):
            if item[1] == name:
                return item[0]
        elif global_name(item) == name:
            return item
    if name.startswith("groundup."):
        return _groundup_object(name)
    return None


def allowed_namesakes(name):
    """Allowed objects whose QualName matches `name`'s but whose module differs."""
    qual = name.rpartition(".")[2]
    return [global_name(o) for o in _ALLOWED if not isinstance(o, tuple)
            and o.__qualname__.rpartition(".")[2] == qual and global_name(o) != name]
