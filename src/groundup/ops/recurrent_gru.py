"""The fused GRU: one Function for one layer and one direction over a whole sequence.

Layout and the folded GEMM: ops/recurrent_common.py.
"""

from .. import kernels
from .common import quiet
from .recurrent_common import (
    Kept,
    SequenceFn,
    frozen_steps,
    public,
    release,
    scratch,
    step_gradients,
    step_input,
)

__all__ = []


class GRUFn(SequenceFn):
    """A GRU layer (one direction) over T steps, with backpropagation through time.

    Shapes: x (T, B, I) (or (B, T, I) batch-first), h0 (B, H), w_ih (3H, I), w_hh (3H, H),
    b_ih, b_hh (3H,) or None. Gates packed r, z, n as in PyTorch. Returns y (T, B, H) (or
    (B, T, H)) and h_n (B, H).

    forward, per step (PyTorch's equations):
        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)
        z = sigmoid(W_iz x + b_iz + W_hz h + b_hz)
        q = W_hn h + b_hn
        n = tanh(W_in x + b_in + r * q)
        h' = (1 - z) * n + z * h  =  n + z * (h - n)
    backward, per step, from dh' (the output's gradient plus the next step's dh):
        da_n = dh' (1 - z) (1 - n^2)          (the gradient of W_in x + b_in + r q)
        da_r = da_n q r (1 - r)                da_z = dh' (h - n) z (1 - z)
        dq = da_n r
        dh = dh' z + W_hr^T da_r + W_hz^T da_z + W_hn^T dq    (not at t = 0 unless h0 needs it)
        dW_ih += [da_r; da_z; da_n] x^T        dW_hh += [da_r; da_z; dq] h^T
        db_ih = sum [da_r; da_z; da_n]         db_hh = sum [da_r; da_z; dq]
        dx = W_ih^T [da_r; da_z; da_n] (after the loop, one GEMM, only when x needs it)

    Variable lengths (lengths (B,), each <= T): a column's state is frozen at the steps its
    sequence does not have (recurrent_common.frozen_steps): h' = h there, kept as z = 1 and
    the other factors 0, so the backward's dh = dh' z passes it on unchanged with no da.

    Implementation (feature-major, see recurrent_common). The n gate needs W_hn h + b_hn
    apart from its input half, so the GRU does not fold everything into one GEMM:
    - the input side of all steps is one batched GEMM before the loop,
          Gx[k] = Wx @ [x_k; 1],  Wx (3H, I+1) with rows [n; r; z]: [W_in | b_in],
          -[W_ir | b_ir + b_hr], -[W_iz | b_iz + b_hz];
    - each step is one GEMM with W_hh (rows r and z negated) on h, then q += b_hn; the r and
      z rows come out as -a, so one exp gives both sigmoids;
    - the backward factors are computed in the forward and kept per step in F (T, 5H, B),
      blocks [(1-z)(1-n^2), (1-z)(1-n^2) q r(1-r), (h-n) z(1-z), (1-z)(1-n^2) r, z], so a
      step's backward is dA = F * dh' (one pass over 4H rows: [da_n; da_r; da_z; dq]),
      dh' z, and one GEMM with W_hh^T on dA's last 3H rows;
    - after the loop, dW_ih and db_ih (with the ones row) are one GEMM of dA's first 3H rows
      with [x; 1], dW_hh one GEMM of its last 3H rows with h, db_hn a row sum;
    - without a graph (no input needs a gradient) the factors are not computed at all.
    (One GEMM per step over [h; x; 1] with zero blocks, as the LSTM does, measured 8% slower:
    the zero blocks cost a third more GEMM work.)
    saved: Z (the step inputs), F, Wx and W_hh (copies).
    """

    @staticmethod
    def forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, batch_first, reverse, lengths=None):
        ctx.set_materialize_grads(False)  # an unused output's gradient arrives as None
        arrays = [None if t is None else t.array for t in (x, h0, w_ih, w_hh, b_ih, b_hh)]
        return SequenceFn.wrap(*gru_forward(ctx, *arrays, batch_first, reverse, lengths))

    @staticmethod
    def backward(ctx, dy, dh_n):
        grads = gru_backward(ctx, *[None if g is None else g.array for g in (dy, dh_n)])
        return grads + (None, None, None)


