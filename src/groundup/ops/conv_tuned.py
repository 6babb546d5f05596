"""The tuned convolution core: batch-innermost memory, im2col over the kernel width only.

Same interface and results as ops/conv_reference.py (tested equal), faster on the CPU.
Names as in ops/conv_args.py; L = Ho*Wo*N, xpad = x zero-padded.

Layout. Activations are kept batch-innermost, C-contiguous (C, H, W, N) (see
ops/image_layout.py): the result is returned as an NCHW view of that memory, and an
input that is such a view is used without a copy (any other input is copied once).
Every copy below is then of long runs (Wo*N values when sw = 1), and the GEMM output
(O, Ho*Wo*N) is already the next layer's input.

Lowering: two forms of im2col, chosen per geometry (Plan).

- Row shift (sh = 1 and C/G*kw >= ROW_SHIFT_MIN_K; for the input gradient, which can
  choose apart, ROW_SHIFT_MIN_K_INPUT_GRAD): im2col over the kernel width only,
      X[(c, j), (h, wo, n)] = xpad[c, h, wo*sw + j*dw, n]       (C*kw, Hn*Wo*N)
  with Hn = (kh - 1)*dh + Ho rows: every input row once, not once per kernel row, so X
  is about kh times smaller than the full im2col. Kernel row i reads rows h = i*dh + ho,
  a contiguous block X_i = X[:, i*dh*Wo*N : i*dh*Wo*N + L]: the kernel-row shift is a
  column offset into the same matrix, and the convolution is kh GEMMs on views of X.
- Whole kernel (otherwise): the usual im2col in this layout,
      X[(c, i, j), (ho, wo, n)] = xpad[c, ho*sh + i*dh, wo*sw + j*dw, n]   (C*kh*kw, L)
  one GEMM with w as it is. Thin GEMMs (a first layer's C = 1: K = kw) run far from
  peak, and the kh partial results of the row shift would each cost a pass.

X is built by one copy per kernel offset; the zero padding is written only where a block
meets it, never as a padded copy of the input.

    forward:   y (O, L) = sum_i W_i @ X_i        W_i (O, C*kw) = w[:, :, i, :] (row shift)
               y (O, L) = w (O, C*kh*kw) @ X      (whole kernel)
               partial products summed by BLAS itself (ops/conv_blas.py, beta = 1);
               groups: (G, Og, K) @ (G, K, L), one batched matmul per kernel row;
               bias folded in (G = 1): a row of ones under X and b as an extra column of
               W_0, so the GEMM adds it and the weight-gradient GEMM returns db
    dx:        dX_i = W_i^T @ dy, summed into the (overlapping) column blocks of dX, then
               col2im: one strided add per block of dX (kw for the row shift, kh*kw for
               the whole kernel) into dx (C, H, W, N)
    dw:        dw[:, :, i, :]^T = X_i @ dy^T   (kh GEMMs, or one; OpenBLAS runs this
               orientation faster than dy @ X_i^T; with the ones row, db comes free)
"""

import contextlib

import numpy as np

from .. import kernels
from ..backend import cached_constant
from .conv_blas import gemm
from .image_layout import as_batch_last, batch_first_view

__all__ = []

_on = True
_lowering = None  # None: chosen per geometry (Plan); "whole" or "row_shift": forced


def enabled():
    """Whether convolutions use this core (True unless turned off by `use(False)`)."""
    return _on


@contextlib.contextmanager
def use(flag=True, lowering=None):
    """Use the tuned core (True) or the readable reference (False) inside a `with` block.

    lowering: None chooses per geometry; "whole" or "row_shift" forces one of the two
    lowerings wherever it applies (row shift needs sh = 1), so tests can run both.
    """
    global _on, _lowering
    if lowering not in (None, "whole", "row_shift"):
        raise ValueError(f"conv_tuned.use: lowering must be None, 'whole' or 'row_shift', "
                         f"got {lowering!r}")
    before = _on, _lowering
    _on, _lowering = bool(flag), lowering
    try:
        yield
    finally:
        _on, _lowering = before


