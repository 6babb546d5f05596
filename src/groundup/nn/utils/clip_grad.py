"""Gradient clipping and flat-vector views of parameters.

clip_grad_norm_ / clip_grad_value_ scale or clamp `.grad` in place (the
autograd engine gives each leaf its own gradient array, so this never touches
another tensor's gradient). parameters_to_vector / vector_to_parameters move
between a list of parameters and one flat vector, as in PyTorch.
"""

import math
import types
import warnings

import numpy as np

from ... import ops
from ...backend import array_module
from ...tensor import Tensor

__all__ = [
    "clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
    "clip_grads_with_norm_", "parameters_to_vector", "vector_to_parameters",
]


def _as_list(parameters, name):
    if isinstance(parameters, Tensor):
        return [parameters]
    is_generator = isinstance(parameters, types.GeneratorType)
    params = list(parameters)
    for p in params:
        if not isinstance(p, Tensor):
            raise TypeError(f"{name}: expected Tensors, got {type(p).__name__}")
    if is_generator and not params:
        warnings.warn(f"{name}: `parameters` is an empty generator; nothing to clip",
                      stacklevel=3)
    return params


def _norm(a, norm_type):
    """The vector norm of an array as a Python float (computed in the array's dtype)."""
    xp = array_module(a)
    if a.size == 0:
        return 0.0
    if norm_type == 2.0:
        flat = a.reshape(-1)
        return math.sqrt(max(float(xp.dot(flat, flat)), 0.0))
    if norm_type == math.inf:
        return float(xp.abs(a).max())
    if norm_type == -math.inf:
        return float(xp.abs(a).min())
    if norm_type == 0:
        return float(xp.count_nonzero(a))
    if norm_type == 1.0:
        return float(xp.abs(a).sum())
    return float((xp.abs(a) ** norm_type).sum()) ** (1.0 / norm_type)


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False):
    """The norm of the norms of `tensors` (arrays or Tensors) as a 0-d Tensor.

    Equals the norm of all their elements joined into one vector (for
    norm_type 0, PyTorch's rule: the count of non-zero per-tensor norms).
    """
    arrays = [t.array if isinstance(t, Tensor) else t for t in
              ([tensors] if isinstance(tensors, Tensor) else list(tensors))]
    norm_type = float(norm_type)
    if not arrays:
        return Tensor._wrap(np.asarray(0.0, np.float32))
    norms = np.array([_norm(a, norm_type) for a in arrays])
    total = _norm(norms, norm_type)
    if error_if_nonfinite and not math.isfinite(total):
        raise RuntimeError(
            f"clip_grad_norm_: the total norm of order {norm_type} of the gradients is "
            f"non-finite ({total}), so it cannot be clipped; pass error_if_nonfinite=False to "
            f"scale the gradients by it anyway"
        )
    dtype = np.result_type(*[a.dtype for a in arrays])
    if dtype.kind != "f":
        dtype = np.dtype(np.float32)
    xp = array_module(arrays[0])
    return Tensor._wrap(xp.asarray(total, dtype=dtype))


def clip_grads_with_norm_(parameters, max_norm, total_norm):
    """Scale the gradients by max_norm / (total_norm + 1e-6) when that is below 1."""
    params = _as_list(parameters, "clip_grads_with_norm_")
    total = float(total_norm.item() if isinstance(total_norm, Tensor) else total_norm)
    coef = float(max_norm) / (total + 1e-6)
    if coef >= 1.0:  # PyTorch clamps the coefficient to 1: the gradients stay as they are
        return
    for p in params:
        if p.grad is not None:
            p.grad.array *= coef


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Rescale the gradients in place so that their joint norm is at most `max_norm`.

    total = ||(||g_1||, ..., ||g_k||)||_p over the parameters that have a
    gradient; each g_i *= min(1, max_norm / (total + 1e-6)). Returns `total`
    (before clipping) as a 0-d Tensor. norm_type may be any p > 0, 0, inf or -inf.

    Example:
        >>> loss.backward()
        >>> gu.nn.utils.clip_grad_norm_(model.parameters(), max_norm=1.0)
        >>> opt.step()
    """
    params = _as_list(parameters, "clip_grad_norm_")
    grads = [p.grad.array for p in params if p.grad is not None]
    total = get_total_norm(grads, norm_type, error_if_nonfinite)
    clip_grads_with_norm_(params, max_norm, total)
    return total


def clip_grad_norm(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Deprecated alias of `clip_grad_norm_` (as in PyTorch)."""
    warnings.warn("clip_grad_norm is deprecated; use clip_grad_norm_", FutureWarning,
                  stacklevel=2)
    return clip_grad_norm_(parameters, max_norm, norm_type, error_if_nonfinite)


def clip_grad_value_(parameters, clip_value):
    """Clamp every gradient element into [-clip_value, clip_value], in place."""
    params = _as_list(parameters, "clip_grad_value_")
    clip_value = float(clip_value)
    if clip_value < 0:
        raise ValueError(f"clip_grad_value_: clip_value must be >= 0, got {clip_value}")
    for p in params:
        if p.grad is not None:
            g = p.grad.array
            array_module(g).clip(g, -clip_value, clip_value, out=g)


def parameters_to_vector(parameters):
    """All parameters flattened and joined into one vector (differentiable)."""
    params = _as_list(parameters, "parameters_to_vector")
    if not params:
        raise ValueError("parameters_to_vector: got no parameters")
    dtypes = {p.array.dtype for p in params}
    if len(dtypes) > 1:
        raise TypeError(
            f"parameters_to_vector: all parameters must have one dtype, got "
            f"{sorted(str(d) for d in dtypes)}"
        )
    return ops.cat([ops.reshape(p, (-1,)) for p in params])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the flat `vec` into the parameters, in place."""
    if not isinstance(vec, Tensor):
        raise TypeError(f"vector_to_parameters: expected a Tensor, got {type(vec).__name__}")
    if vec.ndim != 1:
        raise ValueError(
            f"vector_to_parameters: expected a 1-d vector, got shape {tuple(vec.shape)}"
        )
    params = _as_list(parameters, "vector_to_parameters")
    total = sum(p.array.size for p in params)
    if vec.shape[0] != total:
        raise ValueError(
            f"vector_to_parameters: the vector has {vec.shape[0]} elements but the parameters "
            f"have {total}"
        )
    start = 0
    for p in params:
        n = p.array.size
        p.array[...] = vec.array[start:start + n].reshape(p.array.shape)
        start += n
