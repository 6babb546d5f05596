"""The process group: a group of one without a launcher (or without MPI), and real MPI runs."""

import sys
import time

import numpy as np
import pytest

import groundup as gu
import groundup.distributed as dist

from .support import needs_mpi, run_ranks


@pytest.fixture(autouse=True)
def no_group():
    if dist.is_initialized():
        dist.destroy_process_group()
    yield
    if dist.is_initialized():
        dist.destroy_process_group()


@pytest.fixture
def no_launcher(monkeypatch):
    for name in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "OMPI_COMM_WORLD_RANK",
                 "MV2_COMM_WORLD_SIZE", "MV2_COMM_WORLD_RANK", "PMIX_RANK"):
        monkeypatch.delenv(name, raising=False)


def test_alone_the_group_has_one_process_and_no_mpi(no_launcher):
    loaded = "mpi4py.MPI" in sys.modules
    assert not dist.is_initialized()
    dist.init_process_group("mpi")
    assert dist.is_initialized() and dist.get_rank() == 0 and dist.get_world_size() == 1
    assert dist.group.WORLD.size() == 1 and dist.get_backend() == "mpi"
    assert "one" in repr(dist.group.WORLD) or "alone" in repr(dist.group.WORLD)
    dist.barrier()
    assert ("mpi4py.MPI" in sys.modules) == loaded  # alone, MPI is never initialised
    dist.destroy_process_group()
    assert not dist.is_initialized() and dist.group.WORLD is None
    dist.init_process_group()  # backend None is MPI too; again after destroy
    assert dist.get_world_size() == 1


def test_the_fallback_when_mpi4py_cannot_be_imported(no_launcher, monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)  # `import mpi4py` raises ImportError
    monkeypatch.delitem(sys.modules, "mpi4py.MPI", raising=False)
    dist.init_process_group("mpi")
    assert dist.get_world_size() == 1
    dist.destroy_process_group()
    monkeypatch.setenv("PMI_RANK", "0")  # a launcher of one process: still a group of one
    monkeypatch.setenv("PMI_SIZE", "1")
    dist.init_process_group("mpi")
    assert dist.get_world_size() == 1
    dist.destroy_process_group()
    monkeypatch.setenv("PMI_SIZE", "2")  # several processes need MPI: say how to install it
    with pytest.raises(ImportError, match=r'pip install "groundup\[mpi\]"'):
        dist.init_process_group("mpi")
    assert not dist.is_initialized()


def test_what_init_process_group_refuses(no_launcher):
    with pytest.raises(ValueError, match="backend 'nccl' is not supported.*'mpi'"):
        dist.init_process_group("nccl")
    with pytest.raises(ValueError, match="world_size=4 but the launcher started 1"):
        dist.init_process_group("mpi", world_size=4)
    with pytest.raises(ValueError, match="rank=1 but MPI gave this process rank 0"):
        dist.init_process_group("mpi", rank=1)
    dist.init_process_group("mpi", world_size=1, rank=0)
    with pytest.raises(RuntimeError, match="twice"):
        dist.init_process_group("mpi")


@pytest.mark.parametrize("call", [dist.get_rank, dist.get_world_size, dist.barrier,
                                  lambda: dist.all_reduce(np.ones(2))])
def test_calls_before_init_say_what_to_do(call):
    with pytest.raises(ValueError, match="call init_process_group"):
        call()


def test_only_the_default_group(no_launcher):
    dist.init_process_group()
    assert dist.get_rank(group=dist.group.WORLD) == 0
    with pytest.raises(ValueError, match="only the default group"):
        dist.get_rank(group=object())


def test_availability():
    assert dist.is_available() is True
    assert isinstance(dist.is_mpi_available(), bool)
    assert gu.distributed is dist


@needs_mpi
def test_a_rank_that_raises_ends_the_run_with_its_error_printed_once():
    start = time.perf_counter()
    out = run_ranks("failure.py", check=False, timeout=60)
    took = time.perf_counter() - start
    assert out.returncode != 0
    assert took < 20, f"the run took {took:.1f} s to end"
    assert out.stderr.count("ValueError: rank 1 failed on purpose") == 1, out.stderr
    assert "[rank 1]" in out.stderr
    assert "should not get here" not in out.stdout
