"""DistributedSampler: each rank's shard of a dataset, as torch.utils.data.DistributedSampler.

Every rank draws the same permutation (seeded with seed + epoch, so call
`set_epoch(epoch)` at the start of each epoch for a new order; gu.train.fit does)
and takes every num_replicas-th index from its rank on. The shards are disjoint
and equally long: without drop_last the permutation is padded with its own first
indices up to a multiple of num_replicas (a few samples are seen twice per
epoch); with drop_last its tail is dropped instead.

    sampler = DistributedSampler(dataset, shuffle=True, seed=0)
    loader = DataLoader(dataset, batch_size=64 // world_size, sampler=sampler)
    for epoch in range(epochs):
        sampler.set_epoch(epoch)
        for x, y in loader: ...
"""

import math
import numbers

import numpy as np

from ..distributed import get_rank, get_world_size, is_initialized
from .samplers import Sampler

__all__ = ["DistributedSampler"]


def _int(value, name):
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"DistributedSampler: {name} must be an int, got {value!r}")
    return int(value)


class DistributedSampler(Sampler):
    """The indices of rank `rank`'s shard of `dataset` (see the module docstring).

    Args:
        dataset: what to shard (only its length is used).
        num_replicas: the number of ranks (default: the process group's world size).
        rank: this shard's rank (default: the process's rank in the group).
        shuffle: a new permutation each epoch (seed + epoch); False keeps the order.
        seed: the seed shared by every rank.
        drop_last: drop the tail that does not divide evenly instead of padding.
    """

    def __init__(self, dataset, num_replicas=None, rank=None, shuffle=True, seed=0,
                 drop_last=False):
        if num_replicas is None or rank is None:
            if not is_initialized():
                raise RuntimeError("DistributedSampler: num_replicas and rank default to the "
                                   "process group's; call gu.distributed.init_process_group() "
                                   "first, or pass both")
        num_replicas = get_world_size() if num_replicas is None else _int(num_replicas,
                                                                          "num_replicas")
        rank = get_rank() if rank is None else _int(rank, "rank")
        if num_replicas < 1:
            raise ValueError(f"DistributedSampler: num_replicas must be >= 1, got {num_replicas}")
        if not 0 <= rank < num_replicas:
            raise ValueError(f"Invalid rank {rank}, rank should be in the interval "
                             f"[0, {num_replicas - 1}]")
        self.dataset = dataset
        self.num_replicas, self.rank = num_replicas, rank
        self.shuffle, self.drop_last = bool(shuffle), bool(drop_last)
        self.seed = _int(seed, "seed")
        self.epoch = 0
        n = len(dataset)
        if self.drop_last and n % num_replicas:
            self.num_samples = math.ceil((n - num_replicas) / num_replicas)
        else:
            self.num_samples = math.ceil(n / num_replicas)
        self.total_size = self.num_samples * num_replicas

    def set_epoch(self, epoch):
        """Make the next pass use the permutation of `epoch` (the same on every rank)."""
        self.epoch = _int(epoch, "epoch")

    def _indices(self):
        """This rank's indices for the current epoch, as an int64 array."""
        n = len(self.dataset)
        if self.shuffle:
            order = np.random.default_rng(self.seed + self.epoch).permutation(n)
        else:
            order = np.arange(n)
        if self.drop_last:
            order = order[:self.total_size]
        elif self.total_size > n and n:
            order = np.resize(order, self.total_size)  # repeats the order from its start
        return order[self.rank:self.total_size:self.num_replicas].astype(np.int64, copy=False)

    def __iter__(self):
        return iter(self._indices().tolist())

    def __len__(self):
        return self.num_samples
