"""The process group: every process of the run (the world), over MPI, or this process alone.

`init_process_group("mpi")` joins the processes an MPI launcher started
(`mpiexec -n 4 python train.py`, Slurm's `srun`, a hostfile over several machines).
A process that no launcher started gets a group of one, with no MPI at all, so the
same script runs alone unchanged: rank 0 of 1, and every collective a no-op.

Under a launcher with more than one process, an uncaught exception in any rank
prints its traceback (marked with the rank) and aborts the whole run, as
`python -m mpi4py` does, rather than leaving the other ranks waiting forever.
"""

import sys
import types

from . import mpi as _mpi

__all__ = ["ProcessGroup", "group", "init_process_group", "destroy_process_group",
           "is_initialized", "is_available", "is_mpi_available", "get_rank", "get_world_size",
           "get_backend", "barrier", "abort_on_exit"]


class ProcessGroup:
    """The processes of the run. `comm` is the MPI communicator (None for a group of one)."""

    def __init__(self, comm, backend):
        self.comm = comm
        self.backend = backend
        self._rank = 0 if comm is None else comm.Get_rank()
        self._size = 1 if comm is None else comm.Get_size()

    def rank(self):
        return self._rank

    def size(self):
        return self._size

    def __repr__(self):
        how = "MPI" if self.comm is not None else "this process alone"
        return f"ProcessGroup(rank={self._rank}, world_size={self._size}, {how})"


_GROUP = types.SimpleNamespace(WORLD=None)
group = _GROUP  # dist.group.WORLD, as in PyTorch (None until init_process_group)
_previous_hook = None


def init_process_group(backend=None, init_method=None, timeout=None, world_size=-1, rank=-1,
                       store=None, group_name="", pg_options=None, device_id=None):
    """Join the run's processes: MPI when a launcher started this process, else a group of one.

    backend: "mpi" (or None). world_size / rank: checked against the launcher's when
    given (MPI decides them). init_method, store, timeout, group_name, pg_options and
    device_id are accepted for PyTorch's signature; MPI needs none of them.
    """
    if _GROUP.WORLD is not None:
        raise RuntimeError("init_process_group: trying to initialize the default process "
                           "group twice! (call destroy_process_group() first)")
    if backend is not None and str(backend).lower() != "mpi":
        raise ValueError(f"init_process_group: backend {backend!r} is not supported; groundup "
                         f"runs on MPI: backend='mpi' (or None)")
    comm = None
    if _mpi.launched():
        expected = _mpi.launcher_world_size()
        try:
            MPI = _mpi.load_mpi("init_process_group (started by an MPI launcher)")
        except ImportError:
            if expected not in (None, 1):
                raise
            MPI = None  # one process under mpiexec without mpi4py: a group of one
        if MPI is not None:
            comm = MPI.COMM_WORLD
    pg = ProcessGroup(comm, "mpi")
    if world_size not in (-1, None) and int(world_size) != pg.size():
        raise ValueError(f"init_process_group: world_size={world_size} but the launcher "
                         f"started {pg.size()} process(es)")
    if rank not in (-1, None) and int(rank) != pg.rank():
        raise ValueError(f"init_process_group: rank={rank} but MPI gave this process rank "
                         f"{pg.rank()}")
    _GROUP.WORLD = pg
    if pg.size() > 1:
        _install_abort_hook()


def destroy_process_group(group=None):
    """Leave the group (MPI itself is finalised when the process exits)."""
    global _previous_hook
    _GROUP.WORLD = None
    if _previous_hook is not None:
        sys.excepthook, _previous_hook = _previous_hook, None


def is_initialized():
    return _GROUP.WORLD is not None


def is_available():
    """True: the group of one always works; MPI is needed for more (is_mpi_available)."""
    return True


def is_mpi_available():
    return _mpi.is_mpi_available()


def world(group, fname):
    """The world group, checked: initialised, and `group` None or the world itself."""
    w = _GROUP.WORLD
    if w is None:
        raise ValueError(f"{fname}: Default process group has not been initialized, please "
                         f"make sure to call init_process_group.")
    if group is not None and group is not w:
        raise ValueError(f"{fname}: only the default group (group=None or group.WORLD) is "
                         f"supported, got {group!r}")
    return w


def get_rank(group=None):
    return world(group, "get_rank").rank()


def get_world_size(group=None):
    return world(group, "get_world_size").size()


def get_backend(group=None):
    return world(group, "get_backend").backend


def barrier(group=None, async_op=False, device_ids=None):
    """Wait until every process of the group has reached this call."""
    w = world(group, "barrier")
    if w.comm is not None:
        w.comm.Barrier()


def abort_on_exit(status):
    """Make this process abort the whole MPI run when it exits (a failed rank's exit status)."""
    if status and _GROUP.WORLD is not None and _GROUP.WORLD.comm is not None:
        import mpi4py.run

        mpi4py.run.set_abort_status(int(status))


def _install_abort_hook():
    """An uncaught exception in one rank ends the whole run, with that rank's traceback."""
    global _previous_hook
    if _previous_hook is not None:
        return
    _previous_hook = previous = sys.excepthook
    rank = _GROUP.WORLD.rank()

    def hook(kind, value, tb):
        abort_on_exit(130 if issubclass(kind, KeyboardInterrupt) else 1)
        print(f"[rank {rank}] uncaught {kind.__name__}: the run is aborted", file=sys.stderr)
        previous(kind, value, tb)
        sys.stderr.flush()

    sys.excepthook = hook
