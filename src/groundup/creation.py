"""Tensor creation functions: tensor, zeros, ones, full, arange, rand, randn, ...

Random creation draws from the shared generator (`groundup.random`), so
`manual_seed` makes it reproducible.
"""

import operator

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
    if arr is data or (isinstance(data, Tensor) and arr is data.array):
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


def _shape(size, name="zeros"):
    """`f(2, 3)`, `f((2, 3))` and `f([2, 3])` all mean shape (2, 3); sizes are checked."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    try:
        shape = tuple(operator.index(n) for n in size)
    except TypeError:
        raise TypeError(f"{name}: sizes must be integers, got {tuple(size)!r}") from None
    if any(n < 0 for n in shape):
        raise ValueError(f"{name}: sizes must be non-negative, got {shape}")
    return shape


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
    return _make(np.zeros(_shape(size, "zeros"), _dt(dtype)), requires_grad, device)


def ones(*size, dtype=None, requires_grad=False, device=None):
    return _make(np.ones(_shape(size, "ones"), _dt(dtype)), requires_grad, device)


def empty(*size, dtype=None, requires_grad=False, device=None):
    return _make(np.empty(_shape(size, "empty"), _dt(dtype)), requires_grad, device)


def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    if dtype is None:
        if isinstance(fill_value, bool):
            dtype = np.bool_
        elif isinstance(fill_value, int):
            dtype = np.int64
    size = _shape((size,) if isinstance(size, (int, np.integer)) else (size,), "full")
    return _make(np.full(size, fill_value, _dt(dtype)), requires_grad, device)


def arange(start, end=None, step=1, dtype=None, requires_grad=False, device=None):
    if end is None:
        start, end = 0, start
    if dtype is None:
        ints = all(isinstance(v, (int, np.integer)) for v in (start, end, step))
        dtype = np.int64 if ints else DEFAULT_FLOAT
    return _make(np.arange(start, end, step, dtype=to_dtype(dtype)), requires_grad, device)


def linspace(start, end, steps, dtype=None, requires_grad=False, device=None):
    return _make(np.linspace(start, end, steps, dtype=_dt(dtype)), requires_grad, device)


def eye(n, m=None, dtype=None, requires_grad=False, device=None):
    return _make(np.eye(n, m, dtype=_dt(dtype)), requires_grad, device)


def rand(*size, dtype=None, requires_grad=False, device=None):
    """Uniform [0, 1) samples from the shared generator."""
    arr = get_generator().random(_shape(size, "rand"), dtype=np.float64)
    arr = arr.astype(_dt(dtype), copy=False)
    return _make(arr, requires_grad, device)


def randn(*size, dtype=None, requires_grad=False, device=None):
    """Standard normal samples from the shared generator."""
    arr = get_generator().standard_normal(_shape(size, "randn"))
    arr = arr.astype(_dt(dtype), copy=False)
    return _make(arr, requires_grad, device)


def randint(low, high=None, size=(), dtype=None, device=None):
    """Integers uniform in [low, high) (int64 unless dtype=); `randint(high, size)` works too."""
    if isinstance(high, (tuple, list)):  # randint(10, (3,)): high and size, as in PyTorch
        low, high, size = 0, low, high
    if high is None:
        low, high = 0, low
    if high <= low:
        raise ValueError(f"randint: high ({high}) must be greater than low ({low})")
    size = _shape((size,) if isinstance(size, (int, np.integer)) else (size,), "randint")
    arr = get_generator().integers(low, high, size=size, dtype=np.int64)
    if dtype is not None:
        arr = arr.astype(to_dtype(dtype))
    return _make(arr, False, device)


def _like(t, dtype):
    if not isinstance(t, Tensor):
        raise TypeError(f"expected a Tensor, got {type(t).__name__}")
    return t.array.dtype if dtype is None else to_dtype(dtype)


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
