"""What the fused recurrent primitives share: the layout, its changes at the edges, reused
buffers and the argument checks.

Layout. The public tensors are time-major (T, B, F) or
batch-first (B, T, F). Inside, every per-step array is feature-major, (F, B): each gate is a
contiguous (H, B) block, so every elementwise pass runs over contiguous memory. Sequences are
kept in processing order (the reverse direction of a bidirectional layer walks
t = T-1, ..., 0 as k = 0, ..., T-1), so one loop serves both directions. The step inputs of
the whole sequence are one array

    Z (K, T+1, B),  K = P + I + 1:   Z[:, k] = [h_{k-1}; x_k; 1]    (h_{-1} = h0)

so that a step's pre-activation is one GEMM, [W_hh | W_ih | b_ih + b_hh] @ Z[:, k] (the
input projection and both biases folded in; a (K, B) block with row stride (T+1)*B, which
BLAS reads as it is), each step writes its h straight into Z[:P, k+1], where the next step
reads it, and after the loop ONE GEMM over all steps gives every weight gradient:
dW = dA (G, T*B) @ Z[:, :T]^T (T*B, K) (a free reshape of both; the bias gradient is the ones
row's column). The per-step factors of the backward are kept step-major, (T, rows, B), each
step's block contiguous.

A Function built on these takes and returns the public layout: one transposing copy at each
edge (`sequence_major` into Z, `public` out, `step_major` for the incoming gradient).
"""

import numpy as np

from ..autograd import Function
from ..tensor import Tensor

__all__ = []


# ------------------------------------------------------------------ reused buffers
# The per-sequence buffers (step inputs Z, backward factors F, gradients dA and dY: about 10 MB
# for the reference LSTM) are megabytes each. Fresh ones cost page faults every training step
# (measured: 2,500 faults, 3.4 of 14.5 ms of the reference LSTM step), so NumPy buffers come
# from a small pool of freed ones instead. A buffer is private to the Function that took it
# (outputs and gradients are always copies), and goes back when the backward is done with it:
# at the end of backward, or, for what the forward keeps, when the engine frees the node.
_FREE = {}  # (shape, dtype) -> arrays free for reuse
_POOL_BYTES = 256 * 2**20  # at most this much is kept
_pooled = [0]


def scratch(xp, shape, dtype):
    """An uninitialised array, reused from the pool when one of this shape is free."""
    if xp is np:
        free = _FREE.get((shape, dtype))
        if free:
            a = free.pop()
            _pooled[0] -= a.nbytes
            return a
    return xp.empty(shape, dtype)


def release(*arrays):
    """Give buffers from `scratch` back (nobody may use them afterwards)."""
    for a in arrays:
        if type(a) is np.ndarray and _pooled[0] + a.nbytes <= _POOL_BYTES:
            _FREE.setdefault((a.shape, a.dtype), []).append(a)
            _pooled[0] += a.nbytes


class Kept:
    """What a forward keeps for its backward; its pooled buffers go back to the pool when the
    engine drops it (after backward, or with the graph)."""

    __slots__ = ("values", "buffers")

    def __init__(self, values, buffers):
        self.values = values
        self.buffers = buffers

    def __del__(self):
        try:
            release(*self.buffers)
        except Exception:  # interpreter shutdown
            pass


def step_input(xp, x, P, h0, batch_first, reverse):
    """Z (K, T+1, B), K = P + I + 1, with Z[:, k] = [h_{k-1}; x_k; 1] filled for x, the
    ones row and h0 (rows [0, P) of Z[:, 1:] are left for the loop to write h into)."""
    T, B = (x.shape[1], x.shape[0]) if batch_first else x.shape[:2]
    I = x.shape[2]
    Z = scratch(xp, (P + I + 1, T + 1, B), x.dtype)
    Z[P:P + I, :T] = sequence_major(x, batch_first, reverse)
    Z[P:P + I, T] = 0
    Z[P + I] = 1
    Z[:P, 0] = 0 if h0 is None else h0.T
    return Z


def step_weight(xp, w_hh, w_ih, b, rows=None):
    """W = [W_hh | W_ih | b] (G, K): the one matrix of the step's GEMM (b None: zeros).
    rows: optional list of (row slice of W, W_hh rows or None, W_ih rows or None, b rows or
    None) placing blocks explicitly (the GRU's n gate keeps its two halves apart)."""
    P, I = w_hh.shape[1], w_ih.shape[1]
    if rows is None:
        G = w_hh.shape[0]
        W = xp.empty((G, P + I + 1), w_hh.dtype)
        W[:, :P] = w_hh
        W[:, P:P + I] = w_ih
        W[:, P + I] = 0 if b is None else b
        return W
    G = max(r.stop for r, *_ in rows)
    W = xp.zeros((G, P + I + 1), w_hh.dtype)
    for r, hh, ih, bias in rows:
        if hh is not None:
            W[r, :P] = hh
        if ih is not None:
            W[r, P:P + I] = ih
        if bias is not None:
            W[r, P + I] = bias
    return W


def sequence_major(a, batch_first, reverse):
    """A public (T, B, F) / (B, T, F) array as an (F, T, B) view in processing order."""
    v = a.transpose(2, 1, 0) if batch_first else a.transpose(2, 0, 1)
    return v[:, ::-1] if reverse else v


