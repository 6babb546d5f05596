"""Reverse-mode automatic differentiation: Function, graph recording, backward.

A `Function` subclass implements `forward` and `backward` on raw backend
arrays. `Function.apply(*tensors, **config)` runs the forward and, when
gradients are being recorded and some input needs one, links the output
tensor to the function instance (its `ctx`). `backward()` walks that graph
from the output to the leaves, iteratively (no recursion, so chains of any
length work), calls each `backward` with the gradient of its output once all
of that output's uses have contributed to it, and sums broadcast gradients
back to each input's shape in one place: the adjoint of broadcasting is
summation (`sum_to_shape`).

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

A leaf's first gradient of a pass is summed out of place and stored into
`leaf.grad` at the end of the pass (after the leaf's hooks see the sum), so
no two leaves, and no leaf and a pending gradient, ever share one array; a
leaf that already has a .grad (and no hooks) accumulates into it in place.
Grad mode is process-wide.
"""

import collections
import functools

import numpy as np

try:
    from numpy.lib.array_utils import byte_bounds
except ImportError:  # NumPy < 2
    byte_bounds = np.byte_bounds

from .backend import array_module

_grad_enabled = True
_Tensor = None  # the Tensor class; tensor.py registers it (it imports this module)
_ndarray = np.ndarray
_new = object.__new__
_NO_NEEDS = [(False,) * n for n in range(8)]


def _register_tensor_type(cls):
    global _Tensor
    _Tensor = cls


def is_grad_enabled():
    """True when operations are recorded for backward (outside no_grad)."""
    return _grad_enabled


