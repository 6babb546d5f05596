"""The fused LSTM: one Function for one layer and one direction over a whole sequence.

Layout and the folded GEMM: ops/recurrent_common.py.
"""

from .. import kernels
from .common import quiet
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


class LSTMFn(SequenceFn):
    """An LSTM layer (one direction) over T steps, with backpropagation through time.

    Shapes: x (T, B, I) (or (B, T, I) batch-first), h0 (B, P), c0 (B, H), w_ih (4H, I),
    w_hh (4H, P), b_ih, b_hh (4H,), w_hr (P, H) or None (then P = H). Gates packed i, f, g, o
    as in PyTorch. Returns y (T, B, P) (or (B, T, P)), h_n (B, P), c_n (B, H).

    forward, per step (a_* the gates' pre-activations, rows of a = W_ih x + b_ih + W_hh h + b_hh):
        i = sigmoid(a_i)   f = sigmoid(a_f)   g = tanh(a_g)   o = sigmoid(a_o)
        c' = f * c + i * g
        m = o * tanh(c')            h' = m   (or h' = W_hr m with a projection)
    backward, per step, from dh' (the output's gradient plus the next step's dh):
        dm = dh'  (or W_hr^T dh')
        dc = dc_next + dm * o * (1 - tanh(c')^2)
        da_o = dm * tanh(c') * o (1 - o)      da_i = dc * g * i (1 - i)
        da_f = dc * c * f (1 - f)             da_g = dc * i * (1 - g^2)
        dc_next = dc * f                      dh = W_hh^T da    (not at t = 0 unless h0 needs it)
    after the loop, each one GEMM over all T steps (B columns each):
        [dW_hh | dW_ih | db] = sum_t da [h; x; 1]^T     db_ih = db_hh = db
        dW_hr = sum_t dh' m^T        dx = W_ih^T da   (only when x needs a gradient)

    Variable lengths (lengths (B,), each <= T): a column's h and c are frozen at the steps its
    sequence does not have (recurrent_common.frozen_steps): h' = h, c' = c there, so the kept
    factors are 0 (no da, no dm into dc) but f = 1 (dc passes), m is kept as 0 (no dW_hr), and
    dh' passes to dh unchanged.

    Implementation (feature-major, (4H, B) per step, see recurrent_common):
    - the step's GEMM uses W = [W_hh | W_ih | b_ih + b_hh] with its rows scaled by -1 (i, f, o)
      and -2 (g), so ONE exp over all 4H rows gives every gate:
          s = 1 / (1 + exp(-a))  (i, f, o),   g = 2 sigmoid(2 a_g) - 1 = tanh(a_g);
    - the backward's factors are computed in the forward from cache-hot values and kept
      per step in F (T, 6H, B), blocks [g i(1-i), c f(1-f), i (1-g^2), tanh(c') o(1-o),
      o (1-tanh(c')^2), f], so a step's backward is five elementwise passes and one GEMM;
      with s (1 - s) over all four blocks at once, 1 - g^2 = 4 sigmoid(2a_g)(1 - sigmoid(2a_g));
    - without a graph (no input needs a gradient) the factors are not computed at all.
    saved: Z (the step inputs, for dW), F, the unscaled W, a copy of w_hr and the projection
    inputs m (H, T, B).
    """

    @staticmethod
    def forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, batch_first, reverse,
                lengths=None):
        ctx.set_materialize_grads(False)  # an unused output's gradient arrives as None
        arrays = [None if t is None else t.array for t in (x, h0, c0, w_ih, w_hh, b_ih, b_hh,
                                                             w_hr)]
        return SequenceFn.wrap(*lstm_forward(ctx, *arrays, batch_first, reverse, lengths))

    @staticmethod
    def backward(ctx, dy, dh_n, dc_n):
        grads = lstm_backward(ctx, *[None if g is None else g.array for g in (dy, dh_n, dc_n)])
        return grads + (None, None, None)


