"""Grad mode: whether operations are recorded for backward, and the switches that set it.

`no_grad`, `enable_grad`, `set_grad_enabled` and `inference_mode` work as `with`
blocks and as decorators, as in PyTorch. The state is two module globals,
process-wide: `Function.apply` reads `_grad_enabled` through this module on every
op, so it stays a plain attribute (no function call, no thread-local).
"""

import functools

_grad_enabled = True
_inference_mode = False


def is_grad_enabled():
    """True when operations are recorded for backward (outside no_grad)."""
    return _grad_enabled


def is_inference_mode_enabled():
    """True inside `inference_mode()`."""
    return _inference_mode


def _switch(grad, inference):
    """Set grad mode (and inference mode unless None); return the previous pair."""
    global _grad_enabled, _inference_mode
    prev = (_grad_enabled, _inference_mode)
    _grad_enabled = grad
    if inference is not None:
        _inference_mode = inference
    return prev


def _restore(prev):
    global _grad_enabled, _inference_mode
    _grad_enabled, _inference_mode = prev


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