class _GradMode:
    """Base of no_grad / enable_grad: a context manager and a decorator."""

    mode = True

    def __new__(cls, func=None):
        self = super().__new__(cls)
        if func is not None:  # used as a bare decorator: @no_grad
            if not callable(func):
                raise TypeError(f"{cls.__name__}() takes no arguments (got {func!r})")
            return self(func)
        return self

    def __enter__(self):
        global _grad_enabled
        self._prev = _grad_enabled
        _grad_enabled = self.mode
        return self

    def __exit__(self, *exc):
        global _grad_enabled
        _grad_enabled = self._prev
        return False

    def __call__(self, fn):
        cls = type(self)

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with cls():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Disable graph recording inside a `with` block or a decorated function.

    Usable as `with gu.no_grad():`, `@gu.no_grad()` and `@gu.no_grad`.
    """

    mode = False


class enable_grad(_GradMode):
    """Re-enable graph recording (e.g. inside a `no_grad` block)."""

    mode = True


class set_grad_enabled(_GradMode):
    """Set grad mode to `mode` (a bool) for a `with` block or a decorated function."""

    def __new__(cls, mode):
        return object.__new__(cls)

    def __init__(self, mode):
        self.mode = bool(mode)

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


_changes = 0  # in-place changes so far, process-wide: the clock of Tensor._version
_changed = collections.deque(maxlen=4096)  # (clock, first byte, end byte) of recent changes


def mark_changed(tensor):
    """Record an in-place change of `tensor`'s memory; its `_version` becomes the new clock.

    An op records the clock when it runs (`Function.stamp`). At backward, a node
    recorded before a change checks whether the changed bytes overlap any array it
    saved: views, `detach()` aliases and saved outputs share memory with what
    changed, so they are caught as well as the tensor itself.
    """
    global _changes
    _changes += 1
    tensor._version = _changes
    lo, hi = _byte_range(tensor.array)
    if hi > lo:
        _changed.append((_changes, lo, hi))


def _byte_range(array):
    """(first byte, one past the last byte) an array can touch; (0, 0) when unknown."""
    if type(array) is _ndarray:
        return byte_bounds(array) if array.size else (0, 0)
    try:  # CuPy: device pointers
        lo = int(array.data.ptr)
        return lo, lo + int(array.nbytes)
    except (AttributeError, TypeError):
        return 0, 0


def sum_to_shape(grad, shape):
    """Sum `grad` down to `shape`: the adjoint of broadcasting is summation.

    Leading axes that broadcasting added are summed away, then axes where the
    target has size 1 are summed with keepdims. A gradient of lower rank than
    the target (a backward that returned a scalar) is broadcast up instead.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    if lead < 0:
        return array_module(grad).broadcast_to(grad, shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


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
        if n == 2:  # the common cases, unrolled: this is the per-op overhead
            a, b = tensors
            arrays = (a.array, b.array)
            needs = (a.requires_grad, b.requires_grad) if _grad_enabled else _NO_NEEDS[2]
        elif n == 1:
            arrays = (tensors[0].array,)
            needs = (tensors[0].requires_grad,) if _grad_enabled else _NO_NEEDS[1]
        else:
            arrays = [t.array for t in tensors]
            needs = tuple([t.requires_grad for t in tensors]) if _grad_enabled else \
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
            fn.stamp = _changes
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


def _owned(array, owners):
    """`array` if a tensor may keep it as its .grad, else a copy.

    It may when it is writeable, has no stride-0 (broadcast) axes, and its
    memory is not already held by another .grad or by the caller (`owners`
    holds the ids of those base arrays).
    """
    if type(array) is not _ndarray and isinstance(array, np.generic):
        array = np.asarray(array)
    base = array.base
    if base is None:
        base = array
    flags = array.flags
    if (
        getattr(flags, "writeable", True)
        and id(base) not in owners
        and (0 not in array.strides or array.size <= 1)
        and hasattr(base, "shape")
    ):
        owners.add(id(base))
        return array
    out = array.copy()
    owners.add(id(out))
    return out


def _run_hooks(hooks, grad):
    for hook in hooks:
        new = hook(_Tensor._wrap(grad))
        if new is not None:
            new = new.array if isinstance(new, _Tensor) else array_module(grad).asarray(new)
            if new.shape != grad.shape:
                raise RuntimeError(
                    f"a gradient hook ({getattr(hook, '__name__', type(hook).__name__)}) "
                    f"returned a gradient of shape {tuple(new.shape)} for a gradient of shape "
                    f"{tuple(grad.shape)}; a hook must return None or the same shape"
                )
            grad = new
    return grad


def _fit_grad(dx, parent, node):
    """Bring a returned gradient to the parent's shape, with a clear error when it cannot."""
    if isinstance(dx, _Tensor):
        dx = dx.array
    elif isinstance(dx, np.generic):
        dx = np.asarray(dx)
    elif not hasattr(dx, "shape"):
        dx = array_module(parent.array).asarray(dx, dtype=parent.array.dtype)
    shape = parent.array.shape
    if dx.shape == shape:
        return dx
    try:
        out = sum_to_shape(dx, shape)
    except ValueError:
        out = None
    if out is None or out.shape != shape:
        raise RuntimeError(
            f"{type(node).__name__}.backward returned a gradient of shape {tuple(dx.shape)} "
            f"for an input of shape {tuple(shape)}"
        )
    return out


def _count_uses(root):
    """For every node reachable from `root`: how many edges lead into it (its output's uses)."""
    uses = {root: 0}
    stack = [root]
    while stack:
        node = stack.pop()
        for p in node.parents:
            c = p._ctx
            if c is not None:
                if c in uses:
                    uses[c] += 1
                else:
                    uses[c] = 1
                    stack.append(c)
    return uses


def backward(tensor, gradient=None, retain_graph=False, create_graph=False):
    """Accumulate d(tensor)/d(leaf) into `leaf.grad` for every leaf that requires grad.

    gradient: d(loss)/d(tensor), required unless `tensor` has one element.
    retain_graph: keep the saved values so that backward can run through the graph again.
    """
    if create_graph:
        raise NotImplementedError("backward(create_graph=True): higher-order gradients are "
                                  "not supported (backward passes do not record a graph)")
    if not tensor.requires_grad:
        raise RuntimeError(
            "backward(): this tensor does not require grad and has no grad_fn "
            "(no input of the computation had requires_grad=True, or it ran under no_grad)"
        )
    xp = array_module(tensor.array)
    owners = set()  # ids of base arrays already held by a .grad or by the caller
    if gradient is None:
        if tensor.array.size != 1:
            raise RuntimeError(
                f"backward() without a gradient works only for a single-element tensor; this "
                f"one has shape {tuple(tensor.shape)}: pass gradient= of that shape, or reduce "
                f"it first (e.g. .sum())"
            )
        grad = xp.ones_like(tensor.array)
    else:
        grad = gradient.array if isinstance(gradient, _Tensor) else xp.asarray(gradient)
        if grad.shape != tensor.array.shape:
            raise RuntimeError(
                f"backward(): gradient has shape {tuple(grad.shape)} but the tensor has shape "
                f"{tuple(tensor.array.shape)}"
            )
        grad = grad.astype(tensor.array.dtype, copy=False)
        owners.add(id(grad if grad.base is None else grad.base))  # the caller's: copy it
    root = tensor._ctx
    if root is None:
        _store_leaf(tensor, grad, owners)
        return
    uses = _count_uses(root)
    grads = {root: grad}
    leaves = {}  # id(leaf) -> [leaf, summed gradient]
    ready = [root]
    while ready:
        node = ready.pop()
        dy = grads.pop(node, None)
        parents = node.parents
        if dy is not None:
            if type(dy) is not _ndarray:
                dy = _as_array(dy, node.xp)  # NumPy arithmetic on 0-d arrays gives scalars
            if node.saved is None:
                raise RuntimeError(
                    f"backward(): trying to backward through the graph a second time (through "
                    f"{type(node).__name__}); its saved values were freed after the first "
                    f"backward. Pass retain_graph=True to the first backward() to keep them."
                )
            if node.stamp != _changes and node.saved:  # something changed in place since
                _check_unchanged(node)
            if node.hooks is not None:  # gradient hooks, then retain_grad
                dy = _run_hooks(node.hooks, dy)
                if node.retained is not None:
                    _store_retained(node, dy, owners)
            dxs = node.backward(dy)
            if type(dxs) is not tuple:
                dxs = (dxs,)
            if len(dxs) != len(parents):
                raise RuntimeError(
                    f"{type(node).__name__}.backward returned {len(dxs)} gradient(s) for "
                    f"{len(parents)} input(s)"
                )
            for p, need, dx in zip(parents, node.needs_input_grad, dxs, strict=False):
                c = p._ctx
                if need and dx is not None:
                    if type(dx) is not _ndarray or dx.shape != p.array.shape:
                        dx = _fit_grad(dx, p, node)
                    if c is None:
                        g = p.grad
                        if g is not None and not p._hooks:
                            g.array += dx  # its own array from an earlier pass: add in place
                        else:
                            entry = leaves.get(id(p))
                            if entry is None:
                                leaves[id(p)] = [p, dx]
                            else:
                                entry[1] = entry[1] + dx
                    else:
                        prev = grads.get(c)
                        grads[c] = dx if prev is None else prev + dx
                if c is not None:
                    n = uses[c] - 1
                    uses[c] = n
                    if n == 0:
                        ready.append(c)
            if not retain_graph:
                node.saved = None
                node.__dict__.clear()
        else:
            for p in parents:
                c = p._ctx
                if c is not None:
                    n = uses[c] - 1
                    uses[c] = n
                    if n == 0:
                        ready.append(c)
    for leaf, g in leaves.values():
        _store_leaf(leaf, g, owners)


def _check_unchanged(node):
    """Raise when memory that `node` saved for backward was changed in place after forward."""
    stamp = node.stamp
    recent = []
    for clock, lo, hi in reversed(_changed):  # newest first: stop at the node's own time
        if clock <= stamp:
            break
        recent.append((lo, hi))
    if not recent:
        return
    for s in node.saved:
        if not hasattr(s, "shape"):
            continue
        lo, hi = _byte_range(s)
        if hi > lo and any(a < hi and lo < b for a, b in recent):
            name = type(node).__name__
            raise RuntimeError(
                f"backward(): a value that {name} saved for its backward pass (shape "
                f"{tuple(s.shape)}) was changed in place after the forward pass, and {name}'s "
                f"backward needs the old value. An optimizer.step() or an in-place op (add_, "
                f"mul_, x[...] = v, also through a view or a detach()ed alias) between the "
                f"forward pass and backward() does this: run the forward pass again after the "
                f"change, or change a .clone() instead."
            )


def _store_leaf(tensor, grad, owners):
    """Run the leaf's hooks, then add `grad` into `tensor.grad` (created on first use)."""
    if tensor._hooks:
        grad = _run_hooks(tensor._hooks, grad)
    data = tensor.array
    if grad.dtype != data.dtype:
        grad = grad.astype(data.dtype)
    if grad.shape != data.shape:
        grad = sum_to_shape(grad, data.shape)
    if tensor.grad is None:
        tensor.grad = _Tensor._wrap(_owned(grad, owners))
    else:
        tensor.grad.array += grad


def _store_retained(node, dy, owners):
    """Keep the gradient of a non-leaf tensor that called retain_grad()."""
    t = node.retained()
    if t is None:
        return
    if dy.dtype != t.array.dtype:
        dy = dy.astype(t.array.dtype)
    if t.grad is None:
        t.grad = _Tensor._wrap(_owned(dy, owners))
    else:
        t.grad.array += dy
