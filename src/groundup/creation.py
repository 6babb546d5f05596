"""Tensor creation functions: tensor, zeros, ones, full, arange, rand, randn, ...

Random creation draws from the shared generator (`groundup.random`), so
`manual_seed` makes it reproducible.
"""

import operator

import numpy as np

from .backend import DEFAULT_FLOAT, move, to_dtype
from .random import _numpy_rng, get_generator
from .tensor import Tensor, as_array, sizes_of

__all__ = [
    "tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange",
    "linspace", "eye", "rand", "randn", "randint", "zeros_like", "ones_like", "full_like",
    "empty_like", "rand_like", "randn_like", "randperm", "multinomial", "normal", "bernoulli",
]


def tensor(data, dtype=None, requires_grad=False, device=None):
    """A new tensor holding a copy of `data`.

    float64 NumPy arrays and Python floats become float32 unless `dtype=` is
    given; integers stay int64, booleans stay bool.
    """
    arr = as_array(data, dtype)
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
    arr = as_array(data, dtype)
    if device is not None:
        arr = move(arr, device)
    return Tensor._wrap(arr)


def from_numpy(array):
    """A tensor sharing memory with `array`, keeping its dtype (even float64)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy expects an np.ndarray, got {type(array).__name__}")
    return Tensor._wrap(as_array(array, array.dtype))


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
    return _make(np.zeros(sizes_of(size, "zeros"), _dt(dtype)), requires_grad, device)


def ones(*size, dtype=None, requires_grad=False, device=None):
    return _make(np.ones(sizes_of(size, "ones"), _dt(dtype)), requires_grad, device)


def empty(*size, dtype=None, requires_grad=False, device=None):
    return _make(np.empty(sizes_of(size, "empty"), _dt(dtype)), requires_grad, device)


def full(size, fill_value, dtype=None, requires_grad=False, device=None):
    if dtype is None:
        if isinstance(fill_value, bool):
            dtype = np.bool_
        elif isinstance(fill_value, int):
            dtype = np.int64
    size = sizes_of((size,) if isinstance(size, (int, np.integer)) else (size,), "full")
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
    arr = get_generator().random(sizes_of(size, "rand"), dtype=np.float64)
    arr = arr.astype(_dt(dtype), copy=False)
    return _make(arr, requires_grad, device)


def randn(*size, dtype=None, requires_grad=False, device=None):
    """Standard normal samples from the shared generator."""
    arr = get_generator().standard_normal(sizes_of(size, "randn"))
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
    size = sizes_of((size,) if isinstance(size, (int, np.integer)) else (size,), "randint")
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


# ------------------------------------------------------------- sampling (generator=)
def randperm(n, *, generator=None, dtype=np.int64, device=None, requires_grad=False):
    """A random permutation of 0 .. n-1 (int64 unless dtype=), drawn from `generator` or the
    shared generator."""
    n = operator.index(n)
    if n < 0:
        raise ValueError(f"randperm: n must be non-negative, got {n}")
    arr = _numpy_rng(generator, "randperm: generator").permutation(n).astype(to_dtype(dtype))
    return _make(arr, requires_grad, device)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    """int64 indices of categories drawn with probability proportional to the (non-negative,
    not necessarily normalised) weights in `input`: shape (num_samples,) for 1-D weights,
    (rows, num_samples) for 2-D ones (each row its own distribution), as torch.multinomial.

    Without replacement each draw removes its category; this is sampled exactly by giving each
    category the key E / w (E ~ Exp(1)) and taking the num_samples smallest keys, in order.
    With replacement: inverse-CDF sampling of uniforms."""
    w = input.array if isinstance(input, Tensor) else as_array(input)
    w = move(w, "cpu")
    if w.ndim not in (1, 2) or w.dtype.kind not in "fiu":
        raise ValueError(f"multinomial: input must be a 1-D or 2-D tensor of weights, got "
                         f"shape {tuple(w.shape)}, dtype {w.dtype}")
    k = operator.index(num_samples)
    rows = w.reshape(1, -1).astype(np.float64) if w.ndim == 1 else w.astype(np.float64)
    n = rows.shape[1]
    if k <= 0:
        raise ValueError(f"multinomial: num_samples must be positive, got {k}")
    if not np.isfinite(rows).all() or (rows < 0).any():
        raise ValueError("multinomial: weights must be finite and non-negative")
    nonzero = (rows > 0).sum(axis=1)
    if (nonzero == 0).any():
        raise ValueError("multinomial: every distribution needs a positive total weight; a row "
                         "of input sums to 0")
    if not replacement and k > nonzero.min():
        raise ValueError(f"multinomial: cannot draw {k} samples without replacement from "
                         f"{int(nonzero.min())} categories of nonzero weight (of {n}); pass "
                         f"replacement=True or fewer samples")
    rng = _numpy_rng(generator, "multinomial: generator")
    if replacement:
        cdf = np.cumsum(rows, axis=1)
        u = rng.random((rows.shape[0], k)) * cdf[:, -1:]
        last = n - 1 - np.argmax(rows[:, ::-1] > 0, axis=1)  # guards u rounded up to the total
        out = np.stack([np.minimum(np.searchsorted(c, r, side="right"), m)
                        for c, r, m in zip(cdf, u, last, strict=True)])
    else:
        with np.errstate(divide="ignore"):
            keys = rng.standard_exponential(rows.shape) / rows
        out = np.argsort(keys, axis=1, kind="stable")[:, :k]
    out = out.astype(np.int64)
    return _make(out.reshape(k) if w.ndim == 1 else out, False, None)


def _float_dtype(*values):
    """The dtype normal() returns: a float tensor argument's, else the default float."""
    for v in values:
        if isinstance(v, Tensor) and v.array.dtype.kind == "f":
            return v.array.dtype
    return np.dtype(DEFAULT_FLOAT)


