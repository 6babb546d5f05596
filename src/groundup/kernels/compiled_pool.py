"""Compiled 2-D max pooling: one threaded pass forward, one backward.

The math of ops/pool.py's MaxPoolFn over a batch-innermost activation a (P, H, W, Q) =
(C, H, W, N), whose windows slide over H and W; the loops over the batch q vectorise
(selects, not branches). For every output position the window is read in row-major order
and the FIRST maximum wins (PyTorch's tie rule; a nan is a maximum and, as in PyTorch's
CPU kernel, the last nan wins); padded positions are skipped, which is what padding with
-inf does. The forward writes y (P, Ho, Wo, Q) and the offset i * kw + j of each window's
maximum in its window, off (P, Ho, Wo, Q) int32 (as wide as float32 y: with uint8 offsets
LLVM leaves the batch loop scalar, 7x slower); the backward gives each input position of
a window the window's dy where the offset matches. Work is split over P (windows never
cross it), so no two threads write one element.
"""

import numpy as np
from numba import prange

from .switch import jit


@jit
def max_pool_2x2(a, y, off):
    """max_pool_forward for the classic 2x2 windows with stride 2, no padding and no
    dilation, every window inside the input: the four values of a window are read once
    and compared in registers (4x less traffic through y and off than the general
    kernel's pass per window position: 0.12 against 0.42 ms on the reference CNN's first
    pool, 1 thread)."""
    P = a.shape[0]
    Ho, Wo, Q = y.shape[1], y.shape[2], y.shape[3]
    for p in prange(P):
        for o in range(Ho):
            for u in range(Wo):
                a0, a1 = a[p, 2 * o, 2 * u], a[p, 2 * o, 2 * u + 1]
                a2, a3 = a[p, 2 * o + 1, 2 * u], a[p, 2 * o + 1, 2 * u + 1]
                yy, oo = y[p, o, u], off[p, o, u]
                for q in range(Q):
                    best, k = a0[q], 0
                    v = a1[q]
                    if (v > best) | (v != v):
                        best, k = v, 1
                    v = a2[q]
                    if (v > best) | (v != v):
                        best, k = v, 2
                    v = a3[q]
                    if (v > best) | (v != v):
                        best, k = v, 3
                    yy[q], oo[q] = best, k


@jit
def max_pool_forward(a, y, off, geometry):
    """y[p, o, u, q] = max over the window of a[p, :, :, q]; off = where in the window."""
    kh, kw, sh, sw, ph, pw, dh, dw = geometry
    P, H, W, Q = a.shape
    Ho, Wo = y.shape[1], y.shape[2]
    for p in prange(P):
        for o in range(Ho):
            for u in range(Wo):
                h0, w0 = o * sh - ph, u * sw - pw
                first = True
                for i in range(kh):
                    h = h0 + i * dh
                    if h < 0 or h >= H:
                        continue
                    for j in range(kw):
                        w = w0 + j * dw
                        if w < 0 or w >= W:
                            continue
                        k = np.int32(i * kw + j)
                        av, yy, oo = a[p, h, w], y[p, o, u], off[p, o, u]
                        if first:  # the window's first element inside the input
                            for q in range(Q):
                                yy[q] = av[q]
                                oo[q] = k
                            first = False
                        else:
                            for q in range(Q):
                                v = av[q]
                                best = yy[q]
                                take = (v > best) | (v != v)
                                yy[q] = v if take else best
                                oo[q] = k if take else oo[q]


@jit
def max_pool_backward(dy, off, dx, geometry, tiles):
    """dx[p, h, w, q] (+)= dy[p, o, u, q] where (h, w) is the window's maximum. tiles: every
    input element is in exactly one window, so dx (uninitialised) is written, not added
    to; otherwise dx comes zeroed."""
    kh, kw, sh, sw, ph, pw, dh, dw = geometry
    P, Ho, Wo, Q = dy.shape
    H, W = dx.shape[1], dx.shape[2]
    zero = dy.dtype.type(0)
    for p in prange(P):
        for o in range(Ho):
            for u in range(Wo):
                h0, w0 = o * sh - ph, u * sw - pw
                for i in range(kh):
                    h = h0 + i * dh
                    if h < 0 or h >= H:
                        continue
                    for j in range(kw):
                        w = w0 + j * dw
                        if w < 0 or w >= W:
                            continue
                        k = i * kw + j
                        if tiles:
                            for q in range(Q):
                                dx[p, h, w, q] = dy[p, o, u, q] if off[p, o, u, q] == k else zero
                        else:
                            for q in range(Q):
                                if off[p, o, u, q] == k:
                                    dx[p, h, w, q] += dy[p, o, u, q]
