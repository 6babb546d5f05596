"""DistributedSampler: PyTorch's shards (disjoint, covering, equal), seeded shuffling, set_epoch,
and its use in DataLoader (resumable inside an epoch)."""

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu
import groundup.distributed as dist
from groundup.data import DataLoader, DistributedSampler, TensorDataset


def shards(n, replicas, **kw):
    return [list(DistributedSampler(range(n), replicas, r, **kw)) for r in range(replicas)]


@pytest.mark.parametrize("n", [1, 2, 7, 10, 12])
@pytest.mark.parametrize("replicas", [1, 2, 3, 4])
@pytest.mark.parametrize("drop_last", [False, True])
def test_same_shards_as_pytorch_without_shuffling(n, replicas, drop_last):
    torch_data = require_torch().utils.data
    for rank in range(replicas):
        want = torch_data.DistributedSampler(range(n), replicas, rank, shuffle=False,
                                             drop_last=drop_last)
        got = DistributedSampler(range(n), replicas, rank, shuffle=False, drop_last=drop_last)
        assert list(got) == list(want) and len(got) == len(want)


@pytest.mark.parametrize("n,replicas", [(10, 2), (11, 3), (5, 4), (100, 3)])
def test_shuffled_shards_are_disjoint_equal_and_cover(n, replicas):
    parts = shards(n, replicas, seed=3)
    assert len({len(p) for p in parts}) == 1
    flat = sum(parts, [])
    assert set(flat) == set(range(n))
    assert len(flat) - len(set(flat)) == (-n) % replicas  # the padding repeats a few
    dropped = sum(shards(n, replicas, seed=3, drop_last=True), [])
    assert len(dropped) == len(set(dropped)) == n - n % replicas


def test_every_rank_draws_the_same_permutation_and_set_epoch_changes_it():
    a = shards(20, 2, seed=5)
    assert shards(20, 2, seed=5) == a
    assert sorted(sum(a, [])) == list(range(20)) and sum(a, []) != list(range(20))
    samplers = [DistributedSampler(range(20), 2, r, seed=5) for r in range(2)]
    for s in samplers:
        s.set_epoch(1)
    b = [list(s) for s in samplers]
    assert b != a and sorted(sum(b, [])) == list(range(20))
    assert shards(20, 2, seed=6) != a


def test_arguments_are_checked():
    with pytest.raises(ValueError, match=r"Invalid rank 2, rank should be in the interval \[0, 1"):
        DistributedSampler(range(4), num_replicas=2, rank=2)
    with pytest.raises(TypeError, match="seed must be an int"):
        DistributedSampler(range(4), 2, 0, seed=1.5)
    if dist.is_initialized():
        dist.destroy_process_group()
    with pytest.raises(RuntimeError, match="init_process_group"):
        DistributedSampler(range(4))


def test_defaults_come_from_the_process_group(monkeypatch):
    for name in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK"):
        monkeypatch.delenv(name, raising=False)
    dist.init_process_group()
    try:
        s = DistributedSampler(range(5), shuffle=False)
        assert (s.num_replicas, s.rank, list(s)) == (1, 0, [0, 1, 2, 3, 4])
    finally:
        dist.destroy_process_group()


def test_in_a_data_loader_and_resumed_inside_an_epoch():
    X = np.arange(40, dtype=np.float32).reshape(20, 2)
    ds = TensorDataset(X, np.arange(20))

    def loader():
        return DataLoader(ds, batch_size=3, sampler=DistributedSampler(ds, 2, 1, seed=1))

    full = loader()
    full.sampler.set_epoch(2)
    batches = [y.numpy().tolist() for _, y in full]
    assert sum(batches, []) == _epoch(ds, 2) and len(batches) == 4
    cut = loader()
    cut.sampler.set_epoch(2)
    it = iter(cut)
    next(it), next(it)
    state = cut.state_dict()
    resumed = loader()
    resumed.load_state_dict(state)
    resumed.sampler.set_epoch(2)
    assert [y.numpy().tolist() for _, y in resumed] == batches[2:]


def _epoch(ds, epoch):
    s = DistributedSampler(ds, 2, 1, seed=1)
    s.set_epoch(epoch)
    return list(s)


def test_gu_utils_data_names_it():
    assert gu.utils.data.DistributedSampler is DistributedSampler
