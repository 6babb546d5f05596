"""The seam of the optimizer updates: a compiled kernel or a BLAS call, else the reference.

`adam_` and `sgd_` are called by optim/adam.py and optim/sgd.py with the raw arrays
of one parameter, before their NumPy reference. They return True when they did the
update, False when the caller must run the reference:

- the compiled kernel (compiled_optim.py: one threaded pass, bit-identical to the
  reference) when the compiled path is on and the arrays have at least
  switch.MIN_SIZE elements. MLP 784-512-256-10, batch 128, a step with Adam:
  4.2 -> 3.1 ms at 1 thread, 3.4 -> 2.3 ms at 2; SGD with momentum 0.9: 3.36 -> 2.95
  and 2.62 -> 2.20 ms (2-core machine shared with other jobs: a rough guide);
- Adam without the compiled path (no L2 weight decay, not maximize; AdamW's decoupled
  decay is fine): nine passes instead of the reference's thirteen, the moments as a scale
  and a BLAS axpy each (`_adam_blas`; equal to the reference to rounding). The update of
  MLP 784-512-256-10's 535,818 parameters: 1.62 -> 1.22 ms at 1 thread. Inside
  `kernels.use(False)` only the reference runs (switch.tuned());
- plain SGD (no momentum, weight decay or maximize), with or without the compiled
  path: p <- p - lr * g as one BLAS axpy (a fused multiply-add, as PyTorch's
  `add_(g, alpha=-lr)`; 0.28 -> 0.20 ms a step at 1 thread, 0.93 -> 0.17 ms at 2) for
  parameters of at least AXPY_MIN elements (smaller ones: the reference).
  The compiled kernel measured 0.1 ms a step slower here at 2 threads: numba's
  threads wake up on cores where OpenBLAS's workers still spin after the backward
  GEMMs, while the axpy runs on those very workers.
"""

import numpy as np

from .. import blas
from . import switch

__all__ = ["adam_", "sgd_", "prepare"]

# Plain SGD's BLAS axpy costs about 5 us of ctypes calling (two data pointers, the call)
# before any work; NumPy's multiply and add about 1.5 us. On 1 thread, an axpy of 256
# float32 took 5.6 us against 1.5, of 2,560 8.8 against 3.3, of 32,768 12.3 against 10.9,
# of 131,072 22 against 38: from this size on the axpy is used.
AXPY_MIN = 32768


def _flat(arrays, size):
    """1-D views of C-contiguous float NumPy arrays of one dtype and `size` elements,
    or None."""
    dtype = arrays[0].dtype
    if dtype.kind != "f" or dtype.itemsize < 4:
        return None
    out = []
    for a in arrays:
        if type(a) is not np.ndarray or a.dtype != dtype or a.size != size \
                or not a.flags.c_contiguous:
            return None
        out.append(a.reshape(-1))
    return out


def _compiled(p, arrays):
    """The compiled-kernel module and flat views of `arrays`, or (None, None)."""
    if p.size < switch.MIN_SIZE or not switch.enabled():
        return None, None
    flat = _flat(arrays, p.size)
    if flat is None or not p.flags.writeable:
        return None, None
    mod = switch.load("compiled_optim")
    if mod is None:
        return None, None
    switch.set_threads(4 * p.size)
    return mod, flat


def adam_(p, grad, m, v, v_max, step, lr, beta1, beta2, eps, weight_decay, decoupled,
          maximize, work=None):
    """Adam's update of one parameter (see optim/adam.py), compiled or in nine BLAS and
    NumPy passes; False when not done. `work`: scratch shaped like p (or None)."""
    mod, flat = _compiled(p, (p, grad, m, v) + ((v_max,) if v_max is not None else ()))
    if mod is None:
        return _adam_blas(p, grad, m, v, v_max, step, lr, beta1, beta2, eps, weight_decay,
                          decoupled, maximize, work)
    w = 1.0 - beta1
    decay = 1.0 - lr * weight_decay if decoupled else 1.0
    c = np.array([decay, weight_decay, w, 1.0 - w, beta2, 1.0 - beta2,
                  (1.0 - beta2**step) ** 0.5, eps, -lr / (1.0 - beta1**step)], p.dtype)
    vm = flat[4] if v_max is not None else flat[3][:0]
    try:
        mod.adam(flat[0], flat[1], flat[2], flat[3], vm, c, maximize,
                 weight_decay != 0 and not decoupled, decoupled and weight_decay != 0,
                 w < 0.5, v_max is not None)
    except Exception as e:  # pragma: no cover - a numba failure falls back, once
        switch.failed(e)
        return False
    return True


