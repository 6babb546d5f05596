"""Finding MPI: whether a launcher started this process, mpi4py (the `mpi` extra), mpiexec.

Nothing here imports mpi4py at module level: `import groundup` never loads MPI,
and a script started without a launcher never initialises it.
"""

import os
import shutil
import sys

__all__ = ["INSTALL", "launched", "launcher_world_size", "load_mpi", "is_mpi_available",
           "mpiexec_path"]

INSTALL = 'pip install "groundup[mpi]"'

# What MPI launchers put in the environment of the processes they start: MPICH's Hydra
# and Intel MPI (PMI_*), Open MPI (OMPI_*), PMIx-based launchers, MVAPICH; Slurm's srun
# with an MPI plugin sets the PMI or PMIx ones.
_SIZE_VARS = ("PMI_SIZE", "OMPI_COMM_WORLD_SIZE", "MV2_COMM_WORLD_SIZE")
_RANK_VARS = ("PMI_RANK", "OMPI_COMM_WORLD_RANK", "MV2_COMM_WORLD_RANK", "PMIX_RANK")


def launched(environ=None):
    """Whether an MPI launcher (mpiexec, mpirun, srun) started this process."""
    env = os.environ if environ is None else environ
    return any(name in env for name in _SIZE_VARS + _RANK_VARS)


def launcher_world_size(environ=None):
    """The number of processes the launcher says it started (None when it does not say)."""
    env = os.environ if environ is None else environ
    for name in _SIZE_VARS:
        value = env.get(name, "")
        if value.isdigit():
            return int(value)
    return None


def load_mpi(what):
    """mpi4py's MPI module (initialising MPI), or an ImportError that says how to install it."""
    if "mpi4py.MPI" not in sys.modules:
        try:
            import mpi4py
        except ImportError:
            raise ImportError(f"{what} needs mpi4py and an MPI library, which are not "
                              f"installed: {INSTALL}") from None
        major = int(str(getattr(mpi4py, "__version__", "0")).split(".")[0] or 0)
        if major < 4:
            raise ImportError(f"{what} needs mpi4py 4 or newer, found {mpi4py.__version__}: "
                              f"{INSTALL}")
    try:
        from mpi4py import MPI
    except (ImportError, RuntimeError, OSError) as e:  # mpi4py without a loadable libmpi
        raise ImportError(f"{what}: mpi4py is installed but cannot load an MPI library ({e}); "
                          f"{INSTALL} installs MPICH with it") from None
    return MPI


def is_mpi_available():
    """Whether mpi4py is installed (without importing it, so MPI is not initialised)."""
    from importlib.util import find_spec

    return "mpi4py.MPI" in sys.modules or find_spec("mpi4py") is not None


def mpiexec_path():
    """The mpiexec beside this Python (the mpich wheel installs it there), else on PATH."""
    here = os.path.join(os.path.dirname(sys.executable), "mpiexec")
    if os.path.isfile(here) and os.access(here, os.X_OK):
        return here
    return shutil.which("mpiexec") or shutil.which("mpirun")
