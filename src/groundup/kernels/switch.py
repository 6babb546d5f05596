"""Whether the compiled path is on, and loading numba and the compiled kernels on first use.

The compiled path is on when numba is importable and the environment variable
GROUNDUP_FAST is not "0"; `use(False)` / `disabled()` turn it off for a block (tests run
the reference and the kernel side by side that way). Nothing here imports numba until
a kernel is first needed, so `import groundup` stays light and a process that never
reaches a kernel never pays numba's start-up (about 0.15 s to import it, and 0.1 s to
load the cached kernels; compiling one kernel for one dtype takes 0.2-0.4 s, once per
machine: numba caches the machine code on disk).

Cache directory: numba's own choice (the package's __pycache__, or ~/.cache/numba when
that is read-only) unless NUMBA_CACHE_DIR is set; when neither is writable the kernels
compile in memory, once per process.
"""

import contextlib
import importlib
import importlib.util
import os
import threading

from .. import threads

_ENV = "GROUNDUP_FAST"

# Arrays smaller than this (elements) stay on the NumPy reference. Measured: once loaded,
# a kernel is 2-10x faster than the NumPy passes from a few hundred elements up, but
# starting numba costs about 0.25 s once per process, which a small model's short run
# does not win back. GROUNDUP_FAST_MIN_SIZE overrides it (the tests set 0 to run every
# kernel on their small inputs).
try:
    MIN_SIZE = max(0, int(os.environ.get("GROUNDUP_FAST_MIN_SIZE", "65536")))
except ValueError:
    MIN_SIZE = 65536

_available = None  # numba importable (found, not imported)
_on = None  # the switch, None until first asked
_tuned = True  # False inside use(False): the NumPy references only, no tuned variant at all
_local = threading.local()  # per thread: numba's thread count applied there
_loaded = {}  # name -> compiled module
_broken = False  # numba failed to load or to compile: the reference from then on


def available():
    """Whether numba is installed (the `fast` extra); it is not imported here."""
    global _available
    if _available is None:
        try:
            _available = importlib.util.find_spec("numba") is not None
        except (ImportError, ValueError):  # a broken or blocked install
            _available = False
    return _available


def _default():
    return os.environ.get(_ENV, "1").strip() != "0" and available()


def enabled():
    """Whether the compiled kernels are used (numba installed, GROUNDUP_FAST != "0",
    not turned off by `use(False)`)."""
    global _on
    if _on is None:
        _on = _default()
    return _on and not _broken


def tuned():
    """Whether tuned variants that need no compiler (fewer passes through BLAS) may run:
    True unless inside `use(False)`, where only the NumPy references run."""
    return _tuned


@contextlib.contextmanager
def use(flag=True):
    """Turn the compiled path on (when numba is installed) or off inside a `with` block.
    Off also turns off the BLAS-based variants (`tuned()`): the block runs the references.

    Example:
        >>> with gu.kernels.use(False):   # the NumPy reference only
        ...     loss.backward()
    """
    global _on, _tuned
    before = (enabled() if _on is None else _on), _tuned
    _on, _tuned = bool(flag) and available(), bool(flag)
    try:
        yield
    finally:
        _on, _tuned = before


def disabled():
    """`use(False)`: the NumPy reference inside the block."""
    return use(False)


def _off_in_forked_child():
    # GNU OpenMP (numba's usual threading layer) cannot run in a child forked after it
    # started: a forked child (a DataLoader worker) keeps to the NumPy reference
    global _on
    _on = False


def load(name):
    """The compiled-kernel module `groundup.kernels.<name>` (imports numba at first use),
    or None when numba cannot be loaded."""
    global _broken
    mod = _loaded.get(name)
    if mod is None and not _broken:
        try:
            if not _loaded:
                _start_numba()
            mod = importlib.import_module(f"{__package__}.{name}")
        except Exception as e:  # a broken numba install must not break the core
            _broken = True
            _warn(f"the compiled kernels could not be loaded ({e!r}); using NumPy")
            return None
        if not _loaded:
            os.register_at_fork(after_in_child=_off_in_forked_child)
        _loaded[name] = mod
    return mod


def _start_numba():
    """Import numba and start its thread pool with idle threads that sleep.

    GNU OpenMP (numba's threading layer on Linux) lets a thread that finished a parallel
    loop spin for a while, waiting for the next one. In a training step the next call
    is usually a GEMM, whose OpenBLAS worker then finds its core taken: a step with the
    Adam kernel measured 27-41 ms instead of 3.4 ms at 2 threads on a 2-core machine with
    other jobs running. OMP_WAIT_POLICY=PASSIVE (unless the user set it) makes the idle
    threads sleep; waking them costs about 2 us per kernel. The variable is read once,
    when the pool starts, so it is set only around that moment: OpenMP libraries loaded
    later (PyTorch's, say) keep their own default.
    """
    saved = os.environ.get("OMP_WAIT_POLICY")
    if saved is None:
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    try:
        import numba

        numba.get_num_threads()  # starts the thread pool
    finally:
        if saved is None:
            os.environ.pop("OMP_WAIT_POLICY", None)


def _warn(message):
    import warnings

    warnings.warn(f"groundup.kernels: {message}", RuntimeWarning, stacklevel=3)


def failed(error):
    """Record that a kernel failed to compile or run: warn once, use NumPy from then on."""
    global _broken
    if not _broken:
        _broken = True
        _warn(f"a compiled kernel failed ({error!r}); using NumPy from now on")


# A kernel's work (elements times a rough cost per element, see set_threads) below which
# it runs on one thread. Waking numba's sleeping threads (OMP_WAIT_POLICY=PASSIVE, see
# _start_numba) measured 35-70 us on the 2-vCPU reference machine, more than a second
# thread wins back on arrays of up to a few hundred thousand elements: ReLU's backward on
# 51,200 elements took 7 us on 1 thread and 79 us on 2, on 200,704 elements 53 and 97 us,
# on 1,048,576 elements 452 and 299 us. GROUNDUP_FAST_PARALLEL_MIN overrides it.
try:
    PARALLEL_MIN = max(0, int(os.environ.get("GROUNDUP_FAST_PARALLEL_MIN", str(1 << 19))))
except ValueError:
    PARALLEL_MIN = 1 << 19


def set_threads(work=None):
    """Give numba the thread count of groundup's policy (threads.py), in this thread; one
    thread for a kernel whose `work` (its elements times a rough cost per element: 1 for a
    pass of loads and stores, a few for exp, erf or an optimizer update) is below
    PARALLEL_MIN."""
    n = threads.get_num_threads()
    if work is not None and work < PARALLEL_MIN:
        n = 1
    if getattr(_local, "n", None) != n:
        import numba

        numba.set_num_threads(max(1, min(n, numba.config.NUMBA_NUM_THREADS)))
        _local.n = n


def jit(fn=None, **options):
    """numba.njit(parallel=True, **options) with the machine code cached on disk where a
    cache directory is writable (in memory otherwise). Only compiled-kernel modules call
    this, as `@jit` or `@jit(parallel=False, ...)`."""
    import numba

    options = {"parallel": True, **options}
    if fn is None:
        return lambda f: jit(f, **options)
    try:
        return numba.njit(cache=True, **options)(fn)
    except RuntimeError:  # no writable cache location
        return numba.njit(**options)(fn)
