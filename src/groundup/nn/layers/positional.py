"""Positional encodings: sinusoidal, learned, and rotary (RoPE).

Attention is blind to order: permuting the keys permutes nothing in the output. These give a
Transformer the positions. PyTorch has no layer for any of them (its tutorials write one), so
these are groundup additions, named for what they compute:

- SinusoidalPositionalEncoding: adds the fixed sin/cos table of "Attention Is All You Need";
- LearnedPositionalEmbedding: adds a learned vector per position (GPT-2, BERT, ViT);
- rotary_embedding / RotaryEmbedding: rotates pairs of query/key features by an angle that
  grows with the position (RoFormer, LLaMA), so q.k depends on the positions' difference.

Each takes an `offset`, the position of the first element, for decoding one step at a time
with a key/value cache.
"""

import math

import numpy as np

from ...backend import to_dtype
from ...creation import empty
from ...ops.common import as_tensor
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module, Parameter
from .dropout import Dropout

__all__ = ["sinusoidal_positional_encoding", "SinusoidalPositionalEncoding",
           "LearnedPositionalEmbedding", "rotary_embedding", "RotaryEmbedding"]


def _check_offset(name, offset, length, max_len):
    if isinstance(offset, bool) or not isinstance(offset, (int, np.integer)) or offset < 0:
        raise ValueError(f"{name}: offset must be a non-negative int, got {offset!r}")
    if max_len is not None and offset + length > max_len:
        raise ValueError(f"{name}: positions {offset}..{offset + length - 1} exceed "
                         f"max_len={max_len}; build it with a larger max_len")


def sinusoidal_positional_encoding(length, d_model, base=10000.0, offset=0, dtype=None):
    """The (length, d_model) table PE[t, 2i] = sin(t / base^(2i/d)), PE[t, 2i+1] = cos(...),
    for positions t = offset .. offset + length - 1 (a constant Tensor)."""
    dtype = to_dtype(dtype) or np.dtype(np.float32)
    pos = np.arange(offset, offset + length, dtype=np.float64)[:, None]
    freq = np.exp(np.arange(0, d_model, 2, dtype=np.float64) * (-math.log(base) / d_model))
    pe = np.zeros((length, d_model))
    pe[:, 0::2] = np.sin(pos * freq)
    pe[:, 1::2] = np.cos(pos * freq[: d_model // 2])
    return Tensor._wrap(pe.astype(dtype))


def _seq_dim(x, batch_first):
    return x.ndim - 2 if batch_first else 0


def _along(table, x, batch_first):
    """A (T, d) table shaped to broadcast against x along its sequence dim."""
    if not batch_first and x.ndim == 3:
        return table.unsqueeze(1)  # (T, 1, d) against (T, N, d)
    return table


class SinusoidalPositionalEncoding(Module):
    """Adds the fixed sinusoidal position table to its input, then dropout (a groundup
    addition: PyTorch's tutorials define it by hand as PositionalEncoding).

        y = dropout(x + PE[offset : offset + T]),
        PE[t, 2i] = sin(t / base^(2i / d_model)),  PE[t, 2i + 1] = cos(t / base^(2i / d_model))

    Args:
        d_model: feature size d.  max_len: longest sequence (5000).
        dropout: dropout after the sum (default 0).  base: 10000.
        batch_first: x is (N, T, d) instead of (T, N, d) (default False); (T, d) also works.
    forward(x, offset=0): offset is the position of x's first element (for cached decoding).
    Buffers: pe (max_len, d_model), not persistent (not in the state dict: it is a constant).
    Example:
        pos = SinusoidalPositionalEncoding(128, batch_first=True)
        y = pos(gu.randn(32, 64, 128))
    """

    def __init__(self, d_model, max_len=5000, dropout=0.0, batch_first=False, base=10000.0,
                 device=None, dtype=None):
        super().__init__()
        self.d_model, self.max_len = int(d_model), int(max_len)
        self.batch_first, self.base = bool(batch_first), float(base)
        self.dropout = Dropout(dropout)
        pe = sinusoidal_positional_encoding(self.max_len, self.d_model, self.base, dtype=dtype)
        self.register_buffer("pe", pe if device is None else pe.to(device), persistent=False)

    def forward(self, x, offset=0):
        x = x if isinstance(x, Tensor) else as_tensor(x)
        name = f"SinusoidalPositionalEncoding({self.d_model})"
        if x.ndim < 2 or x.shape[-1] != self.d_model:
            raise ValueError(f"{name}: expected input (..., {self.d_model}), got "
                             f"{tuple(x.shape)}")
        T = x.shape[_seq_dim(x, self.batch_first)]
        _check_offset(name, offset, T, self.max_len)
        table = self.pe[offset:offset + T]
        if table.array.dtype != x.array.dtype:
            table = table.to(x.array.dtype)
        return self.dropout(x + _along(table, x, self.batch_first))

    def extra_repr(self):
        return (f"{self.d_model}, max_len={self.max_len}, dropout={self.dropout.p}, "
                f"batch_first={self.batch_first}")


class LearnedPositionalEmbedding(Module):
    """Adds a learned vector per position to its input (a groundup addition; GPT-2's wpe,
    BERT's and ViT's position embeddings).

        y = dropout(x + weight[offset : offset + T])

    Args:
        max_len: number of positions.  embedding_dim: d.
        dropout: dropout after the sum (default 0).  batch_first: as SinusoidalPositionalEncoding.
    forward(x, offset=0).
    Attributes: weight (max_len, embedding_dim) ~ N(0, 0.02^2) (GPT-2's initialisation).
    Example:
        pos = LearnedPositionalEmbedding(256, 128, batch_first=True)
        y = pos(gu.randn(32, 64, 128))
    """

    def __init__(self, max_len, embedding_dim, dropout=0.0, batch_first=False, device=None,
                 dtype=None):
        super().__init__()
        self.max_len, self.embedding_dim = int(max_len), int(embedding_dim)
        self.batch_first = bool(batch_first)
        self.dropout = Dropout(dropout)
        dtype = to_dtype(dtype) or np.dtype(np.float32)
        self.weight = Parameter(empty(self.max_len, self.embedding_dim, dtype=dtype,
                                      device=device))
        self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight, 0.0, 0.02)

    def forward(self, x, offset=0):
        x = x if isinstance(x, Tensor) else as_tensor(x)
        name = f"LearnedPositionalEmbedding({self.max_len}, {self.embedding_dim})"
        if x.ndim < 2 or x.shape[-1] != self.embedding_dim:
            raise ValueError(f"{name}: expected input (..., {self.embedding_dim}), got "
                             f"{tuple(x.shape)}")
        T = x.shape[_seq_dim(x, self.batch_first)]
        _check_offset(name, offset, T, self.max_len)
        table = self.weight[offset:offset + T]
        return self.dropout(x + _along(table, x, self.batch_first))

    def extra_repr(self):
        return (f"{self.max_len}, {self.embedding_dim}, dropout={self.dropout.p}, "
                f"batch_first={self.batch_first}")


def _rotary_tables(length, dim, base, offset, dtype):
    """cos and sin (length, dim / 2) of the angles (offset + t) * base^(-2i / dim)."""
    inv = base ** (-np.arange(0, dim, 2, dtype=np.float64) / dim)
    ang = np.arange(offset, offset + length, dtype=np.float64)[:, None] * inv
    return np.cos(ang).astype(dtype), np.sin(ang).astype(dtype)


def _rotate(x, cos, sin):
    """[x1 cos - x2 sin, x2 cos + x1 sin] with x1, x2 the two halves of x's last dim."""
    h = x.shape[-1] // 2
    x1, x2 = x[..., :h], x[..., h:]
    return F.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], -1)


