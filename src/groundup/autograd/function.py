"""Function: one differentiable primitive, and the graph node it records.

A `Function` subclass implements `forward` and `backward` on raw backend
arrays. `Function.apply(*tensors, **config)` runs the forward and, when
gradients are being recorded and some input needs one, links the output
tensor to the function instance (its `ctx`), which the engine (engine.py)
walks at backward.

Rules for writing a Function:
- positional arguments of `apply` are Tensors (the graph inputs); keyword
  arguments are configuration (dim, keepdim, ...), passed on to `forward`;
- `self.xp` is the array module of the inputs (numpy or cupy): use it, not np;
- `self.needs_input_grad` (a tuple of bools, one per input) is set before
  `forward` runs (all False when no graph is recorded), so a forward may skip
  saving what no backward will need;
- keep what backward needs with `self.save_for_backward(*arrays)` (read it
  back as `self.saved`); the engine frees it after backward unless
  retain_graph=True. Small configuration may live in attributes (`self.dim`);
- `backward(dy)` returns one gradient per positional input (a tuple when
  there are several; None for an input that needs none) and never writes
  into `dy`; it computes only the gradients `self.needs_input_grad` asks for;
- a returned gradient may have the broadcast shape: the engine reduces it.

A subclass whose `forward` is a `@staticmethod` is a PyTorch-style Function
instead (forward(ctx, ...) and backward(ctx, ...) on Tensors, with
`ctx.save_for_backward`, `ctx.saved_tensors`, ...): see `FunctionCtx`. This
module is `gu.autograd.function`, as `torch.autograd.function`.
"""

import numpy as np

from ..backend import array_module
from . import grad_mode as _grad_mode
from . import versions as _versions
from .grad_mode import _restore, _switch

_Tensor = None  # the Tensor class; tensor.py registers it (it imports this package)
_ndarray = np.ndarray
_new = object.__new__
_NO_NEEDS = [(False,) * n for n in range(8)]
_EMPTY = np.zeros(0, np.float32)
_NOT_A_TENSOR = None


def _register_tensor_type(cls):
    global _Tensor, _NOT_A_TENSOR
    _Tensor = cls
    _NOT_A_TENSOR = cls._wrap(_EMPTY)  # stands for a non-Tensor argument of a custom Function


class Function:
    """One differentiable primitive: `forward` and `backward` on raw arrays.

    Instances are the graph nodes: `parents` (the input Tensors),
    `needs_input_grad`, `saved` (None once freed by backward), `xp`, and
    `stamp` (the count of in-place changes, `mark_changed`, when it was recorded).
    """

    __slots__ = ("parents", "saved", "needs_input_grad", "xp", "stamp", "__dict__")
    # set on the instance only when used (class defaults keep Function.apply cheap):
    hooks = None  # list of gradient hooks of the output tensor; [] once retain_grad() is called
    retained = None  # weakref to the output tensor when it called retain_grad()
    _forward_cls = None  # the PyTorch-style Function a FunctionCtx node belongs to

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if _is_pytorch_style(cls):  # decided once per class: apply stays as fast per call
            _make_pytorch_style(cls)

    def save_for_backward(self, *arrays):
        self.saved = arrays

    @classmethod
    def op_name(cls):
        """The op's snake_case name for messages: `LinearFn` -> 'linear'."""
        name = cls.__name__.strip("_")
        return (name[:-2] if name.endswith("Fn") else name).lower()

    def name(self):
        """The backward node's name, as PyTorch's `grad_fn.name()`: 'LinearFnBackward'."""
        return type(self).__name__.strip("_") + "Backward"

    def __repr__(self):
        return f"<{self.name()}>"

    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, dy):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} is not differentiable")

    @classmethod
    def apply(cls, *tensors, **config):
        """Run forward on the inputs' arrays; record the node when a gradient is needed."""
        fn = _new(cls)
        n = len(tensors)
        recording = _grad_mode._grad_enabled
        if recording is not True:  # some thread does not record: this one?
            recording = _grad_mode.thread_grad_enabled()
        if n == 2:  # the common cases, unrolled: this is the per-op overhead
            a, b = tensors
            arrays = (a.array, b.array)
            needs = (a.requires_grad, b.requires_grad) if recording else _NO_NEEDS[2]
        elif n == 1:
            arrays = (tensors[0].array,)
            needs = (tensors[0].requires_grad,) if recording else _NO_NEEDS[1]
        else:
            arrays = [t.array for t in tensors]
            needs = tuple([t.requires_grad for t in tensors]) if recording else \
                (_NO_NEEDS[n] if n < 8 else (False,) * n)
        record = True in needs
        if n and type(arrays[0]) is _ndarray:
            fn.xp = np
        else:
            fn.xp = array_module(*arrays) if n else np
        fn.needs_input_grad = needs
        fn.saved = ()
        try:
            out = fn.forward(*arrays, **config)
        except ValueError as e:
            if len(arrays) > 1 and "could not be broadcast" in str(e):
                shapes = " and ".join(str(tuple(a.shape)) for a in arrays)
                raise ValueError(
                    f"{cls.op_name()}: shapes {shapes} cannot be broadcast together"
                ) from None
            raise
        if type(out) is not _ndarray:
            out = _as_array(out, fn.xp)
        result = _new(_Tensor)
        result.array = out
        result.grad = None
        result._hooks = None
        result._version = 0
        if record:
            fn.parents = tensors
            fn.stamp = _versions._changes
            result.requires_grad = True
            result._ctx = fn
        else:
            result.requires_grad = False
            result._ctx = None
        return result


