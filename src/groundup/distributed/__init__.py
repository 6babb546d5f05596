"""gu.distributed: processes that train together over MPI, with torch.distributed's names.

    import groundup.distributed as dist
    dist.init_process_group("mpi")          # under mpiexec: joins the other ranks
    rank, world = dist.get_rank(), dist.get_world_size()
    dist.all_reduce(t, op=dist.ReduceOp.SUM)     # in place on a Tensor or an ndarray

Run with `mpiexec -n 4 python train.py` (MPI from the `mpi` extra: pip install
"groundup[mpi]"), Slurm's `srun`, or `groundup train MODEL --nproc 4`. Started
any other way, init_process_group gives a group of one process (rank 0 of 1,
every collective a no-op), so the same script also runs alone.

    mpi.py            finding MPI: the launcher's environment, mpi4py, mpiexec
    process_group.py  init_process_group, get_rank, get_world_size, barrier, ...
    collectives.py    all_reduce, broadcast, all_gather, reduce_scatter, send/recv, Work
    objects.py        all_gather_object, broadcast_object_list (JSON, never pickle)
"""

from .collectives import (
    ReduceOp,
    Work,
    all_gather,
    all_gather_into_tensor,
    all_reduce,
    broadcast,
    irecv,
    isend,
    recv,
    reduce,
    reduce_scatter,
    reduce_scatter_tensor,
    send,
)
from .mpi import mpiexec_path
from .objects import all_gather_object, broadcast_object_list
from .process_group import (
    ProcessGroup,
    abort_on_exit,
    barrier,
    destroy_process_group,
    get_backend,
    get_rank,
    get_world_size,
    group,
    init_process_group,
    is_available,
    is_initialized,
    is_mpi_available,
)

__all__ = [
    "init_process_group", "destroy_process_group", "is_initialized", "is_available",
    "is_mpi_available", "get_rank", "get_world_size", "get_backend", "barrier", "group",
    "ProcessGroup", "ReduceOp", "Work", "all_reduce", "broadcast", "all_gather",
    "all_gather_into_tensor", "reduce_scatter", "reduce_scatter_tensor", "reduce", "send",
    "recv", "isend", "irecv", "all_gather_object", "broadcast_object_list", "mpiexec_path",
    "abort_on_exit",
]
