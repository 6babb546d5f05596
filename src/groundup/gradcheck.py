"""Finite-difference gradient checking in float64.

gradcheck(fn, inputs) compares the gradient that backpropagation computes with
central differences (f(x + eps) - f(x - eps)) / (2 eps), one input element at a
time, on a fixed random projection of the output (sum(w * fn(x)), so every
output element takes part), and reports the first disagreement: which input,
which element, both values.
"""

import numpy as np

from .autograd import enable_grad, no_grad
from .tensor import Tensor

__all__ = ["GradcheckError", "gradcheck"]


class GradcheckError(AssertionError):
    """Backpropagation and finite differences disagree (the message says where)."""


def _as_inputs(inputs):
    """Float inputs as fresh C-contiguous float64 leaves (so perturbing them in place works)."""
    if isinstance(inputs, (Tensor, np.ndarray)):
        inputs = (inputs,)
    out = []
    for x in inputs:
        if isinstance(x, Tensor) and x.array.dtype.kind == "f":
            t = Tensor._wrap(np.array(x.numpy(), dtype=np.float64, order="C"))
            t.requires_grad = x.requires_grad
        elif isinstance(x, np.ndarray) and x.dtype.kind == "f":
            t = Tensor._wrap(np.array(x, dtype=np.float64, order="C"), requires_grad=True)
        else:
            t = x
        out.append(t)
    return out


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _projection(outs, weights):
    """sum_k sum(w_k * out_k) in float64, over the float outputs."""
    total = 0.0
    for o, w in zip(outs, weights, strict=False):
        if w is not None and isinstance(o, Tensor):
            total += float(np.sum(o.numpy().astype(np.float64) * w))
    return total


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0):
    """Check fn's backward against central differences, in float64.

    fn: a function of the inputs returning a Tensor (or a tuple/list of Tensors).
    inputs: Tensors / float arrays (or one of them); float ones are copied to
        float64, and those with requires_grad=True (every ndarray) are checked.
        Other values (ints, integer tensors, None) are passed through as they are.
    Returns True when every element agrees within atol + rtol * |numerical|;
    otherwise raises GradcheckError naming the input and the element (or returns
    False when raise_exception=False).
    """
    inputs = _as_inputs(inputs)
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if not checked:
        raise GradcheckError("gradcheck: no input requires grad (pass float arrays, or "
                             "tensors with requires_grad=True)")
    with enable_grad():
        outs = _outputs(fn(*inputs))
    rng = np.random.default_rng(seed)
    weights = [
        rng.standard_normal(o.shape)
        if isinstance(o, Tensor) and o.array.dtype.kind == "f" else None
        for o in outs
    ]
    seeded = [(o, w) for o, w in zip(outs, weights, strict=False)
              if w is not None and o.requires_grad]
    if not seeded:
        raise GradcheckError(
            "gradcheck: the output does not depend on any input that requires grad"
        )
    for i in checked:
        inputs[i].grad = None
    for o, w in seeded:  # d(sum_k w_k * out_k)/dx, one pass per output (graphs may be shared)
        o.backward(gradient=w, retain_graph=True)
    for i in checked:
        x = inputs[i]
        if x.grad is None:
            analytic = np.zeros(x.shape)
        else:
            analytic = x.grad.numpy()
            if analytic.shape != x.shape:
                raise GradcheckError(
                    f"gradcheck: input {i} has shape {tuple(x.shape)} but its gradient has "
                    f"shape {tuple(analytic.shape)}"
                )
        flat = x.array.reshape(-1)  # a view: x.array is C-contiguous
        numeric = np.zeros(flat.size)
        with no_grad():
            for j in range(flat.size):
                orig = flat[j]
                flat[j] = orig + eps
                fp = _projection(_outputs(fn(*inputs)), weights)
                flat[j] = orig - eps
                fm = _projection(_outputs(fn(*inputs)), weights)
                flat[j] = orig
                numeric[j] = (fp - fm) / (2 * eps)
        a = analytic.reshape(-1).astype(np.float64)
        bad = ~(np.abs(a - numeric) <= atol + rtol * np.abs(numeric))  # nan counts as bad
        if bad.any():
            j = int(np.argmax(bad))
            idx = tuple(int(k) for k in np.unravel_index(j, x.shape)) if x.shape else ()
            msg = (
                f"gradcheck: input {i} (shape {tuple(x.shape)}), element {idx}: "
                f"backward gives {a[j]:.10g}, finite differences give {numeric[j]:.10g} "
                f"({int(bad.sum())} of {bad.size} elements disagree)"
            )
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True
