"""Compiled LSTM time loops: the whole forward and backward loop of ops/recurrent_lstm.py
in one call each, float32, calling the BLAS for each step's matrix product itself.

The NumPy reference makes about 25 calls per step (one GEMM, one exp, one tanh and some
twenty element-wise passes over (H, B) blocks); at hidden size 128 and batch 32 each call
moves a few tens of kilobytes, so the step is bound by the calls, not by arithmetic. Here
each step is one `cblas_sgemm` (the same product, on the same arrays, with the same
strides) and one or two fused element-wise loops, vectorised by LLVM. Those loops need an
exp that LLVM can vectorise, which libm's is not: `_expf` is the classic range-reduced
polynomial (Cody-Waite reduction, degree-6 minimax, 2^n built from its bits), within 2 ulp
of NumPy's; tanh is an odd polynomial near 0 and 1 - 2 / (exp(2x) + 1) elsewhere.

Arrays are the reference's own (Z, F, dY, dA of recurrent_common), C-contiguous float32;
the GEMM is NumPy's bundled OpenBLAS (blas.gemm_address), bound to the symbol name
`groundup_sgemm` so that numba can cache the machine code on disk.
"""

import math

import numpy as np
from llvmlite import binding, ir
from numba import prange, types
from numba.extending import intrinsic

from .. import blas
from .switch import jit

_ADDRESS = blas.gemm_address(np.float32)
if _ADDRESS is None:  # the seam checks first; this keeps the module honest on its own
    raise ImportError("no CBLAS sgemm with 64-bit integers in NumPy's BLAS")
binding.add_symbol("groundup_sgemm", _ADDRESS)
_sgemm = types.ExternalFunction("groundup_sgemm", types.void(
    types.int32, types.int32, types.int32, types.int64, types.int64, types.int64,
    types.float32, types.intp, types.int64, types.intp, types.int64, types.float32,
    types.intp, types.int64))
_ROW, _N, _T = 101, 111, 112  # CblasRowMajor, CblasNoTrans, CblasTrans

# fast-math without nnan/ninf: a NaN or inf in the data still shows in the results
_FLAGS = {"nsz", "arcp", "contract", "afn", "reassoc"}
_kernel = jit(parallel=False, fastmath=_FLAGS, error_model="numpy")
_parallel = jit(parallel=True, fastmath=_FLAGS, error_model="numpy")
_inline = jit(parallel=False, fastmath=_FLAGS, error_model="numpy", inline="always")

_ONE = np.float32(1.0)