def _as_array(out, xp):
    """A forward's result as a backend array (NumPy reductions may return scalars)."""
    if isinstance(out, np.generic) or not hasattr(out, "shape"):
        return xp.asarray(out)
    return out


def _fn_name(node):
    """The name of the Function a node belongs to, for messages."""
    return (node._forward_cls or type(node)).__name__


# ---------------------------------------------------- PyTorch-style Functions
def _is_pytorch_style(cls):
    """True for a Function subclass whose forward is a @staticmethod: forward(ctx, ...)."""
    for klass in cls.__mro__:
        if "forward" in klass.__dict__:
            forward = klass.__dict__["forward"]
            code = getattr(forward, "__code__", None)
            if code is not None and code.co_varnames[:1] == ("ctx",):
                raise TypeError(f"{cls.__name__}.forward(ctx, ...) must be a @staticmethod, as "
                                f"in PyTorch (and so must backward)")
            return isinstance(forward, staticmethod)
    return False


def _make_pytorch_style(cls):
    """Give a PyTorch-style Function its apply and its node classes (named as PyTorch's)."""
    extra = {"__slots__": (), "_forward_cls": cls, "__module__": cls.__module__}
    cls._node_class = type(f"{cls.__name__}Backward", (FunctionCtx,), extra)
    cls._output_class = type(f"{cls.__name__}Backward", (_OutputNode,), extra)
    cls._setup_context = _defines(cls, "setup_context")
    cls._forward_signature = None
    cls.apply = classmethod(_apply_pytorch_style)


def _defines(cls, name):
    """Whether `cls` or a base below Function defines `name`."""
    for klass in cls.__mro__:
        if klass is Function:
            return False
        if name in klass.__dict__:
            return True
    return False


