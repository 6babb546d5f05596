"""`import groundup` keeps freed memory in the process (glibc malloc settings): the same
large arrays allocated and freed again and again cost no page faults."""

import os
import subprocess
import sys

import pytest

from groundup import allocator

# a "step": three 4 MB arrays, then all freed (glibc's defaults would give the 12 MB at the
# top of the heap back to the system, and the next step would fault every page in again)
LOOP = (
    "import resource, numpy as np, groundup\n"
    "def step(): return [np.ones(1_000_000, np.float32) for _ in range(3)]\n"
    "for _ in range(3): step()\n"
    "r = resource.getrusage(resource.RUSAGE_SELF).ru_minflt\n"
    "for _ in range(50): step()\n"
    "print(groundup.allocator.configured(),\n"
    "      (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - r) // 50)\n"
)


def _run(env):
    full = dict(os.environ, **env)
    for k in ("MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_"):
        full.pop(k, None)
    out = subprocess.run([sys.executable, "-c", LOOP], capture_output=True, text=True,
                         env=full, timeout=120)
    assert out.returncode == 0, out.stderr
    configured, faults = out.stdout.split()
    return configured == "True", int(faults)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc malloc settings")
def test_freed_arrays_are_reused_without_page_faults():
    configured, faults = _run({})
    if not configured:
        pytest.skip("this C library has no mallopt (not glibc)")
    assert faults < 30  # a step touches 3,000 pages: none is faulted in again
    off, faults_off = _run({"GROUNDUP_MALLOC": "0"})
    assert not off and faults_off > 500


def test_configure_is_idempotent():
    assert allocator.configure() == allocator.configured()
