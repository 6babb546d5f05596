"""Optimizer base: parameter groups, zero_grad, the step loop and state_dict.

An optimizer holds `param_groups`, a list of dicts, each with "params" (a list
of leaf Tensors) and that group's hyperparameters (lr, momentum, ...; missing
ones come from the constructor's defaults). `state` maps each parameter to a
dict of its running buffers (momentum, moment estimates, step count).

`step()` walks every parameter that has a gradient and calls the subclass's
`_update(p, grad, state, group)` with raw backend arrays. Each subclass writes
only that method: the per-parameter update math. Updates are in place on
`p.array` and on the state arrays (never rebinding `p.array`, never writing into
`p.grad`), in the parameter's own dtype, with hyperparameters as Python floats
so that nothing is silently upcast (NEP 50).

`state_dict()` has PyTorch's layout: {"state": {index: {name: array or
number}}, "param_groups": [{hyperparameters..., "params": [indices]}]}, with
parameters numbered in group order. It holds only NumPy arrays, Python
numbers, bools, None, strings and tuples of numbers, so a checkpoint can store
it as safetensors arrays plus JSON.
"""

import math
from collections import defaultdict

import numpy as np

from .. import kernels
from ..autograd import enable_grad, mark_changed
from ..autograd.versions import byte_range
from ..backend import array_module, move
from ..tensor import Tensor
from ..threads import poll as poll_threads

__all__ = ["Optimizer"]


