"""Checkpoints: a whole training state in one safetensors file.

`save_checkpoint` / `load_checkpoint` store model weights under
"model.<name>", optimizer arrays under "optimizer.state.<i>.<name>", and
everything else (param groups, scheduler and loader state, epoch, the RNG
state, config, extra) as JSON metadata. A checkpoint is an ordinary
safetensors file (written and read by .safetensors: atomic, never pickle)
whose metadata "format" is CHECKPOINT_FORMAT.
"""

import collections.abc
import dataclasses
import os

import numpy as np

from ..data.loader import DataLoader, _generator_from_state
from ..random import get_rng_state, set_rng_state
from ..tensor import Tensor
from .safetensors import SafetensorsError, _read, _state_of, save

__all__ = ["save_checkpoint", "load_checkpoint", "CHECKPOINT_FORMAT"]

CHECKPOINT_FORMAT = _CHECKPOINT = "groundup.checkpoint"  # metadata "format" of checkpoints
_MARKERS = ("__array__", "__tuple__", "__intkeys__")


def _is_array(value):
    return isinstance(value, (np.ndarray, Tensor)) or type(value).__module__.startswith("cupy")


def _pack(obj, where, arrays):
    """A JSON-able copy of `obj`; arrays move into `arrays` under the dotted path `where`."""
    if _is_array(obj):
        if where in arrays:
            raise ValueError(f"save_checkpoint: two entries are both named {where!r}")
        arrays[where] = obj
        return {"__array__": where}
    if isinstance(obj, np.generic):
        return obj.item()
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        return _pack(dataclasses.asdict(obj), where, arrays)
    if isinstance(obj, collections.abc.Mapping):
        keys = list(obj)
        if all(isinstance(k, str) for k in keys):
            reserved = [k for k in keys if k in _MARKERS]
            if reserved:
                raise ValueError(f"save_checkpoint: {where} uses the reserved key {reserved[0]!r}")
            return {k: _pack(v, f"{where}.{k}", arrays) for k, v in obj.items()}
        if all(isinstance(k, (int, np.integer)) and not isinstance(k, bool) for k in keys):
            return {"__intkeys__": {str(int(k)): _pack(v, f"{where}.{int(k)}", arrays)
                                    for k, v in obj.items()}}
        raise TypeError(f"save_checkpoint: {where} has keys that are neither all strings nor "
                        f"all ints: {keys[:5]}")
    if isinstance(obj, tuple):
        return {"__tuple__": [_pack(v, f"{where}.{i}", arrays) for i, v in enumerate(obj)]}
    if isinstance(obj, list):
        return [_pack(v, f"{where}.{i}", arrays) for i, v in enumerate(obj)]
    raise TypeError(
        f"save_checkpoint: {where} is a {type(obj).__name__}, which a checkpoint cannot store "
        f"(it stores arrays, numbers, strings, None, and lists, tuples and dicts of them)"
    )


