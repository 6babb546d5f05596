"""Tests for groundup/data/samplers.py: orders and lengths against torch.utils.data."""

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu
from groundup.data import (
    BatchSampler,
    RandomSampler,
    Sampler,
    SequentialSampler,
    SubsetRandomSampler,
    WeightedRandomSampler,
)


def test_sequential_and_batch_samplers_match_pytorch():
    torch = require_torch()
    tud = torch.utils.data
    for n in (0, 1, 7, 12):
        data = list(range(n))
        assert list(SequentialSampler(data)) == list(tud.SequentialSampler(data))
        for bs in (1, 3, 5, 20):
            for drop in (False, True):
                ours = BatchSampler(SequentialSampler(data), bs, drop)
                theirs = tud.BatchSampler(tud.SequentialSampler(data), bs, drop)
                assert list(ours) == list(theirs), (n, bs, drop)
                assert len(ours) == len(theirs), (n, bs, drop)
    # any iterable of indices is a sampler
    assert list(BatchSampler([5, 1, 4], 2, False)) == list(tud.BatchSampler([5, 1, 4], 2, False))


def test_batch_sampler_errors_match_pytorch():
    torch = require_torch()
    for bs, drop in ((0, False), (-1, False), (True, False), (2.0, False), (2, 1), (2, None)):
        with pytest.raises(ValueError) as theirs:
            torch.utils.data.BatchSampler(range(4), bs, drop)
        with pytest.raises(ValueError, match="BatchSampler") as ours:
            BatchSampler(range(4), bs, drop)
        name = "batch_size" if "batch_size" in str(theirs.value) else "drop_last"
        assert name in str(ours.value)


def test_random_sampler_permutations_lengths_and_errors():
    torch = require_torch()
    data = range(10)
    g = gu.Generator().manual_seed(0)
    order = list(RandomSampler(data, generator=g))
    assert sorted(order) == list(range(10)) and order != list(range(10))
    assert list(RandomSampler(data, generator=gu.Generator().manual_seed(0))) == order
    assert list(RandomSampler(data, generator=g)) != order  # a new order on every pass
    for kwargs in ({}, {"num_samples": 25}, {"num_samples": 4}, {"replacement": True},
                   {"replacement": True, "num_samples": 3}):
        ours = list(RandomSampler(data, generator=g, **kwargs))
        theirs = torch.utils.data.RandomSampler(data, **kwargs)
        assert len(ours) == len(RandomSampler(data, **kwargs)) == len(theirs) == len(list(theirs))
        assert all(0 <= i < 10 for i in ours)
    long = list(RandomSampler(data, num_samples=25, generator=g))  # 2 permutations, then 5
    assert sorted(long[:10]) == sorted(long[10:20]) == list(range(10))
    assert len(set(long[20:])) == 5
    gu.manual_seed(3)  # no generator: the shared one
    a = list(RandomSampler(data))
    gu.manual_seed(3)
    assert list(RandomSampler(data)) == a
    with pytest.raises(TypeError, match="replacement"):
        RandomSampler(data, replacement=1)
    with pytest.raises(TypeError):
        torch.utils.data.RandomSampler(data, replacement=1)
    for bad in (0, -2, 1.5):
        with pytest.raises(ValueError, match="num_samples"):
            RandomSampler(data, num_samples=bad)
        with pytest.raises(ValueError):
            torch.utils.data.RandomSampler(data, num_samples=bad)
    with pytest.raises(TypeError, match="Generator"):
        RandomSampler(data, generator=5)


def test_subset_random_sampler():
    indices = [3, 8, 11, 20]
    order = list(SubsetRandomSampler(indices, generator=gu.Generator().manual_seed(1)))
    assert sorted(order) == indices and len(SubsetRandomSampler(indices)) == 4
    assert list(SubsetRandomSampler(indices, generator=gu.Generator().manual_seed(1))) == order


def test_weighted_random_sampler():
    torch = require_torch()
    w = [0.0, 1.0, 3.0, 0.0, 6.0]
    g = gu.Generator().manual_seed(0)
    draws = np.array(list(WeightedRandomSampler(w, 20000, generator=g)))
    assert len(draws) == 20000 and set(draws.tolist()) == {1, 2, 4}  # zero weights never drawn
    np.testing.assert_allclose(np.bincount(draws, minlength=5) / 20000, np.array(w) / 10,
                               atol=0.02)
    once = list(WeightedRandomSampler(gu.tensor(w), 3, replacement=False, generator=g))
    assert sorted(once) == [1, 2, 4]
    assert len(WeightedRandomSampler(w, 7)) == len(torch.utils.data.WeightedRandomSampler(w, 7))
    with pytest.raises(ValueError, match="1d"):
        WeightedRandomSampler([[1.0, 2.0]], 2)
    with pytest.raises(ValueError, match="num_samples"):
        WeightedRandomSampler(w, 0)
    with pytest.raises(ValueError, match="replacement"):
        WeightedRandomSampler(w, 2, replacement="yes")
    with pytest.raises(ValueError, match="non-negative"):
        WeightedRandomSampler([1.0, -1.0], 2)
    with pytest.raises(ValueError, match="without replacement from 3 non-zero"):
        WeightedRandomSampler(w, 4, replacement=False)


def test_sampler_base_class():
    class Evens(Sampler):
        def __init__(self, n):
            self.n = n

        def __iter__(self):
            return iter(range(0, self.n, 2))

    assert list(BatchSampler(Evens(9), 2, False)) == [[0, 2], [4, 6], [8]]
    with pytest.raises(NotImplementedError):
        iter(Sampler())
