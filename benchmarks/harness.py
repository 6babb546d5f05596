"""What every benchmark script shares: thread settings for a worker process, timing a
step in blocks, the median and quartiles of per-pair ratios, and a cProfile of a step.

Imported by the bench_*.py scripts next to it (run as `python benchmarks/bench_x.py`,
so this folder is on sys.path). It imports neither NumPy nor a library under test: the
thread variables must be set before those are imported.
"""

import os
import time

__all__ = ["set_threads", "time_blocks", "quartiles", "profile_step"]


def set_threads(n):
    """Environment for a process about to import NumPy / PyTorch / groundup."""
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "GROUNDUP_NUM_THREADS"):
        os.environ[var] = str(n)


def time_blocks(step, batch, warmup, blocks, steps):
    """Samples/s of each of `blocks` timed blocks of `steps` calls step(i), after `warmup`."""
    for i in range(warmup):
        step(i)
    rates = []
    for _ in range(blocks):
        t0 = time.perf_counter()
        for i in range(steps):
            step(i)
        rates.append(batch * steps / (time.perf_counter() - t0))
    return rates


def quartiles(xs):
    """(median, lower quartile, upper quartile) of xs."""
    xs = sorted(xs)
    n = len(xs)
    return xs[n // 2], xs[n // 4], xs[(3 * n) // 4]


def profile_step(step, warmup, steps, top=25):
    """Print the `top` functions by own time over `steps` calls of step(i), after `warmup`."""
    import cProfile
    import pstats

    for i in range(warmup):
        step(i)
    prof = cProfile.Profile()
    prof.enable()
    for i in range(steps):
        step(i)
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(top)
