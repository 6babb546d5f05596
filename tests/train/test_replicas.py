"""fit over several ranks (replicas.py): alone nothing changes; on 2 ranks under mpiexec
(tests/distributed/ranks/fit.py) fit equals one process, stops all ranks together and
resumes identically, on 2 ranks or in one process."""

from groundup.data import DataLoader, DistributedSampler
from groundup.train import (
    CSVLogger,
    EarlyStopping,
    ModelCheckpoint,
    ProgressBar,
    ResumableCheckpoint,
)
from groundup.train.replicas import Replicas, set_sampler_epoch
from tests.distributed.support import needs_mpi, run_ranks


def test_alone_there_are_no_replicas():
    assert Replicas.current() is None


def test_callbacks_that_print_or_write_run_on_rank_zero_only(tmp_path):
    writers = [ProgressBar(), CSVLogger(tmp_path / "h.csv"), ModelCheckpoint(tmp_path / "m"),
               ResumableCheckpoint(tmp_path / "r")]
    early = EarlyStopping(monitor="loss")
    assert Replicas(0, 2).callbacks(writers + [early]) == writers + [early]
    assert Replicas(1, 2).callbacks(writers + [early]) == [early]


def test_the_sampler_learns_each_epoch():
    sampler = DistributedSampler(range(10), num_replicas=2, rank=0)
    loader = DataLoader(range(10), batch_size=2, sampler=sampler)
    set_sampler_epoch(loader, 3)
    assert sampler.epoch == 2  # epochs count from 1 in fit, from 0 in set_epoch
    set_sampler_epoch(DataLoader(range(4), batch_size=2), 3)  # no set_epoch: nothing


@needs_mpi
def test_fit_on_two_ranks(tmp_path):
    out = run_ranks("fit.py", tmp_path).stdout
    lines = out.splitlines()
    epoch_lines = [line for line in lines if line.startswith("epoch ")]
    # rank 0 alone prints: 2 + 1 (interrupted in epoch 2) + 1 (resumed) + 1 + 2 + 1
    assert len(epoch_lines) == 8, out
    assert "rank 0 history" in out and "rank 1 history" in out
    assert "rank 1 resumed on 2 ranks 0.0e+00" in out
    assert "one process == two ranks" in out and "resumed in one process" in out
    assert not (tmp_path / "two-1.safetensors").exists()
    assert (tmp_path / "two-0.safetensors").exists()
