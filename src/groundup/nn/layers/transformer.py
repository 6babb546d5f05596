"""Transformer layers with PyTorch's signatures and names: TransformerEncoderLayer,
TransformerEncoder, TransformerDecoderLayer, TransformerDecoder and Transformer.

Each layer is MultiheadAttention (need_weights=False: the fused path), a feed-forward block
Linear -> activation -> Dropout -> Linear, residual connections and LayerNorm, either after
each residual sum (post-norm, the original Transformer and PyTorch's default) or before each
block (norm_first=True, pre-norm, as GPT-2 and most models since).
"""

import copy
import numbers

import numpy as np

from ...backend import to_dtype
from ...ops.feedforward import feed_forward
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module
from .attention import MultiheadAttention
from .container import ModuleList
from .dropout import Dropout
from .linear import Linear
from .norm import LayerNorm

__all__ = ["TransformerEncoderLayer", "TransformerEncoder", "TransformerDecoderLayer",
           "TransformerDecoder", "Transformer"]


def _activation(name, activation):
    """'relu' / 'gelu' -> F.relu / F.gelu; a callable (a function or a Module) as it is."""
    if isinstance(activation, str):
        fns = {"relu": F.relu, "gelu": F.gelu}
        if activation not in fns:
            raise ValueError(f"{name}: activation should be 'relu' or 'gelu' (or a callable), "
                             f"not {activation!r}")
        return fns[activation]
    if not callable(activation):
        raise TypeError(f"{name}: activation must be 'relu', 'gelu' or a callable, got "
                        f"{type(activation).__name__}")
    return activation


def _check_sizes(name, d_model, nhead, dim_feedforward, dropout):
    for arg, value in (("d_model", d_model), ("nhead", nhead),
                       ("dim_feedforward", dim_feedforward)):
        if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value <= 0:
            raise ValueError(f"{name}: {arg} must be a positive int, got {value!r}")
    if d_model % nhead:
        raise ValueError(f"{name}: d_model ({d_model}) must be divisible by nhead ({nhead})")
    if isinstance(dropout, bool) or not isinstance(dropout, numbers.Real) or not 0 <= dropout <= 1:
        raise ValueError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")


class _Layer(Module):
    """What both layers share: the feed-forward block, norms, dropouts and the activation."""

    _norms = 2

    def _build(self, d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
               batch_first, norm_first, bias, device, dtype, cross):
        name = type(self).__name__
        _check_sizes(name, d_model, nhead, dim_feedforward, dropout)
        kw = dict(device=device, dtype=dtype)
        self.self_attn = MultiheadAttention(d_model, nhead, dropout=dropout, bias=bias,
                                            batch_first=batch_first, **kw)
        if cross:
            self.multihead_attn = MultiheadAttention(d_model, nhead, dropout=dropout,
                                                     bias=bias, batch_first=batch_first, **kw)
        self.linear1 = Linear(d_model, dim_feedforward, bias=bias, **kw)
        self.dropout = Dropout(dropout)
        self.linear2 = Linear(dim_feedforward, d_model, bias=bias, **kw)
        self.norm_first = bool(norm_first)
        for i in range(1, self._norms + 1):
            setattr(self, f"norm{i}", LayerNorm(d_model, eps=layer_norm_eps, bias=bias, **kw))
        for i in range(1, self._norms + 1):
            setattr(self, f"dropout{i}", Dropout(dropout))
        self.activation = _activation(name, activation)
        self.batch_first = bool(batch_first)

    def _sa_block(self, x, attn_mask, key_padding_mask, is_causal):
        x = self.self_attn(x, x, x, attn_mask=attn_mask, key_padding_mask=key_padding_mask,
                           need_weights=False, is_causal=is_causal)[0]
        return self.dropout1(x)

    def _ff_block(self, x):
        l1, l2 = self.linear1, self.linear2
        if self.activation is F.relu and (self.dropout.p == 0 or not self.training) \
                and isinstance(x, Tensor) and x.array.dtype == l1.weight.array.dtype:
            # linear -> ReLU -> linear as one Function (ops/feedforward.py): the same math
            x = feed_forward(x, l1.weight, l1.bias, l2.weight, l2.bias)
        else:
            x = l2(self.dropout(self.activation(l1(x))))
        return getattr(self, f"dropout{self._norms}")(x)

    def extra_repr(self):
        return f"norm_first={self.norm_first}, batch_first={self.batch_first}"


