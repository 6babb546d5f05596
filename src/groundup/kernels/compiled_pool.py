"""Compiled 2-D max pooling: one threaded pass forward, one backward.

The math of ops/pool.py's MaxPoolFn over a batch-innermost activation a (P, H, W, Q) =
(C, H, W, N), whose windows slide over H and W; the loops over the batch q vectorise
(selects, not branches). For every output position the window is read in row-major order
and the FIRST maximum wins (PyTorch's tie rule; a nan is a maximum and the first nan
wins); padded positions are skipped, which is what padding with -inf does. The forward
writes y (P, Ho, Wo, Q) and the offset i * kw + j of each window's maximum in its window,
off (P, Ho, Wo, Q); the backward gives each input position of a window the window's dy
where the offset matches. Work is split over P (windows never cross it), so no two
threads write one element.
"""

from numba import prange

from .switch import jit


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
                        k = i * kw + j
                        if first:  # the window's first element inside the input
                            for q in range(Q):
                                y[p, o, u, q] = a[p, h, w, q]
                                off[p, o, u, q] = k
                            first = False
                        else:
                            for q in range(Q):
                                v = a[p, h, w, q]
                                best = y[p, o, u, q]
                                take = (v > best) | ((v != v) & (best == best))
                                y[p, o, u, q] = v if take else best
                                off[p, o, u, q] = k if take else off[p, o, u, q]


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
