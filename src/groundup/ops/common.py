"""Small helpers shared by the op families: operand conversion, float promotion, dim handling
and NumPy warning control. Every op module may import this one; it imports no op module."""

import contextlib
import functools
import inspect

import numpy as np

from ..backend import DEFAULT_FLOAT, array_module
from ..tensor import Tensor, as_array

_SCALARS = {}


def scalar_constant(xp, dtype, value):
    """A cached read-only 0-d array holding `value` (a number, not NaN) in `dtype`: a bound
    for np.clip or np.maximum that keeps the result in that dtype, and costs no allocation
    per call."""
    key = (xp.__name__, np.dtype(dtype).str, value)
    a = _SCALARS.get(key)
    if a is None:
        a = _SCALARS[key] = xp.asarray(value, dtype=dtype)
        if xp is np:
            a.flags.writeable = False
    return a


def as_tensor(value, like=None):
    """`value` as a Tensor; Python scalars and arrays take the dtype of `like` when it is float.

    A Python scalar never changes the dtype of the tensor it meets: `x * 2.0` stays
    float32 for a float32 `x`. An integer tensor meeting a float becomes float32,
    as in PyTorch.
    """
    if isinstance(value, Tensor):
        return value
    if like is not None:
        ref = like.array.dtype
        xp = array_module(like.array)
        if isinstance(value, np.generic) and value.dtype.kind in "biuf":
            value = value.item()  # NumPy scalars act as Python scalars, as in PyTorch
        vtype = type(value)
        if vtype is float or vtype is int or vtype is bool:
            if ref.kind == "f":
                dtype = ref
            elif vtype is float:
                dtype = DEFAULT_FLOAT
            elif vtype is bool:
                dtype = np.bool_ if ref.kind == "b" else ref
            else:
                dtype = ref if ref.kind in "iu" else np.int64
            return Tensor._wrap(xp.asarray(value, dtype=dtype))
        # arrays, lists and NumPy scalars: a float operand follows a float tensor's dtype
        # (cast straight from the source, so float64 data meeting a float64 tensor keeps
        # its precision); with a non-float tensor, float64 data becomes float32
        arr = as_array(value, keep_float64=True)
        if arr.dtype.kind == "f":
            if ref.kind == "f":
                if arr.dtype != ref:
                    arr = arr.astype(ref)
            elif arr.dtype == np.float64:
                arr = arr.astype(DEFAULT_FLOAT)
        return Tensor._wrap(xp.asarray(arr))
    return Tensor._wrap(as_array(value))


def binary_operands(a, b):
    """Both operands as Tensors with PyTorch's promotion of int and float."""
    if type(a) is Tensor and type(b) is Tensor and a.array.dtype == b.array.dtype:
        return a, b
    if not isinstance(a, Tensor):
        if not isinstance(b, Tensor):
            b = as_tensor(b)
        a = as_tensor(a, b)
    elif not isinstance(b, Tensor):
        b = as_tensor(b, a)
    ka, kb = a.array.dtype.kind, b.array.dtype.kind
    if ka != "f" and kb == "f":
        a = Tensor._wrap(a.array.astype(b.array.dtype))
    elif kb != "f" and ka == "f":
        b = Tensor._wrap(b.array.astype(a.array.dtype))
    return a, b


def normalize_dim(dim, ndim, name="dim"):
    """A dimension index in [0, ndim), accepting negative values, with a clear error."""
    n = max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(
            f"{name} {dim} is out of range for a tensor with {ndim} dimension(s) "
            f"(expected {-n} <= {name} < {n})"
        )
    return dim % n


def normalize_dims(dim, ndim):
    """None -> all axes; int or sequence -> a sorted tuple of non-negative axes."""
    if dim is None:
        return None
    if isinstance(dim, (int, np.integer)):
        return (normalize_dim(int(dim), ndim),)
    return tuple(sorted(normalize_dim(int(d), ndim) for d in dim))


def to_float(x, name=None):
    """`x` as a float Tensor: integer and bool tensors become float32, as PyTorch's smooth and
    transcendental functions (exp, sigmoid, mean, ...) return float for them. With `name`, a
    non-numeric dtype is refused with an error naming the op."""
    if type(x) is not Tensor:
        x = as_tensor(x)
    kind = x.array.dtype.kind
    if kind == "f":
        return x
    if name is not None and kind not in "iub":
        raise TypeError(f"{name}: expected a numeric tensor, got dtype {x.array.dtype}")
    return Tensor._wrap(x.array.astype(DEFAULT_FLOAT))


def quiet(xp):
    """Silence NumPy's overflow/underflow warnings where they are expected and harmless."""
    errstate = getattr(xp, "errstate", None)
    if errstate is None:
        return contextlib.nullcontext()
    return errstate(over="ignore", under="ignore", invalid="ignore")


def keywords(fn):
    """Give a wrong keyword argument a TypeError that names the function, the argument and the
    keywords the function takes (Python's own message does not list them). No cost on a call
    that succeeds: the names are checked only after Python refused them."""
    kinds = (inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)
    names = [n for n, p in inspect.signature(fn).parameters.items() if p.kind in kinds]

    @functools.wraps(fn)
    def call(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except TypeError:
            bad = [k for k in kwargs if k not in names]
            if bad:
                raise TypeError(
                    f"{fn.__name__}(): unexpected keyword argument {bad[0]!r}; the keywords "
                    f"are {', '.join(names)}"
                ) from None
            raise
    return call


def check_dim(name, dim, ndim, what="dim"):
    """normalize_dim with the op's name in the message; refuses non-int dims."""
    if not isinstance(dim, (int, np.integer)) or isinstance(dim, bool):
        raise TypeError(f"{name}: {what} must be an int, got {dim!r}")
    try:
        return normalize_dim(int(dim), ndim, what)
    except IndexError as e:
        raise IndexError(f"{name}: {e}") from None


def check_ints(name, values, what):
    """`values` as a tuple of Python ints; anything else is refused naming the op."""
    values = tuple(values)
    for v in values:
        if not isinstance(v, (int, np.integer)) or isinstance(v, bool):
            raise TypeError(f"{name}: {what} must be ints, got {values!r}")
    return tuple(int(v) for v in values)
