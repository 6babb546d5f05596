"""`groundup train --nproc N` (commands/launch.py): the mpiexec command line, the errors, and
real 2-rank runs that resume exactly (on 2 ranks) or in one process."""

import argparse

import numpy as np
import pytest

import groundup as gu
from groundup.commands import launch
from tests.distributed.support import needs_mpi

from .support import assert_same_weights, assert_user_error, history_epochs, weights

ARGS = ["train", "mlp", "--hidden", "32", "--no-progress"]


def _args(**kw):
    base = dict(nproc=2, hostfile=None, threads=None, resume=None, out=None)
    base.update(kw)
    return argparse.Namespace(**base)


def test_the_mpiexec_command_line_carries_the_arguments_and_the_hostfile():
    argv = ["train", "mlp", "--nproc", "4", "--hostfile", "hosts.txt"]
    command = launch.mpiexec_command(_args(nproc=4, hostfile="hosts.txt"), argv,
                                     mpiexec="/x/mpiexec")
    assert command[:5] == ["/x/mpiexec", "-n", "4", "-f", "hosts.txt"]
    assert command[6:] == ["-m", "groundup", *argv]
    plain = launch.mpiexec_command(_args(), ["train", "mlp"], mpiexec="mpiexec")
    assert plain[:3] == ["mpiexec", "-n", "2"] and "-f" not in plain


def test_when_several_processes_are_wanted(monkeypatch):
    for name in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert launch.wanted(_args(nproc=2)) and launch.wanted(_args(nproc=0))
    assert not launch.wanted(_args(nproc=None)) and not launch.wanted(_args(nproc=1))
    monkeypatch.setenv("PMI_RANK", "0")
    monkeypatch.setenv("PMI_SIZE", "3")  # started by the user's mpiexec: join its ranks
    assert launch.wanted(_args(nproc=None))
    assert launch.main_rank()  # no group: this process reports


def test_errors_before_anything_starts(gu_main, monkeypatch, tmp_path):
    for name in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK"):
        monkeypatch.delenv(name, raising=False)
    assert_user_error(gu_main(*ARGS, "--nproc", "0", check=False), "--nproc must be at least 1")
    assert_user_error(gu_main(*ARGS, "--nproc", "2", "--hostfile", tmp_path / "none",
                              check=False), "no such file")
    monkeypatch.setattr(gu.distributed, "is_mpi_available", lambda: False)
    assert_user_error(gu_main(*ARGS, "--nproc", "2", check=False),
                      'pip install "groundup[mpi]"')


@needs_mpi
def test_two_ranks_train_resume_exactly_and_resume_in_one_process(gu_process, gu_main, tmp_path):
    straight, cut = tmp_path / "straight", tmp_path / "cut"
    out = gu_process(*ARGS, "--epochs", 2, "--nproc", 2, "--out", straight)
    assert out.stdout.count("epoch 2/2") == 1 and "test accuracy" in out.stdout
    assert history_epochs(straight) == [1, 2]
    gu_process(*ARGS, "--epochs", 1, "--nproc", 2, "--out", cut)
    alone = tmp_path / "alone"
    alone.mkdir()
    (alone / "last.safetensors").write_bytes((cut / "last.safetensors").read_bytes())
    (alone / "config.json").write_bytes((cut / "config.json").read_bytes())
    gu_process("train", "--resume", cut, "--epochs", 2, "--nproc", 2, "--no-progress")
    assert_same_weights(straight / "last.safetensors", cut / "last.safetensors")
    assert history_epochs(cut) == [1, 2]
    # in one process (another order of the samples, so close, not equal)
    gu_main("train", "--resume", alone, "--epochs", 2, "--no-progress")
    a, b = weights(straight / "last.safetensors"), weights(alone / "last.safetensors")
    assert max(float(np.abs(a[k] - b[k]).max()) for k in a) < 0.5


@needs_mpi
def test_a_mistake_every_rank_makes_is_printed_once(gu_process):
    out = gu_process(*ARGS, "--epochs", 1, "--nproc", 2, "--batch-size", 33, check=False)
    assert out.returncode != 0
    assert out.stderr.count("does not split evenly over --nproc 2") == 1, out.stderr


def test_alone_the_loader_is_not_sharded():
    loader = gu.data.DataLoader(np.zeros((4, 2), np.float32), batch_size=2)
    assert launch.shard(loader) is loader


@pytest.mark.parametrize("flag", ["--nproc", "--hostfile"])
def test_help_names_the_options(gu_main, flag):
    assert flag in gu_main("train", "--help", check=False).stdout
