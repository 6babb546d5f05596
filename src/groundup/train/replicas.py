"""fit over several processes: what the loop adds when a process group of several ranks runs it.

With gu.distributed initialised and more than one rank (mpiexec -n N, or
`groundup train --nproc N`), fit:

  - keeps the replicas in step: rank 0's weights at the start, gradients averaged
    in every backward, rank 0's buffers at every training forward
    (DistributedDataParallel.attached; a model already wrapped in
    DistributedDataParallel is used as it is);
  - sums each batch's logged values and sizes over the ranks and gathers the
    outputs and targets the metrics need, so every rank holds the run's global
    figures (the progress line and the History show them, and a checkpoint written
    by rank 0 resumes every rank the same way);
  - stops every rank at the same batch when any of them is interrupted (Ctrl-C,
    SIGTERM: one tiny all-reduce after each batch decides for all), and gives every
    rank rank 0's epoch logs, so early stopping and plateau schedulers decide alike;
  - runs the callbacks that print or write files (rank_zero_only: the progress
    bar, CSVLogger, ModelCheckpoint, ResumableCheckpoint) on rank 0 only, and
    returns (or raises TrainingInterrupted) on every rank once rank 0 has written
    its last save.

A callback that stops training from on_backward_end (skipping a step) must decide
alike on every rank; decisions taken in on_batch_end and on_epoch_end are shared.
Alone (or with a group of one) none of this runs: fit does exactly what it did.
`set_sampler_epoch` is used either way: a sampler with set_epoch (DistributedSampler)
gets each epoch's number, counted from 0.
"""

import contextlib

import numpy as np

from .. import distributed as dist
from ..nn.parallel import DistributedDataParallel
from .batches import _host

__all__ = ["Replicas", "set_sampler_epoch"]

_SIGNALS = ("SIGINT", "SIGTERM")


def set_sampler_epoch(loader, epoch):
    """Tell the loader's sampler (when it has set_epoch) that epoch `epoch` (from 1) starts."""
    for sampler in (getattr(loader, "sampler", None),
                    getattr(getattr(loader, "batch_sampler", None), "sampler", None)):
        if callable(getattr(sampler, "set_epoch", None)):
            sampler.set_epoch(int(epoch) - 1)
            return


class Replicas:
    """The ranks that run one fit together (see the module docstring)."""

    def __init__(self, rank, size):
        self.rank, self.size = rank, size
        self._attached = contextlib.ExitStack()

    @classmethod
    def current(cls):
        """The ranks of the process group, or None when this process trains alone."""
        if dist.is_initialized() and dist.get_world_size() > 1:
            return cls(dist.get_rank(), dist.get_world_size())
        return None

    def callbacks(self, callbacks):
        """The callbacks this rank runs: all on rank 0, the others without rank_zero_only."""
        if self.rank == 0:
            return callbacks
        return [cb for cb in callbacks if not getattr(cb, "rank_zero_only", False)]

    def attach(self, model):
        """Keep `model`'s replicas in step until detach()."""
        if not isinstance(model, DistributedDataParallel):
            self._attached.enter_context(DistributedDataParallel.attached(model))

    def detach(self, state):
        """After training: unhook the model; wait for rank 0's last save unless it failed
        (a failing rank aborts the run; waiting here would not return)."""
        self._attached.close()
        if state.outcome in ("finished", "stopped", "interrupted"):
            dist.barrier()

    # --------------------------------------------------------------- batches
    def batch(self, state, result, n, output, target):
        """The batch over every rank: (result as global means, global size, hosts).

        hosts: (outputs, targets) of every rank, in rank order, when the metrics need
        them, else None.
        """
        keys = sorted(result)
        size = self.size
        sums = np.zeros(size + len(keys))
        sums[self.rank] = n
        for i, key in enumerate(keys):
            sums[size + i] = result[key] * n
        dist.all_reduce(sums)
        sizes = sums[:size].astype(np.int64)
        total = int(sizes.sum())
        result = {key: float(sums[size + i]) / total if total else float("nan")
                  for i, key in enumerate(keys)}
        hosts = None
        if state.metric_fns and output is not None and target is not None:
            hosts = (self._gather(_host(output, "fit"), sizes),
                     self._gather(_host(target, "fit"), sizes))
        return result, total, hosts

    def _gather(self, rows, sizes):
        """Every rank's `rows` (sizes[r] rows on rank r), concatenated in rank order."""
        most = int(sizes.max())
        padded = np.zeros((most,) + rows.shape[1:], rows.dtype)
        padded[:len(rows)] = rows
        out = np.empty((self.size * most,) + rows.shape[1:], rows.dtype)
        dist.all_gather_into_tensor(out, padded)
        return np.concatenate([out[r * most:r * most + s] for r, s in enumerate(sizes)])

    # ------------------------------------------------------------ interrupts
    def interrupted(self, state):
        """The reason training stops here on every rank (None: it goes on).

        Any rank's state.interrupted (a signal handler may set it at any moment) counts;
        every rank gets the same answer from this one all-reduce, and those it reaches
        get state.interrupted set, so the ranks leave at the same batch. A
        state.stop_training set on one rank (by a callback) is set on all as well.
        """
        flags = np.zeros(len(_SIGNALS) + 2)
        reason = state.interrupted
        if reason is not None:
            flags[_SIGNALS.index(reason) if reason in _SIGNALS else len(_SIGNALS)] = 1
        flags[-1] = bool(state.stop_training)
        dist.all_reduce(flags)
        if flags[-1] and not state.stop_training:
            state.stop_training = True
            state.stop_reason = state.stop_reason or "stopped on another rank"
        flags = flags[:-1]
        if not flags.any():
            return None
        which = int(np.flatnonzero(flags)[0])
        agreed = _SIGNALS[which] if which < len(_SIGNALS) else "interrupted on another rank"
        if state.interrupted is None:
            state.interrupted = agreed
        return agreed

    def same_logs(self, logs):
        """Rank 0's epoch logs, on every rank."""
        box = [logs]
        dist.broadcast_object_list(box, src=0)
        return box[0]
