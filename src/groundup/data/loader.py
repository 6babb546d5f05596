"""DataLoader: batching, shuffling (seeded, resumable), collation and worker processes.

Iterating a DataLoader is one epoch. The order comes from a sampler (PyTorch's
arguments: `shuffle`, `sampler`, `batch_sampler`); with `shuffle=True` each
epoch draws a new permutation from the loader's `generator` (a gu.Generator;
`seed=s` makes one seeded with s), else from groundup's shared generator (so
`gu.manual_seed` fixes it). `state_dict()` records where the shuffling
stands, including a position inside an unfinished epoch, so a resumed run
sees the very batches an uninterrupted one would.

A TensorDataset (or a Subset of one, or a bare array/Tensor) is batched with
one fancy index per array; any other dataset is read item by item and the
items are stacked by `default_collate` (or your `collate_fn`). With
`num_workers > 0` the reading and collating happen in forked worker processes
(pool.py, workers.py) and the batches are the same, in the same order.
"""

import numbers

import numpy as np

from ..random import Generator as _Generator
from ..random import _generator_from_state, _numpy_rng
from ..tensor import Tensor
from .collate import default_collate, default_convert
from .dataset import IterableDataset, Subset, TensorDataset, _take
from .distributed_sampler import DistributedSampler
from .options import check_options
from .pool import WorkerPool, base_seed, fork_context
from .samplers import BatchSampler, RandomSampler, SequentialSampler