@intrinsic
def _bits_to_f32(typingctx, i):
    """The float32 whose bits are the int32 i (a bitcast, not a conversion)."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], ir.FloatType())
    return types.float32(types.int32), codegen


@_inline
def _expf(x):
    """exp(x) in float32: n = round(x / ln 2), r = x - n ln 2 (in two parts),
    exp(r) by a degree-6 polynomial, times 2^n from its exponent bits."""
    x = min(max(x, np.float32(-87.3)), np.float32(88.3))
    n = np.floor(x * np.float32(1.44269504) + np.float32(0.5))
    r = x - n * np.float32(0.693359375) + n * np.float32(2.12194440e-4)
    p = np.float32(1.9875691500e-4)
    p = p * r + np.float32(1.3981999507e-3)
    p = p * r + np.float32(8.3334519073e-3)
    p = p * r + np.float32(4.1665795894e-2)
    p = p * r + np.float32(1.6666665459e-1)
    p = p * r + np.float32(5.0000001201e-1)
    p = p * r * r + r + _ONE
    return p * _bits_to_f32((np.int32(n) + np.int32(127)) << np.int32(23))


@_inline
def _tanhf(x):
    """tanh(x) in float32: an odd polynomial for |x| < 0.625, 1 - 2 / (exp(2|x|) + 1)
    (with x's sign) beyond."""
    z = x * x
    p = np.float32(-5.70498872745e-3)
    p = p * z + np.float32(2.06390887954e-2)
    p = p * z - np.float32(5.37397155531e-2)
    p = p * z + np.float32(1.33314422036e-1)
    p = p * z - np.float32(3.33332819422e-1)
    small = p * z * x + x
    a = abs(x)
    big = _ONE - np.float32(2.0) / (_expf(a + a) + _ONE)
    big = math.copysign(big, x)
    return small if a < np.float32(0.625) else big


@_kernel
def _sigmoid_of_minus(s):
    """s <- 1 / (1 + exp(s)) over a flat array (the rows were scaled by -1 or -2)."""
    for i in range(s.size):
        s[i] = _ONE / (_ONE + _expf(s[i]))


@_kernel
def _cell(si, sf, sg, so, c, h):
    """One hidden row of an LSTM step over a run of columns (1-D views): c' = f c + i g,
    h = o tanh(c') from the gates i, f, sigmoid(2 a_g), o."""
    for b in range(c.size):
        i, f, o = si[b], sf[b], so[b]
        g = np.float32(2.0) * sg[b] - _ONE
        cn = f * c[b] + i * g
        c[b] = cn
        h[b] = o * _tanhf(cn)


@_kernel
def _cell_kept(si, sf, sg, so, c, h, F0, F1, F2, F3, F4, F5):
    """_cell, and the backward's six factors of the row: F0 = g i(1-i), F1 = c f(1-f),
    F2 = i (1-g^2), F3 = tanh(c') o(1-o), F4 = o (1-tanh(c')^2), F5 = f."""
    for b in range(c.size):
        i, f, o, sgb = si[b], sf[b], so[b], sg[b]
        g = np.float32(2.0) * sgb - _ONE
        cv = c[b]
        cn = f * cv + i * g
        tc = _tanhf(cn)
        c[b] = cn
        h[b] = o * tc
        F0[b] = g * i * (_ONE - i)
        F1[b] = cv * f * (_ONE - f)
        F2[b] = np.float32(4.0) * i * sgb * (_ONE - sgb)  # 1 - g^2 = 4 sg (1 - sg)
        F3[b] = tc * o * (_ONE - o)
        F4[b] = o * (_ONE - tc * tc)
        F5[b] = f


@_inline
def _columns(B, parts, p):
    """Columns [b0, b1) of part p of `parts`."""
    return p * B // parts, (p + 1) * B // parts


@_parallel
def lstm_forward_steps(Ws, Z, F, c, keep, parts):
    """The forward loop over T = Z.shape[1] - 1 steps (no projection, no frozen steps).

    Ws (4H, K): [W_hh | W_ih | b] with its rows scaled by -1 (i, f, o) and -2 (g);
    Z (K, T+1, B): the step inputs, h written into Z[:H, k+1]; c (H, B): the cell state,
    c0 in, c_T out; F (T, 6H, B): the backward's factors, written when `keep`.
    The batch's columns are independent: `parts` threads each run the whole loop on a run
    of them (their own GEMMs, with the BLAS on one thread).
    """
    G, K = Ws.shape
    H, T, B = G // 4, Z.shape[1] - 1, Z.shape[2]
    item = Z.itemsize
    for p in prange(parts):
        b0, b1 = _columns(B, parts, p)
        nb = b1 - b0
        s = np.empty((G, nb), np.float32)
        for k in range(T):
            _sgemm(_ROW, _N, _N, G, nb, K, np.float32(1.0), Ws.ctypes.data, K,
                   Z.ctypes.data + (k * B + b0) * item, (T + 1) * B, np.float32(0.0),
                   s.ctypes.data, nb)
            _sigmoid_of_minus(s.reshape(-1))
            for j in range(H):
                si, sf, sg, so = s[j], s[H + j], s[2 * H + j], s[3 * H + j]
                if keep:
                    Fk = F[k]
                    _cell_kept(si, sf, sg, so, c[j, b0:b1], Z[j, k + 1, b0:b1],
                               Fk[j, b0:b1], Fk[H + j, b0:b1], Fk[2 * H + j, b0:b1],
                               Fk[3 * H + j, b0:b1], Fk[4 * H + j, b0:b1],
                               Fk[5 * H + j, b0:b1])
                else:
                    _cell(si, sf, sg, so, c[j, b0:b1], Z[j, k + 1, b0:b1])


@_kernel
def _cell_back(dh, F0, F1, F2, F3, F4, F5, dc, da_i, da_f, da_g, da_o):
    """One hidden row of an LSTM step's backward over a run of columns: the gate
    gradients, and dc <- dc_next."""
    for b in range(dc.size):
        dm = dh[b]
        d = dc[b] + dm * F4[b]  # dc = dc_next + dm o (1 - tanh(c')^2)
        da_i[b] = F0[b] * d
        da_f[b] = F1[b] * d
        da_g[b] = F2[b] * d
        da_o[b] = dm * F3[b]
        dc[b] = d * F5[b]


@_parallel
def lstm_backward_steps(W, F, dY, dc, dA, parts):
    """The backward loop (no projection, no frozen steps): for k = T-1 .. 0 the gate
    gradients of step k into dA[:, k] (dA (4H, T, B)), dc (H, B) carried from dc_T to
    dc_0, and for k > 0 dY[k-1] += W_hh^T dA[:, k] (dY (T, H, B), W (4H, K) unscaled);
    in `parts` runs of columns, as the forward."""
    G, K = W.shape
    T, B = F.shape[0], F.shape[2]
    H = G // 4
    item = W.itemsize
    for p in prange(parts):
        b0, b1 = _columns(B, parts, p)
        nb = b1 - b0
        for k in range(T - 1, -1, -1):
            Fk, dh = F[k], dY[k]
            for j in range(H):
                _cell_back(dh[j, b0:b1], Fk[j, b0:b1], Fk[H + j, b0:b1],
                           Fk[2 * H + j, b0:b1], Fk[3 * H + j, b0:b1], Fk[4 * H + j, b0:b1],
                           Fk[5 * H + j, b0:b1], dc[j, b0:b1], dA[j, k, b0:b1],
                           dA[H + j, k, b0:b1], dA[2 * H + j, k, b0:b1],
                           dA[3 * H + j, k, b0:b1])
            if k > 0:
                _sgemm(_ROW, _T, _N, H, nb, G, np.float32(1.0), W.ctypes.data, K,
                       dA.ctypes.data + (k * B + b0) * item, T * B, np.float32(1.0),
                       dY.ctypes.data + ((k - 1) * H * B + b0) * item, B)


@_kernel
def _gru_row(sr, sz, sq, bq, xn, xr, xz, hp, hn):
    """One hidden row of a GRU step over a run of columns (1-D views):
    r, z = sigmoid(a), q = W_hn h + b_hn, n = tanh(n_x + r q), h' = n + z (h - n)."""
    for b in range(hp.size):
        r = _ONE / (_ONE + _expf(sr[b] + xr[b]))
        z = _ONE / (_ONE + _expf(sz[b] + xz[b]))
        n = _tanhf(xn[b] + r * (sq[b] + bq))
        hn[b] = n + z * (hp[b] - n)


@_kernel
def _gru_row_kept(sr, sz, sq, bq, xn, xr, xz, hp, hn, F0, F1, F2, F3, F4):
    """_gru_row, and the backward's five factors of the row: F0 = (1-z)(1-n^2),
    F1 = F0 q r(1-r), F2 = (h-n) z(1-z), F3 = F0 r, F4 = z."""
    for b in range(hp.size):
        r = _ONE / (_ONE + _expf(sr[b] + xr[b]))
        z = _ONE / (_ONE + _expf(sz[b] + xz[b]))
        qb = sq[b] + bq
        n = _tanhf(xn[b] + r * qb)
        d = hp[b] - n
        hn[b] = n + z * d
        fn = (_ONE - z) * (_ONE - n * n)
        F0[b] = fn
        F1[b] = fn * qb * r * (_ONE - r)
        F2[b] = d * z * (_ONE - z)
        F3[b] = fn * r
        F4[b] = z


@_parallel
def gru_forward_steps(Whs, Gx, Z, F, b_hn, keep, parts):
    """The GRU's forward loop over T = Gx.shape[0] steps (no frozen steps).

    Whs (3H, H): W_hh with its r and z rows negated; Gx (T, 3H, B): the input side of every
    step, rows [n_x; -a_r_x; -a_z_x]; Z (K, T+1, B): h written into Z[:H, k+1];
    b_hn (H,): b_hn (zeros without bias); F (T, 5H, B): the factors, written when `keep`;
    in `parts` runs of columns, as the LSTM's.
    """
    G, H = Whs.shape
    T, B = Gx.shape[0], Gx.shape[2]
    item = Z.itemsize
    for p in prange(parts):
        b0, b1 = _columns(B, parts, p)
        nb = b1 - b0
        s = np.empty((G, nb), np.float32)
        for k in range(T):
            _sgemm(_ROW, _N, _N, G, nb, H, np.float32(1.0), Whs.ctypes.data, H,
                   Z.ctypes.data + (k * B + b0) * item, (T + 1) * B, np.float32(0.0),
                   s.ctypes.data, nb)
            Gk = Gx[k]
            for j in range(H):
                args = (s[j], s[H + j], s[2 * H + j], b_hn[j], Gk[j, b0:b1], Gk[H + j, b0:b1],
                        Gk[2 * H + j, b0:b1], Z[j, k, b0:b1], Z[j, k + 1, b0:b1])
                if keep:
                    Fk = F[k]
                    _gru_row_kept(*args, Fk[j, b0:b1], Fk[H + j, b0:b1], Fk[2 * H + j, b0:b1],
                                  Fk[3 * H + j, b0:b1], Fk[4 * H + j, b0:b1])
                else:
                    _gru_row(*args)


@_kernel
def _gru_row_back(dh, F0, F1, F2, F3, F4, da_n, da_r, da_z, dq, dprev, carry):
    """One hidden row of a GRU step's backward: [da_n; da_r; da_z; dq] = F * dh' and,
    when `carry`, dprev += dh' z."""
    for b in range(dh.size):
        d = dh[b]
        da_n[b] = F0[b] * d
        da_r[b] = F1[b] * d
        da_z[b] = F2[b] * d
        dq[b] = F3[b] * d
        if carry:
            dprev[b] += d * F4[b]


@_parallel
def gru_backward_steps(w_hh, F, dY, dA, parts):
    """The GRU's backward loop (no frozen steps): for k = T-1 .. 0, dA[:, k] =
    [da_n; da_r; da_z; dq] (dA (4H, T, B)), and for k > 0
    dY[k-1] += dh' z + W_hh^T [da_r; da_z; dq] (dY (T, H, B), w_hh (3H, H));
    in `parts` runs of columns."""
    G, H = w_hh.shape
    T, B = F.shape[0], F.shape[2]
    item = w_hh.itemsize
    for p in prange(parts):
        b0, b1 = _columns(B, parts, p)
        nb = b1 - b0
        for k in range(T - 1, -1, -1):
            Fk, dh, dprev = F[k], dY[k], dY[max(k - 1, 0)]
            for j in range(H):
                _gru_row_back(dh[j, b0:b1], Fk[j, b0:b1], Fk[H + j, b0:b1],
                              Fk[2 * H + j, b0:b1], Fk[3 * H + j, b0:b1], Fk[4 * H + j, b0:b1],
                              dA[j, k, b0:b1], dA[H + j, k, b0:b1], dA[2 * H + j, k, b0:b1],
                              dA[3 * H + j, k, b0:b1], dprev[j, b0:b1], k > 0)
            if k > 0:
                _sgemm(_ROW, _T, _N, H, nb, G, np.float32(1.0), w_hh.ctypes.data, H,
                       dA.ctypes.data + (H * T * B + k * B + b0) * item, T * B,
                       np.float32(1.0), dY.ctypes.data + ((k - 1) * H * B + b0) * item, B)