def lstm_forward(ctx, x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, batch_first, reverse,
                 lengths=None):
    """The forward loop on arrays; keeps what lstm_backward needs on ctx."""
    xp = ctx.xp
    H, P, I = w_hh.shape[0] // 4, w_hh.shape[1], w_ih.shape[1]
    W = step_weight(xp, w_hh, w_ih, None if b_ih is None else b_ih + b_hh)  # (4H, K)
    scale = xp.asarray([-1.0, -1.0, -2.0, -1.0], W.dtype).repeat(H)[:, None]
    Ws = W * scale  # the step's GEMM then gives -a (i, f, o) and -2 a_g
    Z = step_input(xp, x, P, h0, batch_first, reverse)  # (K, T+1, B)
    T, B, dtype = Z.shape[1] - 1, Z.shape[2], Z.dtype
    keep = any(ctx.needs_input_grad)  # no gradient wanted: no factors to compute
    F = scratch(xp, (T, 6 * H, B), dtype) if keep else None  # the backward's factors
    M = scratch(xp, (H, T, B), dtype) if w_hr is not None else None  # projection inputs m
    c = xp.zeros((H, B), dtype) if c0 is None else c0.T.copy()
    c_new, tc, s = xp.empty_like(c), xp.empty_like(c), xp.empty((4 * H, B), dtype)
    i, f, g, o = s[:H], s[H:2 * H], s[2 * H:3 * H], s[3 * H:]
    frozen = frozen_steps(lengths, T, reverse)
    compiled = M is None and frozen is None and kernels.lstm_forward_steps(Ws, Z, F, c, keep)
    with quiet(xp):  # exp(-a) = inf for a << 0 gives sigmoid 0: right
        for k in range(0 if compiled else T):  # compiled: the same loop, done (kernels/)
            xp.matmul(Ws, Z[:, k], out=s)
            xp.exp(s, out=s)
            s += 1.0
            xp.divide(1.0, s, out=s)  # i, f, o; sigmoid(2 a_g) in the g block
            if keep:
                Fk = F[k]
                Fi, Ff, Fg, Fo, Fc = (Fk[j * H:(j + 1) * H] for j in range(5))
                xp.multiply(s, s, out=Fk[:4 * H])
                xp.subtract(s, Fk[:4 * H], out=Fk[:4 * H])  # s (1 - s), every block
            g *= 2.0
            g -= 1.0  # g = tanh(a_g)
            if keep:
                Fi *= g  # g i (1 - i)
                Ff *= c  # c f (1 - f)
                Fg *= i
                Fg *= 4.0  # i (1 - g^2) = 4 i sigmoid(2 a_g) (1 - sigmoid(2 a_g))
                xp.copyto(Fk[5 * H:], f)
            xp.multiply(f, c, out=c_new)
            xp.multiply(i, g, out=tc)
            c_new += tc  # c' = f c + i g
            xp.tanh(c_new, out=tc)
            if keep:
                Fo *= tc  # tanh(c') o (1 - o)
                xp.multiply(tc, tc, out=Fc)
                xp.subtract(1.0, Fc, out=Fc)
                Fc *= o  # o (1 - tanh(c')^2)
            if M is None:
                xp.multiply(o, tc, out=Z[:P, k + 1])  # h' = m, where the next step reads it
            else:
                m = M[:, k]
                xp.multiply(o, tc, out=m)
                xp.matmul(w_hr, m, out=Z[:P, k + 1])  # h' = W_hr m
            if frozen is not None and (fz := frozen[k]) is not None:
                _freeze(Z, k, P, fz, c, c_new, F, M, keep, H)
            c, c_new = c_new, c
    y, h_n = public(Z[:P, 1:], batch_first, reverse), Z[:P, T].T.copy()
    if not keep:
        release(Z, M)
        return y, h_n, c.T.copy()
    ctx.kept = Kept((Z, F, M, W, None if w_hr is None else w_hr.copy()), (Z, F, M))
    ctx.config = (H, P, I, batch_first, reverse, b_ih is not None, frozen)
    return y, h_n, c.T.copy()


