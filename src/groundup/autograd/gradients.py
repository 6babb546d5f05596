"""What the backward pass does with one gradient array before it lands somewhere.

`sum_to_shape` and `_fit_grad` bring a gradient to its input's shape (the
adjoint of broadcasting is summation), `_run_hooks` lets the tensor's hooks see
or replace it, and `_store_grad` adds it into a `.grad` without two tensors ever
sharing one array (`_owned`). Post-accumulate-grad hooks (`_post_accumulate`) are
called once a leaf's `.grad` holds the whole gradient of a pass.
"""

import weakref

import numpy as np

from ..backend import array_module
from . import function as _function
from .function import _fn_name, _OutputGrads

_Tensor = None  # the Tensor class; tensor.py registers it (it imports this package)
_ndarray = np.ndarray


def _register_tensor_type(cls):
    global _Tensor
    _Tensor = cls
    _function._register_tensor_type(cls)


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


# Post-accumulate-grad hooks: {id(leaf): (weak reference to the leaf, [hook(leaf), ...])}.
# The engine looks at the leaves' uses only while this holds something, so a backward pass
# with no such hook pays nothing for them.
_post_accumulate = {}


class _PostAccumulateHandle:
    """Returned by Tensor.register_post_accumulate_grad_hook: `remove()` unregisters."""

    def __init__(self, key, hook):
        self.key, self.hook = key, hook

    def remove(self):
        entry = _post_accumulate.get(self.key)
        if entry is not None:
            hooks = entry[1]
            for i, h in enumerate(hooks):
                if h is self.hook:
                    del hooks[i]
                    break
            if not hooks:
                del _post_accumulate[self.key]


def _forget(key, ref):
    entry = _post_accumulate.get(key)
    if entry is not None and entry[0] is ref:  # the leaf is gone: drop its hooks
        del _post_accumulate[key]


def add_post_accumulate_hook(tensor, hook):
    """Call `hook(tensor)` each backward pass, once the leaf's .grad holds its whole gradient."""
    key = id(tensor)
    entry = _post_accumulate.get(key)
    if entry is None or entry[0]() is not tensor:
        entry = (weakref.ref(tensor, lambda ref, key=key: _forget(key, ref)), [])
        _post_accumulate[key] = entry
    entry[1].append(hook)
    return _PostAccumulateHandle(key, hook)


def _post_hooks_of(tensor):
    """The post-accumulate-grad hooks of `tensor` ([] when it has none)."""
    entry = _post_accumulate.get(id(tensor))
    return entry[1] if entry is not None and entry[0]() is tensor else []


def _fit_grad(dx, parent, node):
    """Bring a returned gradient to the parent's shape, with a clear error when it cannot."""
    if type(dx) is _OutputGrads:  # for a multi-output node: its outputs' gradients
        return dx
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
            f"{_fn_name(node)}.backward returned a gradient of shape {tuple(dx.shape)} "
            f"for an input of shape {tuple(shape)}"
        )
    return out


def _store_leaf(tensor, grad, owners):
    """Run the leaf's hooks, then add `grad` into `tensor.grad` (created on first use)."""
    if tensor._hooks:
        grad = _run_hooks(tensor._hooks, grad)
    _store_grad(tensor, grad, owners)


def _store_grad(tensor, grad, owners):
    """Add `grad` into `tensor.grad` (a new Tensor on first use), in the tensor's dtype."""
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
    if t is not None:
        _store_grad(t, dy, owners)


