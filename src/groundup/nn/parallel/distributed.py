"""DistributedDataParallel: planned, with gu.distributed (MPI)."""

__all__ = ["DistributedDataParallel"]


class DistributedDataParallel:
    """Not available yet: multi-process data-parallel training comes with `gu.distributed`
    (a process group over MPI, launched by mpiexec). Constructing one raises
    NotImplementedError; `nn.DataParallel` runs a model in one process meanwhile."""

    def __init__(self, module=None, *args, **kwargs):
        raise NotImplementedError(
            "gu.nn.parallel.DistributedDataParallel is not implemented yet: it comes with "
            "gu.distributed (a process group over MPI); to train in one process use the "
            "model itself (or gu.nn.DataParallel(model), which calls it)"
        )
