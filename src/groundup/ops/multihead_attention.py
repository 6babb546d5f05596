"""Multi-head attention as a function: nn.MultiheadAttention's computation, as PyTorch's
F.multi_head_attention_forward.

    Q = query W_q^T + b_q      K = key W_k^T + b_k      V = value W_v^T + b_v
    head h: O_h = attention(Q_h, K_h, V_h) on the h-th dh = E / H columns of each
    out = concat_h(O_h) W_o^T + b_o

The projections are fused linear ops (one GEMM for q, k and v together in
self-attention, one for k and v together in cross-attention); the heads are strided views of
those outputs, and the attention of every head is one Function (ops/attention.py:
HeadsAttentionFn) that writes the merged heads straight into the output-projection's input.
With need_weights the weights are computed on their own (AttentionWeightsFn) so they can be
returned, and the rest is plain ops, as PyTorch does on that path.
"""

import math

import numpy as np

from ..tensor import Tensor
from .attention import AttentionWeightsFn, HeadsAttentionFn, _causal, additive_mask
from .common import as_tensor
from .dropout import dropout
from .index import getitem
from .join import cat
from .linalg import linear, matmul
from .reduce import mean
from .shape import expand, permute, reshape, squeeze, unsqueeze

__all__ = ["multi_head_attention_forward"]


def _tensor(x, name, what):
    if x is None:
        raise TypeError(f"{name}: {what} is required")
    return x if isinstance(x, Tensor) else as_tensor(x)


def _cols(t, lo, hi):
    """Rows lo:hi of a weight (or entries of a bias), None for None."""
    return None if t is None else getitem(t, slice(lo, hi))


def _project(q, k, v, E, w, b, wq, wk, wv):
    """The projection outputs, packed: [q|k|v], [q, k|v] or [q, k, v] (see HeadsAttentionFn)."""
    if w is None:  # separate weights (kdim / vdim differ from embed_dim)
        return [linear(q, wq, _cols(b, 0, E)), linear(k, wk, _cols(b, E, 2 * E)),
                linear(v, wv, _cols(b, 2 * E, 3 * E))]
    if q is k and k is v:
        return [linear(q, w, b)]
    if k is v:
        return [linear(q, _cols(w, 0, E), _cols(b, 0, E)),
                linear(k, _cols(w, E, 3 * E), _cols(b, E, 3 * E))]
    return [linear(x, _cols(w, i * E, (i + 1) * E), _cols(b, i * E, (i + 1) * E))
            for i, x in enumerate((q, k, v))]


def _unpack(sources, E):
    """[q, k, v] Tensors from packed projection outputs (last-dim slices)."""
    out = []
    for a in sources:
        parts = a.shape[-1] // E
        out += [a if parts == 1 else getitem(a, (Ellipsis, slice(j * E, (j + 1) * E)))
                for j in range(parts)]
    return out


