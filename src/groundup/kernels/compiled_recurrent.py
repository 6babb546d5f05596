"""Compiled LSTM time loops: the whole forward and backward loop of ops/recurrent_lstm.py
in one call each, float32, calling the BLAS for each step's matrix product itself.

The NumPy reference makes about 25 calls per step (one GEMM, one exp, one tanh and some
twenty element-wise passes over (H, B) blocks); at hidden size 128 and batch 32 each call
moves a few tens of kilobytes, so the step is bound by the calls, not by arithmetic. Here
each step is one `cblas_sgemm` (the same product, on the same arrays, with the same
strides) and one or two fused element-wise loops, vectorised by LLVM with the exp and
tanh of compiled_math.

Arrays are the reference's own (Z, F, dY, dA of recurrent_common), C-contiguous float32;
the GEMM is NumPy's bundled OpenBLAS (blas.gemm_address), bound to the symbol name
`groundup_sgemm` so that numba can cache the machine code on disk.
"""

import numpy as np
from llvmlite import binding
from numba import types

from .. import blas
from .compiled_math import FASTMATH as _FLAGS
from .compiled_math import expf as _expf
from .compiled_math import tanhf as _tanhf
from .switch import jit

# numba's disk cache keys each kernel on its own file only. This stamp of the files whose
# code is inlined here changes this file whenever they change, so stale machine code is
# never loaded (tests/kernels/test_switch.py checks it; the value is printed on failure).
INLINED = {"compiled_math": "dd150ee28a88"}

_ADDRESS = blas.gemm_address(np.float32)
if _ADDRESS is None:  # the seam checks first; this keeps the module honest on its own
    raise ImportError("no CBLAS sgemm with 64-bit integers in NumPy's BLAS")
binding.add_symbol("groundup_sgemm", _ADDRESS)
_sgemm = types.ExternalFunction("groundup_sgemm", types.void(
    types.int32, types.int32, types.int32, types.int64, types.int64, types.int64,
    types.float32, types.intp, types.int64, types.intp, types.int64, types.float32,
    types.intp, types.int64))
_ROW, _N, _T = 101, 111, 112  # CblasRowMajor, CblasNoTrans, CblasTrans

_kernel = jit(parallel=False, fastmath=_FLAGS, error_model="numpy")

_ONE = np.float32(1.0)


@_kernel
def _put_rows(dst, k, src, rows):
    """dst[r, k, :] = src[r*B : (r+1)*B] for r < rows (dst (R, T, B), src flat). Element
    by element: a slice assignment per row makes two array views, which cost more than
    the copy (the LSTM backward's 512 rows a step: 9.8 against 3.0 us)."""
    B = dst.shape[2]
    for r in range(rows):
        o = r * B
        for c in range(B):
            dst[r, k, c] = src[o + c]


@_kernel
def _sigmoid_of_minus(s):
    """s <- 1 / (1 + exp(s)) over a flat array (the rows were scaled by -1 or -2)."""
    for i in range(s.size):
        s[i] = _ONE / (_ONE + _expf(s[i]))


@_kernel
def _cell(s, c, h, HB):
    """c' = f c + i g, h = o tanh(c') from the gates s = [i; f; sigmoid(2 a_g); o]."""
    for j in range(HB):
        i, f, o = s[j], s[HB + j], s[3 * HB + j]
        g = np.float32(2.0) * s[2 * HB + j] - _ONE
        cn = f * c[j] + i * g
        c[j] = cn
        h[j] = o * _tanhf(cn)


