"""Datasets: the collections a DataLoader draws batches from (PyTorch semantics).

A map-style dataset is anything with `__getitem__(i)` and `__len__()`.
`TensorDataset` wraps equal-length arrays and is what the loader's fast path
batches with one fancy index per array; `Subset`, `ConcatDataset` and
`random_split` compose datasets without copying their data. An
`IterableDataset` is a stream: it defines `__iter__` instead, and a loader
reads it in order (`ChainDataset` joins several).
"""

import bisect
import math
import numbers

import numpy as np

from ..random import _numpy_rng, get_generator
from ..tensor import Tensor, as_array

__all__ = ["Dataset", "IterableDataset", "TensorDataset", "Subset", "ConcatDataset",
           "ChainDataset", "random_split"]


class Dataset:
    """Base class: subclasses define `__getitem__(index)` and `__len__()`.

    `a + b` concatenates two datasets (a ConcatDataset).
    """

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """Base class for streams: subclasses define `__iter__()` (and `__len__` if they know it).

    A DataLoader reads it in order, so it takes no sampler and no shuffle.
    With num_workers > 0 every worker iterates its own copy of the dataset:
    shard the stream inside `__iter__` with `get_worker_info()` (its `id` and
    `num_workers`), or each item arrives once per worker. `a + b` chains two
    streams (a ChainDataset).
    """

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")

    def __getitem__(self, index):
        raise TypeError(f"{type(self).__name__} is an IterableDataset: iterate it, it cannot be "
                        f"indexed")

    def __add__(self, other):
        return ChainDataset([self, other])


class ChainDataset(IterableDataset):
    """Several IterableDatasets read one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        for i, d in enumerate(self.datasets):
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset only chains IterableDatasets; dataset {i} is a "
                                f"{type(d).__name__}")

    def __iter__(self):
        for d in self.datasets:
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


def _as_array(value, position):
    """A backend array for TensorDataset, with gu.tensor's dtype rules (float64 -> float32)."""
    if isinstance(value, Tensor):
        return value.array  # a Tensor already carries the dtype it was made with
    try:
        return as_array(value)
    except TypeError as e:
        raise TypeError(f"TensorDataset: argument {position}: {e}") from None


class TensorDataset(Dataset):
    """Equal-length arrays (NumPy arrays or Tensors) indexed together along the first axis.

    `TensorDataset(X, y)[i]` is `(X[i], y[i])` as Tensors. NumPy float64 arrays
    become float32 once, here (gu.tensor's rule), so batches never need
    converting; Tensors keep their dtype; integer arrays stay integer. The
    arrays are not copied otherwise.

    Example:
        ds = TensorDataset(X, y)            # X: (N, D) float, y: (N,) int
        loader = DataLoader(ds, batch_size=32, shuffle=True, seed=0)
    """

    def __init__(self, *arrays):
        if not arrays:
            raise ValueError("TensorDataset needs at least one array")
        self.arrays = tuple(_as_array(a, i) for i, a in enumerate(arrays))
        for i, a in enumerate(self.arrays):
            if a.ndim == 0:
                raise ValueError(
                    f"TensorDataset: argument {i} is 0-d (a scalar); every array needs a first "
                    f"(sample) dimension"
                )
        lengths = [a.shape[0] for a in self.arrays]
        if len(set(lengths)) > 1:
            shapes = ", ".join(f"argument {i}: {tuple(a.shape)}" for i, a in enumerate(self.arrays))
            raise ValueError(
                f"TensorDataset: all arrays must have the same first dimension (number of "
                f"samples); got {shapes}"
            )

    @property
    def tensors(self):
        """The arrays as Tensors (sharing memory), as PyTorch's `.tensors`."""
        return tuple(Tensor._wrap(a) for a in self.arrays)

    def __getitem__(self, index):
        if isinstance(index, numbers.Integral):
            n = len(self)
            if not -n <= index < n:
                raise IndexError(f"TensorDataset index {index} out of range for length {n}")
            return tuple(Tensor._wrap(a[index, ...]) for a in self.arrays)
        # a slice, an index array or a boolean mask: a batch at once (a copy, as a loader batch)
        return tuple(Tensor._wrap(_take(a, index)) for a in self.arrays)

    def __len__(self):
        return self.arrays[0].shape[0]

    def __repr__(self):
        shapes = ", ".join(f"{tuple(a.shape)} {a.dtype}" for a in self.arrays)
        return f"TensorDataset({shapes})"


def _take(array, index):
    """array[index] along the first axis as a fresh array (index on the array's device)."""
    if isinstance(index, slice):
        return array[index].copy()
    if type(array) is not np.ndarray:  # CuPy wants its own index arrays
        from ..backend import array_module

        index = array_module(array).asarray(index)
    return array[index]