def _input_weight(xp, w_ih, b_ih, b_hh):
    """Wx (3H, I + 1) = [W_i | b] with rows in the order n, r, z; the r and z rows carry
    both biases (b_i + b_h), the n rows only b_in (b_hn acts inside r * (...))."""
    H, I = w_ih.shape[0] // 3, w_ih.shape[1]
    Wx = xp.empty((3 * H, I + 1), w_ih.dtype)
    Wx[:H, :I], Wx[H:, :I] = w_ih[2 * H:], w_ih[:2 * H]
    if b_ih is None:
        Wx[:, I] = 0
    else:
        Wx[:H, I], Wx[H:, I] = b_ih[2 * H:], b_ih[:2 * H] + b_hh[:2 * H]
    return Wx


def gru_forward(ctx, x, h0, w_ih, w_hh, b_ih, b_hh, batch_first, reverse, lengths=None):
    """The forward loop on arrays; keeps what gru_backward needs on ctx."""
    xp = ctx.xp
    H, I = w_hh.shape[1], w_ih.shape[1]
    Wx = _input_weight(xp, w_ih, b_ih, b_hh)  # (3H, I+1), rows n, r, z; true signs
    Wxs, Whs = Wx.copy(), w_hh.copy()
    Wxs[H:] *= -1.0
    Whs[:2 * H] *= -1.0  # the GEMMs give -a_r, -a_z
    b_hn = None if b_hh is None else b_hh[2 * H:, None]
    Z = step_input(xp, x, H, h0, batch_first, reverse)  # (K, T+1, B)
    T, B, dtype = Z.shape[1] - 1, Z.shape[2], Z.dtype
    # the input side of every step at once: Gx[k] = [n_x; -a_r_x; -a_z_x]  (T, 3H, B)
    Gx = xp.matmul(Wxs, Z[H:, :T].transpose(1, 0, 2), out=scratch(xp, (T, 3 * H, B), dtype))
    keep = any(ctx.needs_input_grad)  # no gradient wanted: no factors to compute
    F = scratch(xp, (T, 5 * H, B), dtype) if keep else None  # the backward's factors
    s = xp.empty((3 * H, B), dtype)
    n, d, e = xp.empty((H, B), dtype), xp.empty((H, B), dtype), xp.empty((H, B), dtype)
    rz, r, z, q = s[:2 * H], s[:H], s[H:2 * H], s[2 * H:]
    frozen = frozen_steps(lengths, T, reverse)
    compiled = frozen is None and kernels.gru_forward_steps(Whs, Gx, Z, F, b_hn, keep)
    with quiet(xp):  # exp(-a) = inf for a << 0 gives sigmoid 0: right
        for k in range(0 if compiled else T):  # compiled: the same loop, done (kernels/)
            xp.matmul(Whs, Z[:H, k], out=s)  # [-W_hr h; -W_hz h; W_hn h]
            if b_hn is not None:
                q += b_hn  # q = W_hn h + b_hn
            rz += Gx[k, H:]
            xp.exp(rz, out=rz)
            rz += 1.0
            xp.divide(1.0, rz, out=rz)  # r, z
            xp.multiply(r, q, out=n)
            n += Gx[k, :H]
            xp.tanh(n, out=n)  # n = tanh(n_x + r q)
            xp.subtract(Z[:H, k], n, out=d)  # h - n
            if keep:
                Fk = F[k]
                Fn, Fr, Fz, Fq = (Fk[j * H:(j + 1) * H] for j in range(4))
                xp.multiply(rz, rz, out=Fk[H:3 * H])
                xp.subtract(rz, Fk[H:3 * H], out=Fk[H:3 * H])  # r (1 - r), z (1 - z)
                Fz *= d  # (h - n) z (1 - z)
            d *= z
            xp.add(n, d, out=Z[:H, k + 1])  # h' = n + z (h - n), where the next step reads it
            if keep:
                xp.multiply(n, n, out=Fn)
                xp.subtract(1.0, Fn, out=Fn)
                xp.subtract(1.0, z, out=e)
                Fn *= e  # (1 - z)(1 - n^2)
                xp.multiply(Fn, r, out=Fq)  # (1 - z)(1 - n^2) r
                Fr *= Fn
                Fr *= q  # (1 - z)(1 - n^2) q r (1 - r)
                xp.copyto(Fk[4 * H:], z)
            if frozen is not None and (fz := frozen[k]) is not None:
                Z[:H, k + 1][:, fz] = Z[:H, k][:, fz]  # no step here: h stays
                if keep:
                    F[k][:4 * H][:, fz] = 0
                    F[k][4 * H:][:, fz] = 1  # z = 1: dh = dh'
    release(Gx)
    y, h_n = public(Z[:H, 1:], batch_first, reverse), Z[:H, T].T.copy()
    if not keep:
        release(Z)
        return y, h_n
    ctx.kept = Kept((Z, F, Wx, w_hh.copy()), (Z, F))
    ctx.config = (H, I, batch_first, reverse, b_ih is not None)
    return y, h_n