def _freeze(Z, k, P, fz, c, c_new, F, M, keep, H):
    """Columns fz have no step k: h and c stay; factors 0 but f = 1; m = 0."""
    Z[:P, k + 1][:, fz] = Z[:P, k][:, fz]
    c_new[:, fz] = c[:, fz]
    if keep:
        F[k][:5 * H][:, fz] = 0
        F[k][5 * H:][:, fz] = 1
    if M is not None:
        M[:, k][:, fz] = 0


def lstm_backward(ctx, dy, dh_n, dc_n):
    """BPTT on arrays: (dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, dw_hr), None where unneeded."""
    xp = ctx.xp
    Z, F, M, W, w_hr = ctx.kept.values
    H, P, I, batch_first, reverse, has_bias, frozen = ctx.config
    need_x, need_h0, need_c0 = ctx.needs_input_grad[:3]
    T, B, dtype = F.shape[0], F.shape[2], F.dtype
    dY = step_gradients(xp, dy, dh_n, T, P, B, dtype, batch_first, reverse)  # (T, P, B)
    dc = xp.zeros((H, B), dtype) if dc_n is None else dc_n.T.copy()
    dA = scratch(xp, (4 * H, T, B), dtype)  # da of every step, for the GEMMs after the loop
    dm = xp.empty((H, B), dtype) if w_hr is not None else None
    tmp, dh_prev = xp.empty((H, B), dtype), xp.empty((P, B), dtype)
    W_hh_T = W[:, :P].T  # (P, 4H)
    dh0 = None
    if w_hr is None and frozen is None and kernels.lstm_backward_steps(W, F, dY, dc, dA):
        if need_h0:  # the same loop, done (kernels/), but for h0's gradient
            dh0 = (W_hh_T @ dA[:, 0]).T.copy()
        T0 = -1
    else:
        T0 = T - 1
    for k in range(T0, -1, -1):
        Fk, dAk, dh = F[k], dA[:, k], dY[k]  # dY[k]: the whole dh of step k by now
        if w_hr is not None:
            xp.matmul(w_hr.T, dh, out=dm)
        else:
            dm = dh
        xp.multiply(dm, Fk[4 * H:5 * H], out=tmp)
        dc += tmp  # dc = dc_next + dm o (1 - tanh(c')^2)
        xp.multiply(dm, Fk[3 * H:4 * H], out=dAk[3 * H:])  # da_o
        xp.multiply(Fk[:3 * H].reshape(3, H, B), dc, out=dAk[:3 * H].reshape(3, H, B))
        dc *= Fk[5 * H:]  # dc_next = dc f
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
    dA2 = dA.reshape(4 * H, T * B)
    dw_ih = dw_hh = db_ih = db_hh = dw_hr = None
    if any(ctx.needs_input_grad[3:7]):  # one GEMM over all steps: [dW_hh | dW_ih | db]
        dW = dA2 @ Z[:, :T].reshape(-1, T * B).T
        dw_hh, dw_ih, db = split_weight_grad(xp, dW, P, I)
        db_ih, db_hh = (db, db.copy()) if has_bias else (None, None)
    if w_hr is not None and ctx.needs_input_grad[7]:  # dW_hr = sum over steps of dh m^T
        dw_hr = dY.transpose(1, 0, 2).reshape(P, T * B) @ M.reshape(H, T * B).T
    dx = None
    if need_x:  # dx = W_ih^T da, all steps in one GEMM
        dx = public((W[:, P:P + I].T @ dA2).reshape(I, T, B), batch_first, reverse)
    dc0 = dc.T.copy() if need_c0 else None
    release(dA, dY)
    return dx, dh0, dc0, dw_ih, dw_hh, db_ih, db_hh, dw_hr