class FunctionCtx(Function):
    """The `ctx` of a PyTorch-style Function, which is also its backward node.

    A PyTorch-style Function is a subclass with two static methods working on Tensors:

        class Exp(gu.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                y = x.exp()
                ctx.save_for_backward(y)
                return y

            @staticmethod
            def backward(ctx, dy):
                y, = ctx.saved_tensors
                return dy * y

        y = Exp.apply(x)

    forward runs without recording. It may return a tuple of Tensors; backward then gets
    one gradient per output. backward returns one gradient per forward argument (None for
    non-Tensor arguments and for inputs that need none), as a tuple when there are
    several. On ctx: `save_for_backward(*tensors)` / `saved_tensors`, `needs_input_grad`
    (one bool per forward argument), `mark_non_differentiable(*outputs)`,
    `set_materialize_grads(False)` (outputs that got no gradient pass None instead of
    zeros), and any attribute of your own (`ctx.scale = 2`).
    """

    __slots__ = ("_non_differentiable", "_materialize", "_outputs")

    def name(self):
        return type(self).__name__

    def save_for_backward(self, *tensors):
        for i, t in enumerate(tensors):
            if t is not None and not isinstance(t, _Tensor):
                raise TypeError(
                    f"{_fn_name(self)}: save_for_backward takes Tensors (or None); argument {i} "
                    f"is a {type(t).__name__}: keep other values as attributes (ctx.name = value)")
        self.saved = tuple(None if t is None else t.array for t in tensors)

    @property
    def saved_tensors(self):
        """The tensors given to save_for_backward (sharing memory, cut from the graph)."""
        if self.saved is None:
            raise RuntimeError(f"{_fn_name(self)}: saved_tensors were freed by an earlier "
                               f"backward; pass retain_graph=True to keep them")
        return tuple(None if a is None else _Tensor._wrap(a) for a in self.saved)

    def mark_non_differentiable(self, *tensors):
        """These outputs of forward get no gradient (they come back not requiring grad)."""
        self._non_differentiable = tensors

    def set_materialize_grads(self, value):
        """False: backward gets None, not zeros, for an output that no gradient reached."""
        self._materialize = bool(value)

    def mark_dirty(self, *tensors):
        raise NotImplementedError(f"{_fn_name(self)}: mark_dirty (a custom Function that "
                                  f"changes its inputs in place) is not supported; return a "
                                  f"new Tensor instead")

    def backward(self, dy):
        """The engine's entry: the Function's backward(ctx, *grad_outputs) on Tensors."""
        if type(dy) is _OutputGrads:  # several outputs: one gradient each, maybe None
            grads = [self._materialized(g, out) for g, out in zip(dy.slots, self._outputs)]
        else:
            grads = [dy]
        grads = [None if g is None else _Tensor._wrap(g) for g in grads]
        prev = _switch(False, None)
        try:
            result = self._forward_cls.backward(self, *grads)
        finally:
            _restore(prev)
        return self._input_grads(result)

    def _materialized(self, grad, output):
        if grad is None and output is not None and self._materialize:
            shape, dtype = output
            return self.xp.zeros(shape, dtype)
        return grad

    def _input_grads(self, result):
        """backward's result as one array (or None) per input, checked."""
        name = _fn_name(self)
        grads = tuple(result) if isinstance(result, (tuple, list)) else (result,)
        n = len(self.parents)
        if len(grads) > n and all(g is None for g in grads[n:]):
            grads = grads[:n]
        if len(grads) != n:
            raise RuntimeError(
                f"{name}.backward returned {len(grads)} gradient(s), but {name}.forward took "
                f"{n} argument(s): return one per forward argument (None for a non-Tensor "
                f"argument or an input that needs no gradient)")
        out = []
        for i, (g, parent, need) in enumerate(zip(grads, self.parents, self.needs_input_grad)):
            if g is not None and parent is _NOT_A_TENSOR:
                raise RuntimeError(
                    f"{name}.backward returned a gradient for argument {i} of forward, which "
                    f"is not a Tensor; return None in that position")
            if g is not None and not isinstance(g, (_Tensor, _ndarray, np.generic, int, float)):
                raise TypeError(f"{name}.backward returned a {type(g).__name__} for argument "
                                f"{i}; expected a Tensor or None")
            if g is None or not need:
                out.append(None)
            else:
                out.append(g.array if isinstance(g, _Tensor) else g)
        return tuple(out)


class _OutputNode(Function):
    """Output `index` (of `count`) of a multi-output PyTorch-style Function.

    Its backward puts the gradient into slot `index` of an `_OutputGrads`, which the
    engine sums like any gradient and hands to the Function's node.
    """

    __slots__ = ("index", "count")

    def name(self):
        return type(self).__name__

    def backward(self, dy):
        slots = [None] * self.count
        slots[self.index] = dy
        return _OutputGrads(slots)


class _OutputGrads:
    """The gradients of a multi-output node's outputs: one slot each, None when none came."""

    __slots__ = ("slots",)

    def __init__(self, slots):
        self.slots = slots

    def __add__(self, other):
        return _OutputGrads([b if a is None else a if b is None else a + b
                             for a, b in zip(self.slots, other.slots)])