def _unpack(obj, arrays, path):
    if isinstance(obj, list):
        return [_unpack(v, arrays, path) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if len(obj) == 1:
        (key, value), = obj.items()
        if key == "__array__":
            if value not in arrays:
                raise SafetensorsError(f"{path}: the checkpoint refers to a missing tensor "
                                       f"{value!r}")
            return arrays[value]
        if key == "__tuple__":
            return tuple(_unpack(v, arrays, path) for v in value)
        if key == "__intkeys__":
            return {int(k): _unpack(v, arrays, path) for k, v in value.items()}
    return {k: _unpack(v, arrays, path) for k, v in obj.items()}


def save_checkpoint(path, model, optimizer=None, scheduler=None, epoch=None, extra=None,
                    config=None, loader=None):
    """Save a whole training state atomically in one safetensors file.

    model: a Module or a {name: array} state dict (stored as "model.<name>").
    optimizer / scheduler / loader: objects with state_dict() (arrays inside
    go to tensors such as "optimizer.state.0.exp_avg", the rest to JSON).
    epoch, config (a dict or dataclass) and extra (anything JSON-like, arrays
    allowed) are stored as given; groundup's RNG state is always stored.
    """
    what = "save_checkpoint"
    arrays = {} if model is None else {f"model.{k}": v for k, v in _state_of(model, what).items()}
    info = {"format": _CHECKPOINT, "version": 1, "epoch": epoch, "rng": get_rng_state()}
    for name, obj in (("optimizer", optimizer), ("scheduler", scheduler), ("loader", loader)):
        if obj is not None:
            if not callable(getattr(obj, "state_dict", None)):
                raise TypeError(f"{what}: {name} has no state_dict() method "
                                f"({type(obj).__name__})")
            info[name] = _pack(obj.state_dict(), name, arrays)
    info["config"] = _pack(config, "config", arrays)
    info["extra"] = _pack(extra, "extra", arrays)
    save(arrays, path, metadata=info)


def _shape(value):
    return tuple(value.shape) if hasattr(value, "shape") else np.shape(value)


def _check_model(model, state, path):
    current = model.state_dict()
    missing = [k for k in current if k not in state]
    unexpected = [k for k in state if k not in current]
    wrong = [f"{k}: checkpoint {_shape(state[k])}, model {_shape(current[k])}"
             for k in current if k in state and _shape(state[k]) != _shape(current[k])]
    if missing or unexpected or wrong:
        parts = [f"{label} {items[:6]}{' ...' if len(items) > 6 else ''}"
                 for label, items in (("missing keys", missing), ("unexpected keys", unexpected),
                                      ("shape mismatches", wrong)) if items]
        raise ValueError(f"load_checkpoint: the model in {path} does not fit "
                         f"{type(model).__name__}: " + "; ".join(parts))


def _check_optimizer(optimizer, state, path):
    current = optimizer.state_dict()
    ours, theirs = current.get("param_groups", []), state.get("param_groups", [])
    sizes = [len(g.get("params", [])) for g in ours]
    saved = [len(g.get("params", [])) for g in theirs]
    if sizes != saved:
        raise ValueError(f"load_checkpoint: the optimizer in {path} has parameter groups of "
                         f"sizes {saved}; this optimizer has {sizes}")


def load_checkpoint(path, model=None, optimizer=None, scheduler=None, loader=None,
                    restore_rng=True):
    """Restore a save_checkpoint file into the given objects and return its contents.

    Everything is checked before anything changes (model keys and shapes,
    optimizer group sizes, the loader's batching, the RNG state); then the
    model (strict), optimizer, scheduler and loader load their states and
    groundup's RNG is restored (restore_rng=False skips that). Returns a
    dict: model (the {name: ndarray} weights), optimizer, scheduler, loader
    (their state dicts or None), epoch, config, extra, rng.
    """
    what = "load_checkpoint"
    arrays, info = _read(path, what)
    path = os.fspath(path)
    if not isinstance(info, dict) or info.get("format") != _CHECKPOINT:
        raise SafetensorsError(f"{what}: {path} is a safetensors file but not a groundup "
                               f"checkpoint (no checkpoint metadata); use gu.load() for weights")
    result = {"model": {k[6:]: v for k, v in arrays.items() if k.startswith("model.")}}
    for name in ("optimizer", "scheduler", "loader", "config", "extra"):
        result[name] = _unpack(info.get(name), arrays, path)
    result["epoch"], result["rng"] = info.get("epoch"), info.get("rng")
    targets = {"optimizer": optimizer, "scheduler": scheduler, "loader": loader}
    for name, obj in targets.items():
        if obj is not None and result[name] is None:
            raise ValueError(f"{what}: {path} holds no {name} state to load into "
                             f"{type(obj).__name__}")
    if model is not None:
        _check_model(model, result["model"], path)
    if optimizer is not None:
        _check_optimizer(optimizer, result["optimizer"], path)
    if isinstance(loader, DataLoader):
        loader._check_state(result["loader"])
    if restore_rng and result["rng"] is not None:
        _generator_from_state(result["rng"], f"{what}: {path}: rng")
    if model is not None:
        model.load_state_dict(result["model"], strict=True)
    for name, obj in targets.items():
        if obj is not None:
            obj.load_state_dict(result[name])
    if restore_rng and result["rng"] is not None:
        set_rng_state(result["rng"])
    return result
