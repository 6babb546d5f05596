"""Tensor: an n-dimensional array with an optional gradient and graph link.

A Tensor holds a backend array (`array`; `.data` is, as in PyTorch, a detached
Tensor sharing it), its gradient (`grad`, a Tensor or
None), `requires_grad`, and `_ctx`: the Function that produced it (None for a
leaf). Operators and methods are thin calls into `groundup.ops`.
"""

import operator
import weakref

import numpy as np

from . import autograd
from .backend import (
    _DTYPE_NAMES,
    DEFAULT_FLOAT,
    array_module,
    device_of,
    is_on,
    move,
    to_dtype,
)
from .random import _numpy_rng


def as_array(data, dtype=None, keep_float64=False):
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
        arr = as_array(data, dtype)
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
        """Where the data lives: a `gu.device` (device(type='cpu') for NumPy arrays)."""
        return device_of(self.array)

    @property
    def is_cuda(self):
        return device_of(self.array).type == "cuda"

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
        if self.device.type != "cpu":
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

    def to(self, device=None, dtype=None, non_blocking=False, copy=False):
        """Move to a device and/or cast to a dtype; differentiable.

        `t.to(gu.float64)` and `t.to("float64")` cast; `t.to("cpu")`,
        `t.to(gu.device("cpu"))` and `t.to(other_tensor)` (its device and dtype) move;
        `t.to("cuda")` raises a RuntimeError when CuPy or a GPU is missing. Returns self
        when nothing changes, unless copy=True. non_blocking is accepted and ignored.
        """
        if isinstance(device, Tensor):
            device, dtype = device.device, (device.dtype if dtype is None else dtype)
        elif dtype is None and (
            isinstance(device, (type, np.dtype))
            or (isinstance(device, str) and device in _DTYPE_WORDS)
        ):
            device, dtype = None, device
        out = self
        if dtype is not None and to_dtype(dtype) != self.array.dtype:
            out = ops.cast(out, dtype=to_dtype(dtype))
        if device is not None and not is_on(out.array, device):
            out = ops.to_device(out, device=device)
        if copy and out is self:
            out = ops.clone(self)
        return out

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        """This tensor on a GPU: the current one, or `device` (an index, "cuda:1" or a device)."""
        if isinstance(device, int) and not isinstance(device, bool):
            device = f"cuda:{device}"
        return self.to("cuda" if device is None else device)

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
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Backpropagate from this tensor into the .grad of every leaf that requires grad
        (or only of `inputs`, leaves or not); see `gu.autograd.backward`."""
        autograd.backward(self, gradient, retain_graph, create_graph, inputs=inputs)

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
        arr = value.array if isinstance(value, Tensor) else as_array(value, self.array.dtype)
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

    def register_post_accumulate_grad_hook(self, hook):
        """Call `hook(tensor)` in each backward pass once this leaf's .grad holds the pass's
        whole gradient (while the rest of the pass runs); returns a handle with remove()."""
        if self._ctx is not None:
            raise RuntimeError("register_post_accumulate_grad_hook: post accumulate grad hooks "
                               "cannot be registered on non-leaf tensors")
        if not self.requires_grad:
            raise RuntimeError("register_post_accumulate_grad_hook on a tensor that does not "
                               "require grad")
        return autograd.gradients.add_post_accumulate_hook(self, hook)

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

    def reshape(self, *shape, **kwargs):
        """t.reshape(2, 3), t.reshape((2, 3)) or t.reshape(shape=(2, 3)); a view when the
        layout allows."""
        return ops.reshape(self, _shape_keyword("reshape", shape, kwargs, "shape"))

    def view(self, *shape, **kwargs):
        """t.view(2, 3), t.view((2, 3)) or t.view(size=(2, 3)); t.view(dtype) reinterprets
        the bytes as another dtype (no gradient), as in PyTorch."""
        if len(shape) == 1 and not kwargs and _is_dtype(shape[0]):
            dtype = to_dtype(shape[0])
            try:
                return Tensor._wrap(self.array.view(dtype))
            except ValueError as e:
                raise ValueError(f"view({dtype}): cannot view a {self.array.dtype} tensor of "
                                 f"shape {tuple(self.shape)} as {dtype}: {e}") from None
        return ops.reshape(self, _shape_keyword("view", shape, kwargs, "size"))

    def view_as(self, other):
        """self.view(other.shape)."""
        return ops.reshape(self, other.shape)

    def reshape_as(self, other):
        """self.reshape(other.shape)."""
        return ops.reshape(self, other.shape)

    def expand_as(self, other):
        """self.expand(other.shape)."""
        return ops.expand(self, other.shape)

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

    # Methods that are gu.<name>(self, ...): same arguments, same checks and messages.
    def narrow(self, *args, **kwargs):
        return ops.narrow(self, *args, **kwargs)

    def t(self):
        return ops.t(self)

    def movedim(self, *args, **kwargs):
        return ops.movedim(self, *args, **kwargs)

    moveaxis = movedim

    def flip(self, *dims, **kwargs):
        """t.flip(0), t.flip(0, 1), t.flip((0, 1)) or t.flip(dims=(0, 1))."""
        return ops.flip(self, _shape_keyword("flip", dims, kwargs, "dims"))

    def roll(self, *args, **kwargs):
        return ops.roll(self, *args, **kwargs)

    def repeat(self, *sizes):
        """Tile self sizes[k] times along dim k: t.repeat(2, 1) or t.repeat((2, 1))."""
        return ops.repeat(self, _shape_args(sizes))

    def tile(self, *dims, **kwargs):
        return ops.tile(self, _shape_keyword("tile", dims, kwargs, "dims"))

    def repeat_interleave(self, *args, **kwargs):
        return ops.repeat_interleave(self, *args, **kwargs)

    def tril(self, *args, **kwargs):
        return ops.tril(self, *args, **kwargs)

    def triu(self, *args, **kwargs):
        return ops.triu(self, *args, **kwargs)

    def gather(self, *args, **kwargs):
        return ops.gather(self, *args, **kwargs)

    def index_select(self, *args, **kwargs):
        return ops.index_select(self, *args, **kwargs)

    def masked_select(self, *args, **kwargs):
        return ops.masked_select(self, *args, **kwargs)

    def scatter(self, *args, **kwargs):
        return ops.scatter(self, *args, **kwargs)

    def scatter_add(self, *args, **kwargs):
        return ops.scatter_add(self, *args, **kwargs)

    def scatter_(self, *args, **kwargs):
        """In-place scatter (on a tensor that does not require grad)."""
        return self._inplace("scatter_", ops.scatter, args, kwargs)

    def scatter_add_(self, *args, **kwargs):
        """In-place scatter_add (on a tensor that does not require grad)."""
        return self._inplace("scatter_add_", ops.scatter_add, args, kwargs)

    def _inplace(self, name, fn, args, kwargs):
        self._check_inplace(name)
        with autograd.no_grad():
            self.array[...] = fn(Tensor._wrap(self.array), *args, **kwargs).array
        return self

    def sort(self, *args, **kwargs):
        return ops.sort(self, *args, **kwargs)

    def argsort(self, *args, **kwargs):
        return ops.argsort(self, *args, **kwargs)

    def topk(self, *args, **kwargs):
        return ops.topk(self, *args, **kwargs)

    def cumsum(self, *args, **kwargs):
        return ops.cumsum(self, *args, **kwargs)

    def cumprod(self, *args, **kwargs):
        return ops.cumprod(self, *args, **kwargs)

    def norm(self, *args, **kwargs):
        return ops.norm(self, *args, **kwargs)

    def sign(self):
        return ops.sign(self)

    def isnan(self):
        return ops.isnan(self)

    def isinf(self):
        return ops.isinf(self)

    def isfinite(self):
        return ops.isfinite(self)

    def isclose(self, *args, **kwargs):
        return ops.isclose(self, *args, **kwargs)

    def allclose(self, *args, **kwargs):
        return ops.allclose(self, *args, **kwargs)

    def equal(self, other):
        return ops.equal(self, other)

    # ------------------------------------------------ random fills (in place)
    def _fill_random(self, name, values):
        """Write float64 samples into this tensor, cast to its dtype (not recorded by autograd)."""
        self._check_inplace(name)
        self.array[...] = move(values.astype(self.array.dtype, copy=False),
                               device_of(self.array))
        return self

    def normal_(self, mean=0.0, std=1.0, *, generator=None):
        """Fill with samples of N(mean, std^2), from `generator` or the shared generator."""
        rng = _numpy_rng(generator, "normal_: generator")
        return self._fill_random("normal_", rng.normal(mean, std, self.shape))

    def uniform_(self, a=0.0, b=1.0, *, generator=None, **bounds):
        """Fill with samples of U(a, b); PyTorch's keywords from= and to= name a and b too."""
        unknown = sorted(set(bounds) - {"from", "to"})
        if unknown:
            raise TypeError(f"uniform_(): unexpected keyword argument {unknown[0]!r}; the "
                            f"keywords are from, to, generator")
        a, b = bounds.get("from", a), bounds.get("to", b)
        rng = _numpy_rng(generator, "uniform_: generator")
        return self._fill_random("uniform_", rng.uniform(a, b, self.shape))

    def exponential_(self, lambd=1.0, *, generator=None):
        """Fill with samples of the exponential distribution of rate lambd (mean 1 / lambd)."""
        if not lambd > 0:
            raise ValueError(f"exponential_: lambd must be positive, got {lambd}")
        rng = _numpy_rng(generator, "exponential_: generator")
        return self._fill_random("exponential_", rng.exponential(1.0 / lambd, self.shape))

    def bernoulli_(self, p=0.5, *, generator=None):
        """Fill with 1 (probability p, a number or a tensor broadcast to self) or 0."""
        p = np.asarray(move(p.array, "cpu") if isinstance(p, Tensor) else p, np.float64)
        if p.size and ((p < 0).any() or (p > 1).any()):
            raise ValueError("bernoulli_: p must lie in [0, 1]")
        u = _numpy_rng(generator, "bernoulli_: generator").random(self.shape)
        return self._fill_random("bernoulli_", (u < p).astype(np.float64))

    # ------------------------------------------ new tensors like this one
    def _new(self, name, make, size, dtype, device, requires_grad):
        shape = sizes_of(size, f"{name}()")
        xp = array_module(self.array)
        arr = make(xp, shape, self.array.dtype if dtype is None else to_dtype(dtype))
        if device is not None:
            arr = move(arr, device)
        t = Tensor._wrap(arr)
        return t.requires_grad_(True) if requires_grad else t

    def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
        """Zeros of `size`, with this tensor's dtype and device unless given."""
        return self._new("new_zeros", lambda xp, s, d: xp.zeros(s, d), size, dtype, device,
                         requires_grad)

    def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
        """Ones of `size`, with this tensor's dtype and device unless given."""
        return self._new("new_ones", lambda xp, s, d: xp.ones(s, d), size, dtype, device,
                         requires_grad)

    def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
        """An uninitialised tensor of `size`, with this tensor's dtype and device unless given."""
        return self._new("new_empty", lambda xp, s, d: xp.empty(s, d), size, dtype, device,
                         requires_grad)

    def new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
        """`fill_value` everywhere in `size`, with this tensor's dtype and device unless given."""
        return self._new("new_full", lambda xp, s, d: xp.full(s, fill_value, d), (size,),
                         dtype, device, requires_grad)

    def new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
        """A copy of `data` with this tensor's dtype and device unless given (even for data
        of another kind, as in PyTorch)."""
        arr = as_array(data, self.array.dtype if dtype is None else dtype)
        if arr is data or (isinstance(data, Tensor) and arr is data.array):
            arr = arr.copy()
        arr = move(arr, self.device if device is None else device)
        t = Tensor._wrap(arr)
        return t.requires_grad_(True) if requires_grad else t


