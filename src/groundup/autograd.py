"""Reverse-mode automatic differentiation: Function, graph recording, backward.

A `Function` subclass implements `forward` and `backward` on raw backend
arrays. `Function.apply(*tensors, **config)` runs the forward and, when
gradients are being recorded and some input needs one, links the output
tensor to the function instance (its `ctx`). `backward()` walks that graph in
reverse topological order, iteratively (no recursion, so chains of any length
work), calls each `backward` with the gradient of its output, and sums
broadcast gradients back to each input's shape in one place: the adjoint of
broadcasting is summation (`sum_to_shape`).

Rules for writing a Function:
- positional arguments of `apply` are Tensors (the graph inputs); keyword
  arguments are configuration (dim, keepdim, ...), passed on to `forward`;
- `backward(dy)` returns one gradient per positional input (a tuple when
  there are several; None for an input that needs none) and never writes
  into `dy`; `self.needs_input_grad[i]` says which ones are wanted;
- a returned gradient may have the broadcast shape: the engine reduces it.
"""

import functools

import numpy as np

from .backend import array_module

_grad_enabled = True


def is_grad_enabled():
    return _grad_enabled


class _GradMode:
    """Base of no_grad / enable_grad: a context manager and a decorator."""

    mode = True

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
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with self.__class__():
                return fn(*args, **kwargs)

        return wrapper


class no_grad(_GradMode):
    """Disable graph recording inside a `with` block or a decorated function."""

    mode = False


class enable_grad(_GradMode):
    """Re-enable graph recording (e.g. inside a `no_grad` block)."""

    mode = True


class set_grad_enabled(_GradMode):
    def __init__(self, mode):
        self.mode = bool(mode)

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)

        return wrapper


def sum_to_shape(grad, shape):
    """Sum `grad` down to `shape`: the adjoint of broadcasting is summation.

    Leading axes that broadcasting added are summed away, then axes where the
    target has size 1 are summed with keepdims.
    """
    if grad.shape == shape:
        return grad
    lead = grad.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(
        i + lead for i, n in enumerate(shape) if n == 1 and grad.shape[i + lead] != 1
    )
    if axes:
        grad = grad.sum(axis=axes, keepdims=True)
    if lead:
        grad = grad.reshape(shape)
    return grad


class Function:
    """One differentiable primitive: `forward` and `backward` on raw arrays."""

    __slots__ = ("parents", "saved", "needs_input_grad", "xp", "hooks", "retained", "freed",
                 "__dict__")

    def save_for_backward(self, *arrays):
        self.saved = arrays

    def forward(self, *args, **kwargs):  # pragma: no cover - abstract
        raise NotImplementedError

    def backward(self, dy):  # pragma: no cover - abstract
        raise NotImplementedError(f"{type(self).__name__} is not differentiable")

    @classmethod
    def apply(cls, *tensors, **config):
        from .tensor import Tensor

        fn = cls.__new__(cls)
        arrays = [t.data for t in tensors]
        fn.xp = array_module(*arrays) if arrays else np
        fn.saved = ()
        try:
            out = fn.forward(*arrays, **config)
        except ValueError as e:
            if len(tensors) > 1 and ("broadcast" in str(e) or "shapes" in str(e)):
                shapes = " and ".join(str(tuple(a.shape)) for a in arrays)
                raise ValueError(
                    f"{cls.__name__.lower()}: shapes {shapes} are not compatible: {e}"
                ) from None
            raise
        result = Tensor.__new__(Tensor)
        result.data = out
        result.grad = None
        result._hooks = None
        if _grad_enabled:
            needs = tuple(t.requires_grad for t in tensors)
            if True in needs:
                fn.parents = tensors
                fn.needs_input_grad = needs
                fn.hooks = None
                fn.retained = None
                fn.freed = False
                result.requires_grad = True
                result._ctx = fn
                return result
        result.requires_grad = False
        result._ctx = None
        return result