def _head_tensor(t, H, bf):
    """A projection Tensor (N, T, E) / (T, N, E) as (N, H, T, dh) (views, recorded ops)."""
    a, b_, E = t.shape
    t = reshape(t, (a, b_, H, E // H))
    return permute(t, (0, 2, 1, 3) if bf else (1, 2, 0, 3))


def _pad(mask, n):
    """Append n zero (attend) columns to an additive mask's last dim."""
    if mask is None or n == 0:
        return mask
    return np.concatenate([mask, np.zeros(mask.shape[:-1] + (n,), mask.dtype)], axis=-1)


def _masks(name, attn_mask, key_padding_mask, is_causal, N, H, L, S, extra, dtype, batched):
    """One additive float mask broadcastable to (N, H, L, S + extra), or None."""
    am = additive_mask(name, attn_mask, dtype, np, keep_true=False)
    if am is None and is_causal:
        am = _causal(np, L, S, dtype)  # PyTorch needs the mask itself; groundup builds it
    if am is not None:
        if am.ndim == 2:
            if am.shape != (L, S):
                raise ValueError(f"{name}: the 2-D attn_mask has shape {am.shape}, expected "
                                 f"(L, S) = {(L, S)}")
        elif am.ndim == 3:
            if am.shape != (N * H, L, S):
                want = (N * H, L, S) if batched else (H, L, S)
                raise ValueError(f"{name}: the 3-D attn_mask has shape {am.shape}, expected "
                                 f"(N * num_heads, L, S) = {want}")
            am = am.reshape(N, H, L, S)
        else:
            raise ValueError(f"{name}: attn_mask must be 2-D (L, S) or 3-D (N * num_heads, "
                             f"L, S), got shape {am.shape}")
    kpm = additive_mask(name, key_padding_mask, dtype, np, keep_true=False)
    if kpm is not None:
        if not batched and kpm.ndim == 1:
            kpm = kpm[None]
        if kpm.shape != (N, S):
            raise ValueError(f"{name}: key_padding_mask has shape {kpm.shape}, expected "
                             f"(N, S) = {(N, S) if batched else (S,)}")
        kpm = kpm.reshape(N, 1, 1, S)
    am, kpm = _pad(am, extra), _pad(kpm, extra)
    if am is None or kpm is None:
        return am if kpm is None else kpm
    return am + kpm


def attention_forward(query, key, value, num_heads, in_proj_weight, in_proj_bias, bias_k,
                      bias_v, add_zero_attn, dropout_p, out_proj_weight, out_proj_bias,
                      training=True, key_padding_mask=None, need_weights=True, attn_mask=None,
                      q_proj_weight=None, k_proj_weight=None, v_proj_weight=None,
                      average_attn_weights=True, is_causal=False, batch_first=False,
                      name="multi_head_attention_forward"):
    """multi_head_attention_forward in either layout: batch_first (N, L, E) or (L, N, E)."""
    q = _tensor(query, name, "query")
    k = q if key is query else _tensor(key, name, "key")
    v = k if value is key else (q if value is query else _tensor(value, name, "value"))
    w = in_proj_weight if in_proj_weight is not None else q_proj_weight
    E = out_proj_weight.shape[0]
    H = num_heads
    if q.ndim not in (2, 3) or k.ndim != q.ndim or v.ndim != q.ndim:
        raise ValueError(f"{name}: expected query, key and value all 3-D (batched) or all 2-D "
                         f"(unbatched), got shapes {tuple(q.shape)}, {tuple(k.shape)}, "
                         f"{tuple(v.shape)}")
    for what, x in (("query", q), ("key", k), ("value", v)):
        if x.array.dtype != w.array.dtype:
            raise TypeError(f"{name}: {what} dtype {x.array.dtype} does not match the weight "
                            f"dtype {w.array.dtype}; convert the input (x.float() / "
                            f"x.double()) or the module (.float() / .double())")
    batched = q.ndim == 3
    bdim = 0 if batch_first else 1
    if not batched:  # add the batch dim once per distinct tensor: identities decide packing
        q2 = unsqueeze(q, bdim)
        k2 = q2 if k is q else unsqueeze(k, bdim)
        v2 = k2 if v is k else (q2 if v is q else unsqueeze(v, bdim))
        q, k, v = q2, k2, v2
    sdim = 1 - bdim
    N, L, S = q.shape[bdim], q.shape[sdim], k.shape[sdim]
    kdim = E if in_proj_weight is not None else k_proj_weight.shape[1]
    vdim = E if in_proj_weight is not None else v_proj_weight.shape[1]
    layout = "(N, L, E)" if batch_first else "(L, N, E)"
    if q.shape[-1] != E or k.shape[-1] != kdim or v.shape[-1] != vdim \
            or k.shape[bdim] != N or v.shape[bdim] != N or v.shape[sdim] != S:
        raise ValueError(f"{name}: expected query {layout} with E = {E}, key and value of the "
                         f"same batch and length with {kdim} and {vdim} features, got "
                         f"{tuple(q.shape)}, {tuple(k.shape)}, {tuple(v.shape)}")
    dtype = q.array.dtype
    sources = _project(q, k, v, E, in_proj_weight, in_proj_bias, q_proj_weight,
                       k_proj_weight, v_proj_weight)
    extra = int(bias_k is not None) + int(bool(add_zero_attn))
    if extra:
        qt, kt, vt = _unpack(sources, E)
        shape = (N, 1, E) if batch_first else (1, N, E)
        if bias_k is not None:
            kt = cat([kt, expand(bias_k, shape)], sdim)
            vt = cat([vt, expand(bias_v, shape)], sdim)
        if add_zero_attn:
            zeros = Tensor._wrap(np.zeros(shape, dtype))
            kt, vt = cat([kt, zeros], sdim), cat([vt, zeros], sdim)
        sources = [qt, kt, vt]
    mask = _masks(name, attn_mask, key_padding_mask, is_causal, N, H, L, S, extra, dtype,
                  batched)
    p = float(dropout_p) if training else 0.0
    scale = 1.0 / math.sqrt(E // H)
    weights = None
    if not need_weights:
        o = HeadsAttentionFn.apply(*sources, heads=H, batch_first=batch_first, mask=mask,
                                   causal=False, scale=scale, p=p)
    else:
        q4, k4, v4 = (_head_tensor(t, H, batch_first) for t in _unpack(sources, E))
        weights = AttentionWeightsFn.apply(q4, k4, mask=mask, causal=False, scale=scale)
        if p > 0:
            weights = dropout(weights, p)
        o4 = matmul(weights, v4)  # (N, H, L, dh)
        o = reshape(permute(o4, (0, 2, 1, 3) if batch_first else (2, 0, 1, 3)),
                    (N, L, E) if batch_first else (L, N, E))
        if average_attn_weights:
            weights = mean(weights, dim=1)
        if not batched:
            weights = squeeze(weights, 0)
    out = linear(o, out_proj_weight, out_proj_bias)
    if not batched:
        out = squeeze(out, bdim)
    return out, weights


def multi_head_attention_forward(query, key, value, embed_dim_to_check, num_heads,
                                 in_proj_weight, in_proj_bias, bias_k, bias_v, add_zero_attn,
                                 dropout_p, out_proj_weight, out_proj_bias, training=True,
                                 key_padding_mask=None, need_weights=True, attn_mask=None,
                                 use_separate_proj_weight=False, q_proj_weight=None,
                                 k_proj_weight=None, v_proj_weight=None, static_k=None,
                                 static_v=None, average_attn_weights=True, is_causal=False):
    """nn.MultiheadAttention's forward as a function, with PyTorch's signature.

    query (L, N, E), key (S, N, kdim), value (S, N, vdim), or unbatched (L, E), ... ->
    (attn_output (L, N, E), attn_weights (N, L, S) averaged over heads, (N, H, L, S), or
    None without need_weights). Masks: key_padding_mask (N, S) and attn_mask (L, S) or
    (N * num_heads, L, S), bool (True: not attended) or float (added to the scores).
    is_causal with no attn_mask applies the causal mask (PyTorch asks for the mask too).
    static_k / static_v are not supported.
    """
    name = "multi_head_attention_forward"
    if static_k is not None or static_v is not None:
        raise NotImplementedError(f"{name}: static_k / static_v are not supported; project "
                                  f"the keys and values with the layer instead")
    q_embed = query.shape[-1]
    if q_embed != embed_dim_to_check:
        raise ValueError(f"{name}: query has embedding size {q_embed}, expected "
                         f"embed_dim_to_check = {embed_dim_to_check}")
    if embed_dim_to_check % num_heads:
        raise ValueError(f"{name}: embed_dim {embed_dim_to_check} is not divisible by "
                         f"num_heads {num_heads}")
    if (bias_k is None) != (bias_v is None):
        raise ValueError(f"{name}: bias_k and bias_v go together (both or neither)")
    if use_separate_proj_weight:
        in_proj_weight = None
        if q_proj_weight is None or k_proj_weight is None or v_proj_weight is None:
            raise ValueError(f"{name}: use_separate_proj_weight needs q_proj_weight, "
                             f"k_proj_weight and v_proj_weight")
    elif in_proj_weight is None:
        raise ValueError(f"{name}: in_proj_weight is required unless "
                         f"use_separate_proj_weight=True")
    return attention_forward(
        query, key, value, num_heads, in_proj_weight, in_proj_bias, bias_k, bias_v,
        add_zero_attn, dropout_p, out_proj_weight, out_proj_bias, training, key_padding_mask,
        need_weights, attn_mask, q_proj_weight, k_proj_weight, v_proj_weight,
        average_attn_weights, is_causal, batch_first=False, name=name)
