"""Tensor creation functions: tensor, zeros, ones, full, arange, rand, randn, ...

Random creation draws from the shared generator (`groundup.random`), so
`manual_seed` makes it reproducible.
"""

import numpy as np

from .backend import DEFAULT_FLOAT, move, to_dtype
from .random import get_generator
from .tensor import Tensor, _convert

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange",
    "linspace", "eye", "rand", "randn", "randint", "zeros_like", "ones_like", "full_like",
    "empty_like", "rand_like", "randn_like",
]


def tensor(data, dtype=None, requires_grad=False, device=None):
    """A new tensor holding a copy of `data`.

    float64 NumPy arrays and Python floats become float32 unless `dtype=` is
    given; integers stay int64, booleans stay bool.
    """
    arr = _convert(data, dtype)
    if arr is data or (isinstance(data, Tensor) and arr is data.data):
        arr = arr.copy()
    if device is not None:
        arr = move(arr, device)
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def as_tensor(data, dtype=None, device=None):
    """Like `tensor`, but shares memory with `data` when no conversion is needed."""
    if isinstance(data, Tensor) and dtype is None and device is None:
        return data
    arr = _convert(data, dtype)
    if device is not None:
        arr = move(arr, device)
    return Tensor._wrap(arr)


def from_numpy(array):
    """A tensor sharing memory with `array`, keeping its dtype (even float64)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects an np.ndarray, got {type(array).__name__}")
    return Tensor._wrap(_convert(array, array.dtype))


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _make(arr, requires_grad, device):
    if device is not None:
        arr = move(arr, device)
    t = Tensor._wrap(arr)
    if requires_grad:
        t.requires_grad_(True)
    return t


def _dt(dtype):
    return DEFAULT_FLOAT if dtype is None else to_dtype(dtype)


def zeros(*size, dtype=None, requires_grad=False, device=None):
    return _make(np.zeros(_shape(size), _dt(dtype)), requires_grad, device)


def ones(*size, dtype=None, requires_grad=False, device=None):
    return _make(np.ones(_shape(size), _dt(dtype)), requires_grad, device)


def empty(*size, dtype=None, requires_grad=False, device=None):
    return _make(np.empty(_shape(size), _dt(dtype)), requires_grad, device)


def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    if dtype is None:
        if isinstance(fill_value, bool):
            dtype = np.bool_
        elif isinstance(fill_value, int):
            dtype = np.int64
    size = (size,) if isinstance(size, int) else tuple(size)
    return _make(np.full(size, fill_value, _dt(dtype)), requires_grad, device)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, int) for v in (start, end, step))
        dtype = np.int64 if ints else DEFAULT_FLOAT
    return _make(np.arange(start, end, step, dtype=to_dtype(dtype)), requires_grad, device)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    return _make(np.linspace(start, end, steps, dtype=_dt(dtype)), requires_grad, device)


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    return _make(np.eye(n, m, dtype=_dt(dtype)), requires_grad, device)


def rand(*size, dtype=None, requires_grad=False, device=None):
    """Uniform [0, 1) samples from the shared generator."""
    arr = get_generator().random(_shape(size), dtype=np.float64).astype(_dt(dtype))
    return _make(arr, requires_grad, device)


def randn(*size, dtype=None, requires_grad=False, device=None):
    """Standard normal samples from the shared generator."""
    arr = get_generator().standard_normal(_shape(size)).astype(_dt(dtype))
    return _make(arr, requires_grad, device)


def randint(low, high=None, size=(), dtype=None, device=None):
    if high is None:
        low, high = 0, low
    arr = get_generator().integers(low, high, size=tuple(size), dtype=np.int64)
    if dtype is not None:
        arr = arr.astype(to_dtype(dtype))
    return _make(arr, False, device)


def _like(t, dtype):
    return t.data.dtype if dtype is None else to_dtype(dtype)


def zeros_like(t, dtype=None, requires_grad=False):
    return _make(np.zeros(t.shape, _like(t, dtype)), requires_grad, t.device)


def ones_like(t, dtype=None, requires_grad=False):
    return _make(np.ones(t.shape, _like(t, dtype)), requires_grad, t.device)


def empty_like(t, dtype=None, requires_grad=False):
    return _make(np.empty(t.shape, _like(t, dtype)), requires_grad, t.device)


def full_like(t, fill_value, dtype=None, requires_grad=False):
    return _make(np.full(t.shape, fill_value, _like(t, dtype)), requires_grad, t.device)


def rand_like(t, dtype=None, requires_grad=False):
    return rand(*t.shape, dtype=_like(t, dtype), requires_grad=requires_grad, device=t.device)


def randn_like(t, dtype=None, requires_grad=False):
    return randn(*t.shape, dtype=_like(t, dtype), requires_grad=requires_grad, device=t.device)