def step_major(xp, a, batch_first, reverse):
    """A public (T, B, F) / (B, T, F) array as (T, F, B) in processing order (a pooled copy)."""
    v = a.transpose(1, 2, 0) if batch_first else a.transpose(0, 2, 1)
    out = scratch(xp, v.shape, a.dtype)
    out[...] = v[::-1] if reverse else v
    return out


def public(Y, batch_first, reverse):
    """An (F, T, B) array in processing order as a new C-contiguous public (T, B, F) /
    (B, T, F) array (the one copy of the output)."""
    if reverse:
        Y = Y[:, ::-1]
    return (Y.transpose(2, 1, 0) if batch_first else Y.transpose(1, 2, 0)).copy()


def step_gradients(xp, dy, dh_n, T, P, B, dtype, batch_first, reverse):
    """dY (T, P, B) in processing order: the output gradient plus dh_n at the last step.
    The backward loop adds each step's recurrent gradient into it: a pooled buffer."""
    if dy is None:
        dY = scratch(xp, (T, P, B), dtype)
        dY[...] = 0
    else:
        dY = step_major(xp, dy, batch_first, reverse)
    if dh_n is not None:
        dY[T - 1] += dh_n.T
    return dY


class SequenceFn(Function):
    """Base of the fused sequence Functions. They are PyTorch-style Functions (static
    forward(ctx, ...) / backward(ctx, ...) on Tensors, autograd/function.py) because they
    have several differentiable outputs (output, h_n, c_n); each unwraps its Tensors and runs
    its loops on arrays, and gets None for the gradient of an output nobody used."""

    @staticmethod
    def wrap(*arrays):
        return tuple(Tensor._wrap(a) for a in arrays)


def check_sequence_args(name, x, batch_first, weights, states):
    """Shapes and dtypes of a fused sequence call, checked with errors naming both shapes.

    x: (T, B, I) or (B, T, I); weights: [(name, tensor or None, expected shape)];
    states: [(name, tensor or None, expected columns)], each expected (B, columns).
    """
    layout = "(batch, seq, features)" if batch_first else "(seq, batch, features)"
    if x.ndim != 3:
        raise ValueError(f"{name}: expected a 3-D input {layout}, got shape {tuple(x.shape)}")
    T, B = (x.shape[1], x.shape[0]) if batch_first else x.shape[:2]
    if T == 0:
        raise ValueError(f"{name}: expected a sequence length larger than 0, got input "
                         f"{tuple(x.shape)} {layout}")
    dtype = x.array.dtype
    if dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point input, got {dtype}")
    for wname, w, shape in weights:
        if w is None:
            continue
        if tuple(w.shape) != shape:
            raise ValueError(f"{name}: {wname} must have shape {shape} for input "
                             f"{tuple(x.shape)}, got {tuple(w.shape)}")
        if w.array.dtype != dtype:
            raise TypeError(f"{name}: {wname} has dtype {w.array.dtype} but the input has "
                            f"{dtype}; convert one of them (.float() / .double())")
    for sname, s, cols in states:
        if s is None:
            continue
        if tuple(s.shape) != (B, cols):
            raise ValueError(f"{name}: {sname} must have shape ({B}, {cols}) for input "
                             f"{tuple(x.shape)}, got {tuple(s.shape)}")
        if s.array.dtype != dtype:
            raise TypeError(f"{name}: {sname} has dtype {s.array.dtype} but the input has "
                            f"{dtype}")


def frozen_steps(lengths, T, reverse):
    """For variable-length batches: per processing step k, the columns whose sequence has no
    time step there, or None where every column has one (also for lengths None).

    Column b holds a sequence of lengths[b] <= T steps, t = 0 .. lengths[b] - 1. At a step
    without one its state is frozen: h (and c) are copied from the step before, so the
    forward direction keeps its state from its last step on, and the reverse direction keeps
    h0 until it reaches its last step. With lengths in decreasing order (a packed batch) the
    frozen columns of every step are a suffix, given as a slice; otherwise a boolean mask.
    """
    if lengths is None:
        return None
    B = len(lengths)
    decreasing = bool(np.all(lengths[:-1] >= lengths[1:]))
    steps = []
    for k in range(T):
        t = T - 1 - k if reverse else k
        if decreasing:
            active = int(np.count_nonzero(lengths > t))
            steps.append(None if active == B else slice(active, None))
        else:
            mask = lengths <= t
            steps.append(mask if mask.any() else None)
    return steps if any(s is not None for s in steps) else None


def carry_frozen(dY, k, frozen, dh_prev):
    """Backward of a frozen step (h_k = h_{k-1}): its columns' dh passes on unchanged, into
    dY[k - 1], or into dh_prev (the gradient of h0) at k = 0."""
    fz = frozen[k]
    if fz is not None:
        if k > 0:
            dY[k - 1][:, fz] += dY[k][:, fz]
        else:
            dh_prev[:, fz] += dY[0][:, fz]


def split_weight_grad(xp, dW, P, I):
    """The gradients inside dW (G, P+I+1) = [dW_hh | dW_ih | db] as contiguous arrays."""
    return (xp.ascontiguousarray(dW[:, :P]), xp.ascontiguousarray(dW[:, P:P + I]),
            dW[:, P + I].copy())
