"""Tensor: an n-dimensional array with an optional gradient and graph link.

A Tensor holds a backend array (`array`; `.data` is, as in PyTorch, a detached
Tensor sharing it), its gradient (`grad`, a Tensor or
None), `requires_grad`, and `_ctx`: the Function that produced it (None for a
leaf). Operators and methods are thin calls into `groundup.ops`.
"""

import weakref

import numpy as np

from . import autograd
from .backend import (
    _DTYPE_NAMES,
    DEFAULT_FLOAT,
    array_module,
    device_of,
    move,
    normalize_device,
    to_dtype,
)


def _convert(data, dtype=None, keep_float64=False):
    """Turn user data into a backend array with groundup's dtype rules.

    Python floats and float64 arrays become float32 unless `dtype` is given
    (or `keep_float64`); integers stay integers (int64), booleans stay booleans.
    Anything else (strings, objects, complex numbers, ragged lists) is refused
    with a TypeError / ValueError that names what was received.
    """
    if isinstance(data, Tensor):
        data = data.array
    dtype = to_dtype(dtype)
    if dtype is not None and dtype.kind not in "fiub":
        raise TypeError(f"unsupported tensor dtype {dtype}; expected a float, int or bool dtype")
    if isinstance(data, np.ndarray) or array_module(data) is not np:
        arr = data
    else:
        try:
            arr = np.asarray(data)
        except ValueError as e:  # ragged nesting
            raise ValueError(
                f"cannot make a tensor from this {type(data).__name__}: {e}"
            ) from None
        except (TypeError, OverflowError) as e:
            raise TypeError(f"cannot make a tensor from {type(data).__name__}: {e}") from None
    kind = arr.dtype.kind
    if kind not in "fiub":
        raise TypeError(
            f"cannot make a tensor from data of dtype {arr.dtype} ({type(data).__name__}); "
            f"expected numbers or booleans"
        )
    if dtype is not None:
        if arr.dtype != dtype:
            arr = arr.astype(dtype, order="C")
    elif kind == "f" and arr.dtype == np.float64 and not keep_float64:
        arr = arr.astype(DEFAULT_FLOAT, order="C")
    return arr