def _rotary_input(name, x):
    x = x if isinstance(x, Tensor) else as_tensor(x)
    if x.ndim < 2 or x.shape[-1] % 2 or x.array.dtype.kind != "f":
        raise ValueError(f"{name}: expected a float input (..., T, d) with an even d, got "
                         f"shape {tuple(x.shape)} dtype {x.array.dtype}")
    return x


def rotary_embedding(x, offset=0, base=10000.0):
    """Rotary position embedding (RoPE) of x (..., T, d), d even (a groundup addition).

    Feature i of the first half and feature i of the second half form a pair, rotated by
    the angle theta_{t,i} = (offset + t) * base^(-2i/d) at position t:

        y1 = x1 cos(theta) - x2 sin(theta),   y2 = x2 cos(theta) + x1 sin(theta)

    (the half-split pairing of GPT-NeoX and LLaMA). Applied to queries and keys before
    attention, q_s . k_t then depends on s - t only. Differentiable (the gradient is the
    inverse rotation of dy).
    """
    x = _rotary_input("rotary_embedding", x)
    _check_offset("rotary_embedding", offset, x.shape[-2], None)
    cos, sin = _rotary_tables(x.shape[-2], x.shape[-1], float(base), offset, x.array.dtype)
    return _rotate(x, Tensor._wrap(cos), Tensor._wrap(sin))


class RotaryEmbedding(Module):
    """Rotary position embedding as a module (a groundup addition): rotary_embedding with
    its cos/sin tables computed once (and grown when a longer sequence comes).

    Args:
        dim: the rotated feature size d (even; usually the head size).
        max_len: positions tabulated up front (2048).  base: 10000.
    forward(x, offset=0): x (..., T, dim) -> the same shape, positions offset..offset+T-1.
    Buffers: cos, sin (max_len, dim / 2), not persistent.
    Example:
        rope = RotaryEmbedding(32)
        q = rope(gu.randn(8, 4, 64, 32))    # (N, heads, T, head size)
    """

    def __init__(self, dim, max_len=2048, base=10000.0):
        super().__init__()
        if isinstance(dim, bool) or not isinstance(dim, (int, np.integer)) or dim <= 0 or dim % 2:
            raise ValueError(f"RotaryEmbedding: dim must be a positive even int, got {dim!r}")
        self.dim, self.base = int(dim), float(base)
        self._table(int(max_len), np.float32)

    def _table(self, n, dtype):
        cos, sin = _rotary_tables(n, self.dim, self.base, 0, dtype)
        self.register_buffer("cos", Tensor._wrap(cos), persistent=False)
        self.register_buffer("sin", Tensor._wrap(sin), persistent=False)
        self.max_len = n

    def forward(self, x, offset=0):
        name = f"RotaryEmbedding({self.dim})"
        x = _rotary_input(name, x)
        if x.shape[-1] != self.dim:
            raise ValueError(f"{name}: expected input (..., T, {self.dim}), got "
                             f"{tuple(x.shape)}")
        T = x.shape[-2]
        _check_offset(name, offset, T, None)
        dtype = x.array.dtype
        if offset + T > self.max_len or self.cos.array.dtype != dtype:
            self._table(max(offset + T, self.max_len), dtype)
        return _rotate(x, self.cos[offset:offset + T], self.sin[offset:offset + T])

    def extra_repr(self):
        return f"{self.dim}, max_len={self.max_len}, base={self.base}"
