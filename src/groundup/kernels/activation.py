"""The seam of GELU: the compiled twin of GELUFn's forward and backward.

Called first thing in ops/activation.py's GELUFn.forward / .backward with the same
arguments (the Function's context and its raw arrays). Each does what the NumPy
reference does, including what the forward saves (x and the cdf), so either backward
can follow either forward; or returns None and the reference runs (compiled path off,
fewer than switch.MIN_SIZE elements, arrays that are not C-contiguous NumPy
float32/float64). The reference's erf is a NumPy polynomial of about 25 passes:
forward and backward of a (2048, 512) float32 input took 17.1 ms with it, 9.2 ms
compiled at 1 thread and 5.3 ms at 2 with libm's erf and exp, one element at a time
(a shared 2-core machine, so rough). float32 now evaluates the reference's own erf
polynomial and compiled_math's exp, which vectorise: on a 2-core AVX2 machine, 1,048,576
elements at 1 thread, the forward 13.7 ms (reference) / 11.0 (libm) / 3.5, the backward
3.5 (libm) / 1.7 ms. GELU's tanh form (GELUTanhFn, GPT's) is compiled for float32 with
compiled_math's tanh: NumPy's tanh without AVX-512 is libm's, one element at a time.

Leaky ReLU's forward builds its factor f in five NumPy passes and multiplies in a sixth:
595 us on 802,816 float32 where the kernel's one pass (writing y and f) takes about a
fifth of that; its backward, dy * f, stays one NumPy multiply.

ReLU has a twin both ways. Its forward was written when the reference used NumPy's
maximum against a scalar zero, which is not one SIMD pass on every machine: with NumPy
2.4 on an AVX-512 AMD EPYC it took 311 us on 802,816 float32 (the reference CNN's first
ReLU), where a copy takes 69 us and the kernel 76 us (one thread); on 65,536 elements
25 us against 6 us. The reference now uses np.clip against 0-d bounds (138 us against
maximum's 412 on the AVX2 EPYC), and the kernel gives clip's result bit for bit (-0.0
stays, as in PyTorch); it still saves most of a pass's time on large arrays (113 us
there). The backward's NumPy form, dy * (y != 0), makes a boolean temporary and a
mixed-type multiply, three passes on one core; the kernel is one, threaded.
"""

import math

import numpy as np

from . import switch

__all__ = ["gelu_forward", "gelu_backward", "gelu_tanh_forward", "gelu_tanh_backward",
           "relu_forward", "relu_backward", "leaky_relu_forward"]

_CONSTANTS = {}


def _constants(dtype):
    c = _CONSTANTS.get(dtype)
    if c is None:
        c = _CONSTANTS[dtype] = np.array(
            [math.sqrt(0.5), 1.0 / math.sqrt(2.0 * math.pi), 0.5, 1.0], dtype)
    return c


def _erf_tables(erf_coefficients):
    """The two float32 erf tables of ops/special.py (erf_coefficients(np.float32)) as one
    float32 array (12,)."""
    t = _CONSTANTS.get("erf")
    if t is None:
        small, large = erf_coefficients(np.float32)
        t = _CONSTANTS["erf"] = np.array(small + large, np.float32)
    return t


def _module(*arrays, cost=4):
    """cost: per element, for switch.set_threads (GELU's erf and exp: 4; ReLU's select: 1)."""
    x = arrays[0]
    if x.size < switch.MIN_SIZE or not switch.enabled() or x.size == 0:
        return None
    dtype = x.dtype
    if dtype.kind != "f" or dtype.itemsize < 4:
        return None
    for a in arrays:
        if type(a) is not np.ndarray or a.dtype != dtype or a.shape != x.shape \
                or not a.flags.c_contiguous:
            return None
    mod = switch.load("compiled_activation")
    if mod is not None:
        switch.set_threads(cost * x.size)
    return mod


def gelu_forward(ctx, x, erf_coefficients):
    """GELUFn.forward (exact form), compiled; None when the reference must run.
    erf_coefficients: ops.special's, whose float32 erf the float32 kernel evaluates."""
    mod = _module(x)
    if mod is None:
        return None
    c = _constants(x.dtype)
    if x.dtype == np.float32:
        tables = _erf_tables(erf_coefficients)
        return _forward(ctx, x, lambda *a: mod.gelu_forward_f32(*a[:3], c, tables, a[3]))
    return _forward(ctx, x, lambda *a: mod.gelu_forward(*a[:3], c, a[3]))


def gelu_backward(ctx, dy):
    """GELUFn.backward, compiled; None when the reference must run."""
    x, cdf = ctx.saved
    mod = _module(dy, x, cdf)
    if mod is None:
        return None
    kernel = mod.gelu_backward_f32 if dy.dtype == np.float32 else mod.gelu_backward
    return _backward(dy, x, cdf, lambda *a: kernel(*a, _constants(dy.dtype)))