@_kernel
def _cell_kept(s, c, h, Fk, HB):
    """_cell, and the backward's six factor blocks of the step into Fk (6HB,):
    g i(1-i), c f(1-f), i (1-g^2), tanh(c') o(1-o), o (1-tanh(c')^2), f."""
    for j in range(HB):
        i, f, o = s[j], s[HB + j], s[3 * HB + j]
        sg = s[2 * HB + j]
        g = np.float32(2.0) * sg - _ONE
        cv = c[j]
        cn = f * cv + i * g
        tc = _tanhf(cn)
        c[j] = cn
        h[j] = o * tc
        Fk[j] = g * i * (_ONE - i)
        Fk[HB + j] = cv * f * (_ONE - f)
        Fk[2 * HB + j] = np.float32(4.0) * i * sg * (_ONE - sg)  # 1 - g^2 = 4 sg (1 - sg)
        Fk[3 * HB + j] = tc * o * (_ONE - o)
        Fk[4 * HB + j] = o * (_ONE - tc * tc)
        Fk[5 * HB + j] = f


@_kernel
def lstm_forward_steps(Ws, Z, F, c, keep):
    """The forward loop over T = Z.shape[1] - 1 steps (no projection, no frozen steps).

    Ws (4H, K): [W_hh | W_ih | b] with its rows scaled by -1 (i, f, o) and -2 (g);
    Z (K, T+1, B): the step inputs, h written into Z[:H, k+1]; c (H, B): the cell state,
    c0 in, c_T out; F (T, 6H, B): the backward's factors, written when `keep`.
    """
    G, K = Ws.shape
    H, T, B = G // 4, Z.shape[1] - 1, Z.shape[2]
    HB = H * B
    s = np.empty(G * B, np.float32)
    h = np.empty(HB, np.float32)
    c1 = c.reshape(-1)
    item = Z.itemsize
    for k in range(T):
        _sgemm(_ROW, _N, _N, G, B, K, np.float32(1.0), Ws.ctypes.data, K,
               Z.ctypes.data + k * B * item, (T + 1) * B, np.float32(0.0), s.ctypes.data, B)
        _sigmoid_of_minus(s)
        if keep:
            _cell_kept(s, c1, h, F[k].reshape(-1), HB)
        else:
            _cell(s, c1, h, HB)
        _put_rows(Z, k + 1, h, H)


@_kernel
def _step_back(dh, Fk, dc, da, HB):
    """One step's gate gradients into da (4HB,) and dc <- dc_next (all flat)."""
    for j in range(HB):
        dm = dh[j]
        d = dc[j] + dm * Fk[4 * HB + j]  # dc = dc_next + dm o (1 - tanh(c')^2)
        da[j] = Fk[j] * d
        da[HB + j] = Fk[HB + j] * d
        da[2 * HB + j] = Fk[2 * HB + j] * d
        da[3 * HB + j] = dm * Fk[3 * HB + j]
        dc[j] = d * Fk[5 * HB + j]


@_kernel
def lstm_backward_steps(W, F, dY, dc, dA):
    """The backward loop (no projection, no frozen steps): for k = T-1 .. 0 the gate
    gradients of step k into dA[:, k] (dA (4H, T, B)), dc (H, B) carried from dc_T to
    dc_0, and for k > 0 dY[k-1] += W_hh^T dA[:, k] (dY (T, H, B), W (4H, K) unscaled)."""
    G, K = W.shape
    T, B = F.shape[0], F.shape[2]
    H = G // 4
    HB = H * B
    da = np.empty(G * B, np.float32)
    dc1 = dc.reshape(-1)
    item = W.itemsize
    for k in range(T - 1, -1, -1):
        _step_back(dY[k].reshape(-1), F[k].reshape(-1), dc1, da, HB)
        _put_rows(dA, k, da, G)
        if k > 0:
            _sgemm(_ROW, _T, _N, H, B, G, np.float32(1.0), W.ctypes.data, K,
                   dA.ctypes.data + k * B * item, T * B, np.float32(1.0),
                   dY.ctypes.data + (k - 1) * H * B * item, B)