def normal(mean, std=1.0, size=None, *, generator=None, dtype=None, device=None,
           requires_grad=False):
    """Samples of N(mean, std^2): mean and std may be tensors (broadcast together, giving the
    shape) or numbers (then `size` gives it), as torch.normal. The result carries no gradient
    towards mean or std (PyTorch's is zero as well)."""
    m = mean.array if isinstance(mean, Tensor) else mean
    s = std.array if isinstance(std, Tensor) else std
    if size is not None:
        if isinstance(mean, Tensor) or isinstance(std, Tensor):
            raise ValueError("normal: size= goes with a number mean and std; with tensors the "
                             "shape is theirs")
        shape = sizes_of((size,) if isinstance(size, (int, np.integer)) else (size,), "normal")
    else:
        if not (isinstance(mean, Tensor) or isinstance(std, Tensor)):
            raise ValueError("normal: with a number mean and std, pass size= (the shape)")
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
    m, s = np.asarray(move(m, "cpu"), np.float64), np.asarray(move(s, "cpu"), np.float64)
    if (s < 0).any():
        raise ValueError("normal: std must be non-negative")
    z = _numpy_rng(generator, "normal: generator").standard_normal(shape)
    arr = (m + s * z).astype(_float_dtype(mean, std) if dtype is None else to_dtype(dtype))
    return _make(arr, requires_grad, device)


def bernoulli(input, p=None, *, generator=None):
    """1 with probability input (or p, when given) and 0 otherwise, in input's dtype."""
    x = input if isinstance(input, Tensor) else tensor(input)
    prob = move(x.array, "cpu") if p is None else np.asarray(move(getattr(p, "array", p), "cpu"))
    if prob.size and ((prob < 0).any() or (prob > 1).any()):
        raise ValueError("bernoulli: probabilities must lie in [0, 1]")
    u = _numpy_rng(generator, "bernoulli: generator").random(x.shape)
    return _make((u < prob).astype(x.array.dtype), False, x.device)