class TransformerEncoderLayer(_Layer):
    """One encoder layer: self-attention and a feed-forward block, each with a residual.

        post-norm (default):  x = norm1(x + sa(x));  x = norm2(x + ff(x))
        norm_first=True:      x = x + sa(norm1(x));  x = x + ff(norm2(x))
        sa = dropout1(self_attn(x, x, x)),  ff = dropout2(linear2(dropout(act(linear1(x)))))

    Args:
        d_model: E.  nhead: H (dividing E).  dim_feedforward: 2048.  dropout: 0.1.
        activation: 'relu' (default), 'gelu' or a callable.  layer_norm_eps: 1e-5.
        batch_first: (N, L, E) instead of (L, N, E) (default False).
        norm_first: pre-norm (default False).  bias: biases in the linears and norms.
    forward(src, src_mask=None, src_key_padding_mask=None, is_causal=False): masks as
        MultiheadAttention's attn_mask and key_padding_mask; returns a tensor like src.
    Attributes: self_attn, linear1, linear2, norm1, norm2, dropout, dropout1, dropout2
        (PyTorch's names, so state dicts move between the two).
    Example:
        layer = TransformerEncoderLayer(128, 4, 512, dropout=0.0, batch_first=True)
        y = layer(gu.randn(32, 64, 128))
    """

    _norms = 2

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 device=None, dtype=None):
        super().__init__()
        self._build(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                    batch_first, norm_first, bias, device, dtype, cross=False)

    def forward(self, src, src_mask=None, src_key_padding_mask=None, is_causal=False):
        x = src
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), src_mask, src_key_padding_mask, is_causal)
            x = x + self._ff_block(self.norm2(x))
        else:
            x = self.norm1(x + self._sa_block(x, src_mask, src_key_padding_mask, is_causal))
            x = self.norm2(x + self._ff_block(x))
        return x


class TransformerDecoderLayer(_Layer):
    """One decoder layer: self-attention, attention over the encoder output (memory) and a
    feed-forward block, each with a residual.

        post-norm: x = norm1(x + sa(x)); x = norm2(x + mha(x, mem)); x = norm3(x + ff(x))
        norm_first: x = x + sa(norm1(x)); x = x + mha(norm2(x), mem); x = x + ff(norm3(x))

    Args: as TransformerEncoderLayer.
    forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
            memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        tgt (T, N, E), memory (S, N, E) (batch first with batch_first) -> like tgt.
    Attributes: self_attn, multihead_attn, linear1, linear2, norm1..3, dropout, dropout1..3.
    Example:
        layer = TransformerDecoderLayer(64, 4, 128, batch_first=True)
        mask = Transformer.generate_square_subsequent_mask(10)
        y = layer(gu.randn(2, 10, 64), gu.randn(2, 12, 64), tgt_mask=mask)
    """

    _norms = 3

    def __init__(self, d_model, nhead, dim_feedforward=2048, dropout=0.1, activation="relu",
                 layer_norm_eps=1e-5, batch_first=False, norm_first=False, bias=True,
                 device=None, dtype=None):
        super().__init__()
        self._build(d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                    batch_first, norm_first, bias, device, dtype, cross=True)

    def _mha_block(self, x, mem, attn_mask, key_padding_mask, is_causal):
        x = self.multihead_attn(x, mem, mem, attn_mask=attn_mask,
                                key_padding_mask=key_padding_mask, is_causal=is_causal,
                                need_weights=False)[0]
        return self.dropout2(x)

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=False, memory_is_causal=False):
        x = tgt
        if self.norm_first:
            x = x + self._sa_block(self.norm1(x), tgt_mask, tgt_key_padding_mask, tgt_is_causal)
            x = x + self._mha_block(self.norm2(x), memory, memory_mask,
                                    memory_key_padding_mask, memory_is_causal)
            x = x + self._ff_block(self.norm3(x))
        else:
            x = self.norm1(x + self._sa_block(x, tgt_mask, tgt_key_padding_mask, tgt_is_causal))
            x = self.norm2(x + self._mha_block(x, memory, memory_mask, memory_key_padding_mask,
                                               memory_is_causal))
            x = self.norm3(x + self._ff_block(x))
        return x


