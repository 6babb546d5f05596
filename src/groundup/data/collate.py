"""Collation: turning a list of samples into one batch of Tensors (PyTorch's default_collate).

Tensors are stacked; NumPy arrays and scalars and Python numbers become
Tensors by gu.tensor's dtype rules; tuples, lists and dicts are collated field
by field; strings stay a list. `default_convert` is the same conversion
without stacking (what a loader with batch_size=None applies to each sample).
"""

import collections.abc
import numbers

import numpy as np

from ..backend import array_module
from ..tensor import Tensor, as_array

__all__ = ["default_collate", "default_convert"]


def _stack(arrays, where):
    shape = arrays[0].shape
    for i, a in enumerate(arrays):
        if a.shape != shape:
            raise ValueError(
                f"DataLoader collate: the samples in {where} have different shapes: "
                f"{tuple(shape)} (sample 0) and {tuple(a.shape)} (sample {i}); make them equal "
                f"(pad or crop) or pass a collate_fn"
            )
    return array_module(arrays[0]).stack(arrays)


def _check_all(samples, kinds, where, what):
    for i, s in enumerate(samples):
        if not isinstance(s, kinds):
            raise TypeError(
                f"DataLoader collate: {where} mixes types: sample 0 is {what} but sample {i} is "
                f"{type(s).__name__}"
            )


def _collate(samples, where):
    first = samples[0]
    if isinstance(first, Tensor):
        _check_all(samples, Tensor, where, "a Tensor")
        return Tensor._wrap(_stack([s.array for s in samples], where))  # Tensors keep their dtype
    if isinstance(first, (str, bytes)):
        return list(samples)
    if isinstance(first, (np.ndarray, np.generic)):
        _check_all(samples, (np.ndarray, np.generic), where, "a NumPy array")
        arrays = [np.asarray(s) for s in samples]
        if arrays[0].dtype.kind not in "fiub":
            raise TypeError(
                f"DataLoader collate: {where} holds arrays of dtype {arrays[0].dtype}; only "
                f"numbers and booleans batch into Tensors (pass a collate_fn)"
            )
        return Tensor._wrap(as_array(_stack(arrays, where)))
    if isinstance(first, numbers.Number) and not isinstance(first, complex):
        _check_all(samples, numbers.Number, where, "a number")
        return Tensor._wrap(as_array(np.array(samples)))  # int -> int64, float -> float32
    if isinstance(first, collections.abc.Mapping):
        keys = list(first.keys())
        for i, s in enumerate(samples):
            if not isinstance(s, collections.abc.Mapping) or set(s.keys()) != set(keys):
                got = sorted(map(str, s.keys())) if isinstance(s, collections.abc.Mapping) else s
                raise ValueError(
                    f"DataLoader collate: {where}: sample 0 has keys {sorted(map(str, keys))} "
                    f"but sample {i} has {got}"
                )
        return {k: _collate([s[k] for s in samples], f"{where}[{k!r}]") for k in keys}
    if isinstance(first, (tuple, list)):
        n = len(first)
        for i, s in enumerate(samples):
            if not isinstance(s, (tuple, list)) or len(s) != n:
                got = f"length {len(s)}" if isinstance(s, (tuple, list)) else type(s).__name__
                raise ValueError(
                    f"DataLoader collate: {where}: sample 0 has {n} fields but sample {i} has "
                    f"{got}"
                )
        fields = [_collate([s[j] for s in samples], f"{where}[{j}]") for j in range(n)]
        if hasattr(first, "_fields"):  # a namedtuple keeps its type
            return type(first)(*fields)
        return tuple(fields) if isinstance(first, tuple) else fields
    raise TypeError(
        f"DataLoader collate: {where} is a {type(first).__name__}, which default_collate cannot "
        f"batch (it stacks Tensors, NumPy arrays and numbers, through tuples, lists and dicts); "
        f"pass a collate_fn"
    )


def default_collate(samples):
    """Stack a list of samples into a batch.

    Tensors are stacked (keeping their dtype); NumPy arrays and scalars and
    Python numbers become Tensors by gu.tensor's rules (float64 -> float32,
    int -> int64, bool -> bool); tuples, lists and dicts are collated field by
    field (a tuple stays a tuple, a namedtuple its type); strings are returned
    as a list.
    """
    samples = list(samples)
    if not samples:
        raise ValueError("DataLoader collate: empty batch")
    return _collate(samples, "batch")


def default_convert(sample):
    """Convert one sample, without batching: NumPy arrays and scalars become Tensors.

    Tuples, lists and dicts are converted field by field; Tensors, Python
    numbers, strings and anything else are returned as they are (PyTorch's rule).
    """
    if isinstance(sample, (np.ndarray, np.generic)) and np.asarray(sample).dtype.kind in "fiub":
        return Tensor._wrap(as_array(np.asarray(sample)))
    if isinstance(sample, collections.abc.Mapping):
        return {k: default_convert(v) for k, v in sample.items()}
    if isinstance(sample, tuple) and hasattr(sample, "_fields"):
        return type(sample)(*(default_convert(v) for v in sample))
    if isinstance(sample, (tuple, list)):
        return type(sample)(default_convert(v) for v in sample)
    return sample
