"""The seam of 2-D max pooling: the compiled twin of MaxPoolFn's forward and backward.

Called first thing in ops/pool.py's MaxPoolFn.forward / .backward with the same
arguments (the Function's context and its raw arrays). The reference makes one pass per
spatial axis and per kernel offset, and its backward rebuilds each window's first
maximum from equality masks; the compiled forward reads every window once and keeps
where in its window the first maximum is, so the backward is one pass writing every
input position. What the forward saves differs from the reference's, so the backward
follows its own forward: MaxPoolFn asks `saved_by_kernel(ctx)` which one ran.

Used for 2-D pooling of NumPy float32/float64 inputs of at least switch.MIN_SIZE elements
in batch-innermost memory (an NCHW view of (C, H, W, N) memory, as convolutions return);
anything else runs the reference. Measured on the reference CNN's pools (batch 64, 2x2,
forward and backward through autograd, 1 thread, a shared 2-core machine: rough): the
first (16 channels, 28x28) 1.92 -> 0.79 ms, the second (32, 10x10) 0.48 -> 0.20 ms. On
an AVX2 machine the forward kernel measured 3.6 ms for the first pool: with uint8 window
offsets LLVM left its batch loop scalar. Offsets are int32 now (the general kernel 0.42
ms), and 2x2 windows of stride 2 have their own kernel (0.14 ms; forward and backward
through autograd 0.52 ms).
"""

import math

import numpy as np

from . import switch

__all__ = ["max_pool2d_forward", "max_pool2d_backward", "saved_by_kernel"]

# The kernel vectorises over the batch, the innermost axis of its memory; with fewer
# items (or plain NCHW memory, where the innermost axis is W) it runs the windows one
# scalar at a time: 5.2 ms for the reference CNN's first pool in plain NCHW memory,
# against 0.4 ms for the NumPy passes.
_MIN_BATCH = 8


def _planes(x):
    """x (N, C, H, W), an NCHW view of (C, H, W, N) memory, as the C-contiguous (C, H, W, N)
    array a (P = C, Q = N) and the axis order that turns an (C, Ho, Wo, N) result back
    into NCHW; (None, None) for any other memory."""
    if x.ndim == 4 and x.shape[0] >= _MIN_BATCH:
        a = x.transpose(1, 2, 3, 0)
        if a.flags.c_contiguous:
            return a, (3, 0, 1, 2)
    return None, None


def _module(x):
    if x.size < switch.MIN_SIZE or not switch.enabled() or type(x) is not np.ndarray \
            or x.dtype.kind != "f" or x.dtype.itemsize < 4:
        return None
    mod = switch.load("compiled_pool")
    if mod is not None:
        switch.set_threads(2 * x.size)
    return mod


def max_pool2d_forward(ctx, x, axes, indices_out):
    """MaxPoolFn.forward for 2-D pooling, compiled; None when the reference must run."""
    if len(axes) != 2:
        return None
    mod = _module(x)
    if mod is None:
        return None
    a, order = _planes(x)
    if a is None:
        return None
    ah, aw = axes
    P, Q = a.shape[0], a.shape[3]
    y4 = np.empty((P, ah.n, aw.n, Q), x.dtype)
    off = np.empty((P, ah.n, aw.n, Q), np.int32)
    geometry = np.array([ah.k, aw.k, ah.s, aw.s, ah.p, aw.p, ah.d, aw.d], np.int64)
    try:
        if _classic(ah) and _classic(aw):
            mod.max_pool_2x2(a, y4, off)
        else:
            mod.max_pool_forward(a, y4, off, geometry)
    except Exception as e:  # pragma: no cover - a numba failure falls back, once
        switch.failed(e)
        return None
    if indices_out is not None:
        indices_out.append(_flat_indices(off, axes, a.shape[2]).transpose(order))
    if ctx.needs_input_grad[0]:
        ctx.kernel_saved = (off, geometry, a.shape, order, ah.tiles and aw.tiles)
    return y4.transpose(order)


def _classic(axis):
    """2-wide windows, stride 2, no padding or dilation, every window inside the input."""
    return (axis.k, axis.s, axis.p, axis.d, axis.extra) == (2, 2, 0, 1, 0)


def saved_by_kernel(ctx):
    """Whether ctx's forward ran compiled (its backward must be max_pool2d_backward)."""
    return getattr(ctx, "kernel_saved", None) is not None


def max_pool2d_backward(ctx, dy):
    """MaxPoolFn.backward after a compiled forward: dx, in the input's layout."""
    off, geometry, a_shape, order, tiles = ctx.kernel_saved
    mod = switch.load("compiled_pool")  # loaded by the forward
    switch.set_threads(2 * math.prod(a_shape))
    g = np.ascontiguousarray(dy.transpose(1, 2, 3, 0))  # no copy when dy is batch-innermost
    dx4 = (np.empty if tiles else np.zeros)(a_shape, dy.dtype)
    mod.max_pool_backward(g, off, dx4, geometry, tiles)
    return dx4.transpose(order)


def _flat_indices(off, axes, W):
    """The flat input position h * W + w (int64) of each window's maximum, from its offset
    i * kw + j in the window (what return_indices gives)."""
    ah, aw = axes
    off = off.astype(np.int64)
    i, j = np.divmod(off, aw.k)
    h = (np.arange(ah.n) * ah.s - ah.p)[:, None, None] + i * ah.d
    w = (np.arange(aw.n) * aw.s - aw.p)[:, None] + j * aw.d
    return h * W + w
