"""Containers: Sequential, ModuleList, ModuleDict.

Their children live in the `_modules` dict (names '0', '1', ... or the given
keys), which Module's attribute walk reads with no prefix, so a Sequential's
parameters are named `0.weight`, `1.bias`, ... exactly as in PyTorch.
"""

import numpy as np

from ..module import Module

__all__ = ["Sequential", "ModuleList", "ModuleDict"]


def _check_module(value, owner, where):
    if not isinstance(value, Module):
        raise TypeError(f"{owner}: {where} is a {type(value).__name__}, expected a Module")
    return value


class _IndexedContainer(Module):
    """List behaviour shared by Sequential and ModuleList: children in `_modules`, '0', '1', ..."""

    def __init__(self, modules=()):
        super().__init__()
        self._modules = {}
        for i, m in enumerate(modules):
            self._modules[str(i)] = _check_module(m, type(self).__name__, f"item {i}")

    def _index(self, idx):
        n = len(self._modules)
        if not isinstance(idx, (int, np.integer)) or isinstance(idx, bool):
            raise TypeError(f"{type(self).__name__} indices must be integers or slices, "
                            f"got {type(idx).__name__}")
        if not -n <= idx < n:
            raise IndexError(f"{type(self).__name__} index {idx} is out of range for "
                             f"{n} module(s)")
        return int(idx) % n

    def _renumber(self, modules):
        self._modules = {str(i): m for i, m in enumerate(modules)}

    def _from_items(self, items):
        new = type(self).__new__(type(self))
        Module.__init__(new)
        new._modules = dict(items)
        return new

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return self._from_items(list(self._modules.items())[idx])
        if isinstance(idx, str):
            return self._modules[idx]
        return list(self._modules.values())[self._index(idx)]

    def __setitem__(self, idx, module):
        key = list(self._modules)[self._index(idx)]
        self._modules[key] = _check_module(module, type(self).__name__, f"item {idx}")

    def __delitem__(self, idx):
        mods = list(self._modules.values())
        if isinstance(idx, slice):
            del mods[idx]
        else:
            del mods[self._index(idx)]
        self._renumber(mods)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(list(self._modules.values()))

    def append(self, module):
        self._modules[str(len(self._modules))] = _check_module(
            module, type(self).__name__, "the appended value")
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        mods = list(self._modules.values())
        mods.insert(index, _check_module(module, type(self).__name__, "the inserted value"))
        self._renumber(mods)

    def pop(self, index=-1):
        m = self[index]
        del self[index]
        return m

    def __iadd__(self, modules):
        return self.extend(modules)


class Sequential(_IndexedContainer):
    """Modules applied one after the other: forward(x) = m_n(... m_1(x)).

    `Sequential(m1, m2, ...)` names the children '0', '1', ...;
    `Sequential(OrderedDict(name=module, ...))` (or a dict) uses the given names.
    Indexing, len, iteration, append/extend/insert/pop; a slice is a Sequential.

    Example:
        model = Sequential(Linear(4, 8), ReLU(), Linear(8, 2))
        y = model(x)            # x: (N, 4) -> y: (N, 2)
    """

    def __init__(self, *args):
        if len(args) == 1 and isinstance(args[0], dict):
            super().__init__()
            for name, m in args[0].items():
                self._modules[str(name)] = _check_module(m, "Sequential", f"entry {name!r}")
        else:
            super().__init__(args)

    def forward(self, x):
        for m in self._modules.values():
            x = m(x)
        return x


class ModuleList(_IndexedContainer):
    """A list of modules whose parameters are found (names '0', '1', ...); it has no forward.

    Example:
        self.blocks = ModuleList([Linear(8, 8) for _ in range(3)])
        for block in self.blocks: x = block(x)
    """

    def __init__(self, modules=None):
        super().__init__(() if modules is None else list(modules))


class ModuleDict(Module):
    """A dict of modules (insertion order) whose parameters are found under their keys.

    Example:
        self.heads = ModuleDict({"cls": Linear(8, 3), "reg": Linear(8, 1)})
        y = self.heads["cls"](h)
    """

    def __init__(self, modules=None):
        super().__init__()
        self._modules = {}
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        try:
            return self._modules[key]
        except KeyError:
            raise KeyError(f"ModuleDict has no key {key!r}; keys are {list(self._modules)}") \
                from None

    def __setitem__(self, key, module):
        if not isinstance(key, str):
            raise TypeError(f"ModuleDict keys must be strings, got {type(key).__name__}")
        self._modules[key] = _check_module(module, "ModuleDict", f"value for {key!r}")

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(list(self._modules))

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules):
        items = modules.items() if hasattr(modules, "items") else modules
        for key, m in items:
            self[key] = m

    def pop(self, key):
        return self._modules.pop(key)

    def clear(self):
        self._modules.clear()
