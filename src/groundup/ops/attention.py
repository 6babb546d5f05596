"""Scaled dot-product attention: one Function with a hand-written backward.

Notation (every docstring below): queries q (..., L, E), keys k (..., S, E), values
v (..., S, Ev); c the scale (default 1/sqrt(E)); M an additive mask (0 where a key may be
attended, -inf where it may not) broadcast to (..., L, S); D the dropout mask, 1/(1-p) or 0
per weight.

    forward:   A = c q k^T + M                              (..., L, S) scores
               P = softmax(A) along S (a row with no finite score gives P = 0, not NaN)
               O = (P * D) @ v                              (..., L, Ev)
    backward:  dv = (P * D)^T @ dO
               dP = (dO @ v^T) * D
               dA = P * (dP - rowsum(P * dP))               softmax backward, fused
               dq = dA @ (c k)         dk = dA^T @ (c q)    dM = dA

Speed: the scores are one batched GEMM on whatever strided views
the caller passes (np.matmul calls sgemm per matrix when the inner strides allow it, so the
heads of a packed projection need no copies); the softmax works on cache-sized blocks of
rows with one shift per block (none at all when the block's maximum is small enough for exp
not to overflow), not one per row, and takes row sums as a GEMV with a ones vector; the
softmax backward takes its row dots with einsum and works in place on dP (with the `fast`
extra, both are one compiled, threaded pass over the rows: kernels/softmax.py). The scale goes
into a copy of q (c q, saved for dk) and of k in the backward (for dq), the two smallest
arrays. A backward computes only the gradients its inputs need.

MultiheadAttention's core (`HeadsAttentionFn`) runs the same two passes on the heads of the
packed projection outputs, with the head split and merge done by strides: no copies. At two
or more threads it runs each half of the batch in its own thread (`_batch_parts`; tested
equal to one pass).
"""

import math
import os
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from .. import kernels, threads
from ..autograd import Function
from ..backend import cached_constant, move
from ..random import get_generator
from ..tensor import Tensor
from .common import as_tensor, quiet
from .shape import repeat_interleave

__all__ = ["scaled_dot_product_attention"]

_CHUNK = 1 << 16  # elements per block of rows: 256 KiB of float32, a block stays in cache
_CAUSAL = {}  # (xp, L, S, dtype) -> read-only additive causal mask (0 on and below the diagonal)