class Tensor:
    """An array that can record the operations applied to it and backpropagate."""

    # _version: the in-place-change clock's value at this Tensor's last change through its
    # methods or an optimizer step (autograd.mark_changed); backward compares it with the
    # clock value each op recorded at forward time
    __slots__ = ("array", "grad", "requires_grad", "_ctx", "_hooks", "_version", "__weakref__")
    __array_ufunc__ = None  # so `ndarray (op) Tensor` calls the Tensor's reflected operator

    def __init__(self, data, requires_grad=False, dtype=None):
        arr = _convert(data, dtype)
        if arr is data:
            arr = arr.copy()
        self.array = arr
        self.grad = None
        self._ctx = None
        self._hooks = None
        self._version = 0
        self.requires_grad = False
        if requires_grad:
            self.requires_grad_(True)

    @staticmethod
    def _wrap(array, requires_grad=False):
        """A Tensor around an existing backend array (no copy, no checks)."""
        t = Tensor.__new__(Tensor)
        t.array = array
        t.grad = None
        t.requires_grad = requires_grad
        t._ctx = None
        t._hooks = None
        t._version = 0
        return t

    # ------------------------------------------------------------------ info
    @property
    def shape(self):
        return self.array.shape

    @property
    def dtype(self):
        return self.array.dtype.type

    @property
    def ndim(self):
        return self.array.ndim

    @property
    def device(self):
        return device_of(self.array)

    @property
    def is_leaf(self):
        return self._ctx is None

    @property
    def grad_fn(self):
        return self._ctx

    @property
    def T(self):
        return ops.permute(self, tuple(range(self.ndim - 1, -1, -1)))

    @property
    def mT(self):
        return ops.transpose(self, -2, -1)

    def size(self, dim=None):
        return self.array.shape if dim is None else self.array.shape[dim]

    def numel(self):
        return int(self.array.size)

    def dim(self):
        return self.array.ndim

    def __len__(self):
        if self.array.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.array.shape[0]

    def __iter__(self):
        for i in range(len(self)):
            yield self[i]

    def __repr__(self):
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(")
        extra = ""
        dt = self.array.dtype
        if self.device != "cpu":
            extra += f", device='{self.device}'"
        if dt not in _REPR_IMPLIED_DTYPES or (dt.kind != "f" and self.array.size == 0):
            extra += f", dtype={dt}"
        if self._ctx is not None:
            extra += f", grad_fn={self._ctx!r}"
        elif self.requires_grad:
            extra += ", requires_grad=True"
        return f"tensor({body}{extra})"

    __hash__ = object.__hash__

    # ------------------------------------------------------------ conversion
    def numpy(self):
        """The data as a NumPy ndarray (copied from the GPU if needed; shares memory on CPU)."""
        return move(self.array, "cpu")

    def __array__(self, dtype=None, copy=None):
        a = self.numpy()
        return a if dtype is None else a.astype(dtype)

    def item(self):
        if self.array.size != 1:
            raise ValueError(
                f"item(): only a one-element tensor converts to a Python number; "
                f"this one has shape {tuple(self.shape)}"
            )
        return self.array.reshape(()).item()

    def tolist(self):
        return self.numpy().tolist()

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __bool__(self):
        if self.array.size != 1:
            raise RuntimeError(
                f"the truth value of a tensor with {self.array.size} elements is ambiguous"
            )
        return bool(self.item())

    def __index__(self):
        if self.array.dtype.kind not in "iu" or self.array.size != 1:
            raise TypeError("only one-element integer tensors can be used as an index")
        return int(self.item())

    def to(self, device=None, dtype=None):
        """Move to a device ('cpu' or 'cuda') and/or cast to a dtype; differentiable.

        `t.to(gu.float64)` and `t.to("float64")` cast; `t.to("cuda")` raises a
        RuntimeError when CuPy or a GPU is missing. Returns self when nothing changes.
        """
        if dtype is None and (
            isinstance(device, (type, np.dtype))
            or (isinstance(device, str) and device in _DTYPE_WORDS)
        ):
            device, dtype = None, device
        out = self
        if dtype is not None and to_dtype(dtype) != self.array.dtype:
            out = ops.cast(out, dtype=to_dtype(dtype))
        if device is not None and device_of(out.array) != normalize_device(device):
            out = ops.to_device(out, device=device)
        return out

    def cpu(self):
        return self.to("cpu")

    def cuda(self):
        return self.to("cuda")

    def float(self):
        return self.to(dtype=np.float32)

    def double(self):
        return self.to(dtype=np.float64)

    def long(self):
        return self.to(dtype=np.int64)

    def int(self):
        return self.to(dtype=np.int32)

    def bool(self):
        return self.to(dtype=np.bool_)

    def type(self, dtype):
        return self.to(dtype=dtype)

    astype = type

    # --------------------------------------------------------------- autograd
    def backward(self, gradient=None, retain_graph=False, create_graph=False):
        """Backpropagate from this tensor into the .grad of every leaf that requires grad."""
        autograd.backward(self, gradient, retain_graph, create_graph)

    @property
    def data(self):
        """This tensor's values as a new leaf Tensor sharing its memory, as in PyTorch.

        In-place changes through it (`p.data.add_(...)`, `m.weight.data.normal_()`) are
        not recorded by autograd. The raw backend array is `.array`.
        """
        return Tensor._wrap(self.array)

    @data.setter
    def data(self, value):
        """Replace this tensor's values (a Tensor or an array of the same shape or not)."""
        arr = value.array if isinstance(value, Tensor) else _convert(value, self.array.dtype)
        self.array = arr

    def detach(self):
        """The same data, cut from the graph (shares memory)."""
        return Tensor._wrap(self.array)

    def detach_(self):
        """Cut this tensor from the graph in place (it becomes a leaf)."""
        self._ctx = None
        self.requires_grad = False
        return self

    def requires_grad_(self, requires_grad=True):
        if requires_grad and self.array.dtype.kind != "f":
            raise RuntimeError(
                f"only floating-point tensors can require gradients; this one is {self.array.dtype}"
            )
        if not requires_grad and self._ctx is not None:
            raise RuntimeError("requires_grad_(False) on a non-leaf tensor; use detach()")
        self.requires_grad = bool(requires_grad)
        return self

    def register_hook(self, hook):
        """Call `hook(grad)` when this tensor's gradient is computed; a returned value replaces it.

        On a leaf the hook sees the summed gradient of one backward pass; on a non-leaf, the
        gradient of its output, before retain_grad stores it.
        """
        if not self.requires_grad:
            raise RuntimeError("register_hook on a tensor that does not require grad")
        if self._ctx is not None:
            if self._ctx.hooks is None:
                self._ctx.hooks = []
            self._ctx.hooks.append(hook)
        else:
            if self._hooks is None:
                self._hooks = []
            self._hooks.append(hook)
        return hook

    def retain_grad(self):
        """Keep `.grad` for this non-leaf tensor after backward (leaves always keep it)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad on a tensor that does not require grad")
        if self._ctx is not None:
            self._ctx.retained = weakref.ref(self)
            if self._ctx.hooks is None:
                self._ctx.hooks = []  # the engine looks at `retained` only when hooks is set

    @property
    def retains_grad(self):
        return self._ctx is not None and self._ctx.retained is not None

    def _check_inplace(self, name):
        """Refuse an in-place change that the graph cannot follow; else count it."""
        if autograd.is_grad_enabled() and (self._ctx is not None or self.requires_grad):
            raise RuntimeError(
                f"{name}: in-place change of a tensor that requires grad; wrap it in "
                f"gu.no_grad() or work on .data"
            )
        autograd.mark_changed(self)

    @property
    def version(self):
        """A number that grows each time this tensor is changed in place (by its in-place
        methods or an optimizer step); 0 when it never was. Backward through an op that
        saved the tensor's old values before the change is an error."""
        return self._version

    def zero_(self):
        self._check_inplace("zero_")
        self.array[...] = 0
        return self

    def fill_(self, value):
        self._check_inplace("fill_")
        self.array[...] = value
        return self

    def copy_(self, src):
        self._check_inplace("copy_")
        src = src.array if isinstance(src, Tensor) else src
        self.array[...] = src
        return self

    def add_(self, other, alpha=1):
        self._check_inplace("add_")
        other = other.array if isinstance(other, Tensor) else other
        self.array += other * alpha if alpha != 1 else other
        return self

    def sub_(self, other):
        return self.add_(other, alpha=-1)

    def mul_(self, other):
        self._check_inplace("mul_")
        self.array *= other.array if isinstance(other, Tensor) else other
        return self

    def __setitem__(self, index, value):
        self._check_inplace("__setitem__")
        if isinstance(index, Tensor):
            index = index.array
        elif isinstance(index, tuple):
            index = tuple(i.array if isinstance(i, Tensor) else i for i in index)
        self.array[index] = value.array if isinstance(value, Tensor) else value

    def clone(self):
        return ops.clone(self)

    def contiguous(self):
        """Self when C-contiguous, else a contiguous (differentiable) copy."""
        if self.array.flags.c_contiguous:
            return self
        return ops.clone(self)

    # -------------------------------------------------------------- operators
    def __add__(self, other):
        return ops.add(self, other)

    def __radd__(self, other):
        return ops.add(other, self)

    def __sub__(self, other):
        return ops.sub(self, other)

    def __rsub__(self, other):
        return ops.sub(other, self)

    def __mul__(self, other):
        return ops.mul(self, other)

    def __rmul__(self, other):
        return ops.mul(other, self)

    def __truediv__(self, other):
        return ops.div(self, other)

    def __rtruediv__(self, other):
        return ops.div(other, self)

    def __pow__(self, other):
        return ops.pow(self, other)

    def __rpow__(self, other):
        return ops.pow(other, self)

    def __matmul__(self, other):
        return ops.matmul(self, other)

    def __rmatmul__(self, other):
        return ops.matmul(other, self)

    def __neg__(self):
        return ops.neg(self)

    def __pos__(self):
        return self

    def __abs__(self):
        return ops.abs(self)

    def __eq__(self, other):
        if other is None:
            return False
        return ops.eq(self, other)

    def __ne__(self, other):
        if other is None:
            return True
        return ops.ne(self, other)

    def __lt__(self, other):
        return ops.lt(self, other)

    def __le__(self, other):
        return ops.le(self, other)

    def __gt__(self, other):
        return ops.gt(self, other)

    def __ge__(self, other):
        return ops.ge(self, other)

    def __invert__(self):
        return ops.logical_not(self)

    def __and__(self, other):
        return ops.logical_and(self, other)

    def __or__(self, other):
        return ops.logical_or(self, other)

    def __xor__(self, other):
        return ops.logical_xor(self, other)

    def __floordiv__(self, other):
        return ops.floor_divide(self, other)

    def __rfloordiv__(self, other):
        return ops.floor_divide(other, self)

    def __mod__(self, other):
        return ops.remainder(self, other)

    def __rmod__(self, other):
        return ops.remainder(other, self)

    def __getitem__(self, index):
        return ops.getitem(self, index)

    # ---------------------------------------------------------------- methods
    def add(self, other):
        return ops.add(self, other)

    def sub(self, other):
        return ops.sub(self, other)

    def mul(self, other):
        return ops.mul(self, other)

    def div(self, other):
        return ops.div(self, other)

    def pow(self, exponent):
        return ops.pow(self, exponent)

    def matmul(self, other):
        return ops.matmul(self, other)

    def neg(self):
        return ops.neg(self)

    def exp(self):
        return ops.exp(self)

    def log(self):
        return ops.log(self)

    def sqrt(self):
        return ops.sqrt(self)

    def abs(self):
        return ops.abs(self)

    def square(self):
        return ops.pow(self, 2)

    def eq(self, other):
        return ops.eq(self, other)

    def ne(self, other):
        return ops.ne(self, other)

    def lt(self, other):
        return ops.lt(self, other)

    def le(self, other):
        return ops.le(self, other)

    def gt(self, other):
        return ops.gt(self, other)

    def ge(self, other):
        return ops.ge(self, other)

    def logical_not(self):
        return ops.logical_not(self)

    def sin(self):
        return ops.sin(self)

    def cos(self):
        return ops.cos(self)

    def clamp(self, min=None, max=None):
        return ops.clamp(self, min, max)

    clip = clamp

    def maximum(self, other):
        return ops.maximum(self, other)

    def minimum(self, other):
        return ops.minimum(self, other)

    def masked_fill(self, mask, value):
        return ops.masked_fill(self, mask, value)

    def relu(self):
        return ops.relu(self)

    def sigmoid(self):
        return ops.sigmoid(self)

    def tanh(self):
        return ops.tanh(self)

    def softmax(self, dim=-1):
        return ops.softmax(self, dim)

    def log_softmax(self, dim=-1):
        return ops.log_softmax(self, dim)

    def sum(self, dim=None, keepdim=False, **aliases):
        return ops.sum(self, dim, keepdim, **aliases)

    def mean(self, dim=None, keepdim=False, **aliases):
        return ops.mean(self, dim, keepdim, **aliases)

    def var(self, dim=None, keepdim=False, unbiased=True, **aliases):
        return ops.var(self, dim, keepdim, unbiased=unbiased, **aliases)

    def std(self, dim=None, keepdim=False, unbiased=True, **aliases):
        return ops.std(self, dim, keepdim, unbiased=unbiased, **aliases)

    def max(self, dim=None, keepdim=False, **aliases):
        return ops.max(self, dim, keepdim, **aliases)

    def min(self, dim=None, keepdim=False, **aliases):
        return ops.min(self, dim, keepdim, **aliases)

    def argmax(self, dim=None, keepdim=False, **aliases):
        return ops.argmax(self, dim, keepdim, **aliases)

    def argmin(self, dim=None, keepdim=False, **aliases):
        return ops.argmin(self, dim, keepdim, **aliases)

    def logsumexp(self, dim=None, keepdim=False, **aliases):
        return ops.logsumexp(self, dim, keepdim, **aliases)

    def reshape(self, *shape):
        return ops.reshape(self, _shape_args(shape))

    def view(self, *shape):
        return ops.reshape(self, _shape_args(shape))

    def transpose(self, dim0, dim1):
        return ops.transpose(self, dim0, dim1)

    def permute(self, *dims):
        return ops.permute(self, _shape_args(dims))

    def expand(self, *shape):
        return ops.expand(self, _shape_args(shape))

    def squeeze(self, dim=None):
        return ops.squeeze(self, dim)

    def unsqueeze(self, dim):
        return ops.unsqueeze(self, dim)

    def flatten(self, start_dim=0, end_dim=-1):
        return ops.flatten(self, start_dim, end_dim)

    def split(self, split_size_or_sections, dim=0):
        return ops.split(self, split_size_or_sections, dim)

    def chunk(self, chunks, dim=0):
        return ops.chunk(self, chunks, dim)


_REPR_IMPLIED_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))
_DTYPE_WORDS = frozenset(_DTYPE_NAMES)


def _shape_args(args):
    """Accept both t.reshape(2, 3) and t.reshape((2, 3))."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


autograd._register_tensor_type(Tensor)

from . import ops  # noqa: E402  (ops import Tensor from this module)
