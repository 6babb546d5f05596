"""Finite-difference gradient checking in float64.

gradcheck(fn, inputs) compares the gradient that backpropagation computes with
central differences (f(x + eps) - f(x - eps)) / (2 eps), one input element at a
time, on a random projection of the output, and reports the first disagreement:
which input, which element, both values.
"""

import numpy as np

from .autograd import enable_grad
from .tensor import Tensor


class GradcheckError(AssertionError):
    pass


def _as_inputs(inputs):
    if isinstance(inputs, Tensor) or isinstance(inputs, np.ndarray):
        inputs = (inputs,)
    out = []
    for x in inputs:
        if isinstance(x, Tensor):
            if x.data.dtype.kind == "f":
                t = Tensor._wrap(np.array(x.numpy(), dtype=np.float64))
                t.requires_grad = x.requires_grad
            else:
                t = x
        elif isinstance(x, np.ndarray) and x.dtype.kind == "f":
            t = Tensor._wrap(np.array(x, dtype=np.float64), requires_grad=True)
        else:
            t = x
        out.append(t)
    return out


def _scalar_output(fn, inputs, weights):
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    total = 0.0
    for o, w in zip(outs, weights):
        if isinstance(o, Tensor) and o.data.dtype.kind == "f":
            total += float(np.sum(o.numpy().astype(np.float64) * w))
    return total


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True, seed=0):
    """Check fn's backward against central differences, in float64.

    fn: a function of the inputs returning a Tensor (or a tuple of Tensors).
    inputs: Tensors / float arrays; float ones are copied to float64, and those with
        requires_grad=True (every ndarray) are checked.
    Returns True when every element agrees within atol + rtol * |numerical|;
    otherwise raises GradcheckError naming the input and the element (or returns
    False when raise_exception=False).
    """
    inputs = _as_inputs(inputs)
    with enable_grad():
        out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    rng = np.random.default_rng(seed)
    weights = [
        rng.standard_normal(o.shape) if isinstance(o, Tensor) else None for o in outs
    ]
    total = None
    for o, w in zip(outs, weights):
        if isinstance(o, Tensor) and o.requires_grad:
            term = (o * Tensor._wrap(np.asarray(w, dtype=o.data.dtype))).sum()
            total = term if total is None else total + term
    checked = [i for i, x in enumerate(inputs) if isinstance(x, Tensor) and x.requires_grad]
    if total is None:
        raise GradcheckError("gradcheck: the output does not depend on any input that requires grad")
    for i in checked:
        inputs[i].grad = None
    total.backward()
    for i in checked:
        x = inputs[i]
        analytic = np.zeros(x.shape) if x.grad is None else x.grad.numpy()
        flat = x.data.reshape(-1)
        numeric = np.zeros(flat.size)
        for j in range(flat.size):
            orig = flat[j]
            flat[j] = orig + eps
            fp = _scalar_output(fn, inputs, weights)
            flat[j] = orig - eps
            fm = _scalar_output(fn, inputs, weights)
            flat[j] = orig
            numeric[j] = (fp - fm) / (2 * eps)
        a = analytic.reshape(-1)
        bad = np.abs(a - numeric) > atol + rtol * np.abs(numeric)
        if bad.any():
            j = int(np.argmax(bad))
            idx = np.unravel_index(j, x.shape) if x.shape else ()
            msg = (
                f"gradcheck: input {i} (shape {tuple(x.shape)}), element {tuple(int(k) for k in idx)}: "
                f"backward gives {a[j]:.10g}, finite differences give {numeric[j]:.10g} "
                f"({int(bad.sum())} of {bad.size} elements disagree)"
            )
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True
