"""Finding MPI: the launcher's environment, mpi4py and its install hint, mpiexec."""

import os
import sys

import pytest

from groundup.distributed import mpi


def test_a_launcher_is_recognised_by_its_environment():
    assert not mpi.launched({})
    assert mpi.launched({"PMI_RANK": "0", "PMI_SIZE": "4"})  # MPICH's Hydra, Intel MPI
    assert mpi.launched({"OMPI_COMM_WORLD_SIZE": "2"})      # Open MPI
    assert mpi.launched({"PMIX_RANK": "1"})
    assert mpi.launcher_world_size({"PMI_SIZE": "4"}) == 4
    assert mpi.launcher_world_size({"OMPI_COMM_WORLD_SIZE": "3"}) == 3
    assert mpi.launcher_world_size({"PMIX_RANK": "1"}) is None


def test_without_mpi4py_the_error_says_how_to_install_it(monkeypatch):
    monkeypatch.setitem(sys.modules, "mpi4py", None)
    monkeypatch.delitem(sys.modules, "mpi4py.MPI", raising=False)
    with pytest.raises(ImportError, match=r'this step needs mpi4py.*pip install "groundup\[mpi\]"'):
        mpi.load_mpi("this step")


def test_mpiexec_beside_python_first(tmp_path, monkeypatch):
    fake = tmp_path / "python"
    fake.write_text("")
    runner = tmp_path / "mpiexec"
    runner.write_text("#!/bin/sh\n")
    runner.chmod(0o755)
    monkeypatch.setattr(sys, "executable", str(fake))
    assert mpi.mpiexec_path() == str(runner)
    runner.unlink()
    monkeypatch.setenv("PATH", str(tmp_path))
    assert mpi.mpiexec_path() is None
    assert os.environ["PATH"] == str(tmp_path)