class Optimizer:
    """Base class of all optimizers.

    Args:
        params: an iterable of Tensors (or of (name, Tensor) pairs), or of dicts
            that each define a parameter group: {"params": [...], "lr": ..., ...}.
        defaults: the hyperparameters a group gets when it does not set them.
    """

    # state entries that are one number per parameter (PyTorch keeps them as 0-d tensors)
    _scalar_state = ("step",)

    def __init__(self, params, defaults):
        self.defaults = dict(defaults)
        self._validate(self.defaults)
        self.state = defaultdict(dict)
        self.param_groups = []
        self._work = {}  # reusable scratch arrays: never saved, rebuilt on demand
        self._ranges = {}  # id(parameter) -> (its array, the array's byte range)
        name = type(self).__name__
        if isinstance(params, Tensor):
            raise TypeError(
                f"{name}: params should be an iterable of Tensors or dicts, but got a single "
                f"Tensor; wrap it in a list: {name}([p], ...)"
            )
        if isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: params must be an ordered iterable (a list), not a set")
        groups = list(params)
        if not groups:
            raise ValueError(
                f"{name}: got an empty parameter list; pass model.parameters(), a list of "
                f"tensors, or a list of param-group dicts"
            )
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)
        # the compiled path starts now, not inside the first step (see kernels.prepare)
        kernels.prepare([p.array for group in self.param_groups for p in group["params"]])

    # ------------------------------------------------------------ param groups
    def _validate(self, group):
        """Raise ValueError for an invalid hyperparameter in `group` (subclasses override)."""

    def _check(self, group, key, ok, expected):
        """Raise a clear error unless `ok(group[key])` holds (when `key` is present)."""
        if key not in group:
            return
        value = group[key]
        try:
            good = ok(value)
        except TypeError:
            good = False
        if not good:
            raise ValueError(f"{type(self).__name__}: invalid {key} {value!r}; expected {expected}")

    def add_param_group(self, param_group):
        """Add a group {"params": [...], hyperparameter: value, ...} to `param_groups`."""
        name = type(self).__name__
        if not isinstance(param_group, dict):
            raise TypeError(
                f"{name}: a param group must be a dict, but got {type(param_group).__name__}"
            )
        if "params" not in param_group:
            raise ValueError(f"{name}: a param group needs a 'params' entry")
        params = param_group["params"]
        if isinstance(params, Tensor):
            params = [params]
        elif isinstance(params, (set, frozenset)):
            raise TypeError(f"{name}: a group's params must be an ordered list, not a set")
        else:
            params = [p[1] if isinstance(p, tuple) and len(p) == 2 else p for p in params]
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(
                    f"{name} can only optimize Tensors, but one of the params is "
                    f"{type(p).__name__}"
                )
            if not p.is_leaf:
                raise ValueError(
                    f"{name}: can't optimize a non-leaf Tensor (one computed from others); "
                    f"optimize the leaf tensors it was computed from"
                )
            if p.array.dtype.kind != "f":
                raise TypeError(
                    f"{name}: can only optimize floating-point tensors, got one of dtype "
                    f"{p.array.dtype}"
                )
        ids = {id(p) for p in params}
        if len(ids) != len(params):
            raise ValueError(f"{name}: a parameter group contains the same parameter twice")
        for group in self.param_groups:
            if any(id(p) in ids for p in group["params"]):
                raise ValueError(f"{name}: some parameters appear in more than one parameter group")
        group = {"params": params}
        for key, value in param_group.items():
            if key != "params":
                group[key] = value
        for key, value in self.defaults.items():
            group.setdefault(key, value)
        self._validate(group)
        self.param_groups.append(group)

    # -------------------------------------------------------------- stepping
    def zero_grad(self, set_to_none=True):
        """Reset the gradients: drop them (default) or fill them with zeros."""
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad.array.fill(0)

    def step(self, closure=None):
        """Update every parameter that has a gradient; `closure` re-evaluates the loss."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        poll_threads()  # share the cores with other groundup processes (see threads.py)
        state, ranges = self.state, self._ranges
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                w = p.array
                g = p.grad.array
                if g.shape != w.shape or g.dtype != w.dtype:
                    g = self._check_grad(w, g)
                self._update(w, g, state[p], group)
                # a graph recorded before this step must not backward through p
                known = ranges.get(id(p))
                if known is None or known[0] is not w:  # first step, or p.array replaced
                    known = ranges[id(p)] = (w, byte_range(w))
                mark_changed(p, known[1])
        return loss

    def _check_grad(self, w, g):
        if g.shape != w.shape:
            raise ValueError(
                f"{type(self).__name__}.step: a parameter of shape {tuple(w.shape)} has a "
                f"gradient of shape {tuple(g.shape)}"
            )
        return g.astype(w.dtype)

    def _update(self, p, grad, state, group):  # pragma: no cover - abstract
        """Update the array `p` in place from `grad`; `state` is its dict of buffers."""
        raise NotImplementedError

    # -------------------------------------------------- helpers for _update
    def _scratch(self, like, slot=0):
        """A work array shaped and typed like `like`, reused across parameters and steps.

        One flat buffer per (slot, dtype, array type), as large as the largest
        parameter seen, sliced per parameter: no fresh big allocations (and so
        no page faults) in the hot loop.
        """
        key = (slot, like.dtype, type(like))
        buf = self._work.get(key)
        n = like.size
        if buf is None or buf.size < n:
            buf = self._work[key] = array_module(like).empty(n, like.dtype)
        return buf[:n].reshape(like.shape)

    def _effective_grad(self, p, grad, weight_decay, maximize):
        """The gradient to follow: grad (+ weight_decay * p) (negated when maximizing).

        Never writes into `grad`; when it has to change it, the result is in
        scratch slot 1 (slot 0 stays free for the update math).
        """
        if weight_decay != 0:
            xp = array_module(p)
            out = self._scratch(p, 1)
            xp.multiply(p, weight_decay, out=out)
            if maximize:
                out -= grad  # (-grad) + wd * p, exactly
            else:
                out += grad
            return out
        if maximize:
            return array_module(p).negative(grad, out=self._scratch(p, 1))
        return grad

    # --------------------------------------------------------- serialization
    def state_dict(self):
        """The optimizer's state and hyperparameters, with parameters as int indices."""
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: _plain(v) for k, v in group.items() if k != "params"}
            ids = []
            for p in group["params"]:
                index.setdefault(id(p), len(index))
                ids.append(index[id(p)])
            packed["params"] = ids
            groups.append(packed)
        state = {}
        for p, s in self.state.items():
            if s and id(p) in index:
                state[index[id(p)]] = {k: _copy_state_value(v) for k, v in s.items()}
        return {"state": dict(sorted(state.items())), "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore a `state_dict()`; checked first, so a mismatch leaves the optimizer as it was.

        Accepts int or str state keys (JSON turns keys into strings) and
        arrays of any float dtype (cast to each parameter's dtype, copied onto
        its device). Hyperparameters come from the saved groups.
        """
        name = f"{type(self).__name__}.load_state_dict"
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict:
            raise ValueError(f"{name}: expected a dict with 'state' and 'param_groups'")
        saved_groups = list(state_dict["param_groups"])
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"{name}: the state dict has {len(saved_groups)} parameter group(s) but this "
                f"optimizer has {len(self.param_groups)}"
            )
        id_map = {}
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups, strict=True)):
            saved_ids = list(saved.get("params", ()))
            if len(saved_ids) != len(group["params"]):
                raise ValueError(
                    f"{name}: parameter group {i} has {len(saved_ids)} parameter(s) in the state "
                    f"dict but {len(group['params'])} in this optimizer"
                )
            for j, p in zip(saved_ids, group["params"], strict=True):
                id_map[int(j)] = p
        new_state = defaultdict(dict)
        for key, saved in dict(state_dict.get("state", {})).items():
            try:
                p = id_map[int(key)]
            except (KeyError, ValueError):
                raise ValueError(
                    f"{name}: the state dict has state for parameter {key!r}, which is not in "
                    f"any of its parameter groups"
                ) from None
            new_state[p] = self._restore_state(name, dict(saved), p.array)
        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups, strict=True):
            new = {"params": group["params"]}
            for k, v in saved.items():
                if k == "params":
                    continue
                if isinstance(v, list) and isinstance(group.get(k), tuple):
                    v = tuple(v)
                new[k] = v
            self._validate(new)
            new_groups.append(new)
        self.state = new_state
        self.param_groups = new_groups

    def _restore_state(self, name, saved, like):
        """One parameter's saved state made ready for its array `like` (checked, copied, cast).

        Entries named in `_scalar_state` become Python numbers (a PyTorch state dict
        holds them as 0-d tensors); arrays must have the parameter's shape.
        """
        return {k: _restore_scalar(name, k, v) if k in self._scalar_state
                else _restore_state_value(name, k, v, like) for k, v in saved.items()}

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def lerp_(xp, m, g, weight, work):
    """m <- m + weight * (g - m) in place, in PyTorch's lerp_ form; `work` is scratch.

    For weight >= 0.5 PyTorch computes g - (g - m) * (1 - weight), which keeps
    m == g exactly when weight == 1; both forms are kept so sequences match.
    """
    xp.subtract(g, m, out=work)
    if weight < 0.5:
        work *= weight
        m += work
    else:
        work *= 1.0 - weight
        xp.subtract(g, work, out=m)


def _plain(value):
    """A hyperparameter as a plain Python value (no NumPy scalars, tuples of plain values)."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return type(value)(_plain(v) for v in value)
    return value


def _copy_state_value(value):
    if isinstance(value, (int, float, bool, str)) or value is None:
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        return type(value)(_copy_state_value(v) for v in value)
    host = move(value, "cpu")
    return host.copy() if host is value else host


def _restore_scalar(name, key, value):
    """A saved one-number state entry as a Python int or float."""
    if isinstance(value, Tensor):
        value = value.array
    if hasattr(value, "shape"):
        host = move(value, "cpu")
        if host.size != 1:
            raise ValueError(f"{name}: state {key!r} should be one number, got an array of shape "
                             f"{tuple(host.shape)}")
        value = host.reshape(()).item()
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name}: state {key!r} should be a number, got {value!r}")
    if key == "step" and float(value).is_integer():
        return int(value)  # PyTorch keeps the step count as a float
    return value