def _clones(module, n):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
        raise ValueError(f"num_layers must be a positive int, got {n!r}")
    return ModuleList([copy.deepcopy(module) for _ in range(n)])


class TransformerEncoder(Module):
    """A stack of num_layers copies of encoder_layer, then an optional final norm.

    Args:
        encoder_layer: a TransformerEncoderLayer (deep-copied num_layers times).
        num_layers: N.  norm: a module applied to the output (e.g. LayerNorm), or None.
        enable_nested_tensor, mask_check: accepted for PyTorch compatibility; no effect
            (groundup has no nested tensors: padded positions are computed like the rest,
            where PyTorch's evaluation fast path returns zeros for them).
    forward(src, mask=None, src_key_padding_mask=None, is_causal=None) -> like src.
    Attributes: layers (a ModuleList: layers.0.self_attn.in_proj_weight, ...), norm.
    Example:
        layer = TransformerEncoderLayer(128, 4, 512, batch_first=True, norm_first=True)
        encoder = TransformerEncoder(layer, 2, norm=LayerNorm(128))
        y = encoder(gu.randn(32, 64, 128))
    """

    def __init__(self, encoder_layer, num_layers, norm=None, enable_nested_tensor=True,
                 mask_check=True):
        super().__init__()
        self.layers = _clones(encoder_layer, num_layers)
        self.num_layers = int(num_layers)
        self.norm = norm
        self.enable_nested_tensor = enable_nested_tensor
        self.mask_check = mask_check

    def forward(self, src, mask=None, src_key_padding_mask=None, is_causal=None):
        out = src
        for layer in self.layers:
            out = layer(out, src_mask=mask, src_key_padding_mask=src_key_padding_mask,
                        is_causal=bool(is_causal))
        return self.norm(out) if self.norm is not None else out


class TransformerDecoder(Module):
    """A stack of num_layers copies of decoder_layer, then an optional final norm.

    forward(tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
            memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False).
    Attributes: layers, norm (as TransformerEncoder).
    Example:
        layer = TransformerDecoderLayer(64, 4, 128, batch_first=True)
        decoder = TransformerDecoder(layer, 2, norm=LayerNorm(64))
        y = decoder(gu.randn(2, 10, 64), memory, tgt_is_causal=True)
    """

    def __init__(self, decoder_layer, num_layers, norm=None):
        super().__init__()
        self.layers = _clones(decoder_layer, num_layers)
        self.num_layers = int(num_layers)
        self.norm = norm

    def forward(self, tgt, memory, tgt_mask=None, memory_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, tgt_is_causal=None, memory_is_causal=False):
        out = tgt
        for layer in self.layers:
            out = layer(out, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                        tgt_key_padding_mask=tgt_key_padding_mask,
                        memory_key_padding_mask=memory_key_padding_mask,
                        tgt_is_causal=bool(tgt_is_causal),
                        memory_is_causal=bool(memory_is_causal))
        return self.norm(out) if self.norm is not None else out