class Subset(Dataset):
    """The items of `dataset` at `indices` (in that order); no data is copied."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        idx = np.asarray(indices)
        if idx.dtype == np.bool_:
            idx = np.flatnonzero(idx)
        if idx.ndim != 1 or (idx.size and idx.dtype.kind not in "iu"):
            raise TypeError(
                f"Subset: indices must be a 1-d sequence of integers; got shape {idx.shape}, "
                f"dtype {idx.dtype}"
            )
        self.indices = idx.astype(np.int64, copy=False)
        n = len(dataset)
        if idx.size and (self.indices.min() < -n or self.indices.max() >= n):
            raise IndexError(
                f"Subset: indices must lie in [-{n}, {n}) for a dataset of length {n}; got "
                f"min {self.indices.min()}, max {self.indices.max()}"
            )

    def __getitem__(self, index):
        if isinstance(index, numbers.Integral):
            return self.dataset[int(self.indices[index])]
        return self.dataset[self.indices[index]]

    def __len__(self):
        return len(self.indices)

    def __repr__(self):
        return f"Subset({len(self)} of {type(self.dataset).__name__} of {len(self.dataset)})"


class ConcatDataset(Dataset):
    """Several datasets one after the other: item i comes from the dataset it falls in."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset needs at least one dataset")
        for i, d in enumerate(self.datasets):
            if isinstance(d, IterableDataset):
                raise TypeError(f"ConcatDataset does not support IterableDataset (dataset {i} is "
                                f"a {type(d).__name__}); use ChainDataset")
        self.cumulative_sizes = []
        total = 0
        for d in self.datasets:
            total += len(d)
            self.cumulative_sizes.append(total)

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if not isinstance(index, numbers.Integral):
            raise TypeError(
                f"ConcatDataset indices must be integers, not {type(index).__name__}"
            )
        n = len(self)
        if not -n <= index < n:
            raise IndexError(f"ConcatDataset index {index} out of range for length {n}")
        if index < 0:
            index += n
        k = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[k - 1] if k else 0
        return self.datasets[k][index - start]


def _generator(seed):
    """A Generator for `seed`: None -> the shared one; an int -> a fresh one; a Generator as is."""
    if seed is None:
        return get_generator()
    if isinstance(seed, np.random.Generator):
        return seed
    if isinstance(seed, numbers.Integral) and not isinstance(seed, bool):
        return np.random.default_rng(int(seed))
    raise TypeError(f"seed must be None, an int or a np.random.Generator; got {seed!r}")


def _split_lengths(n, lengths):
    """Integer lengths from `lengths` (ints summing to n, or fractions summing to 1)."""
    lengths = list(lengths)
    if not lengths:
        raise ValueError("random_split: lengths is empty")
    if all(isinstance(v, numbers.Integral) for v in lengths):
        if any(v < 0 for v in lengths) or sum(lengths) != n:
            raise ValueError(
                f"random_split: lengths {lengths} must be non-negative and sum to the "
                f"dataset's length {n} (sum is {sum(lengths)})"
            )
        return [int(v) for v in lengths]
    fractions = [float(v) for v in lengths]
    if any(not 0.0 <= f <= 1.0 for f in fractions) or not math.isclose(sum(fractions), 1.0,
                                                                          abs_tol=1e-6):
        raise ValueError(
            f"random_split: fractions {lengths} must lie in [0, 1] and sum to 1 "
            f"(sum is {sum(fractions)}); or pass integer lengths summing to {n}"
        )
    sizes = [math.floor(n * f) for f in fractions]
    for i in range(n - sum(sizes)):  # PyTorch's rule: the remainder goes round-robin
        sizes[i % len(sizes)] += 1
    return sizes


def random_split(dataset, lengths, generator=None, seed=None):
    """Split `dataset` into non-overlapping random Subsets of the given lengths.

    lengths: integers summing to len(dataset), or fractions summing to 1 (each
    part gets floor(n * f) items; the remainder is dealt one at a time from the
    first part on, as in PyTorch). generator: a gu.Generator to draw the split
    from (PyTorch's argument); seed: an int (a fixed split) or a
    np.random.Generator. With neither, the split draws from the shared
    generator (reproducible under gu.manual_seed).
    """
    n = len(dataset)
    sizes = _split_lengths(n, lengths)
    if generator is not None and seed is not None:
        raise ValueError("random_split: pass generator= or seed=, not both")
    if generator is not None:
        if isinstance(generator, numbers.Integral):
            raise TypeError(f"random_split: generator must be a groundup.Generator; got the int "
                            f"{generator} (pass seed={generator} for a fixed split)")
        rng = _numpy_rng(generator, "random_split: generator")
    else:
        rng = _generator(seed)
    order = rng.permutation(n)
    parts, start = [], 0
    for size in sizes:
        parts.append(Subset(dataset, order[start:start + size]))
        start += size
    return parts