def _restore_state_value(name, key, value, like):
    """One saved state entry made ready for the parameter `like` (checked, copied, cast)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, Tensor):
        value = value.array
    if isinstance(value, np.generic):
        return value.item()
    host = move(value, "cpu") if hasattr(value, "shape") else np.asarray(value)
    if host.dtype.kind not in "fiu":
        raise ValueError(f"{name}: state {key!r} has dtype {host.dtype}; expected numbers")
    if host.shape != like.shape:
        raise ValueError(
            f"{name}: state {key!r} has shape {tuple(host.shape)} but its parameter has shape "
            f"{tuple(like.shape)}"
        )
    xp = array_module(like)
    out = xp.empty(like.shape, like.dtype)
    out[...] = xp.asarray(host)
    return out


def _is_number(v):
    return isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)


def nonneg(v):
    """Validation predicate: a real number >= 0 (not NaN)."""
    return _is_number(v) and v >= 0 and not math.isnan(v)


def real(v):
    """Validation predicate: a real number (not NaN, not a bool)."""
    return _is_number(v) and not math.isnan(v)


def beta_pair(v):
    """Validation predicate: a pair (beta1, beta2) with 0 <= beta < 1."""
    try:
        return len(v) == 2 and all(nonneg(b) and b < 1 for b in v)
    except TypeError:
        return False


def positive_int(v):
    """Validation predicate: an int >= 1 (not a bool)."""
    return isinstance(v, (int, np.integer)) and not isinstance(v, bool) and v >= 1


def to_float32(x):
    """x rounded to float32, as a Python float: PyTorch keeps its one-number optimizer state
    (NAdam's mu_product, ASGD's eta and mu) in 0-d float32 tensors, whatever the parameter's
    dtype, and its sequences follow from that rounding."""
    return float(np.float32(x))