def _owned(array, seen):
    """A gradient array a leaf may keep: fresh (not a view) and not given to another leaf."""
    if array.base is None and id(array) not in seen and array.flags.writeable:
        seen.add(id(array))
        return array
    out = array.copy()
    seen.add(id(out))
    return out


def _accumulate_leaf(tensor, grad, seen):
    from .tensor import Tensor

    if tensor._hooks:
        for hook in tensor._hooks:
            new = hook(Tensor._wrap(grad))
            if new is not None:
                grad = new.data if isinstance(new, Tensor) else new
    if grad.dtype != tensor.data.dtype:
        grad = grad.astype(tensor.data.dtype)
    if tensor.grad is None:
        tensor.grad = Tensor._wrap(_owned(grad, seen))
    else:
        tensor.grad.data += grad


def _topological_order(root):
    """Functions reachable from `root`, each after every function that uses its output."""
    order = []
    visited = set()
    stack = [(root, False)]
    while stack:
        node, done = stack.pop()
        if done:
            order.append(node)
            continue
        if id(node) in visited:
            continue
        visited.add(id(node))
        stack.append((node, True))
        for p in node.parents:
            c = p._ctx
            if c is not None and id(c) not in visited:
                stack.append((c, False))
    order.reverse()
    return order


def backward(tensor, gradient=None, retain_graph=False):
    """Accumulate d(tensor)/d(leaf) into `leaf.grad` for every leaf that requires grad."""
    from .tensor import Tensor

    if not tensor.requires_grad:
        raise RuntimeError(
            "backward(): this tensor does not require grad and has no grad_fn "
            "(no input of the computation had requires_grad=True, or it ran under no_grad)"
        )
    xp = array_module(tensor.data)
    seen = set()
    if gradient is None:
        if tensor.data.size != 1:
            raise RuntimeError(
                f"backward() without a gradient works only for a single-element tensor; this "
                f"one has shape {tuple(tensor.shape)}: pass gradient= of that shape, or reduce "
                f"it first (e.g. .sum())"
            )
        grad = xp.ones_like(tensor.data)
    else:
        grad = gradient.data if isinstance(gradient, Tensor) else xp.asarray(gradient)
        if grad.shape != tensor.data.shape:
            raise RuntimeError(
                f"backward(): gradient has shape {tuple(grad.shape)} but the tensor has shape "
                f"{tuple(tensor.data.shape)}"
            )
        grad = grad.astype(tensor.data.dtype, copy=False)
        seen.add(id(grad))  # the caller's array: a leaf gets a copy
    root = tensor._ctx
    if root is None:
        _accumulate_leaf(tensor, grad, seen)
        return
    grads = {id(root): grad}
    for node in _topological_order(root):
        dy = grads.pop(id(node), None)
        if dy is None:
            continue
        if node.freed:
            raise RuntimeError(
                f"backward(): trying to backward through the graph a second time (through "
                f"{type(node).__name__}); its saved values were freed after the first "
                f"backward. Pass retain_graph=True to the first backward() to keep them."
            )
        if node.hooks:
            for hook in node.hooks:
                new = hook(Tensor._wrap(dy))
                if new is not None:
                    dy = new.data if isinstance(new, Tensor) else new
        if node.retained is not None:
            t = node.retained()
            if t is not None:
                if t.grad is None:
                    t.grad = Tensor._wrap(_owned(dy, seen))
                else:
                    t.grad.data += dy
        dxs = node.backward(dy)
        if type(dxs) is not tuple:
            dxs = (dxs,)
        for p, need, dx in zip(node.parents, node.needs_input_grad, dxs):
            if not need or dx is None:
                continue
            if dx.shape != p.data.shape:
                dx = sum_to_shape(dx, p.data.shape)
            c = p._ctx
            if c is None:
                _accumulate_leaf(p, dx, seen)
            else:
                prev = grads.get(id(c))
                grads[id(c)] = dx if prev is None else prev + dx
        if not retain_graph:
            node.saved = None
            node.freed = True