def _adam_blas(p, g, m, v, v_max, step, lr, beta1, beta2, eps, weight_decay, decoupled,
               maximize, work):
    """Adam in nine passes (the reference takes thirteen), for the common case (no L2
    weight decay, not maximize): the moments as scale-and-axpy, and the bias corrections
    folded into two scalars, with s = sqrt(1 - beta2^t):
        m <- beta1 * m + (1 - beta1) * g            (m *= beta1, then one axpy)
        v <- beta2 * v + (1 - beta2) * g * g        (v *= beta2, g * g, one axpy)
        p <- p - (lr * s / (1 - beta1^t)) * m / (sqrt(v) + eps * s)
    which is the reference's update multiplied through by s; equal to it up to rounding.
    Measured on MLP 784-512-256-10 (535,818 parameters) at 1 thread: see optim/adam.py."""
    if maximize or (weight_decay != 0 and not decoupled) or not switch.tuned():
        return False
    if not (blas.axpy_fits(m, p) and blas.axpy_fits(v, p) and blas.axpy_fits(m, g)):
        return False
    if work is None:
        work = np.empty_like(p)
    if decoupled and weight_decay != 0:
        p *= 1.0 - lr * weight_decay
    s = (1.0 - beta2**step) ** 0.5
    m *= beta1
    blas.axpy_(m, 1.0 - beta1, g)
    v *= beta2
    np.multiply(g, g, out=work)
    blas.axpy_(v, 1.0 - beta2, work)
    if v_max is not None:
        np.maximum(v_max, v, out=v_max)
        v = v_max
    np.sqrt(v, out=work)
    work += eps * s
    np.divide(m, work, out=work)
    blas.axpy_(p, -lr * s / (1.0 - beta1**step), work)
    return True


def sgd_(p, grad, buf, lr, momentum, dampening, weight_decay, nesterov, maximize, first):
    """SGD's update of one parameter (see optim/sgd.py), compiled or as one BLAS axpy;
    False when not done. `buf` is the momentum buffer (None without momentum); at the
    first step (`first`) the kernel fills it with the gradient."""
    if buf is None and weight_decay == 0 and not maximize:
        # plain SGD: one BLAS pass, on OpenBLAS's own threads (see the module docstring);
        # below AXPY_MIN elements the reference's two NumPy passes take less time
        return p.size >= AXPY_MIN and blas.axpy_call(p, -lr, grad)
    mod, flat = _compiled(p, (p, grad) + ((buf,) if buf is not None else ()))
    if mod is None:
        return False
    c = np.array([weight_decay, momentum, 1.0 - dampening, -lr], p.dtype)
    b = flat[2] if buf is not None else flat[0][:0]
    try:
        mod.sgd(flat[0], flat[1], b, c, maximize, weight_decay != 0, buf is not None, first,
                nesterov)
    except Exception as e:  # pragma: no cover
        switch.failed(e)
        return False
    return True


def prepare(arrays):
    """Load the compiled path now, for an optimizer over `arrays` (the parameters), when its
    kernels will run on them: numba, and the update kernels for their dtype, from numba's
    disk cache (compiled there on a machine's first use).

    Called when an optimizer is built, so that the compiled path's one-off start (about
    0.3 s, and 110 MB of resident memory for numba and its LLVM) happens before training,
    not in the first step, where it would be counted as the step's time and memory.
    """
    large = [a for a in arrays if type(a) is np.ndarray and a.size >= switch.MIN_SIZE
             and a.dtype.kind == "f" and a.dtype.itemsize >= 4]
    if not large or not switch.enabled():
        return
    mod = switch.load("compiled_optim")
    if mod is None:
        return
    switch.set_threads()
    for dtype in sorted({a.dtype for a in large}, key=str):
        one = np.zeros(1, dtype)
        try:
            mod.adam(one, one.copy(), one.copy(), one.copy(), one[:0], np.zeros(9, dtype),
                     False, False, False, False, False)
            mod.sgd(one, one.copy(), one[:0], np.zeros(4, dtype), False, False, False, False,
                    False)
        except Exception as e:  # pragma: no cover
            switch.failed(e)
            return