@_kernel
def _gru_cell(s, gx, bq, hp, hn, Fk, HB, keep):
    """One GRU step over flat (H*B) blocks: s = [-a_r_h; -a_z_h; W_hn h] (3HB,) from the
    GEMM, gx = [n_x; -a_r_x; -a_z_x] (3HB,), bq (HB,) b_hn per row, hp the previous h:
    r, z = sigmoid(a), q = W_hn h + b_hn, n = tanh(n_x + r q), h' = n + z (h - n) into hn;
    F's five blocks into Fk (5HB,) when `keep`."""
    for j in range(HB):
        r = _ONE / (_ONE + _expf(s[j] + gx[HB + j]))
        z = _ONE / (_ONE + _expf(s[HB + j] + gx[2 * HB + j]))
        q = s[2 * HB + j] + bq[j]
        n = _tanhf(gx[j] + r * q)
        d = hp[j] - n
        hn[j] = n + z * d
        if keep:
            fn = (_ONE - z) * (_ONE - n * n)
            Fk[j] = fn
            Fk[HB + j] = fn * q * r * (_ONE - r)
            Fk[2 * HB + j] = d * z * (_ONE - z)
            Fk[3 * HB + j] = fn * r
            Fk[4 * HB + j] = z


@_kernel
def gru_forward_steps(Whs, Gx, Z, F, b_hn, keep):
    """The GRU's forward loop over T = Gx.shape[0] steps (no frozen steps).

    Whs (3H, H): W_hh with its r and z rows negated; Gx (T, 3H, B): the input side of every
    step, rows [n_x; -a_r_x; -a_z_x]; Z (K, T+1, B): h written into Z[:H, k+1];
    b_hn (H,): b_hn (zeros without bias); F (T, 5H, B): the factors, written when `keep`.
    """
    G, H = Whs.shape
    T, B = Gx.shape[0], Gx.shape[2]
    HB = H * B
    s = np.empty(G * B, np.float32)
    bq = np.empty(HB, np.float32)
    h = np.empty(HB, np.float32)
    hn = np.empty(HB, np.float32)
    for j in range(H):
        bq[j * B:(j + 1) * B] = b_hn[j]
        h[j * B:(j + 1) * B] = Z[j, 0, :]
    item = Z.itemsize
    for k in range(T):
        _sgemm(_ROW, _N, _N, G, B, H, np.float32(1.0), Whs.ctypes.data, H,
               Z.ctypes.data + k * B * item, (T + 1) * B, np.float32(0.0), s.ctypes.data, B)
        _gru_cell(s, Gx[k].reshape(-1), bq, h, hn, F[k].reshape(-1) if keep else h, HB, keep)
        _put_rows(Z, k + 1, hn, H)
        h, hn = hn, h


@_kernel
def _gru_step_back(dh, Fk, da, dprev, HB, carry):
    """da (4HB,) = [Fn; Fr; Fz; Fq] * dh' and, when `carry`, dprev += dh' z (flat)."""
    for j in range(HB):
        d = dh[j]
        da[j] = Fk[j] * d
        da[HB + j] = Fk[HB + j] * d
        da[2 * HB + j] = Fk[2 * HB + j] * d
        da[3 * HB + j] = Fk[3 * HB + j] * d
        if carry:
            dprev[j] += d * Fk[4 * HB + j]


@_kernel
def gru_backward_steps(w_hh, F, dY, dA):
    """The GRU's backward loop (no frozen steps): for k = T-1 .. 0, dA[:, k] =
    [da_n; da_r; da_z; dq] (dA (4H, T, B)), and for k > 0
    dY[k-1] += dh' z + W_hh^T [da_r; da_z; dq] (dY (T, H, B), w_hh (3H, H))."""
    G, H = w_hh.shape
    T, B = F.shape[0], F.shape[2]
    HB = H * B
    da = np.empty(4 * HB, np.float32)
    item = w_hh.itemsize
    for k in range(T - 1, -1, -1):
        _gru_step_back(dY[k].reshape(-1), F[k].reshape(-1), da, dY[max(k - 1, 0)].reshape(-1),
                       HB, k > 0)
        _put_rows(dA, k, da, 4 * H)
        if k > 0:
            _sgemm(_ROW, _T, _N, H, B, G, np.float32(1.0), w_hh.ctypes.data, H,
                   dA.ctypes.data + (H * T * B + k * B) * item, T * B, np.float32(1.0),
                   dY.ctypes.data + (k - 1) * HB * item, B)
