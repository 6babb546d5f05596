"""Multi-head attention: MultiheadAttention, with PyTorch's signature and parameter names.

The computation is gu.nn.functional.multi_head_attention_forward (ops/multihead_attention.py):
fused projections, the heads as strided views of the projection outputs, one attention
Function for all heads (ops/attention.py).
"""

import numbers

from ...backend import to_dtype
from ...creation import empty
from ...ops.multihead_attention import attention_forward
from .. import init
from ..module import Module, Parameter
from .linear import Linear

__all__ = ["MultiheadAttention"]


class MultiheadAttention(Module):
    """Multi-head attention: H heads attend in parallel over dh = embed_dim / H columns each.

        Q = query W_q^T + b_q,  K = key W_k^T + b_k,  V = value W_v^T + b_v
        head_h = softmax(Q_h K_h^T / sqrt(dh) + mask) V_h
        out = concat(head_1, ..., head_H) W_o^T + b_o

    Args:
        embed_dim: E, the model width (query features and output features).
        num_heads: H, dividing E.
        dropout: dropout on the attention weights while training (default 0).
        bias: learn in_proj_bias and out_proj.bias (default True).
        add_bias_kv: learn bias_k, bias_v (1, 1, E), appended as one more key and value.
        add_zero_attn: append one more key and value of zeros.
        kdim, vdim: key / value features (default E); when either differs from E the
            projections are separate: q_proj_weight (E, E), k_proj_weight (E, kdim),
            v_proj_weight (E, vdim).
        batch_first: inputs and outputs (N, L, E) instead of (L, N, E) (default False).
    forward(query, key, value, key_padding_mask=None, need_weights=True, attn_mask=None,
            average_attn_weights=True, is_causal=False) -> (attn_output, attn_weights):
        query (L, N, E), key (S, N, kdim), value (S, N, vdim) (batch first with
        batch_first; or unbatched (L, E), ...). key_padding_mask (N, S): True (or -inf)
        where a key is padding. attn_mask (L, S) or (N * H, L, S): True where a query may
        not attend a key, or a float added to the scores. is_causal: each query attends
        the keys up to its own position (the causal mask is built when attn_mask is None;
        PyTorch requires it). attn_output: like query; attn_weights: (N, L, S) averaged
        over heads, (N, H, L, S) with average_attn_weights=False, or None with
        need_weights=False (the faster path: use it when the weights are not needed).
        A query whose every key is masked gets zero weights and output (PyTorch gives NaN
        on its need_weights path and zeros on the other).
    Attributes:
        in_proj_weight (3E, E) xavier-uniform, in_proj_bias (3E,) zeros, out_proj (a Linear,
        bias zeros), bias_k / bias_v (1, 1, E) xavier-normal: PyTorch's names and layouts.
    Example:
        mha = MultiheadAttention(64, 4, batch_first=True)
        x = gu.randn(8, 10, 64)
        y, w = mha(x, x, x)                       # (8, 10, 64), (8, 10, 10)
        y, _ = mha(x, x, x, need_weights=False, is_causal=True)
    """

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        super().__init__()
        for arg, value in (("embed_dim", embed_dim), ("num_heads", num_heads),
                           ("kdim", kdim), ("vdim", vdim)):
            if value is not None and (isinstance(value, bool)
                                      or not isinstance(value, numbers.Integral) or value <= 0):
                raise ValueError(f"MultiheadAttention: {arg} must be a positive int, "
                                 f"got {value!r}")
        if embed_dim % num_heads:
            raise ValueError(f"MultiheadAttention: embed_dim ({embed_dim}) must be divisible "
                             f"by num_heads ({num_heads})")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) \
                or not 0 <= dropout <= 1:
            raise ValueError(f"MultiheadAttention: dropout must be a number in [0, 1], "
                             f"got {dropout!r}")
        E = self.embed_dim = int(embed_dim)
        self.kdim = int(kdim) if kdim is not None else E
        self.vdim = int(vdim) if vdim is not None else E
        self._qkv_same_embed_dim = self.kdim == E and self.vdim == E
        self.num_heads = int(num_heads)
        self.dropout = float(dropout)
        self.batch_first = bool(batch_first)
        self.head_dim = E // self.num_heads
        self.add_zero_attn = bool(add_zero_attn)
        dtype = to_dtype(dtype) or to_dtype("float32")

        def param(*shape):
            return Parameter(empty(*shape, dtype=dtype, device=device))

        if self._qkv_same_embed_dim:
            self.in_proj_weight = param(3 * E, E)
            self.q_proj_weight = self.k_proj_weight = self.v_proj_weight = None
        else:
            self.q_proj_weight = param(E, E)
            self.k_proj_weight = param(E, self.kdim)
            self.v_proj_weight = param(E, self.vdim)
            self.in_proj_weight = None
        self.in_proj_bias = param(3 * E) if bias else None
        if add_bias_kv:
            self.bias_k, self.bias_v = param(1, 1, E), param(1, 1, E)
        else:
            self.bias_k = self.bias_v = None
        self.out_proj = Linear(E, E, bias=bias, device=device, dtype=dtype)
        self._reset_parameters()

    def _reset_parameters(self):
        """xavier_uniform_ projections, zero biases, xavier_normal_ bias_k / bias_v (PyTorch's)."""
        for w in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight,
                  self.v_proj_weight):
            if w is not None:
                init.xavier_uniform_(w)
        if self.in_proj_bias is not None:
            init.zeros_(self.in_proj_bias)
            init.zeros_(self.out_proj.bias)
        for b in (self.bias_k, self.bias_v):
            if b is not None:
                init.xavier_normal_(b)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        return attention_forward(
            query, key, value, self.num_heads, self.in_proj_weight, self.in_proj_bias,
            self.bias_k, self.bias_v, self.add_zero_attn, self.dropout, self.out_proj.weight,
            self.out_proj.bias, training=self.training, key_padding_mask=key_padding_mask,
            need_weights=need_weights, attn_mask=attn_mask, q_proj_weight=self.q_proj_weight,
            k_proj_weight=self.k_proj_weight, v_proj_weight=self.v_proj_weight,
            average_attn_weights=average_attn_weights, is_causal=is_causal,
            batch_first=self.batch_first, name=self._name())

    def _name(self):
        return f"MultiheadAttention(embed_dim={self.embed_dim}, num_heads={self.num_heads})"

    def extra_repr(self):
        s = f"embed_dim={self.embed_dim}, num_heads={self.num_heads}"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if not self._qkv_same_embed_dim:
            s += f", kdim={self.kdim}, vdim={self.vdim}"
        if self.in_proj_bias is None:
            s += ", bias=False"
        if self.bias_k is not None:
            s += ", add_bias_kv=True"
        if self.add_zero_attn:
            s += ", add_zero_attn=True"
        if self.batch_first:
            s += ", batch_first=True"
        return s