class Transformer(Module):
    """The encoder-decoder Transformer (Vaswani et al. 2017), as PyTorch's nn.Transformer.

    Args:
        d_model: 512.  nhead: 8.  num_encoder_layers: 6.  num_decoder_layers: 6.
        dim_feedforward: 2048.  dropout: 0.1.  activation: 'relu', 'gelu' or a callable.
        custom_encoder, custom_decoder: modules used instead of the default stacks.
        layer_norm_eps: 1e-5.  batch_first: False.  norm_first: False.  bias: True.
    forward(src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
            src_key_padding_mask=None, tgt_key_padding_mask=None,
            memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
            memory_is_causal=False) -> (T, N, E) (or batch first).
    Every weight of 2 or more dims starts xavier-uniform, as in PyTorch.
    Attributes: encoder (with a final LayerNorm), decoder (likewise), d_model, nhead.
    Example:
        model = Transformer(64, 4, 2, 2, 128, batch_first=True)
        mask = Transformer.generate_square_subsequent_mask(9)
        y = model(gu.randn(2, 11, 64), gu.randn(2, 9, 64), tgt_mask=mask)   # (2, 9, 64)
    """

    def __init__(self, d_model=512, nhead=8, num_encoder_layers=6, num_decoder_layers=6,
                 dim_feedforward=2048, dropout=0.1, activation="relu", custom_encoder=None,
                 custom_decoder=None, layer_norm_eps=1e-5, batch_first=False,
                 norm_first=False, bias=True, device=None, dtype=None):
        super().__init__()
        args = (d_model, nhead, dim_feedforward, dropout, activation, layer_norm_eps,
                batch_first, norm_first, bias, device, dtype)
        kw = dict(eps=layer_norm_eps, bias=bias, device=device, dtype=dtype)
        if custom_encoder is not None:
            self.encoder = custom_encoder
        else:
            self.encoder = TransformerEncoder(TransformerEncoderLayer(*args), num_encoder_layers,
                                              LayerNorm(d_model, **kw))
        if custom_decoder is not None:
            self.decoder = custom_decoder
        else:
            self.decoder = TransformerDecoder(TransformerDecoderLayer(*args), num_decoder_layers,
                                              LayerNorm(d_model, **kw))
        self._reset_parameters()
        self.d_model = int(d_model)
        self.nhead = int(nhead)
        self.batch_first = bool(batch_first)

    def _reset_parameters(self):
        for p in self.parameters():
            if p.ndim > 1:
                init.xavier_uniform_(p)

    def forward(self, src, tgt, src_mask=None, tgt_mask=None, memory_mask=None,
                src_key_padding_mask=None, tgt_key_padding_mask=None,
                memory_key_padding_mask=None, src_is_causal=None, tgt_is_causal=None,
                memory_is_causal=False):
        batched = src.ndim == 3
        b = 0 if self.batch_first else 1
        if batched and src.shape[b] != tgt.shape[b]:
            raise ValueError(f"Transformer: src {tuple(src.shape)} and tgt {tuple(tgt.shape)} "
                             f"must have the same batch size (dim {b})")
        if src.shape[-1] != self.d_model or tgt.shape[-1] != self.d_model:
            raise ValueError(f"Transformer: src {tuple(src.shape)} and tgt {tuple(tgt.shape)} "
                             f"must have d_model = {self.d_model} features")
        memory = self.encoder(src, mask=src_mask, src_key_padding_mask=src_key_padding_mask,
                              is_causal=src_is_causal)
        return self.decoder(tgt, memory, tgt_mask=tgt_mask, memory_mask=memory_mask,
                            tgt_key_padding_mask=tgt_key_padding_mask,
                            memory_key_padding_mask=memory_key_padding_mask,
                            tgt_is_causal=tgt_is_causal, memory_is_causal=memory_is_causal)

    @staticmethod
    def generate_square_subsequent_mask(sz, device=None, dtype=None):
        """A (sz, sz) float mask: 0 on and below the diagonal, -inf above (future positions)."""
        dtype = to_dtype(dtype) or np.dtype(np.float32)
        mask = np.triu(np.full((sz, sz), -np.inf, dtype=dtype), 1)
        return Tensor._wrap(mask) if device is None else Tensor._wrap(mask).to(device)
