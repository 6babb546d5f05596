"""Rank 1 raises while rank 0 waits in a collective: the run must end, not hang."""

import time

import numpy as np

import groundup.distributed as dist

dist.init_process_group("mpi")
if dist.get_rank() == 1:
    time.sleep(0.2)
    raise ValueError("rank 1 failed on purpose")
dist.all_reduce(np.ones(4))  # never completes: rank 1 is gone
print("rank 0 should not get here", flush=True)
