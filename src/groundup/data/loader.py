"""DataLoader: batching, shuffling (seeded, resumable) and collation into Tensors.

Iterating a DataLoader is one epoch. With `shuffle=True` each epoch draws a
new permutation, from the loader's own np.random.Generator when `seed` is
given, else from groundup's shared generator (so `gu.manual_seed` fixes it).
`state_dict()` records where the shuffling stands, including a position
inside an unfinished epoch, so a resumed run sees the very batches an
uninterrupted one would.

A TensorDataset (or a Subset of one, or a bare array/Tensor) is batched with
one fancy index per array; any other dataset is read item by item and the
items are stacked by `default_collate` (or your `collate_fn`).
"""

import collections.abc
import numbers

import numpy as np

from ..backend import array_module
from ..random import get_generator
from ..tensor import Tensor, _convert
from .dataset import Subset, TensorDataset, _take

__all__ = ["DataLoader", "default_collate"]

_BIT_GENERATORS = {
    "PCG64": np.random.PCG64, "PCG64DXSM": np.random.PCG64DXSM,
    "Philox": np.random.Philox, "SFC64": np.random.SFC64,
}


def _generator_from_state(state, where):
    """A new Generator whose bit generator is in `state` (a bit_generator.state dict)."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in _BIT_GENERATORS:
        raise ValueError(
            f"{where}: not a generator state (expected a dict with 'bit_generator' one of "
            f"{sorted(_BIT_GENERATORS)}); got {state!r:.80}"
        )
    bit_generator = _BIT_GENERATORS[name]()
    try:
        bit_generator.state = state
    except (TypeError, ValueError, KeyError) as e:
        raise ValueError(f"{where}: invalid {name} state: {e}") from None
    return np.random.Generator(bit_generator)


# ------------------------------------------------------------------- collation
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
        return Tensor._wrap(_convert(_stack(arrays, where)))
    if isinstance(first, numbers.Number) and not isinstance(first, complex):
        _check_all(samples, numbers.Number, where, "a number")
        return Tensor._wrap(_convert(np.array(samples)))  # int -> int64, float -> float32
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


def _array_source(dataset):
    """(arrays, index map or None) when batches can be cut by fancy indexing, else None."""
    kind = type(dataset)
    if isinstance(dataset, TensorDataset) and kind.__getitem__ is TensorDataset.__getitem__:
        return dataset.arrays, None
    if isinstance(dataset, Subset) and kind.__getitem__ is Subset.__getitem__:
        inner = _array_source(dataset.dataset)
        if inner is not None:
            arrays, index = inner
            return arrays, (dataset.indices if index is None else index[dataset.indices])
    return None


# ------------------------------------------------------------------ the loader
class DataLoader:
    """Iterate over `dataset` in batches of `batch_size`.

    Args:
        dataset: a Dataset (anything with __getitem__ and __len__), or a NumPy
            array / Tensor (then each batch is one Tensor).
        batch_size: samples per batch (the last batch may be smaller).
        shuffle: a new random order every epoch.
        drop_last: drop the last batch when it is smaller than batch_size.
        seed: an int gives the loader its own np.random.Generator (the same
            sequence of epoch orders on every run); None draws from the shared
            generator (reproducible under gu.manual_seed).
        collate_fn: turns a list of samples into a batch (default_collate).

    `len(loader)` is the number of batches per epoch. Batches are fresh
    arrays: changing one never changes the dataset. state_dict() /
    load_state_dict() save and restore the shuffling (JSON-serialisable).

    Example:
        loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True, seed=0)
        for xb, yb in loader: ...
    """

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, seed=None,
                 collate_fn=None):
        self._single = isinstance(dataset, (np.ndarray, Tensor))
        if self._single:
            dataset = TensorDataset(dataset)
        elif not (hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(
                f"DataLoader: dataset must support len() and indexing (a Dataset, a list, an "
                f"array); got {type(dataset).__name__}"
            )
        if isinstance(batch_size, bool) or not isinstance(batch_size, numbers.Integral) \
                or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive int; got {batch_size!r}")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"DataLoader: seed must be an int or None; got {seed!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = bool(shuffle)
        self.drop_last = bool(drop_last)
        self.seed = None if seed is None else int(seed)
        self.collate_fn = collate_fn
        self.generator = None if seed is None else np.random.default_rng(self.seed)
        self._source = _array_source(dataset) if collate_fn is None else None
        self.epochs_completed = 0
        self._run = 0            # id of the latest iterator; only it updates the state
        self._in_epoch = False
        self._position = 0       # batches handed out in the running epoch
        self._epoch_state = None  # generator state before the running epoch's permutation
        self._resume = None

    def __len__(self):
        n = len(self.dataset)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)

    def __repr__(self):
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, seed={self.seed})")

    # ---------------------------------------------------------------- epochs
    def _begin_epoch(self, n):
        epoch_state, start = self._resume if self._resume is not None else (None, 0)
        self._resume = None
        order = None
        if self.shuffle:
            if epoch_state is None:
                gen = self.generator if self.generator is not None else get_generator()
            elif self.generator is not None:
                self.generator.bit_generator.state = epoch_state
                gen = self.generator
            else:
                # the shared generator itself is restored by the checkpoint's RNG state;
                # only this epoch's permutation is redrawn, from a private copy
                gen = _generator_from_state(epoch_state, "DataLoader")
            self._epoch_state = gen.bit_generator.state
            order = gen.permutation(n)
        else:
            self._epoch_state = None
        self._in_epoch = True
        self._position = start
        self._run += 1
        return order, start, self._run

    def __iter__(self):
        n = len(self.dataset)
        order, start, run = self._begin_epoch(n)
        return self._batches(order, start, run, n)

    def _batches(self, order, start, run, n):
        bs = self.batch_size
        for b in range(start, len(self)):
            if order is None:
                selection = slice(b * bs, min((b + 1) * bs, n))
            else:
                selection = order[b * bs:(b + 1) * bs]
            batch = self._fetch(selection)
            if run == self._run:
                self._position = b + 1
            yield batch
        if run == self._run:
            self.epochs_completed += 1
            self._in_epoch = False
            self._position = 0
            self._epoch_state = None

    def _fetch(self, selection):
        if self._source is not None:
            arrays, index = self._source
            if index is not None:
                selection = index[selection]
            batch = tuple(Tensor._wrap(_take(a, selection)) for a in arrays)
            return batch[0] if self._single else batch
        if isinstance(selection, slice):
            indices = range(selection.start, selection.stop)
        else:
            indices = selection.tolist()
        samples = [self.dataset[i] for i in indices]
        return (self.collate_fn or default_collate)(samples)

    # ----------------------------------------------------------------- state
    def state_dict(self):
        """Where the shuffling stands, as a JSON-serialisable dict.

        Keys: seed, batch_size, length (samples), epochs_completed, in_epoch,
        position (batches already yielded in the running epoch), generator
        (the own generator's state, None when the shared one is used) and
        epoch_generator (the state the running epoch's order was drawn from).
        """
        return {
            "seed": self.seed,
            "batch_size": self.batch_size,
            "length": len(self.dataset),
            "shuffle": self.shuffle,
            "epochs_completed": self.epochs_completed,
            "in_epoch": self._in_epoch,
            "position": self._position if self._in_epoch else 0,
            "generator": None if self.generator is None else self.generator.bit_generator.state,
            "epoch_generator": self._epoch_state if self._in_epoch else None,
        }

    def _check_state(self, state):
        """Validate a state_dict() for this loader: (generator or None, epoch state, position)."""
        where = "DataLoader.load_state_dict"
        if not isinstance(state, dict):
            raise TypeError(f"{where}: expected a dict from state_dict(); got "
                            f"{type(state).__name__}")
        missing = {"batch_size", "length", "epochs_completed", "in_epoch", "position",
                   "generator", "epoch_generator"} - set(state)
        if missing:
            raise ValueError(f"{where}: the state lacks {sorted(missing)}")
        if state["batch_size"] != self.batch_size or state["length"] != len(self.dataset):
            raise ValueError(
                f"{where}: the state is for batch_size={state['batch_size']} over "
                f"{state['length']} samples; this loader has batch_size={self.batch_size} over "
                f"{len(self.dataset)}"
            )
        if state.get("shuffle", self.shuffle) != self.shuffle:
            raise ValueError(f"{where}: the state is for shuffle={state['shuffle']}; this loader "
                             f"has shuffle={self.shuffle}")
        position = int(state["position"])
        if not 0 <= position <= len(self):
            raise ValueError(f"{where}: position {position} is outside 0..{len(self)}")
        generator = None
        if state["generator"] is not None:
            generator = _generator_from_state(state["generator"], where)
        if state["epoch_generator"] is not None:
            _generator_from_state(state["epoch_generator"], where)
        return generator, state["epoch_generator"], position

    def load_state_dict(self, state):
        """Restore a state_dict(): the next iteration continues exactly where that run was.

        When the state was taken inside an epoch, the next `iter()` redraws that
        epoch's order and starts after the batches already yielded. The state
        decides the generator: one saved with an own generator gives this
        loader one, a state without gives the shared generator.
        """
        generator, epoch_state, position = self._check_state(state)  # all checks first
        self.generator = generator
        self.seed = state.get("seed", self.seed) if generator is not None else None
        self.epochs_completed = int(state["epochs_completed"])
        self._in_epoch = False
        self._position = 0
        self._epoch_state = None
        self._run += 1  # iterators started before the load no longer update the state
        self._resume = (epoch_state, position) if state["in_epoch"] else None
