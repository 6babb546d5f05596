"""How many threads groundup computes on, and how several groundup processes share the cores.

Two thread pools do groundup's work: the BLAS's (NumPy's bundled OpenBLAS, which runs
every matrix product) and, with the `fast` extra installed, numba's (the compiled
kernels of `groundup.kernels`). `set_num_threads(n)` sets both; `get_num_threads()`
reads the count in force.

Why a policy: after a threaded call OpenBLAS's workers keep spinning for milliseconds,
waiting for the next one. Two processes that each start one worker per core take turns
on cores the other's workers are spinning on: two `groundup train mlp` runs started
together on a 2-core machine took 7.9 s each, against 2.0 s for one alone; with one
thread each, both finished in 2.0 s.

The default (no environment variable, no `set_num_threads` call): a process that trains
registers in a small per-user directory of live groundup processes (one file named by
its process id, under the system's temporary directory, removed at exit; files left by
processes that died are swept) and uses max(1, cores // live processes) threads, so one
run alone gets every core and two runs on 2 cores get one each. The optimizer's step
calls `poll()`, which looks again at most every half second (a clock read otherwise),
so a run gives cores back when another starts and takes them again when it ends.

Environment variables (read once, at first use):
    GROUNDUP_NUM_THREADS=n              n threads, fixed (no sharing)
    OPENBLAS_NUM_THREADS / OMP_NUM_THREADS
                                        when set (and GROUNDUP_NUM_THREADS is not), their
                                        count is kept fixed for the BLAS and the kernels,
                                        as NumPy and PyTorch users expect
A fixed count still registers, so that processes under the default make room for it.
"""

import atexit
import os
import tempfile
import time

from . import blas

__all__ = ["set_num_threads", "get_num_threads", "poll", "cpu_count", "live_processes"]

_INTERVAL = 0.5  # seconds between two looks at the registry
_ENV_FIXED = ("GROUNDUP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")

_fixed = None  # the count set by set_num_threads or an environment variable, else None
_settled = False  # environment read
_current = None  # the count last applied, None before the first
_next_poll = 0.0
_registered = None  # the path of this process's registry file


def cpu_count():
    """The number of cores this process may run on (its CPU affinity where known)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def _positive_int(text):
    try:
        n = int(text)
    except (TypeError, ValueError):
        return None
    return n if n >= 1 else None


def _settle():
    """Read the environment once; GROUNDUP_NUM_THREADS is applied to the BLAS now (the BLAS
    read OPENBLAS_NUM_THREADS / OMP_NUM_THREADS itself when it loaded)."""
    global _settled, _fixed
    if _settled:
        return
    _settled = True
    for name in _ENV_FIXED:
        n = _positive_int(os.environ.get(name))
        if n is not None:
            _fixed = n
            _apply(n)
            return


def _apply(n):
    global _current
    blas.set_num_threads(n)
    _current = n


def set_num_threads(n):
    """Compute on `n` threads (the BLAS and the compiled kernels), fixed from now on.

    `set_num_threads(None)` returns to the default policy (share the cores with the
    other live groundup processes).
    """
    global _fixed, _next_poll, _settled
    _settled = True
    if n is None:
        _fixed = None
        _next_poll = 0.0
        poll()
        return
    if isinstance(n, bool) or _positive_int(n) is None or int(n) != n:
        raise ValueError(f"set_num_threads: expected an int >= 1 (or None for the default), "
                         f"got {n!r}")
    _fixed = int(n)
    _apply(_fixed)


def get_num_threads():
    """The number of threads groundup computes on (the BLAS's and the kernels')."""
    _settle()
    if _current is not None:
        return _current
    return blas.get_num_threads() or cpu_count()


def poll():
    """Apply the default policy when due: at most every half second, cheap otherwise.

    Registers this process at its first call. Under a fixed count (environment or
    `set_num_threads`) it only keeps the registration.
    """
    global _next_poll
    now = time.monotonic()
    if now < _next_poll:
        return
    _next_poll = now + _INTERVAL
    _settle()
    _register()
    if _fixed is None:
        n = max(1, cpu_count() // max(1, live_processes()))
        if n != _current:
            _apply(n)


# ------------------------------------------------------- the process registry
def _registry():
    uid = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
    return os.path.join(tempfile.gettempdir(), f"groundup-{uid}", "procs")


def _start_token(pid):
    """The start time of process `pid` from /proc ('' where there is none): a pid that was
    reused by a new process gets a different token."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii") as f:
            return f.read().rpartition(")")[2].split()[19]
    except (OSError, IndexError):
        return ""


def _alive(pid, token):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return not token or _start_token(pid) == token


def _register():
    """Write this process's file (again, if it went missing); atomically, so that a reader
    never sees it half-written."""
    global _registered
    pid = os.getpid()
    if _registered is not None and _registered[0] == pid:
        if _registered[1] is None or os.path.exists(_registered[1]):
            return
    path = os.path.join(_registry(), str(pid))
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        with open(path + ".tmp", "w", encoding="ascii") as f:
            f.write(_start_token(pid))
        os.replace(path + ".tmp", path)
    except OSError:  # no writable temporary directory: count as alone
        _registered = (pid, None)
        return
    if _registered is None or _registered[0] != pid:
        atexit.register(_unregister, pid, path)
    _registered = (pid, path)


def _unregister(pid, path):
    if os.getpid() == pid:  # not in a forked child that inherited the hook
        try:
            os.remove(path)
        except OSError:
            pass


def live_processes():
    """How many groundup processes of this user are registered and alive (this one included
    once it has registered); files of processes that are gone are removed."""
    folder = _registry()
    try:
        names = os.listdir(folder)
    except OSError:
        return 1
    live = 0
    for name in names:
        if not name.isdigit():
            continue
        path = os.path.join(folder, name)
        try:
            with open(path, encoding="ascii") as f:
                token = f.read().strip()
        except OSError:
            continue
        if _alive(int(name), token):
            live += 1
        else:
            try:
                os.remove(path)
            except OSError:
                pass
    return max(1, live)


if os.environ.get("GROUNDUP_NUM_THREADS"):  # a fixed count holds from the start, for
    _settle()  # inference too (the default policy starts at the first optimizer step)
