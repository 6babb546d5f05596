"""gu.nn.parallel: running one model over several devices or processes.

`DataParallel` splits a batch across GPUs in PyTorch; on the CPU (groundup's
only device without a GPU backend) it wraps the module and calls it, as PyTorch
does on a machine without GPUs. `DistributedDataParallel` runs one replica per
process (launched by mpiexec) and averages the gradients over MPI during backward
(`gu.distributed`; reducer.py holds the buckets and the overlapped all-reduce).
"""

from .data_parallel import DataParallel
from .distributed import DistributedDataParallel

__all__ = ["DataParallel", "DistributedDataParallel"]
