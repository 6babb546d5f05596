"""Keep freed memory in the process: glibc malloc settings that spare training steps from
page faults.

A training step allocates the same large arrays every time (activations, im2col matrices,
gradients: megabytes each) and frees them. glibc's malloc serves blocks above its mmap
threshold (128 KiB at start, rising on its own up to 32 MiB) with fresh mmap'd pages and
gives freed memory at the top of the heap back to the system above its trim threshold, so
the next step's arrays land on new pages again, and the kernel zeroes each one on first
touch (a page fault per 4 KiB). Measured on the reference CNN step (benchmarks/bench_cnn.py,
1 thread): 4,300 page faults a step and 19.4 ms; with the two settings below, 0.6 faults
and 12.7 ms. PyTorch keeps freed memory the same way, in its own caching allocator.

    M_MMAP_THRESHOLD = 32 MiB    blocks up to 32 MiB come from the heap, which is reused
    M_TRIM_THRESHOLD = 1 GiB     freed heap memory stays in the process (up to 1 GiB free)

So resident memory stays at its peak after a step instead of falling back between steps
(the peak itself does not grow). `import groundup` applies them on Linux with glibc; the
environment variable GROUNDUP_MALLOC=0 leaves malloc's defaults alone (as does any
MALLOC_MMAP_THRESHOLD_ / MALLOC_TRIM_THRESHOLD_ the user set: glibc's own tunables win).
"""

import ctypes
import os
import sys

__all__ = ["configure", "configured"]

_M_TRIM_THRESHOLD = -1
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 * 2**20
TRIM_THRESHOLD = 2**30
_done = [False]


def configure():
    """Apply the settings (once); True when they were applied."""
    if _done[0]:
        return True
    if os.environ.get("GROUNDUP_MALLOC", "1").strip() == "0":
        return False
    if not sys.platform.startswith("linux"):
        return False
    if any(k in os.environ for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_")):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt  # glibc; musl and others have none
    except (OSError, AttributeError):
        return False
    mallopt.argtypes = [ctypes.c_int, ctypes.c_int]
    mallopt.restype = ctypes.c_int
    ok = mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
    ok = mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1 and ok
    _done[0] = ok
    return ok


def configured():
    """Whether this process runs with the settings."""
    return _done[0]
