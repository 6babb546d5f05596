"""Running a script on several ranks under mpiexec, for the tests that need real MPI."""

import os
import subprocess
import sys

import pytest

import groundup as gu

HERE = os.path.dirname(os.path.abspath(__file__))
RANKS = os.path.join(HERE, "ranks")

needs_mpi = pytest.mark.skipif(
    not gu.distributed.is_mpi_available() or gu.distributed.mpiexec_path() is None,
    reason='mpi4py / mpiexec not installed: pip install "groundup[mpi]" (CI installs it)')


def alone_in_a_group(monkeypatch):
    """A generator for fixtures: a process group of one (not started by mpiexec) for the
    test, destroyed after it."""
    import groundup.distributed as dist

    for name in ("PMI_RANK", "PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "PMIX_RANK"):
        monkeypatch.delenv(name, raising=False)
    if dist.is_initialized():
        dist.destroy_process_group()
    dist.init_process_group("mpi")
    yield
    dist.destroy_process_group()


def rank_env(**extra):
    """The environment of a run: one thread per rank, the repository's sources first."""
    env = dict(os.environ)
    for name in ("PMI_RANK", "PMI_SIZE", "PMI_FD", "PMI_PORT", "OMPI_COMM_WORLD_SIZE"):
        env.pop(name, None)  # a test run under a launcher must not pass it on
    src = os.path.join(os.path.dirname(os.path.dirname(HERE)), "src")
    env["PYTHONPATH"] = src + os.pathsep + env.get("PYTHONPATH", "")
    env["GROUNDUP_NUM_THREADS"] = "1"
    env["MPLBACKEND"] = "Agg"
    env.update({k: str(v) for k, v in extra.items()})
    return env


def run_ranks(script, *args, n=2, timeout=90, check=True, cwd=None):
    """Run tests/distributed/ranks/SCRIPT on n ranks; returns the CompletedProcess."""
    path = script if os.path.isabs(script) else os.path.join(RANKS, script)
    command = [gu.distributed.mpiexec_path(), "-n", str(n), sys.executable, path,
               *map(str, args)]
    out = subprocess.run(command, capture_output=True, text=True, timeout=timeout,
                         env=rank_env(), cwd=cwd)
    if check and out.returncode != 0:
        raise AssertionError(f"{' '.join(command)} exited with {out.returncode}\n"
                             f"stdout:\n{out.stdout}\nstderr:\n{out.stderr}")
    return out