_REPR_IMPLIED_DTYPES = (np.dtype(np.float32), np.dtype(np.int64), np.dtype(np.bool_))
_DTYPE_WORDS = frozenset(_DTYPE_NAMES)


def _shape_args(args):
    """Accept both t.reshape(2, 3) and t.reshape((2, 3))."""
    if len(args) == 1 and isinstance(args[0], (tuple, list)):
        return tuple(args[0])
    return tuple(args)


def _shape_keyword(name, args, kwargs, key):
    """The shape of t.reshape(2, 3) / t.reshape((2, 3)) / t.reshape(shape=(2, 3))."""
    if not kwargs:
        return _shape_args(args)
    if args or set(kwargs) != {key}:
        bad = sorted(set(kwargs) - {key})
        raise TypeError(
            f"{name}(): " + (f"unexpected keyword argument {bad[0]!r}; " if bad else "")
            + f"give the shape positionally or as {key}=, not both"
        )
    shape = kwargs[key]
    return tuple(shape) if isinstance(shape, (tuple, list)) else (shape,)


def _is_dtype(value):
    return isinstance(value, (type, np.dtype)) or (
        isinstance(value, str) and value in _DTYPE_WORDS)


def sizes_of(size, name):
    """`f(2, 3)`, `f((2, 3))` and `f([2, 3])` all mean shape (2, 3); sizes are checked, and
    errors start with `name` (creation functions and the new_* methods share this)."""
    shape = _shape_args(size)
    try:
        shape = tuple(operator.index(n) for n in shape)
    except TypeError:
        raise TypeError(f"{name}: sizes must be integers, got {shape!r}") from None
    if any(n < 0 for n in shape):
        raise ValueError(f"{name}: sizes must be non-negative, got {shape}")
    return shape


autograd._register_tensor_type(Tensor)

from . import ops  # noqa: E402  (ops import Tensor from this module)