# The row shift pays once a GEMM's inner dimension C/G*kw is at least this (measured at
# 1 thread, batch 64, 3x3 and 5x5 kernels, forward + weight gradient and input gradient
# timed apart): below, OpenBLAS runs the thin GEMMs far from its peak and the kh partial
# results cost more than the smaller matrix saves (C = 1, 5x5: whole kernel 1.9 ms, row
# shift 3.5 ms); from C/G*kw = 24 on it wins (C = 16, 5x5: 7.6 against 8.9 ms). For the
# input gradient the row shift's kw col2im adds beat the whole kernel's kh*kw sooner.
ROW_SHIFT_MIN_K = 24
ROW_SHIFT_MIN_K_INPUT_GRAD = 8


class Plan:
    """How one geometry is lowered. `rows_per_gemm` kernel rows go into each GEMM (kh: the
    whole kernel, one GEMM; 1: row shift, kh GEMMs); X is (C, P, kw, count, Wo, N) with
    block p holding the input rows hp = sh*q + offsets[p], q < count; GEMM i reads the
    columns starts[i] : starts[i] + Ho*Wo*N."""

    __slots__ = ("rows_per_gemm", "offsets", "count", "starts", "L")

    def __init__(self, geo, min_k):
        L = geo.Ho * geo.Wo * geo.N
        row_shift = geo.sh == 1 and geo.kh > 1 and (
            geo.C // geo.G * geo.kw >= min_k if _lowering is None
            else _lowering == "row_shift")
        if row_shift:
            self.rows_per_gemm, self.offsets = 1, (0,)
            self.count = (geo.kh - 1) * geo.dh + geo.Ho
            self.starts = tuple(i * geo.dh * geo.Wo * geo.N for i in range(geo.kh))
        else:
            self.rows_per_gemm, self.offsets = geo.kh, tuple(i * geo.dh for i in range(geo.kh))
            self.count, self.starts = geo.Ho, (0,)
        self.L = L


class Lowered:
    """What conv_forward keeps for conv_weight_grad: the matrix X (with the ones row when
    the bias was folded in) and the plan it was built with."""

    __slots__ = ("X", "ones", "plan")

    def __init__(self, X, ones, plan):
        self.X, self.ones, self.plan = X, ones, plan


