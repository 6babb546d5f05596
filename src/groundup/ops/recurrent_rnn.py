"""The fused Elman RNN (tanh or relu): one Function for one layer and one direction over a
whole sequence. Layout and the folded GEMM: ops/recurrent_common.py.
"""

from .activation_common import relu_array, scalar_zero
from .recurrent_common import (
    Kept,
    SequenceFn,
    carry_frozen,
    frozen_steps,
    public,
    release,
    scratch,
    split_weight_grad,
    step_gradients,
    step_input,
    step_weight,
)

__all__ = []


class RNNFn(SequenceFn):
    """An Elman RNN layer (one direction) over T steps, with backpropagation through time.

    Shapes: x (T, B, I) (or (B, T, I) batch-first), h0 (B, H), w_ih (H, I), w_hh (H, H),
    b_ih, b_hh (H,) or None. Returns y (T, B, H) (or (B, T, H)) and h_n (B, H).

    forward, per step:   h' = act(W_ih x + b_ih + W_hh h + b_hh),  act = tanh or relu
    backward, per step, from dh' (the output's gradient plus the next step's dh):
        da = dh' * act'(a)        act'(a) = 1 - h'^2 (tanh), [a > 0] (relu)
        dh = W_hh^T da            (not at t = 0 unless h0 needs it)
        dW_ih += da x^T   dW_hh += da h^T   db_ih = db_hh = sum over steps and batch of da
        dx = W_ih^T da            (after the loop, one GEMM, only when x needs it)

    Variable lengths (lengths (B,), each <= T): a column's state is frozen at the steps its
    sequence does not have (recurrent_common.frozen_steps): h' = h there, so act'(a) is kept
    as 0 (no da) and dh' passes to dh unchanged.

    Implementation (feature-major, see recurrent_common): one GEMM per step,
    a = [W_hh | W_ih | b_ih + b_hh] @ [h; x; 1], whose activation is written straight into
    the next step's input; act'(a) is kept per step in F (T, H, B); the weight gradients are
    one GEMM over all steps. saved: Z (the step inputs), F, and W.
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, batch_first, reverse,
                lengths=None):
        ctx.set_materialize_grads(False)  # an unused output's gradient arrives as None
        arrays = [None if t is None else t.array for t in (x, h0, w_ih, w_hh, b_ih, b_hh)]
        return SequenceFn.wrap(*rnn_forward(ctx, *arrays, nonlinearity, batch_first, reverse,
                                            lengths))

    @staticmethod
    def backward(ctx, dy, dh_n):
        grads = rnn_backward(ctx, *[None if g is None else g.array for g in (dy, dh_n)])
        return grads + (None, None, None, None)


def rnn_forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, nonlinearity, batch_first, reverse,
                lengths=None):
    """The forward loop on arrays; keeps what rnn_backward needs on ctx."""
    xp = ctx.xp
    H, I = w_hh.shape[1], w_ih.shape[1]
    W = step_weight(xp, w_hh, w_ih, None if b_ih is None else b_ih + b_hh)  # (H, K)
    Z = step_input(xp, x, H, h0, batch_first, reverse)  # (K, T+1, B)
    T, B, dtype = Z.shape[1] - 1, Z.shape[2], Z.dtype
    keep = any(ctx.needs_input_grad)  # no gradient wanted: no act'(a) to keep
    F = scratch(xp, (T, H, B), dtype) if keep else None  # act'(a), per step
    a = xp.empty((H, B), dtype)
    zero = scalar_zero(xp, dtype)
    frozen = frozen_steps(lengths, T, reverse)
    for k in range(T):
        h = Z[:H, k + 1]  # where the next step reads it
        xp.matmul(W, Z[:, k], out=a)
        if nonlinearity == "tanh":
            xp.tanh(a, out=h)
            if keep:
                xp.multiply(h, h, out=F[k])
                xp.subtract(1.0, F[k], out=F[k])  # 1 - h'^2
        else:
            relu_array(xp, a, out=h)  # as PyTorch's relu: -0.0 stays
            if keep:
                xp.greater(a, zero, out=F[k])  # [a > 0] as 0.0 / 1.0
        if frozen is not None and (fz := frozen[k]) is not None:
            h[:, fz] = Z[:H, k][:, fz]  # no step here: the state stays
            if keep:
                F[k][:, fz] = 0
    y, h_n = public(Z[:H, 1:], batch_first, reverse), Z[:H, T].T.copy()
    if not keep:
        release(Z)
        return y, h_n
    ctx.kept = Kept((Z, F, W), (Z, F))
    ctx.config = (H, I, batch_first, reverse, b_ih is not None, frozen)
    return y, h_n


def rnn_backward(ctx, dy, dh_n):
    """BPTT on arrays: (dx, dh0, dw_ih, dw_hh, db_ih, db_hh), None where unneeded."""
    xp = ctx.xp
    Z, F, W = ctx.kept.values
    H, I, batch_first, reverse, has_bias, frozen = ctx.config
    need_x, need_h0 = ctx.needs_input_grad[:2]
    T, B, dtype = F.shape[0], F.shape[2], F.dtype
    dY = step_gradients(xp, dy, dh_n, T, H, B, dtype, batch_first, reverse)  # (T, H, B)
    dA = scratch(xp, (H, T, B), dtype)  # da of every step
    dh_prev = xp.empty((H, B), dtype)
    W_hh_T = W[:, :H].T
    dh0 = None
    for k in range(T - 1, -1, -1):
        dAk = dA[:, k]
        xp.multiply(dY[k], F[k], out=dAk)
        if k > 0:
            xp.matmul(W_hh_T, dAk, out=dh_prev)
            dY[k - 1] += dh_prev
            if frozen is not None:
                carry_frozen(dY, k, frozen, None)
        elif need_h0:
            dh0 = W_hh_T @ dAk
            if frozen is not None:
                carry_frozen(dY, 0, frozen, dh0)
            dh0 = dh0.T.copy()
    dA2 = dA.reshape(H, T * B)
    dw_ih = dw_hh = db_ih = db_hh = None
    if any(ctx.needs_input_grad[2:6]):  # one GEMM over all steps: [dW_hh | dW_ih | db]
        dW = dA2 @ Z[:, :T].reshape(-1, T * B).T
        dw_hh, dw_ih, db = split_weight_grad(xp, dW, H, I)
        db_ih, db_hh = (db, db.copy()) if has_bias else (None, None)
    dx = None
    if need_x:
        dx = public((W[:, H:H + I].T @ dA2).reshape(I, T, B), batch_first, reverse)
    release(dA, dY)
    return dx, dh0, dw_ih, dw_hh, db_ih, db_hh