def gru_backward(ctx, dy, dh_n):
    """BPTT on arrays: (dx, dh0, dw_ih, dw_hh, db_ih, db_hh), None where unneeded."""
    xp = ctx.xp
    Z, F, Wx, w_hh = ctx.kept.values
    H, I, batch_first, reverse, has_bias = ctx.config
    need_x, need_h0 = ctx.needs_input_grad[:2]
    T, B, dtype = F.shape[0], F.shape[2], F.dtype
    dY = step_gradients(xp, dy, dh_n, T, H, B, dtype, batch_first, reverse)  # (T, H, B)
    dA = scratch(xp, (4 * H, T, B), dtype)  # [da_n; da_r; da_z; dq] of every step
    dh_prev, tmp = xp.empty((H, B), dtype), xp.empty((H, B), dtype)
    W_hh_T = w_hh.T  # (H, 3H)
    dh0 = None
    T0 = T - 1
    if kernels.gru_backward_steps(w_hh, F, dY, dA):  # (frozen steps are in F: z = 1)
        T0 = -1  # the same loop, done (kernels/), but for h0's gradient
        if need_h0:
            dh0 = (W_hh_T @ dA[H:, 0] + dY[0] * F[0, 4 * H:]).T.copy()
    for k in range(T0, -1, -1):
        Fk, dAk, dh = F[k], dA[:, k], dY[k]  # dY[k]: the whole dh of step k by now
        xp.multiply(Fk[:4 * H].reshape(4, H, B), dh, out=dAk.reshape(4, H, B))
        if k > 0 or need_h0:
            xp.matmul(W_hh_T, dAk[H:], out=dh_prev)
            xp.multiply(dh, Fk[4 * H:], out=tmp)
            dh_prev += tmp  # dh = dh' z + W_hh^T [da_r; da_z; dq]
            if k > 0:
                dY[k - 1] += dh_prev
            else:
                dh0 = dh_prev.T.copy()
    dA2 = dA.reshape(4 * H, T * B)
    dw_ih = dw_hh = db_ih = db_hh = None
    if any(ctx.needs_input_grad[2:6]):  # the weight gradients, each one GEMM over all steps
        dWx = dA2[:3 * H] @ Z[H:, :T].reshape(I + 1, T * B).T  # [da_n; da_r; da_z] [x; 1]^T
        dw_hh = dA2[H:] @ Z[:H, :T].reshape(H, T * B).T  # [da_r; da_z; dq] h^T: rows r, z, n
        dw_ih = xp.concatenate([dWx[H:, :I], dWx[:H, :I]])  # rows r, z, n
        if has_bias:
            db_ih = xp.concatenate([dWx[H:, I], dWx[:H, I]])
            db_hh = xp.concatenate([dWx[H:, I], dA2[3 * H:].sum(axis=1)])  # dq summed: db_hn
    dx = None
    if need_x:  # dx = W_i^T [da_n; da_r; da_z]
        dx = public((Wx[:, :I].T @ dA2[:3 * H]).reshape(I, T, B), batch_first, reverse)
    release(dA, dY)
    return dx, dh0, dw_ih, dw_hh, db_ih, db_hh