def _ceil_div(a, b):
    return -(-a // b)


def _tiles(geo, plan):
    """For each block (p, j): where it meets the unpadded input.

    Yields (p, j, (q0, q1), (w0, w1), rows, cols): X[:, p, j, q0:q1, w0:w1] holds
    x[:, rows, cols] (slices of x (C, H, W, N)); the rest of X[:, p, j] is padding (zero).
    """
    for p, off in enumerate(plan.offsets):
        q0 = min(max(_ceil_div(geo.pt - off, geo.sh), 0), plan.count)
        q1 = min(max(_ceil_div(geo.pt + geo.H - off, geo.sh), q0), plan.count)
        h0 = q0 * geo.sh + off - geo.pt
        rows = slice(h0, h0 + geo.sh * (q1 - q0 - 1) + 1, geo.sh) if q1 > q0 else slice(0, 0)
        for j in range(geo.kw):
            w0 = min(max(_ceil_div(geo.pl - j * geo.dw, geo.sw), 0), geo.Wo)
            w1 = min(max(_ceil_div(geo.pl + geo.W - j * geo.dw, geo.sw), w0), geo.Wo)
            c0 = w0 * geo.sw + j * geo.dw - geo.pl
            cols = slice(c0, c0 + geo.sw * (w1 - w0 - 1) + 1, geo.sw) if w1 > w0 else slice(0, 0)
            yield p, j, (q0, q1), (w0, w1), rows, cols


def _shape6(geo, plan):
    return (geo.C, len(plan.offsets), geo.kw, plan.count, geo.Wo, geo.N)


def _lower(x4, geo, plan, ones):
    """X (C*P*kw [+ 1], count*Wo*N) from x (C, H, W, N), P = len(plan.offsets): the plan's
    blocks, zero where they fall into the padding, and a row of ones under them when asked."""
    shape = _shape6(geo, plan)
    rows = shape[0] * shape[1] * shape[2]
    X = np.empty((rows + ones, plan.count * geo.Wo * geo.N), x4.dtype)
    X6 = X[:rows].reshape(shape)
    count, Wo = plan.count, geo.Wo
    tiles = () if kernels.im2col(x4, X6, geo, plan) else _tiles(geo, plan)  # compiled: done
    for p, j, (q0, q1), (w0, w1), rows_, cols in tiles:
        block = X6[:, p, j]  # (C, count, Wo, N)
        if q1 > q0 and w1 > w0:
            block[:, q0:q1, w0:w1] = x4[:, rows_, cols]
            if w0 > 0:
                block[:, q0:q1, :w0] = 0
            if w1 < Wo:
                block[:, q0:q1, w1:] = 0
        else:
            q0 = q1 = count
        if q0 > 0:
            block[:, :q0] = 0
        if q1 < count:
            block[:, q1:] = 0
    if ones:
        X[-1] = 1
    return X


def _gemm_weights(w, geo, plan):
    """The weight of each GEMM: (n, G, Og, Cg*T*kw) with T = plan.rows_per_gemm, n = kh / T
    (rows in X's order: channel, kernel row, kernel column)."""
    G, O, kh, kw, T = geo.G, geo.O, geo.kh, geo.kw, plan.rows_per_gemm
    n, Cg = kh // T, geo.C // G
    if n == 1:
        return w.reshape(1, G, O // G, Cg * kh * kw)  # the whole kernel: w as it is
    wk = w.reshape(G, O // G, Cg, n, T, kw).transpose(3, 0, 1, 2, 4, 5)
    return np.ascontiguousarray(wk).reshape(n, G, O // G, Cg * T * kw)


def _gemm(a, b, out, accumulate):
    """out (G, m, n) = or += a (G, m, k) @ b (G, k, n): one BLAS call when G = 1 (adding
    in place), else NumPy's batched matmul (G GEMMs) and an add."""
    if a.shape[0] == 1:
        gemm(a[0], b[0], out[0], accumulate)
    elif accumulate:
        out += np.matmul(a, b)
    else:
        np.matmul(a, b, out=out)


def _groups(X, G):
    """X (rows, M) as (G, rows/G, M) (rows are group-major)."""
    return X.reshape(G, X.shape[0] // G, X.shape[1])


def conv_forward(x, w, b, geo, keep, output=True):
    """y (N, O, Ho, Wo), an NCHW view of (O, Ho, Wo, N) memory, and X for conv_weight_grad
    (None unless keep). output=False: only X (y is None)."""
    G, O = geo.G, geo.O
    plan = Plan(geo, ROW_SHIFT_MIN_K)
    L = plan.L
    fold_bias = b is not None and G == 1
    X = _lower(as_batch_last(x), geo, plan, ones=int(fold_bias))
    if not output:
        return None, Lowered(X, fold_bias, plan)
    wk = _gemm_weights(w, geo, plan)
    if fold_bias:  # [W_0 | b], [W_i | 0]
        wk1 = np.zeros(wk.shape[:-1] + (wk.shape[-1] + 1,), wk.dtype)
        wk1[..., :-1] = wk
        wk1[0, 0, :, -1] = b
        wk = wk1
    y = np.empty((G, O // G, L), x.dtype)
    XG = _groups(X, G)  # (G, K [+ 1], columns)
    for i, start in enumerate(plan.starts):  # y = sum_i W_i @ X_i
        _gemm(wk[i], XG[:, :, start:start + L], y, accumulate=i > 0)
    if b is not None and not fold_bias:
        y += b.reshape(G, O // G, 1)
    y = batch_first_view(y.reshape(O, geo.Ho, geo.Wo, geo.N))
    return y, (Lowered(X, fold_bias, plan) if keep else None)


def conv_input_grad(dy, w, geo):
    """dx (N, C, H, W), an NCHW view of (C, H, W, N) memory."""
    G, C = geo.G, geo.C
    plan = Plan(geo, ROW_SHIFT_MIN_K_INPUT_GRAD)
    L = plan.L
    dyG = as_batch_last(dy).reshape(G, geo.O // G, L)  # (G, Og, L)
    wt = _gemm_weights(w, geo, plan).transpose(0, 1, 3, 2)  # W_i^T: (n, G, K, Og)
    shape = _shape6(geo, plan)
    dX = np.empty((G, C // G * shape[1] * shape[2], plan.count * geo.Wo * geo.N), dy.dtype)
    if len(plan.starts) > 1:
        dX[:, :, L:] = 0  # block 0 starts at column 0; the others overlap it and beyond
    for i, start in enumerate(plan.starts):  # dX_i += W_i^T @ dy
        _gemm(wt[i], dyG, dX[:, :, start:start + L], accumulate=i > 0)
    dX6 = dX.reshape(shape)
    dx = kernels.col2im(dX6, geo, plan)  # compiled and threaded, or None
    if dx is not None:
        return batch_first_view(dx)
    dx = np.zeros((C, geo.H, geo.W, geo.N), dy.dtype)
    for p, j, (q0, q1), (w0, w1), rows, cols in _tiles(geo, plan):  # col2im
        if q1 > q0 and w1 > w0:
            dx[:, rows, cols] += dX6[:, p, j, q0:q1, w0:w1]
    return batch_first_view(dx)


def conv_weight_grad(lowered, dy, geo, need_w, need_b):
    """(dw (O, Cg, kh, kw), db (O,)), each None unless asked for."""
    G, O, kh, kw = geo.G, geo.O, geo.kh, geo.kw
    dw = db = None
    if need_w:
        plan, L = lowered.plan, lowered.plan.L
        n, T = len(plan.starts), plan.rows_per_gemm
        dyT = as_batch_last(dy).reshape(G, O // G, L).transpose(0, 2, 1)  # (G, L, Og)
        if n > 1:  # shared by kh GEMMs: a row-major copy makes each ~10% faster
            dyT = np.ascontiguousarray(dyT)
        XG = _groups(lowered.X, G)  # (G, K [+ 1], columns)
        dwT = np.empty((n, G, XG.shape[1], O // G), dy.dtype)  # dW_i^T [; db]
        for i, start in enumerate(plan.starts):
            # X_i @ dy^T: OpenBLAS runs this orientation faster than dy @ X_i^T
            np.matmul(XG[:, :, start:start + L], dyT, out=dwT[i])
        if lowered.ones:
            db = dwT[0, 0, -1].copy() if need_b else None
            dwT = dwT[:, :, :-1]
        dw = dwT.reshape(n, G, geo.C // G, T, kw, O // G).transpose(1, 5, 2, 0, 3, 4)
        dw = np.ascontiguousarray(dw).reshape(O, geo.C // G, kh, kw)
    if need_b and db is None:
        db = channel_sum(dy)
    return dw, db


def channel_sum(dy):
    """dy (N, C, H, W) summed over N, H and W: (C,), as a GEMV with a ones vector."""
    d2 = as_batch_last(dy)
    d2 = d2.reshape(d2.shape[0], d2.size // d2.shape[0])
    return d2 @ cached_constant(np, "ones", d2.shape[1], d2.dtype)


def own_layout(a):
    """a (N, C, H, W) as an NCHW view of (C, H, W, N) memory: itself when it is one, else
    one copy (so that a gradient used by several functions is converted once)."""
    return batch_first_view(as_batch_last(a))
