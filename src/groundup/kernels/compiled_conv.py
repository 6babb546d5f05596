"""Compiled, threaded im2col and col2im for the tuned convolution core (ops/conv_tuned.py).

The same copies as conv_tuned._lower and the same sums as conv_input_grad's col2im, in
its batch-innermost layout: x (C, H, W, N), X6 (C, P, kw, count, Wo, N) with block p
holding the input rows h = q*sh + offsets[p] - pt. Each thread takes whole rows of
(Wo, N) values (im2col) or whole input rows (C, h) of dx (col2im: every value of dx is
summed by the one thread that owns its row, so no two threads write the same place).
The copies are written element by element, not as slice assignments: numba makes array
views for each slice, which cost more than the copy of a row of N values (reference CNN's
second layer, 1 thread: im2col 0.70 -> 0.38 ms, col2im 1.05 -> 0.69 ms).
"""

from numba import prange

from .switch import jit


@jit
def im2col(x, X6, offsets, sh, sw, dw, pt, pl):
    """X6[c, p, j, q, wo, :] = x[c, q*sh + offsets[p] - pt, wo*sw + j*dw - pl, :], zero
    where that falls outside x (the padding)."""
    C, H, W, N = x.shape
    P, KW, Q, WO = X6.shape[1], X6.shape[2], X6.shape[3], X6.shape[4]
    for idx in prange(C * P * KW * Q):
        q = idx % Q
        r = idx // Q
        j = r % KW
        r = r // KW
        p = r % P
        c = r // P
        h = q * sh + offsets[p] - pt
        inside = h >= 0 and h < H
        for wo in range(WO):
            w = wo * sw + j * dw - pl
            if inside and w >= 0 and w < W:
                for n in range(N):
                    X6[c, p, j, q, wo, n] = x[c, h, w, n]
            else:
                for n in range(N):
                    X6[c, p, j, q, wo, n] = 0


@jit
def col2im(dX6, dx, offsets, sh, sw, dw, pt, pl):
    """dx[c, h, w, :] = sum of dX6[c, p, j, q, wo, :] over the blocks that read x[c, h, w]."""
    C, H, W, N = dx.shape
    P, KW, Q, WO = dX6.shape[1], dX6.shape[2], dX6.shape[3], dX6.shape[4]
    for idx in prange(C * H):
        c = idx // H
        h = idx % H
        for w in range(W):
            for n in range(N):
                dx[c, h, w, n] = 0
        for p in range(P):
            t = h + pt - offsets[p]
            if t < 0 or t % sh != 0 or t // sh >= Q:
                continue
            q = t // sh
            for j in range(KW):
                for wo in range(WO):
                    w = wo * sw + j * dw - pl
                    if w >= 0 and w < W:
                        for n in range(N):
                            dx[c, h, w, n] += dX6[c, p, j, q, wo, n]