def gelu_tanh_forward(ctx, x):
    """GELUTanhFn.forward, compiled (float32: the reference's operations with
    compiled_math's tanh, which vectorises; libm's does not); None when the reference
    must run. Saves what the reference saves (x, t)."""
    mod = _module(x) if x.dtype == np.float32 else None
    return None if mod is None else _forward(ctx, x, mod.gelu_tanh_forward_f32)


def gelu_tanh_backward(ctx, dy):
    """GELUTanhFn.backward, compiled (float32); None when the reference must run."""
    x, t = ctx.saved
    mod = _module(dy, x, t) if dy.dtype == np.float32 else None
    return None if mod is None else _backward(dy, x, t, mod.gelu_tanh_backward_f32)


def _forward(ctx, x, kernel):
    """y from kernel(x, y, kept, save) over flat views, with `kept` (what the backward
    needs besides x) saved with x when x needs a gradient; None if the kernel failed."""
    save = bool(ctx.needs_input_grad[0])
    y = np.empty_like(x)
    kept = np.empty_like(x) if save else y[:0]
    try:
        kernel(x.reshape(-1), y.reshape(-1), kept.reshape(-1), save)
    except Exception as e:  # pragma: no cover - a numba failure falls back, once
        switch.failed(e)
        return None
    if save:
        ctx.save_for_backward(x, kept)
    return y


def _backward(dy, x, kept, kernel):
    """dx from kernel(dy, x, kept, dx) over flat views; None if the kernel failed."""
    dx = np.empty_like(dy)
    try:
        kernel(dy.reshape(-1), x.reshape(-1), kept.reshape(-1), dx.reshape(-1))
    except Exception as e:  # pragma: no cover
        switch.failed(e)
        return None
    return dx


def _memory_order(a):
    """a as a 1-D view in memory order when its elements fill one block (C-contiguous, or a
    transpose of such, as convolutions' batch-innermost results are); else None."""
    order = sorted(range(a.ndim), key=lambda i: -a.strides[i])
    t = a.transpose(order)
    return t.reshape(-1) if t.flags.c_contiguous else None


def relu_forward(x, out=None):
    """ReLUFn.forward: y = max(x, 0) in one threaded pass, in x's memory order, into `out`
    when given (x itself for in place); None when the reference must run (x may be
    C-contiguous or a transpose of such, as the batch-innermost results of convolutions
    are)."""
    if type(x) is not np.ndarray or x.size < switch.MIN_SIZE:
        return None
    y = np.empty_like(x) if out is None else out  # keeps x's memory order
    return y if _run_flat("relu_forward", (x, y)) else None


def relu_backward(dy, y, out=None):
    """ReLUFn.backward: dx = dy * [y != 0] in one threaded pass, into `out` when given (dy
    itself for in place); None when the reference must run. dy and y may be in any one
    memory order (dx gets it too)."""
    if type(dy) is not np.ndarray or type(y) is not np.ndarray or dy.size < switch.MIN_SIZE:
        return None
    dx = np.empty_like(dy) if out is None else out  # keeps dy's memory order
    return dx if _run_flat("relu_backward", (dy, y, dx)) else None


def leaky_relu_forward(ctx, x, slope):
    """LeakyReLUFn.forward, compiled: y, with the factor f the reference saves saved (when x
    needs a gradient), both in x's memory order; None when the reference must run."""
    if type(x) is not np.ndarray or x.size < switch.MIN_SIZE:
        return None
    save = bool(ctx.needs_input_grad[0])
    y = np.empty_like(x)  # keeps x's memory order
    f = np.empty_like(x) if save else y  # the kernel writes f only when saving
    if not _run_flat("leaky_relu_forward", (x, y, f), np.array([1.0, 0.0, slope], x.dtype),
                     save):
        return None
    if save:
        ctx.save_for_backward(f)
    return y


def _run_flat(kernel, arrays, *args):
    """compiled_activation's kernel(*flat views of `arrays`, *args), the arrays of one shape,
    dtype and memory order (C-contiguous or a transpose of such); False when the reference
    must run."""
    x = arrays[0]
    if any(a.strides != x.strides or a.dtype != x.dtype or a.shape != x.shape
           for a in arrays[1:]):
        return False
    flats = [_memory_order(a) for a in arrays]
    if any(f is None for f in flats):
        return False
    mod = _module(*flats, cost=1)
    if mod is None:
        return False
    try:
        getattr(mod, kernel)(*flats, *args)
    except Exception as e:  # pragma: no cover
        switch.failed(e)
        return False
    return True
