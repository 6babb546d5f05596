"""Tests for groundup/data/workers.py: DataLoader(num_workers > 0) in forked processes.

Worker start-up is the cost here, so each test runs few loaders.
"""

import multiprocessing
import os
import time

import numpy as np
import pytest

import groundup as gu
from groundup.data import (
    BatchSampler,
    DataLoader,
    Dataset,
    IterableDataset,
    TensorDataset,
    WeightedRandomSampler,
    get_worker_info,
)


class Items(Dataset):
    """Dicts of arrays, numbers and strings, read item by item (the generic path)."""

    def __init__(self, n=23):
        self.n = n

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i >= self.n:
            raise IndexError(i)
        return {"x": np.full((2, 2), i, np.float64), "y": i, "name": f"s{i}",
                "pair": (np.int32(i), gu.tensor([float(i)]))}


def _same(a, b):
    if isinstance(a, dict):
        assert a.keys() == b.keys()
        for k in a:
            _same(a[k], b[k])
    elif isinstance(a, (tuple, list)):
        assert type(a) is type(b) and len(a) == len(b)
        for u, v in zip(a, b, strict=True):
            _same(u, v)
    elif isinstance(a, gu.Tensor):
        assert isinstance(b, gu.Tensor) and a.dtype == b.dtype and a.shape == b.shape
        np.testing.assert_array_equal(a.numpy(), b.numpy())
    else:
        assert a == b


def _epochs(loader, k=2):
    return [list(loader) for _ in range(k)]


def _no_workers_left():
    deadline = time.monotonic() + 5
    while multiprocessing.active_children() and time.monotonic() < deadline:
        time.sleep(0.02)
    return not multiprocessing.active_children()


def test_workers_give_the_batches_of_num_workers_0():
    X = np.random.default_rng(0).standard_normal((31, 3))
    cases = [
        (Items(), dict(batch_size=4, shuffle=True, seed=3)),
        (TensorDataset(X, np.arange(31)), dict(batch_size=5, shuffle=True,
                                               generator=gu.Generator().manual_seed(1))),
        (Items(), dict(batch_sampler=BatchSampler(range(22, -1, -2), 3, False))),
        (Items(9), dict(batch_size=None, sampler=WeightedRandomSampler([1.0] * 9, 12))),
        (X, dict(batch_size=8, drop_last=True, persistent_workers=True, prefetch_factor=1)),
    ]
    for ds, kwargs in cases:
        gu.manual_seed(0)  # the weighted sampler draws from the shared generator
        serial = _epochs(DataLoader(ds, **{k: v for k, v in kwargs.items()
                                           if k not in ("persistent_workers", "prefetch_factor")}))
        gu.manual_seed(0)
        if "generator" in kwargs:
            kwargs["generator"] = gu.Generator().manual_seed(1)
        loader = DataLoader(ds, num_workers=2, **kwargs)
        parallel = _epochs(loader)
        _same(serial, parallel)
        assert len(parallel[0]) == len(loader)
        del loader
    assert _no_workers_left()


def test_worker_errors_name_the_worker_and_the_error():
    class Bad(Items):
        def __getitem__(self, i):
            if i == 6:
                raise KeyError("no such item")
            return super().__getitem__(i)

    with pytest.raises(KeyError, match=r"worker process 1.*no such item"):
        list(DataLoader(Bad(), batch_size=2, num_workers=2))

    def init(worker_id):
        raise ValueError(f"bad init {worker_id}")

    with pytest.raises(ValueError, match=r"worker process \d in worker_init_fn: bad init"):
        list(DataLoader(Items(), batch_size=2, num_workers=2, worker_init_fn=init))
    with pytest.raises(TypeError, match=r"batch\[0\] is of type object.*without pickle"):
        list(DataLoader(Items(4), batch_size=2, num_workers=1,
                        collate_fn=lambda samples: [object()]))

    class Slow(Items):
        def __getitem__(self, i):
            time.sleep(0.5 if i == 2 else 0)
            return i

    with pytest.raises(RuntimeError, match="timed out after 0.1 seconds"):
        list(DataLoader(Slow(4), batch_size=1, num_workers=2, timeout=0.1))

    class Dies(Items):
        def __getitem__(self, i):
            os._exit(3)

    with pytest.raises(RuntimeError, match="exited unexpectedly with exit code 3"):
        list(DataLoader(Dies(4), batch_size=2, num_workers=1))
    assert _no_workers_left()


_INIT = {}


def test_worker_init_fn_get_worker_info_and_seeds():
    class WhoAmI(Dataset):
        def __len__(self):
            return 8

        def __getitem__(self, i):
            info = get_worker_info()
            return np.array([info.id, info.num_workers, _INIT["id"], info.seed % 1000,
                             int(gu.randint(0, 10**6, (1,)).item())])

    def init(worker_id):
        _INIT["id"] = worker_id * 10

    assert get_worker_info() is None  # the main process
    runs = []
    for _ in range(2):
        gu.manual_seed(5)
        batches = list(DataLoader(WhoAmI(), batch_size=2, num_workers=2, worker_init_fn=init))
        runs.append(np.concatenate([b.numpy() for b in batches]))
    rows = runs[0]
    assert rows[:, 0].tolist() == [0, 0, 1, 1, 0, 0, 1, 1]  # batch k goes to worker k % 2
    assert (rows[:, 1] == 2).all() and rows[:, 2].tolist() == [0, 0, 10, 10] * 2
    assert rows[0, 3] != rows[2, 3]  # each worker has a seed of its own...
    assert rows[0, 4] != rows[2, 4]  # ...so its random draws differ
    np.testing.assert_array_equal(runs[0], runs[1])  # and all of it is reproducible


def test_iterable_dataset_with_workers():
    class Shards(IterableDataset):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            info = get_worker_info()
            start, step = (0, 1) if info is None else (info.id, info.num_workers)
            return iter(range(start, self.n, step))

    # PyTorch's order: the workers take turns, each batching its own shard
    assert [b.tolist() for b in DataLoader(Shards(10), batch_size=2, num_workers=2)] == \
        [[0, 2], [1, 3], [4, 6], [5, 7], [8], [9]]
    loader = DataLoader(Shards(7), batch_size=2, num_workers=2, drop_last=True,
                        persistent_workers=True)
    for _ in range(2):  # each epoch re-reads the streams
        assert [b.tolist() for b in loader] == [[0, 2], [1, 3], [4, 6]]

    class Unsharded(Shards):
        def __iter__(self):
            return iter(range(self.n))

    # without sharding every worker yields the whole stream, as in PyTorch
    assert sorted(DataLoader(Unsharded(3), batch_size=None, num_workers=2)) == [0, 0, 1, 1, 2, 2]
    del loader
    assert _no_workers_left()


def test_dropping_an_iterator_ends_its_workers():
    loader = DataLoader(Items(40), batch_size=2, num_workers=2)
    it = iter(loader)
    next(it)
    assert len(multiprocessing.active_children()) == 2
    del it
    assert _no_workers_left()
    loader = DataLoader(Items(40), batch_size=2, num_workers=2, persistent_workers=True)
    list(loader)
    first = sorted(p.pid for p in multiprocessing.active_children())
    it = iter(loader)
    next(it)
    assert sorted(p.pid for p in multiprocessing.active_children()) == first  # the same workers
    newer = iter(loader)  # a new epoch replaces the unfinished one
    next(newer)
    with pytest.raises(RuntimeError, match="replaced by a newer iter"):
        list(it)
    assert len(list(newer)) == 19  # and goes on undisturbed
    del loader, it
    assert _no_workers_left()