# ------------------------------------------------------------------- helpers
def _blocks(R, S):
    step = max(1, _CHUNK // max(S, 1))
    return [slice(i, i + step) for i in range(0, R, step)]


def _softmax_rows(a, xp):
    """Row softmax of a C-contiguous (..., S) array into a new array; rows with no finite entry
    give zeros, rows holding a nan or +inf give nan everywhere (as PyTorch).

    Per block of rows (cache-sized), with g the block's maximum: when g <= 60, exp cannot
    overflow and the scores are exponentiated as they are (softmax is shift-invariant: one
    pass fewer); otherwise g is subtracted first (one shift per block, not per row). Row sums
    are a GEMV with a ones vector. When a row's sum comes out too small to trust (its maximum
    lies far below the shift, or the row is fully masked) the block is redone with row maxima,
    and an empty row gets a zero reciprocal instead of NaN."""
    if xp is np:
        p = kernels.softmax_rows(a)  # compiled (kernels/softmax.py), or None
        if p is not None:
            return p
    S = a.shape[-1]
    a2 = a.reshape(-1, S)
    p = xp.empty_like(a)
    p2 = p.reshape(-1, S)
    ones = cached_constant(xp, "ones", S, a.dtype)
    with quiet(xp):
        for b in _blocks(a2.shape[0], S):
            ac, pc = a2[b], p2[b]
            g = ac.max()
            low = None
            if g <= 60.0:
                xp.exp(ac, out=pc)
                low = 1e-30  # a row whose maximum is >= -69 sums to more than this
            elif xp.isfinite(g):
                xp.subtract(ac, g, out=pc)
                xp.exp(pc, out=pc)
                low = 1e-10
            if low is not None:
                s = pc @ ones
                if s.min() >= low:
                    xp.reciprocal(s, out=s)
                    pc *= s[:, None]
                    continue
            m = ac.max(axis=1)  # nan where the row holds one
            broken = ~(m < np.inf)  # a nan or +inf: nan everywhere in the row, as PyTorch
            m[~xp.isfinite(m)] = 0  # a fully masked row: exp(-inf - 0) = 0 everywhere
            xp.subtract(ac, m[:, None], out=pc)
            xp.exp(pc, out=pc)
            s = pc @ ones
            r = xp.zeros_like(s)
            xp.divide(1.0, s, out=r, where=s > 0)
            pc *= r[:, None]
            pc[broken] = np.nan
    return p


def _softmax_backward_(dp, p, xp):
    """dp <- p * (dp - rowsum(p * dp)) in place, block by block (dp, p C-contiguous, same shape)."""
    if xp is np and kernels.softmax_backward_(dp, p):
        return dp
    S = p.shape[-1]
    dp2, p2 = dp.reshape(-1, S), p.reshape(-1, S)
    for b in _blocks(p2.shape[0], S):
        dc, pc = dp2[b], p2[b]
        d = xp.einsum("ij,ij->i", dc, pc)  # row dots, no product temporary
        xp.subtract(dc, d[:, None], out=dc)
        dc *= pc
    return dp


def _causal(xp, L, S, dtype):
    """Additive (L, S) mask: row i may attend keys j <= i (top-left aligned, as PyTorch)."""
    key = (xp.__name__, L, S, np.dtype(dtype).str)
    m = _CAUSAL.get(key)
    if m is None:
        if len(_CAUSAL) > 64:
            _CAUSAL.clear()
        m = xp.triu(xp.full((L, S), -np.inf, dtype=dtype), 1)
        if xp is np:
            m.flags.writeable = False
        _CAUSAL[key] = m
    return m


def _dropout_mask(xp, shape, p, dtype):
    """The scaled keep mask D: 1/(1-p) with probability 1-p, else 0 (groundup's generator)."""
    if p >= 1.0:
        mask = np.zeros(shape, dtype)
    else:
        keep = get_generator().random(shape, dtype=np.float32) >= p
        mask = np.multiply(keep, 1.0 / (1.0 - p), dtype=dtype)
    return mask if xp is np else move(mask, "cuda")


def _scores(xp, q, k, mask, causal, scale):
    """A = c q k^T + M and P = softmax(A); returns (qs = c q, P)."""
    qs = xp.multiply(q, scale)  # a contiguous copy: the smallest operand carries the scale
    a = xp.matmul(qs, xp.swapaxes(k, -1, -2))
    if mask is not None:
        if np.broadcast_shapes(a.shape, mask.shape) == a.shape:
            a += mask
        else:
            a = a + mask
    if causal:
        a += _causal(xp, a.shape[-2], a.shape[-1], a.dtype)
    return qs, _softmax_rows(a, xp)


def _attend(xp, q, k, v, mask, causal, scale, p, out=None, D=None):
    """The forward: O = (P * D) @ v, into `out` when given. Returns (O, the state backward
    needs). D, when given, is the dropout mask already drawn."""
    qs, P = _scores(xp, q, k, mask, causal, scale)
    batch = np.broadcast_shapes(P.shape[:-2], v.shape[:-2])
    if batch != P.shape[:-2]:  # v has more batch entries: give each its own weights
        P = xp.ascontiguousarray(xp.broadcast_to(P, batch + P.shape[-2:]))
    if D is None and p > 0:
        D = _dropout_mask(xp, P.shape, p, P.dtype)
    Pd = P if D is None else P * D
    o = xp.matmul(Pd, v) if out is None else xp.matmul(Pd, v, out=out)
    return o, (qs, k, v, P, D, Pd, scale)


def _attend_backward(xp, state, do, need_q, need_k, need_v, need_a, outs=(None, None, None)):
    """dq, dk, dv and dA (each None unless needed); dq/dk/dv into `outs` views when given."""
    qs, k, v, P, D, Pd, scale = state
    dq = dk = dv = da = None
    if need_v:
        dv = _mm(xp, xp.swapaxes(Pd, -1, -2), do, outs[2])
    if need_q or need_k or need_a:
        dp = xp.matmul(do, xp.swapaxes(v, -1, -2))
        if D is not None:
            dp *= D
        da = _softmax_backward_(dp, P, xp)
        if need_q:
            dq = _mm(xp, da, xp.multiply(k, scale), outs[0])
        if need_k:
            dk = _mm(xp, xp.swapaxes(da, -1, -2), qs, outs[1])
    return dq, dk, dv, da


def _mm(xp, a, b, out):
    return xp.matmul(a, b) if out is None else xp.matmul(a, b, out=out)


# ----------------------------------------------------------------- primitives
class ScaledDotProductAttentionFn(Function):
    """Scaled dot-product attention (the module docstring's notation).

    forward:   A = c q k^T + M,  P = softmax_S(A),  O = (P * D) @ v
               q (..., L, E), k (..., S, E), v (..., S, Ev) -> O (..., L, Ev); the leading
               dims broadcast; a row with no finite score gives P = 0
    backward:  dv = (P D)^T dO     dP = (dO v^T) D     dA = P (dP - rowsum(P dP))
               dq = dA (c k)       dk = dA^T (c q)     dM = dA (a float mask that needs one)
    saved:     c q, k, v (references), P, D and P * D.
    The optional fourth input is a float mask that requires grad; any other mask comes as
    the `mask` array (already additive).
    """

    def forward(self, q, k, v, *mask_in, mask, causal, scale, p):
        o, state = _attend(self.xp, q, k, v, mask_in[0] if mask_in else mask, causal, scale, p)
        if True in self.needs_input_grad:
            self.save_for_backward(*state)
        return o

    def backward(self, do):
        needs = self.needs_input_grad
        dq, dk, dv, da = _attend_backward(self.xp, self.saved, do, needs[0], needs[1],
                                          needs[2], len(needs) == 4 and needs[3])
        return (dq, dk, dv, da) if len(needs) == 4 else (dq, dk, dv)


class AttentionWeightsFn(Function):
    """The attention weights alone (MultiheadAttention's need_weights path).

    forward:   P = softmax_S(c q k^T + M)      q (..., L, E), k (..., S, E) -> P (..., L, S)
               (a row with no finite score gives P = 0)
    backward:  dA = P (dP - rowsum(P dP))      dq = dA (c k)      dk = dA^T (c q)
    saved:     c q, k (a reference), P.
    """

    def forward(self, q, k, mask, causal, scale):
        qs, P = _scores(self.xp, q, k, mask, causal, scale)
        if True in self.needs_input_grad:
            self.save_for_backward(qs, k, P)
            self.scale = scale
        return P

    def backward(self, dp):
        xp = self.xp
        qs, k, P = self.saved
        need_q, need_k = self.needs_input_grad
        da = _softmax_backward_(dp.copy(), P, xp)  # never write into the incoming gradient
        dq = xp.matmul(da, xp.multiply(k, self.scale)) if need_q else None
        dk = xp.matmul(xp.swapaxes(da, -1, -2), qs) if need_k else None
        return dq, dk


def head_view(a, part, parts, heads, batch_first):
    """Head `part` of `parts` packed in the last dim of a projection output, as (N, H, T, dh).

    a is (N, T, parts*E) when batch_first, else (T, N, parts*E): a view with strides, no
    copy (a copy only when `a` is not contiguous).
    """
    E = a.shape[-1] // parts
    dh = E // heads
    if batch_first:
        N, T = a.shape[0], a.shape[1]
        return a.reshape(N, T, parts, heads, dh)[:, :, part].transpose(0, 2, 1, 3)
    T, N = a.shape[0], a.shape[1]
    return a.reshape(T, N, parts, heads, dh)[:, :, part].transpose(1, 2, 0, 3)


def _parts(n, i):
    """How many of q, k, v the i-th of n sources packs: (3,), (1, 2) or (1, 1, 1)."""
    return ((3,), (1, 2), (1, 1, 1))[n - 1][i]


def _split(sources, heads, batch_first):
    """(q, k, v) head views of 1 (q|k|v), 2 (q, k|v) or 3 (q, k, v) projection outputs."""
    views = []
    for i, a in enumerate(sources):
        parts = _parts(len(sources), i)
        views += [head_view(a, j, parts, heads, batch_first) for j in range(parts)]
    return views


_SPLIT_MIN = 1 << 17  # attention scores below which one thread does the whole batch
_HALVES = os.environ.get("GROUNDUP_ATTENTION_HALVES", "0") == "1"  # 1: split at 2+ threads
_pool = None


def _batch_parts(xp, N, work):
    """Batch slices for the threads: two halves when groundup computes on two or more threads
    (threads.py) and the work is large enough, else the whole batch.

    The per-head GEMMs are too small for the BLAS to thread (64 x 64 x 32 runs on one core
    whatever the thread count), and NumPy's element-wise passes are single-threaded, so at
    2 threads the attention of one batch half runs in a worker thread beside the other: the
    GIL is released inside every GEMM and ufunc. The halves share nothing but the inputs,
    so the result is that of one pass over the batch (bit for bit where the softmax takes
    its unshifted path; to rounding where a block's shift differs). Off unless the
    environment variable GROUNDUP_ATTENTION_HALVES=1 asks for it: on the 2-core reference
    machine the step measured 779 samples/s with halves and 787 without
    (`python benchmarks/bench_transformer.py --threads 2 --halves 1` / `--halves 0`).
    """
    if not _HALVES or xp is not np or N < 2 or work < _SPLIT_MIN \
            or threads.get_num_threads() < 2:
        return [slice(None)]
    return [slice(0, N // 2), slice(N // 2, N)]


def _run_parts(run, parts):
    """[run(b) for b in parts], the first part in the worker thread when there are two."""
    global _pool
    if len(parts) == 1:
        return [run(parts[0])]
    if _pool is None:
        _pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="groundup-attention")
    first = _pool.submit(run, parts[0])
    last = run(parts[1])
    return [first.result(), last]


class HeadsAttentionFn(Function):
    """Multi-head attention on packed projection outputs (MultiheadAttention's core).

    sources, batch-first (N, T, *) or sequence-first (T, N, *), E = heads * dh:
        1: qkv (N, L, 3E) (self-attention)   2: q (N, L, E), kv (N, S, 2E)
        3: q (N, L, E), k (N, S, E), v (N, S, E)
    Each head's q, k, v is a strided (N, H, T, dh) view of its source (no split copies);
    the result, (N, H, L, dh) per head, is written by the GEMM into an (N, L, H, dh) buffer
    (no merge copy), returned as (N, L, E) (or (L, N, E)).
    forward / backward: ScaledDotProductAttentionFn's, per (n, h); the gradient of each
    source is one buffer of its shape whose head views receive dq, dk, dv from the GEMMs.
    saved:     as ScaledDotProductAttentionFn.
    """

    def forward(self, *sources, heads, batch_first, mask, causal, scale, p):
        xp = self.xp
        q, k, v = _split(sources, heads, batch_first)
        N, H, L, dh = q.shape
        out = xp.empty((N, L, H, dh) if batch_first else (L, N, H, dh), q.dtype)
        view = out.transpose(0, 2, 1, 3) if batch_first else out.transpose(1, 2, 0, 3)
        S = k.shape[2]
        D = _dropout_mask(xp, (N, H, L, S), p, q.dtype) if p > 0 else None  # drawn once
        per_sample = mask is not None and mask.ndim == 4 and mask.shape[0] == N
        parts = _batch_parts(xp, N, N * H * L * S)

        def run(b):
            m = mask[b] if per_sample else mask
            return _attend(xp, q[b], k[b], v[b], m, causal, scale, p, out=view[b],
                           D=None if D is None else D[b])[1]

        states = _run_parts(run, parts)
        if True in self.needs_input_grad:
            self.save_for_backward(*states)
            self.config = (heads, batch_first, [a.shape for a in sources], parts)
        return out.reshape(out.shape[0], out.shape[1], H * dh)

    def backward(self, do):
        xp = self.xp
        heads, batch_first, shapes, parts = self.config
        needs = self.needs_input_grad
        grads = [xp.empty(s, do.dtype) if need else None for s, need in zip(shapes, needs)]
        dviews = [None, None, None]
        need_qkv = [False, False, False]
        i = 0
        for n, (g, need) in enumerate(zip(grads, needs)):
            n_parts = _parts(len(shapes), n)
            for j in range(n_parts):
                need_qkv[i + j] = need
                if need:
                    dviews[i + j] = head_view(g, j, n_parts, heads, batch_first)
            i += n_parts
        do4 = head_view(do, 0, 1, heads, batch_first)
        states = self.saved

        def run(b):
            state = states[parts.index(b)]
            _attend_backward(xp, state, do4[b], *need_qkv, False,
                             outs=[None if d is None else d[b] for d in dviews])

        _run_parts(run, parts)
        return tuple(grads) if len(grads) > 1 else grads[0]


# ------------------------------------------------------------------ functions
def _float_input(name, what, x):
    if not isinstance(x, Tensor):
        x = as_tensor(x)
    if x.array.dtype.kind != "f":
        raise TypeError(f"{name}: {what} must be a floating-point tensor, got {x.array.dtype}")
    return x


def additive_mask(name, mask, dtype, xp, keep_true):
    """A bool or float mask as an additive float array (0 / -inf), or None.

    keep_true: True for scaled_dot_product_attention's rule (True = may attend), False for
    MultiheadAttention's (True = masked out).
    """
    if mask is None:
        return None
    a = mask.array if isinstance(mask, Tensor) else xp.asarray(mask)
    if a.dtype == np.bool_:
        blocked = ~a if keep_true else a
        out = xp.zeros(a.shape, dtype)
        out[blocked] = -np.inf
        return out
    if a.dtype.kind != "f":
        raise TypeError(f"{name}: a mask must be bool or floating-point, got {a.dtype}")
    return a.astype(dtype, copy=False)


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """softmax(query @ key^T * scale + mask) @ value, with dropout on the weights.

    query (..., L, E), key (..., S, E), value (..., S, Ev) -> (..., L, Ev); the leading
    dimensions broadcast. scale defaults to 1/sqrt(E).

    attn_mask: a bool mask (True: the query may attend that key, as in PyTorch) or a float
    mask added to the scores (a float mask that requires grad gets its gradient), either
    broadcastable to (..., L, S). is_causal: query i attends keys 0..i (top-left aligned);
    it excludes attn_mask. dropout_p: drop attention weights with this probability (always,
    as PyTorch's function: pass 0.0 in evaluation), the masks drawn from groundup's seeded
    generator. enable_gqa: key/value may have fewer heads (dim -3) than query, each shared
    by a group of query heads.

    A query whose every key is masked gets zero weights and a zero output, and zero
    gradients, never NaN: PyTorch's function does the same, while nn.MultiheadAttention's
    need_weights path in PyTorch gives NaN there (groundup gives zeros on every path).
    The forward and backward math is the module docstring's (ops/attention.py).
    """
    name = "scaled_dot_product_attention"
    q = _float_input(name, "query", query)
    k = _float_input(name, "key", key)
    v = _float_input(name, "value", value)
    if len({q.array.dtype, k.array.dtype, v.array.dtype}) != 1:
        raise TypeError(f"{name}: query, key and value must have one dtype, got "
                        f"{q.array.dtype}, {k.array.dtype}, {v.array.dtype}")
    qs, ks, vs = tuple(q.shape), tuple(k.shape), tuple(v.shape)
    if min(len(qs), len(ks), len(vs)) < 2:
        raise ValueError(f"{name}: query, key and value need at least 2 dims (..., L, E), got "
                         f"shapes {qs}, {ks}, {vs}")
    if qs[-1] != ks[-1] or ks[-2] != vs[-2]:
        raise ValueError(f"{name}: expected query (..., L, E), key (..., S, E) and value "
                         f"(..., S, Ev), got {qs}, {ks}, {vs}")
    if enable_gqa and len(qs) >= 3 and len(ks) >= 3 and ks[-3] != qs[-3]:
        if ks[-3] != vs[-3] or qs[-3] % ks[-3]:
            raise ValueError(f"{name}: with enable_gqa the query heads ({qs[-3]}) must be a "
                             f"multiple of the key/value heads, got {qs}, {ks}, {vs}")
        k = repeat_interleave(k, qs[-3] // ks[-3], dim=-3)
        v = repeat_interleave(v, qs[-3] // ks[-3], dim=-3)
        ks, vs = tuple(k.shape), tuple(v.shape)
    try:
        batch = np.broadcast_shapes(qs[:-2], ks[:-2], vs[:-2])
    except ValueError:
        raise ValueError(f"{name}: the leading dims of query {qs}, key {ks} and value {vs} "
                         f"do not broadcast") from None
    weights = batch + (qs[-2], ks[-2])
    if isinstance(dropout_p, bool) or not isinstance(dropout_p, (int, float)) \
            or not 0.0 <= dropout_p <= 1.0:
        raise ValueError(f"{name}: dropout_p must be a number in [0, 1], got {dropout_p!r}")
    if is_causal and attn_mask is not None:
        raise ValueError(f"{name}: pass either attn_mask or is_causal=True, not both")
    c = 1.0 / math.sqrt(qs[-1]) if scale is None else float(scale)
    inputs = (q, k, v)
    mask = None
    if attn_mask is not None:
        if isinstance(attn_mask, Tensor) and attn_mask.requires_grad \
                and attn_mask.array.dtype.kind == "f":
            if attn_mask.array.dtype != q.array.dtype:
                attn_mask = attn_mask.to(q.array.dtype)
            inputs = (q, k, v, attn_mask)
            mshape = tuple(attn_mask.shape)
        else:
            mask = additive_mask(name, attn_mask, q.array.dtype, np, keep_true=True)
            mshape = mask.shape
        try:
            ok = np.broadcast_shapes(mshape, weights)[-2:] == weights[-2:]
        except ValueError:
            ok = False
        if not ok:
            raise ValueError(f"{name}: attn_mask of shape {mshape} does not broadcast to the "
                             f"attention weights' shape {weights} (..., L, S)")
    return ScaledDotProductAttentionFn.apply(*inputs, mask=mask, causal=bool(is_causal),
                                             scale=c, p=float(dropout_p))