__all__ = ["DataLoader", "default_collate", "default_convert"]


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
    """Iterate over `dataset` in batches, as torch.utils.data.DataLoader.

    Args:
        dataset: a Dataset (anything with __getitem__ and __len__), an
            IterableDataset, or a NumPy array / Tensor (then each batch is one Tensor).
        batch_size: samples per batch (the last batch may be smaller); None
            turns batching off: each sample is yielded, converted by default_convert.
        shuffle: a new random order every epoch (a RandomSampler).
        sampler: the order of the samples (a Sampler, or any iterable of indices).
        batch_sampler: the batches of indices themselves (excludes batch_size,
            shuffle, sampler and drop_last).
        num_workers: 0 loads in the main process; n > 0 forks n worker processes
            that read and collate batches (same batches, same order). Batches come
            back as raw arrays, never pickled, so they may hold only Tensors, NumPy
            arrays and scalars, numbers, strings, bytes and None, in tuples, lists
            and dicts.
        collate_fn: turns a list of samples into a batch (default_collate).
        pin_memory: accepted for compatibility; a no-op (there is no GPU memory to pin for).
        drop_last: drop the last batch when it is smaller than batch_size.
        timeout: seconds to wait for a batch from a worker (0: no limit).
        worker_init_fn: called as worker_init_fn(worker_id) in each new worker.
        multiprocessing_context: None or 'fork' (the only start method).
        generator: a gu.Generator the shuffling draws from (None: the shared one).
        prefetch_factor: batches each worker prepares ahead (default 2 with workers).
        persistent_workers: keep the workers alive from one epoch to the next.
        seed: an int: shorthand for generator=gu.Generator().manual_seed(seed).

    Each worker's groundup, `random` and NumPy legacy generators are seeded
    with a seed of its own (get_worker_info().seed), derived from the
    loader's generator state without drawing from it, so the order is the same
    whatever num_workers is. `len(loader)` is the number of batches per epoch.
    Batches are fresh arrays: changing one never changes the dataset.
    state_dict() / load_state_dict() save and restore the order (JSON-serialisable).

    Example:
        loader = DataLoader(TensorDataset(X, y), batch_size=64, shuffle=True, seed=0)
        for xb, yb in loader: ...
    """

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 in_order=True, seed=None):
        self._single = isinstance(dataset, (np.ndarray, Tensor))
        if self._single:
            dataset = TensorDataset(dataset)
        elif not isinstance(dataset, IterableDataset) and not (
                hasattr(dataset, "__getitem__") and hasattr(dataset, "__len__")):
            raise TypeError(
                f"DataLoader: dataset must support len() and indexing (a Dataset, a list, an "
                f"array) or be an IterableDataset; got {type(dataset).__name__}"
            )
        check_options(dataset, batch_size, shuffle, sampler, batch_sampler, drop_last,
                       num_workers, timeout, prefetch_factor, persistent_workers,
                       multiprocessing_context)
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, numbers.Integral)):
            raise TypeError(f"DataLoader: seed must be an int or None; got {seed!r}")
        if seed is not None and generator is not None:
            raise ValueError("DataLoader: pass generator= or seed=, not both")
        _numpy_rng(generator, "DataLoader: generator")
        self._iterable = isinstance(dataset, IterableDataset)
        if num_workers:
            fork_context()
        self.dataset = dataset
        self.seed = None if seed is None else int(seed)
        self.generator = _Generator().manual_seed(self.seed) if seed is not None else generator
        self.shuffle = bool(shuffle)
        self.num_workers = int(num_workers)
        self.pin_memory = bool(pin_memory)  # no-op: arrays live in ordinary memory
        self.pin_memory_device, self.in_order = pin_memory_device, in_order  # results stay in order
        self.timeout = timeout
        self.worker_init_fn = worker_init_fn
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor if prefetch_factor or not num_workers else 2
        self.persistent_workers = bool(persistent_workers)
        self._own_sampler = sampler is None
        if batch_sampler is not None:
            batch_size, drop_last = None, False
        if self._iterable:
            sampler = None
        elif sampler is None:
            sampler = (RandomSampler(dataset, generator=self.generator) if self.shuffle
                       else SequentialSampler(dataset))
        if batch_sampler is None and batch_size is not None and not self._iterable:
            batch_sampler = BatchSampler(sampler, int(batch_size), bool(drop_last))
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.batch_size = None if batch_size is None else int(batch_size)
        self.drop_last = bool(drop_last)
        self._auto = self.batch_size is not None or batch_sampler is not None
        self.collate_fn = collate_fn or (default_collate if self._auto else default_convert)
        fast = self._auto and self.collate_fn is default_collate and not self._iterable
        self._source = _array_source(dataset) if fast else None
        self._pool = None
        self.epochs_completed = 0
        self._run = 0            # id of the latest iterator; only it updates the state
        self._in_epoch = False
        self._position = 0       # batches handed out in the running epoch
        self._epoch_state = None  # generator state before the running epoch's permutation
        self._resume = None

    def __len__(self):
        if self._iterable:
            try:
                n = len(self.dataset)
            except (TypeError, NotImplementedError):
                raise TypeError(f"DataLoader: the IterableDataset {type(self.dataset).__name__} "
                                f"has no __len__, so neither has the loader") from None
            if self.batch_size is None:
                return n
            return n // self.batch_size if self.drop_last else -(-n // self.batch_size)
        return len(self.batch_sampler if self.batch_sampler is not None else self.sampler)

    def _length(self):
        """len(dataset), or None for a stream without a length."""
        try:
            return len(self.dataset)
        except (TypeError, NotImplementedError):
            return None

    def __repr__(self):
        return (f"DataLoader({type(self.dataset).__name__} of {self._length()}, "
                f"batch_size={self.batch_size}, shuffle={self.shuffle}, "
                f"drop_last={self.drop_last}, seed={self.seed}, num_workers={self.num_workers})")

    # ---------------------------------------------------------------- epochs
    def _plan(self):
        """(sampler, batch_size, drop_last) when the order is one resumable array, else None."""
        if self._iterable:
            return None
        if self.batch_sampler is None:
            sampler, batch_size, drop_last = self.sampler, None, False
        elif type(self.batch_sampler) is BatchSampler:
            bs = self.batch_sampler
            sampler, batch_size, drop_last = bs.sampler, bs.batch_size, bs.drop_last
        else:
            return None
        if type(sampler) not in (SequentialSampler, RandomSampler, DistributedSampler):
            return None
        return sampler, batch_size, drop_last

    def _order_generator(self):
        """The generator the order is drawn from (None: the shared one or no randomness)."""
        plan = self._plan()
        if plan is not None and isinstance(plan[0], RandomSampler):
            return plan[0].generator
        return self.generator

    def _begin_epoch(self, sampler):
        epoch_state, start = self._resume if self._resume is not None else (None, 0)
        self._resume = None
        order = None
        if isinstance(sampler, RandomSampler):
            if epoch_state is None:
                rng = _numpy_rng(sampler.generator)
            elif sampler.generator is not None:
                rng = _numpy_rng(sampler.generator)
                rng.bit_generator.state = epoch_state
            else:
                # the shared generator itself is restored by the checkpoint's RNG state;
                # only this epoch's permutation is redrawn, from a private copy
                rng = _generator_from_state(epoch_state, "DataLoader")
            self._epoch_state = rng.bit_generator.state
            order = sampler._indices(rng)
        elif isinstance(sampler, DistributedSampler):  # a function of its seed and epoch
            self._epoch_state = None
            order = sampler._indices()
        else:
            self._epoch_state = None
        self._in_epoch = True
        self._position = start
        self._run += 1
        return order, start

    def __iter__(self):
        plan = self._plan()
        if plan is None:
            self._resume, self._epoch_state = None, None
            self._in_epoch, self._position, start = True, 0, 0
            self._run += 1
            selections = None if self._iterable else \
                iter(self.batch_sampler if self._auto else self.sampler)
        else:
            order, start = self._begin_epoch(plan[0])
            selections = self._planned(order, start, *plan)
        seed = None
        if self.num_workers:
            seed = base_seed(_numpy_rng(self.generator), ["workers", self.epochs_completed])
        return self._batches(selections, start, self._run, seed)

    def _planned(self, order, start, sampler, batch_size, drop_last):
        """The epoch's index selections from batch `start`; `order` None means 0, 1, ..."""
        n = len(sampler)
        if batch_size is None:
            for b in range(start, n):
                yield b if order is None else int(order[b])
            return
        count = n // batch_size if drop_last else -(-n // batch_size)
        for b in range(start, count):
            lo, hi = b * batch_size, min((b + 1) * batch_size, n)
            yield slice(lo, hi) if order is None else order[lo:hi]

    def _batches(self, selections, start, run, seed):
        if self.num_workers == 0:
            source = self._stream() if selections is None else map(self._fetch, selections)
        else:
            source = self._from_workers(selections, run, seed)
        for b, batch in enumerate(source, start):
            if run == self._run:
                self._position = b + 1
            yield batch
        if run == self._run:
            self.epochs_completed += 1
            self._in_epoch = False
            self._position = 0
            self._epoch_state = None

    # ----------------------------------------------------------- fetching
    def _fetch(self, selection):
        """The batch (or, without batching, the sample) at `selection`."""
        if not self._auto:
            item = self.collate_fn(self.dataset[selection])
            return item[0] if self._single and self.collate_fn is default_convert else item
        if self._source is not None:
            arrays, index = self._source
            if not isinstance(selection, slice):
                selection = np.asarray(selection, dtype=np.int64)
            if index is not None:
                selection = index[selection]
            batch = tuple(Tensor._wrap(_take(a, selection)) for a in arrays)
            return batch[0] if self._single else batch
        if isinstance(selection, slice):
            indices = list(range(selection.start, selection.stop))
        else:
            indices = np.asarray(selection).tolist() if isinstance(selection, np.ndarray) \
                else list(selection)
        getitems = getattr(self.dataset, "__getitems__", None)
        samples = getitems(indices) if getitems is not None else \
            [self.dataset[i] for i in indices]
        return self.collate_fn(samples)

    def _fetch_task(self, indices):
        """A worker's fetch: `indices` is the int64 array the main process sent."""
        return self._fetch(indices if self._auto else int(indices[0]))

    def _stream(self):
        """The batches of an IterableDataset, read in order (one pass)."""
        items = iter(self.dataset)
        if not self._auto:
            for item in items:
                yield self.collate_fn(item)
            return
        while True:
            samples = [item for _, item in zip(range(self.batch_size), items)]
            if not samples or (self.drop_last and len(samples) < self.batch_size):
                return
            yield self.collate_fn(samples)

    # ------------------------------------------------------------ workers
    def _workers(self, seed):
        if self._pool is not None and not self._pool.closed:
            return self._pool
        pool = WorkerPool(self.num_workers, self.dataset, self._fetch_task, self._stream,
                          self.worker_init_fn, seed, self.timeout)
        if self.persistent_workers:
            self._pool = pool
        return pool

    def _from_workers(self, selections, run, seed):
        """The epoch's batches from the worker processes, in order."""
        pool = self._workers(seed)
        try:
            yield from pool.batches(selections, run, self.num_workers * self.prefetch_factor,
                                    lambda: run == self._run or not self.persistent_workers)
        except BaseException as e:
            if not isinstance(e, GeneratorExit) and pool is self._pool and run == self._run:
                self._pool = None  # persistent workers restart after an error
                pool.shutdown()
            raise
        finally:
            if pool is not self._pool:
                pool.shutdown()

    def __del__(self):
        pool = getattr(self, "_pool", None)
        if pool is not None:
            pool.shutdown()

    # ----------------------------------------------------------------- state
    def state_dict(self):
        """Where the order stands, as a JSON-serialisable dict.

        Keys: seed, batch_size, length (samples), epochs_completed, in_epoch,
        position (batches already yielded in the running epoch), generator
        (the own generator's state, None when the shared one is used) and
        epoch_generator (the state the running epoch's order was drawn from).
        """
        generator = self._order_generator()
        return {
            "seed": self.seed,
            "batch_size": self.batch_size,
            "length": self._length(),
            "shuffle": self.shuffle,
            "epochs_completed": self.epochs_completed,
            "in_epoch": self._in_epoch,
            "position": self._position if self._in_epoch else 0,
            "generator": None if generator is None else _numpy_rng(generator).bit_generator.state,
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
        if state["batch_size"] != self.batch_size or state["length"] != self._length():
            raise ValueError(
                f"{where}: the state is for batch_size={state['batch_size']} over "
                f"{state['length']} samples; this loader has batch_size={self.batch_size} over "
                f"{self._length()}"
            )
        if state.get("shuffle", self.shuffle) != self.shuffle:
            raise ValueError(f"{where}: the state is for shuffle={state['shuffle']}; this loader "
                             f"has shuffle={self.shuffle}")
        if state["in_epoch"] and self._plan() is None:
            kind = "an IterableDataset" if self._iterable else \
                type(self.batch_sampler if self._auto else self.sampler).__name__
            raise ValueError(f"{where}: the state is inside an epoch, and this loader's order "
                             f"comes from {kind}, which cannot resume mid-epoch; resume "
                             f"at an epoch boundary, or use shuffle= (or a RandomSampler / "
                             f"SequentialSampler)")
        position = int(state["position"])
        if state["in_epoch"] and not 0 <= position <= len(self):
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
        loader one (restored in place when it has one), a state without gives
        the shared generator.
        """
        rng, epoch_state, position = self._check_state(state)  # all checks first
        self._set_generator(rng)
        self.seed = state.get("seed", self.seed) if rng is not None else None
        self.epochs_completed = int(state["epochs_completed"])
        self._in_epoch = False
        self._position = 0
        self._epoch_state = None
        self._run += 1  # iterators started before the load no longer update the state
        self._resume = (epoch_state, position) if state["in_epoch"] else None

    def _set_generator(self, rng):
        """Make the order's generator draw from the np.random.Generator `rng` (None: shared)."""
        current = self._order_generator()
        if rng is None:
            generator = None
        elif isinstance(current, _Generator):
            current._rng, generator = rng, current
        elif isinstance(current, np.random.Generator):
            current.bit_generator.state, generator = rng.bit_generator.state, current
        else:
            generator = _Generator()
            generator._rng = rng
        if self._own_sampler or current is self.generator:
            self.generator = generator
        plan = self._plan()
        if self._own_sampler and plan is not None and isinstance(plan[0], RandomSampler):
            plan[0].generator = generator

