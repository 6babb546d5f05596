"""Samplers: the order in which a DataLoader visits a dataset (PyTorch semantics).

A sampler is an iterable of dataset indices; a batch sampler an iterable of
lists of indices. Random samplers draw from `generator` (a gu.Generator) when
given, else from groundup's shared generator, so `gu.manual_seed` fixes them.

    SequentialSampler(ds)                0, 1, ..., len(ds) - 1
    RandomSampler(ds)                    a new permutation on every pass
    RandomSampler(ds, replacement=True)  len(ds) (or num_samples) draws with replacement
    SubsetRandomSampler(indices)         a permutation of the given indices
    WeightedRandomSampler(w, n)          n draws with probability proportional to w
    BatchSampler(sampler, 32, False)     the sampler's indices in lists of 32
"""

import numbers

import numpy as np

from ..random import _numpy_rng

__all__ = ["Sampler", "SequentialSampler", "RandomSampler", "SubsetRandomSampler",
           "WeightedRandomSampler", "BatchSampler"]


def _positive_int(value, name, where):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
        raise ValueError(f"{where}: {name} should be a positive integer value, but got "
                         f"{name}={value!r}")
    return int(value)


def _check_bool(value, name, where, error=ValueError):
    if not isinstance(value, bool):
        raise error(f"{where}: {name} should be a boolean value, but got {name}={value!r}")
    return value


class Sampler:
    """Base class: subclasses define `__iter__` (indices) and, when they can, `__len__`."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__")


class SequentialSampler(Sampler):
    """The indices 0 .. len(data_source) - 1 in order."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """Random indices: a fresh permutation each pass, or draws with replacement.

    Args:
        data_source: the dataset (only its length is used).
        replacement: draw `num_samples` indices independently (with repeats).
        num_samples: how many indices per pass (default len(data_source)); without
            replacement, more than len(data_source) gives whole permutations one
            after the other, then part of one, as in PyTorch.
        generator: a gu.Generator, or None for the shared generator.
    """

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        self.data_source = data_source
        self.replacement = _check_bool(replacement, "replacement", "RandomSampler", TypeError)
        self._num_samples = num_samples
        self.generator = generator
        _numpy_rng(generator, "RandomSampler: generator")
        if num_samples is not None:
            _positive_int(num_samples, "num_samples", "RandomSampler")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else int(self._num_samples)

    def _indices(self, rng):
        """This pass's indices (an int64 array) drawn from the np.random.Generator `rng`."""
        n, k = len(self.data_source), self.num_samples
        if n == 0:
            if self._num_samples is not None:
                raise ValueError("RandomSampler: cannot draw samples from an empty dataset")
            return np.empty(0, np.int64)
        if self.replacement:
            return rng.integers(0, n, size=k, dtype=np.int64)
        parts = [rng.permutation(n) for _ in range(k // n)]
        if k % n:
            parts.append(rng.permutation(n)[:k % n])
        return np.concatenate(parts).astype(np.int64, copy=False)

    def __iter__(self):
        return iter(self._indices(_numpy_rng(self.generator)).tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices in a random order (a new one every pass)."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = generator
        _numpy_rng(generator, "SubsetRandomSampler: generator")

    def __iter__(self):
        order = _numpy_rng(self.generator).permutation(len(self.indices))
        return (self.indices[i] for i in order.tolist())

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """`num_samples` indices drawn with probability proportional to `weights`.

    weights: a 1-d sequence of non-negative numbers (they need not sum to 1).
    replacement: True draws independently; False draws each index at most once
    (then num_samples may not exceed the number of non-zero weights).
    """

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        where = "WeightedRandomSampler"
        self.num_samples = _positive_int(num_samples, "num_samples", where)
        self.replacement = _check_bool(replacement, "replacement", where)
        w = np.asarray(getattr(weights, "array", weights), dtype=np.float64)
        if w.ndim != 1:
            raise ValueError(f"{where}: weights should be a 1d sequence but given weights have "
                             f"shape {w.shape}")
        if w.size == 0 or not np.all(np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
            raise ValueError(f"{where}: weights must be finite, non-negative and not all zero; "
                             f"got {w.size} weights with min {w.min() if w.size else None}, "
                             f"sum {w.sum()}")
        nonzero = int(np.count_nonzero(w))
        if not replacement and self.num_samples > nonzero:
            raise ValueError(f"{where}: cannot draw num_samples={self.num_samples} without "
                             f"replacement from {nonzero} non-zero weights")
        self.weights = w
        self.generator = generator
        _numpy_rng(generator, f"{where}: generator")

    def __iter__(self):
        rng = _numpy_rng(self.generator)
        p = self.weights / self.weights.sum()
        draws = rng.choice(len(p), size=self.num_samples, replace=self.replacement, p=p)
        return iter(draws.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """The indices of `sampler` in lists of `batch_size` (the last one shorter unless drop_last).

    Example:
        list(BatchSampler(SequentialSampler(range(10)), batch_size=3, drop_last=False))
        # [[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]
    """

    def __init__(self, sampler, batch_size, drop_last):
        self.batch_size = _positive_int(batch_size, "batch_size", "BatchSampler")
        self.drop_last = _check_bool(drop_last, "drop_last", "BatchSampler")
        self.sampler = sampler

    def __iter__(self):
        batch = []
        for index in self.sampler:
            batch.append(index)
            if len(batch) == self.batch_size:
                yield batch
                batch = []
        if batch and not self.drop_last:
            yield batch

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
