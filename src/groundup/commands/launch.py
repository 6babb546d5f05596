"""`groundup train ... --nproc N`: the same training on N processes, data-parallel over MPI.

The command started by the user launches N copies of itself under the mpiexec of the
`mpi` extra (`mpiexec -n N [-f HOSTFILE] python -m groundup train ...`, the same
arguments) and exits with their status. Each copy is one rank: it joins the process
group, trains on its shard of every batch (a DistributedSampler; batch_size / N
samples a rank, so a step still sees --batch-size samples) and computes with one
BLAS thread unless --threads says otherwise; gu.train.fit keeps the replicas in step.

Rank 0 is the run: it prints, writes the run folder and its checkpoints exactly as a
single process does. The other ranks print nothing (an error that ends them still
shows) and keep what they would write in a scratch folder that is removed at the
end (a resumed run gets a copy of the checkpoint there). A rank that fails ends the
whole run, with its error; Ctrl-C stops every rank at the same batch, saved.

Started under a launcher by the user instead (`mpiexec -n 4 groundup train mlp`, Slurm's
`srun`), the command joins that launcher's ranks directly.
"""

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

from .. import distributed as dist
from ..cli_common import LAST, CLIError
from ..data import DataLoader, DistributedSampler
from ..distributed import mpi

__all__ = ["wanted", "train_ranks", "main_rank", "mpiexec_command", "shard"]


def wanted(args):
    """Whether this `groundup train` runs on several processes (--nproc, or a launcher's)."""
    nproc = getattr(args, "nproc", None)
    return (nproc is not None and nproc != 1) or (mpi.launched() and
                                                 (mpi.launcher_world_size() or 1) > 1)


def main_rank():
    """Whether this process reports for the run (rank 0, or training alone)."""
    return not dist.is_initialized() or dist.get_rank() == 0


def mpiexec_command(args, argv, mpiexec=None):
    """The command that starts the ranks: mpiexec -n N [-f HOSTFILE] python -m groundup ..."""
    if mpiexec is None:
        mpiexec = dist.mpiexec_path()
    command = [mpiexec, "-n", str(args.nproc)]
    if getattr(args, "hostfile", None):
        command += ["-f", args.hostfile]
    return command + [sys.executable, "-m", "groundup", *argv]


def train_ranks(args, train):
    """Run `train()` (the training of one process) on the ranks; returns the exit status."""
    if not mpi.launched():
        return _launch(args)
    return _as_rank(args, train)


def _launch(args):
    if args.nproc < 1:
        raise CLIError(f"--nproc must be at least 1, got {args.nproc}")
    if args.hostfile and not os.path.isfile(args.hostfile):
        raise CLIError(f"--hostfile {args.hostfile}: no such file")
    if not dist.is_mpi_available() or dist.mpiexec_path() is None:
        raise CLIError(f'--nproc {args.nproc} needs MPI (mpi4py and mpiexec): {mpi.INSTALL}')
    argv = getattr(args, "argv", None)
    if argv is None:
        argv = sys.argv[1:]
    command = mpiexec_command(args, argv)
    env = dict(os.environ)
    if args.threads is None:  # ranks share the cores: one BLAS thread each
        env.setdefault("GROUNDUP_NUM_THREADS", "1")
    print(f"groundup train: {args.nproc} processes: {' '.join(command)}", flush=True)
    try:
        return subprocess.run(command, env=env).returncode
    except KeyboardInterrupt:  # mpiexec passes Ctrl-C on to the ranks, which save and stop
        return 130


def _as_rank(args, train):
    """This process is one rank: join the group, train, make a failure end the run."""
    if not dist.is_initialized():
        try:
            dist.init_process_group("mpi")
        except ImportError as e:
            raise CLIError(str(e)) from None
    size, rank = dist.get_world_size(), dist.get_rank()
    if getattr(args, "nproc", None) and args.nproc != size:
        raise CLIError(f"--nproc {args.nproc}, but the launcher started {size} processes")
    status = 1
    with contextlib.ExitStack() as stack:
        if rank != 0:
            _private(args, stack)
        try:
            status = train() or 0
        except BaseException:
            if rank != 0:  # the same error on rank 0 is printed there, and ends the run
                time.sleep(2)
            raise
        finally:
            if status not in (130, 143):  # an interrupt stops every rank together
                dist.abort_on_exit(status)  # an exception or a failure ends every rank
    return status


def _private(args, stack):
    """A rank other than 0: nothing printed, its files in a scratch folder removed at the end."""
    scratch = tempfile.mkdtemp(prefix=f"groundup-rank{dist.get_rank()}-")
    stack.callback(shutil.rmtree, scratch, True)
    if args.resume:
        src = os.path.join(args.resume, LAST)
        if os.path.exists(src):
            shutil.copyfile(src, os.path.join(scratch, LAST))
        args.resume = scratch
    else:
        args.out, args.overwrite = scratch, True
    devnull = stack.enter_context(open(os.devnull, "w"))
    stack.enter_context(contextlib.redirect_stdout(devnull))
    stack.enter_context(contextlib.redirect_stderr(devnull))  # errors raised still show


class _Shard(DataLoader):
    """A rank's loader: its shard of every batch. Its state_dict() speaks of the whole run
    (the global batch size), so a run continues with another --nproc at an epoch end."""

    def __init__(self, loader, world):
        sampler = DistributedSampler(loader.dataset, shuffle=loader.shuffle,
                                     seed=loader.seed or 0, drop_last=loader.drop_last)
        super().__init__(loader.dataset, batch_size=loader.batch_size // world,
                         sampler=sampler, num_workers=loader.num_workers,
                         collate_fn=loader.collate_fn, drop_last=loader.drop_last)
        self.shuffle = loader.shuffle
        self.seed = loader.seed
        self.run_batch_size = loader.batch_size

    def state_dict(self):
        state = super().state_dict()
        state.update(batch_size=self.run_batch_size, replicas=self.sampler.num_replicas)
        return state

    def _rank_state(self, state):
        """A saved state (of this run's loaders on any number of ranks), for this rank."""
        if not isinstance(state, dict):
            return state
        state = dict(state)
        replicas = state.get("replicas", 1)
        if state.get("in_epoch") and replicas != self.sampler.num_replicas:
            raise ValueError(f"it was saved inside an epoch by {replicas} process(es); "
                             f"continue it with --nproc {replicas}")
        if state.get("batch_size") == self.run_batch_size:
            state["batch_size"] = self.batch_size
        return state

    def _check_state(self, state):
        return super()._check_state(self._rank_state(state))

    def load_state_dict(self, state):
        super().load_state_dict(self._rank_state(state))


def shard(loader):
    """The loader of this rank (its shard, batch_size / world size) when ranks train together;
    `loader` itself otherwise."""
    if not dist.is_initialized() or dist.get_world_size() == 1:
        return loader
    world = dist.get_world_size()
    if not isinstance(loader, DataLoader) or loader.batch_size is None or \
            type(loader.sampler).__name__ not in ("RandomSampler", "SequentialSampler"):
        raise CLIError("training on several processes needs a DataLoader with a batch size "
                       "and a plain (random or sequential) order")
    if loader.batch_size % world:
        raise CLIError(f"--batch-size {loader.batch_size} does not split evenly over --nproc "
                       f"{world} processes; pass a multiple of {world}")
    return _Shard(loader, world)
