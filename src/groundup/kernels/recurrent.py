"""The seam of the LSTM and the GRU: compiled twins of the time loops of
ops/recurrent_lstm.py and ops/recurrent_gru.py.

Called by lstm_forward / lstm_backward with the arrays their loops work on. Each runs the
whole loop and returns True, or returns False and the reference loop runs: compiled path
off, not float32 NumPy arrays, a projection (proj_size) or a variable-length batch (those
keep the reference), fewer than switch.MIN_SIZE elements in the sequence's gates, or no
CBLAS sgemm in NumPy's BLAS. The arrays and what the loops leave in them are the
reference's, so either backward follows either forward.

Measured (reference LSTM step of benchmarks/bench_rnn.py: batch 32, 50 steps, input 32,
hidden 128, Adam; 1 thread, a shared 2-core machine): the forward loop 8-10 ms -> about
5.7 ms, of which the GEMMs are about 3.6 ms. On an AMD EPYC, copying each step's rows
element by element instead of as slices (compiled_recurrent._put_rows) took the forward
loop from 5.1-5.7 to 4.2 ms and the backward loop from 5.2 to 3.4 ms.
"""

import numpy as np

from .. import blas
from . import switch

__all__ = ["lstm_forward_steps", "lstm_backward_steps", "gru_forward_steps",
           "gru_backward_steps"]


def _module(size, *arrays):
    if size < switch.MIN_SIZE or not switch.enabled():
        return None
    if not all(type(a) is np.ndarray and a.dtype == np.float32 and a.flags.c_contiguous
               for a in arrays):
        return None
    if blas.gemm_address(np.float32) is None:
        return None
    return switch.load("compiled_recurrent")


def lstm_forward_steps(Ws, Z, F, c, keep):
    """Run lstm_forward's loop (see compiled_recurrent.lstm_forward_steps); True if done."""
    mod = _module(Ws.shape[0] * Z.shape[1] * Z.shape[2], Ws, Z, c,
                  *(() if F is None else (F,)))
    if mod is None:
        return False
    try:
        mod.lstm_forward_steps(Ws, Z, F if keep else np.empty((1, 1, 1), np.float32), c,
                               keep)
    except Exception as e:  # pragma: no cover - a numba failure falls back, once
        switch.failed(e)
        return False
    return True


def lstm_backward_steps(W, F, dY, dc, dA):
    """Run lstm_backward's loop except the dh0 product (see
    compiled_recurrent.lstm_backward_steps); True if done."""
    mod = _module(dA.size, W, F, dY, dc, dA)
    if mod is None:
        return False
    try:
        mod.lstm_backward_steps(W, F, dY, dc, dA)
    except Exception as e:  # pragma: no cover
        switch.failed(e)
        return False
    return True


def gru_forward_steps(Whs, Gx, Z, F, b_hn, keep):
    """Run gru_forward's loop (see compiled_recurrent.gru_forward_steps); True if done.
    b_hn: (H, 1) or None."""
    H = Whs.shape[1]
    b = np.zeros(H, np.float32) if b_hn is None else np.ascontiguousarray(b_hn.reshape(H))
    mod = _module(Gx.size, Whs, Gx, Z, b, *(() if F is None else (F,)))
    if mod is None:
        return False
    try:
        mod.gru_forward_steps(Whs, Gx, Z, F if keep else np.empty((1, 1, 1), np.float32), b,
                              keep)
    except Exception as e:  # pragma: no cover
        switch.failed(e)
        return False
    return True


def gru_backward_steps(w_hh, F, dY, dA):
    """Run gru_backward's loop except the dh0 product (see
    compiled_recurrent.gru_backward_steps); True if done."""
    mod = _module(dA.size, w_hh, F, dY, dA)
    if mod is None:
        return False
    try:
        mod.gru_backward_steps(w_hh, F, dY, dA)
    except Exception as e:  # pragma: no cover
        switch.failed(e)
        return False
    return True