def _apply_pytorch_style(cls, *args, **kwargs):
    """PyTorch's Function.apply: forward(ctx, *args) without recording, then link outputs."""
    if kwargs:
        args, kwargs = _bind_arguments(cls, args, kwargs)
    recording = _grad_mode._grad_enabled
    if recording is not True:  # some thread does not record: this one?
        recording = _grad_mode.thread_grad_enabled()
    ctx = _new(cls._node_class)
    ctx.needs_input_grad = tuple([recording and isinstance(a, _Tensor) and a.requires_grad
                                  for a in args])
    arrays = [a.array for a in args if isinstance(a, _Tensor)]
    ctx.xp = array_module(*arrays) if arrays else np
    ctx.saved = ()
    ctx._non_differentiable = ()
    ctx._materialize = True
    ctx._outputs = None
    prev = _switch(False, None)  # forward runs without recording, as in PyTorch
    try:
        if cls._setup_context:
            out = cls.forward(*args, **kwargs)
            cls.setup_context(ctx, args, out)
        else:
            out = cls.forward(ctx, *args, **kwargs)
    finally:
        _restore(prev)
    if not isinstance(out, (_Tensor, tuple)):
        raise TypeError(f"{cls.__name__}.forward must return a Tensor or a tuple of Tensors; "
                        f"got {type(out).__name__}")
    if True not in ctx.needs_input_grad:
        return out
    return _link_outputs(ctx, args, out)


def _link_outputs(ctx, args, out):
    """Make forward's differentiable outputs the outputs of `ctx` (one node per output)."""
    multiple = isinstance(out, tuple)
    outs = list(out) if multiple else [out]
    inputs = {id(a) for a in args}
    constant = {id(t) for t in ctx._non_differentiable}
    linked = []  # positions of the outputs that get a gradient
    for i, o in enumerate(outs):
        if not isinstance(o, _Tensor):
            continue
        if id(o) not in constant and o.array.dtype.kind == "f":
            linked.append(i)
        if id(o) in inputs or o.requires_grad or o._ctx is not None:
            outs[i] = _Tensor._wrap(o.array)  # never relink a tensor the caller holds
    if not linked:
        return tuple(outs) if multiple else outs[0]
    ctx.parents = tuple([a if isinstance(a, _Tensor) else _NOT_A_TENSOR for a in args])
    ctx.stamp = _versions._changes
    if not multiple:
        _link(outs[0], ctx)
        return outs[0]
    ctx._outputs = [(o.array.shape, o.array.dtype) if isinstance(o, _Tensor) else None
                    for o in outs]
    carrier = _Tensor._wrap(_EMPTY, requires_grad=True)  # stands for ctx's (tuple) output
    carrier._ctx = ctx
    for i in linked:
        node = _new(ctx._forward_cls._output_class)
        node.parents = (carrier,)
        node.needs_input_grad = (True,)
        node.saved = ()
        node.xp = ctx.xp
        node.stamp = _versions._changes
        node.index, node.count = i, len(outs)
        _link(outs[i], node)
    return tuple(outs)


def _link(tensor, node):
    tensor._ctx = node
    tensor.requires_grad = True


def _bind_arguments(cls, args, kwargs):
    """Keyword arguments that name forward's parameters become positional, as PyTorch binds
    them: they get a needs_input_grad entry and a gradient position like the others."""
    sig = cls.__dict__.get("_forward_signature")
    if sig is None:
        import inspect

        sig = cls._forward_signature = inspect.signature(cls.forward)
    skip = 0 if cls._setup_context else 1  # forward's ctx
    try:
        bound = sig.bind(*([None] * skip), *args, **kwargs)
    except TypeError as e:
        raise TypeError(f"{cls.__name__}.apply: {e}") from None
    return bound.args[skip:], bound.kwargs


def once_differentiable(fn):
    """PyTorch's mark for a backward that cannot be differentiated again. Nothing to do
    here: groundup computes no higher-order gradients, so `fn` is returned as it is."""
    return fn


