"""Grad mode: whether operations are recorded for backward, and the switches that set it.

`no_grad`, `enable_grad`, `set_grad_enabled` and `inference_mode` work as `with`
blocks and as decorators, as in PyTorch. As in PyTorch the mode is per thread: a
`no_grad` block in one thread does not stop another thread's recording, and a new
thread starts with grad mode on and inference mode off.

`Function.apply` reads the mode on every op, so the common case costs one module
attribute read: `_grad_enabled` is True while every thread records (the usual state of
a training process), and the marker `MIXED` while some thread has switched recording
off; only then does an op look up its own thread's mode (`thread_grad_enabled()`).
"""

import functools
import threading


class _Mode:
    """One thread's modes. When the thread ends (its thread-local data goes) while it does
    not record, it stops counting among the threads that do not."""

    __slots__ = ("grad", "inference")

    def __init__(self):
        self.grad = True  # this thread records operations
        self.inference = False  # this thread is inside inference_mode

    def __del__(self):
        if not self.grad:
            try:
                _count(+1)
            except Exception:  # pragma: no cover - interpreter shutdown
                pass


class _ThreadMode(threading.local):
    def __init__(self):  # runs once in each thread that uses it
        self.mode = _Mode()


MIXED = object()  # _grad_enabled while some thread does not record: ask the thread
_local = _ThreadMode()
_lock = threading.Lock()
_not_recording = 0  # threads whose grad mode is off now
_grad_enabled = True  # True when every thread records, else MIXED


def thread_grad_enabled():
    """This thread's grad mode (what `_grad_enabled` stands for when it is MIXED)."""
    return _local.mode.grad


def is_grad_enabled():
    """True when operations are recorded for backward in this thread (outside no_grad)."""
    return _local.mode.grad


def is_inference_mode_enabled():
    """True inside `inference_mode()` in this thread."""
    return _local.mode.inference


def _switch(grad, inference):
    """Set this thread's grad mode (and inference mode unless None); return the previous
    pair."""
    mode = _local.mode
    prev = (mode.grad, mode.inference)
    _set(mode, grad, prev[1] if inference is None else inference)
    return prev


def _restore(prev):
    _set(_local.mode, *prev)


def _set(mode, grad, inference):
    grad = bool(grad)
    if grad != mode.grad:
        _count(+1 if grad else -1)
        mode.grad = grad
    mode.inference = inference


def _count(change):
    """One thread more (+1) or fewer (-1) records; keep the fast flag in step."""
    global _not_recording, _grad_enabled
    with _lock:
        _not_recording -= change
        _grad_enabled = True if _not_recording == 0 else MIXED


class _GradMode:
    """Base of the grad-mode switches: a context manager and a decorator."""

    _grad = True  # grad mode inside
    _inference = None  # inference mode inside (None: left as it is)

    def __new__(cls, func=None):
        self = super().__new__(cls)
        if func is not None:  # used as a bare decorator: @no_grad
            if not callable(func):
                raise TypeError(f"{cls.__name__}() takes no arguments (got {func!r})")
            return self(func)
        return self

    def __enter__(self):
        self._prev = _switch(self._grad, self._inference)
        return self

    def __exit__(self, *exc):
        _restore(self._prev)
        return False

    def __call__(self, fn):
        grad, inference = self._grad, self._inference

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev = _switch(grad, inference)
            try:
                return fn(*args, **kwargs)
            finally:
                _restore(prev)

        return wrapper


class no_grad(_GradMode):
    """Disable graph recording inside a `with` block or a decorated function.

    Usable as `with gu.no_grad():`, `@gu.no_grad()` and `@gu.no_grad`.
    """

    _grad = False


class enable_grad(_GradMode):
    """Re-enable graph recording (e.g. inside a `no_grad` block)."""

    _grad = True


class set_grad_enabled(_GradMode):
    """Set grad mode to `mode` (a bool): now, for a `with` block, or for a decorated function.

    As in PyTorch, a plain call `gu.set_grad_enabled(False)` switches grad mode at once
    and for good; `with gu.set_grad_enabled(False):` and `@gu.set_grad_enabled(False)`
    restore the previous mode afterwards.
    """

    def __new__(cls, mode):
        return object.__new__(cls)

    def __init__(self, mode):
        self._grad = bool(mode)
        self._before = _switch(self._grad, None)  # takes effect now, as PyTorch's does

    def __enter__(self):
        super().__enter__()
        self._prev = self._before  # on exit, restore the mode from before the call
        return self

    def __call__(self, fn):
        _restore(self._before)  # as a decorator it applies only inside the function
        return super().__call__(fn)


class inference_mode(_GradMode):
    """No graph recording, for code that will never backpropagate (like no_grad).

    Usable as `with gu.inference_mode():`, `@gu.inference_mode()` and `@gu.inference_mode`;
    `inference_mode(False)` switches it (and no_grad) off inside. groundup has no separate
    inference tensors: results are plain tensors that do not require grad.
    """

    def __new__(cls, mode=True):
        self = object.__new__(cls)
        if callable(mode):  # used as a bare decorator: @inference_mode
            self.__init__()
            return self(mode)
        return self

    def __init__(self, mode=True):
        self._inference = bool(mode)
        self._grad = not mode
