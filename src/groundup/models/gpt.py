"""A GPT-style language model: a decoder-only Transformer that predicts the next token.

token + learned position embeddings -> `layers` pre-norm blocks
    x = x + attn(ln_1(x))        causal multi-head self-attention
    x = x + mlp(ln_2(x))         Linear -> GELU -> Linear
-> final LayerNorm -> logits = x @ token_embedding^T (the head shares the embedding's weight)

References: Radford et al. 2018/2019 (GPT, GPT-2: pre-norm, a final LayerNorm, weight
tying, residual projections initialised with std 0.02 / sqrt(2 * layers)); Vaswani et al.
2017 (attention); Karpathy's nanoGPT, whose layout this follows.

Generation keeps a key/value cache: the prompt is read once, then each new token is one
step of the model over that token alone, attending over the keys and values cached for
the tokens before it (`generate(..., use_cache=True)`, the default).
"""

import math
from dataclasses import dataclass

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..creation import arange
from ..nn import functional as F
from ..tensor import Tensor
from .sampling import check_sampling, draw, sampling_rng

__all__ = ["GPT", "GPTConfig", "KVCache"]


@dataclass
class GPTConfig:
    vocab_size: int = 65       # distinct tokens (the data decides)
    context: int = 128         # the most tokens the model sees at once (block size)
    width: int = 128           # model width C: embeddings and the residual stream
    layers: int = 4            # Transformer blocks
    heads: int = 4             # attention heads, each C / heads wide
    ffn: int = None            # hidden width of each block's MLP (None: 4 * width)
    gelu: str = "tanh"         # the MLP's GELU: "tanh" (GPT-2's approximation, about 3x
                               # faster here than the exact erf) or "none" (exact)
    dropout: float = 0.0       # on attention weights, residual branches and embeddings
    bias: bool = True          # biases in the Linear layers and LayerNorms
    moe: int = 0               # experts per block: the MLP becomes a MixtureOfExperts of
                               # that many MLPs, top-2 gating (0: one MLP)


class KVCache:
    """The keys and values of the tokens read so far, per layer: what generation attends over.

    Each layer keeps k and v arrays of shape (B, H, context, D), filled up to `length`;
    `append` writes the new tokens' keys and values and returns views over all of them.
    """

    def __init__(self, layers):
        self.layers = [[None, None] for _ in range(layers)]
        self.length = 0

    def append(self, layer, k, v, context):
        """Store k, v (B, H, T, D) after the cached ones; (keys, values) over all of them."""
        slot = self.layers[layer]
        if slot[0] is None:
            B, H, _, D = k.shape
            slot[0] = np.empty((B, H, context, D), k.array.dtype)
            slot[1] = np.empty((B, H, context, D), v.array.dtype)
        start, end = self.length, self.length + k.shape[2]
        slot[0][:, :, start:end] = k.array
        slot[1][:, :, start:end] = v.array
        return Tensor._wrap(slot[0][:, :, :end]), Tensor._wrap(slot[1][:, :, :end])


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention where position t attends positions 0..t.

    q, k, v = split(x W_qkv^T + b_qkv);  y = softmax(q k^T / sqrt(D) + causal) v per head;
    out = merge_heads(y) W_proj^T + b_proj.  x: (B, T, C) -> (B, T, C).
    """

    def __init__(self, config):
        super().__init__()
        self.heads = config.heads
        self.dropout = config.dropout
        self.qkv = nn.Linear(config.width, 3 * config.width, bias=config.bias)
        self.proj = nn.Linear(config.width, config.width, bias=config.bias)
        self.resid_drop = nn.Dropout(config.dropout)

    def forward(self, x, cache=None, layer=0, context=None):
        B, T, C = x.shape
        H = self.heads
        qkv = self.qkv(x).reshape(B, T, 3, H, C // H).permute(2, 0, 3, 1, 4)  # (3, B, H, T, D)
        q, k, v = qkv[0], qkv[1], qkv[2]                                     # (B, H, T, D)
        past = 0
        if cache is not None:
            past = cache.length
            k, v = cache.append(layer, k, v, context)                        # (B, H, past+T, D)
        mask = None
        if past and T > 1:  # new query i sits at position past + i: it sees keys 0..past+i
            mask = Tensor._wrap(np.tril(np.ones((T, past + T), bool), k=past))
        y = F.scaled_dot_product_attention(q, k, v, attn_mask=mask,
                                           dropout_p=self.dropout if self.training else 0.0,
                                           is_causal=past == 0 and T > 1)
        y = y.transpose(1, 2).reshape(B, T, C)                               # merge the heads
        return self.resid_drop(self.proj(y))


class MLP(nn.Module):
    """The position-wise feed-forward block: Linear(C, ffn) -> GELU -> Linear(ffn, C).
    x: (B, T, C) -> (B, T, C). A block's `mlp` may be replaced by any module of that shape."""

    def __init__(self, config):
        super().__init__()
        hidden = config.ffn or 4 * config.width
        self.fc = nn.Linear(config.width, hidden, bias=config.bias)
        self.act = nn.GELU(approximate=config.gelu)
        self.proj = nn.Linear(hidden, config.width, bias=config.bias)
        self.drop = nn.Dropout(config.dropout)

    def forward(self, x):
        return self.drop(self.proj(self.act(self.fc(x))))


class Block(nn.Module):
    """One pre-norm Transformer block: x + attn(ln_1(x)), then + mlp(ln_2(x))."""

    def __init__(self, config):
        super().__init__()
        self.ln_1 = nn.LayerNorm(config.width, bias=config.bias)
        self.attn = CausalSelfAttention(config)
        self.ln_2 = nn.LayerNorm(config.width, bias=config.bias)
        if config.moe:
            self.mlp = nn.MixtureOfExperts(config.width, config.width, num_experts=config.moe,
                                           experts=lambda: MLP(config), k=min(2, config.moe))
        else:
            self.mlp = MLP(config)

    def forward(self, x, cache=None, layer=0, context=None):
        x = x + self.attn(self.ln_1(x), cache, layer, context)
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """Next-token logits (B, T, vocab_size) for every position of (B, T) token ids.

    forward(ids, cache=None): ids (B, T) ints with T <= context (past + T <= context with a
    KVCache holding `past` tokens; the cache is then extended, and positions continue
    from past). head.weight is token_embedding.weight (tied).
    Example:
        >>> model = GPT(GPTConfig(vocab_size=30, context=16, width=32, layers=2, heads=2))
        >>> model(gu.zeros(4, 10, dtype=gu.int64)).shape
        (4, 10, 30)
    """

    def __init__(self, config=None, **overrides):
        super().__init__()
        config = config or GPTConfig()
        for k, v in overrides.items():
            setattr(config, k, v)
        _check_config(config)
        self.config = config
        self.token_embedding = nn.Embedding(config.vocab_size, config.width)
        self.position_embedding = nn.Embedding(config.context, config.width)
        self.drop = nn.Dropout(config.dropout)
        self.blocks = nn.ModuleList([Block(config) for _ in range(config.layers)])
        self.ln_f = nn.LayerNorm(config.width, bias=config.bias)
        self.head = nn.Linear(config.width, config.vocab_size, bias=False)
        self.head.weight = self.token_embedding.weight  # weight tying
        self.reset_parameters()

    def reset_parameters(self):
        """GPT-2's initialisation: N(0, 0.02) weights and embeddings, zero biases, and the
        projections into the residual stream N(0, 0.02 / sqrt(2 * layers)), so the
        residual's variance does not grow with depth."""
        for name, p in self.named_parameters():
            if name.endswith("bias"):
                nn.init.zeros_(p)
            elif p.ndim == 2:
                std = 0.02 / math.sqrt(2 * self.config.layers) if name.endswith("proj.weight") \
                    else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, ids, cache=None):
        if not isinstance(ids, Tensor) or ids.ndim != 2 or np.dtype(ids.dtype).kind not in "iu":
            got = f"shape {tuple(ids.shape)}, dtype {ids.dtype}" if hasattr(ids, "shape") \
                else type(ids).__name__
            raise ValueError(f"GPT: expected token ids, an integer tensor of shape (B, T); "
                             f"got {got}")
        B, T = ids.shape
        past = cache.length if cache is not None else 0
        if past + T > self.config.context:
            raise ValueError(f"GPT: {past + T} positions exceed the context of "
                             f"{self.config.context} tokens (got {T} new tokens after {past} "
                             f"cached)")
        positions = arange(past, past + T)                                 # (T,)
        x = self.drop(self.token_embedding(ids) + self.position_embedding(positions))  # (B,T,C)
        for layer, block in enumerate(self.blocks):
            x = block(x, cache, layer, self.config.context)
        if cache is not None:
            cache.length += T
        return self.head(self.ln_f(x))                                     # (B, T, V)

    def generate(self, ids, max_new_tokens, temperature=1.0, top_k=None, top_p=None,
                 use_cache=True, generator=None):
        """`max_new_tokens` new token ids (int64) following the prompt `ids`: (T,) -> (N,),
        (B, T) -> (B, N).

        Each new token is drawn from softmax(logits / temperature), among the top_k
        likeliest and the top_p nucleus when given (models/sampling.py), and appended.
        use_cache: read the prompt once, then run one step per new token over that token
        alone, attending over the cached keys and values; without it, every token reruns
        the model over the whole text (the last `context` tokens). Both give the same
        tokens while the text fits in the context. Past the context the cache keeps the
        last context // 2 tokens and reads them again (once per context // 2 new tokens),
        where the uncached path slides its window one token at a time.
        generator: a gu.Generator, an int seed or None (the shared generator). An empty
        prompt starts from a uniformly drawn first token.
        """
        name = "GPT.generate"
        prompt = np.asarray(ids.array if isinstance(ids, Tensor) else ids)
        if prompt.ndim not in (1, 2) or (prompt.size and prompt.dtype.kind not in "iu"):
            raise ValueError(f"{name}: expected integer ids of shape (T,) or (B, T), got shape "
                             f"{prompt.shape}, dtype {prompt.dtype}")
        V = self.config.vocab_size
        if prompt.size and (prompt.min() < 0 or prompt.max() >= V):
            raise ValueError(f"{name}: ids must lie in [0, {V}), got {prompt.min()} .. "
                             f"{prompt.max()}")
        if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, (int, np.integer)) \
                or max_new_tokens < 0:
            raise ValueError(f"{name}: max_new_tokens must be an int >= 0, got "
                             f"{max_new_tokens!r}")
        check_sampling(name, temperature, top_k, top_p)
        rng = sampling_rng(generator, name)
        tokens = prompt.astype(np.int64).reshape(prompt.shape[0] if prompt.ndim == 2 else 1,
                                                 prompt.shape[-1])        # (B, T)
        B, N, context = tokens.shape[0], int(max_new_tokens), self.config.context
        out = np.empty((B, N), np.int64)
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                cache = KVCache(self.config.layers) if use_cache else None
                last = self._read(tokens, cache) if tokens.shape[1] else np.zeros((B, V))
                for t in range(N):
                    out[:, t] = [draw(row, temperature, top_k, top_p, rng) for row in last]
                    tokens = np.concatenate([tokens, out[:, t:t + 1]], axis=1)
                    if not use_cache:
                        last = self._read(tokens[:, -context:], None)
                    elif cache.length < context:
                        last = self._read(tokens[:, -1:], cache)
                    else:  # the cache is full: start it again from the recent half
                        cache = KVCache(self.config.layers)
                        last = self._read(tokens[:, -max(1, context // 2):], cache)
        finally:
            self.train(was_training)
        return out if prompt.ndim == 2 else out[0]

    def _read(self, tokens, cache):
        """The float64 logits (B, V) after the last of `tokens` (B, T), of which the model
        reads the last `context` (extending cache, when given)."""
        tokens = tokens[:, -(self.config.context - (cache.length if cache else 0)):]
        logits = self(Tensor._wrap(np.ascontiguousarray(tokens)), cache)
        return logits.array[:, -1].astype(np.float64)

    def extra_repr(self):
        c = self.config
        return (f"vocab_size={c.vocab_size}, context={c.context}, width={c.width}, "
                f"layers={c.layers}, heads={c.heads}")


def _check_config(config):
    for name in ("vocab_size", "context", "width", "layers", "heads"):
        value = getattr(config, name)
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError(f"GPT: {name} must be a positive int, got {value!r}")
    if config.ffn is not None and (isinstance(config.ffn, bool)
                                   or not isinstance(config.ffn, int) or config.ffn < 1):
        raise ValueError(f"GPT: ffn must be None or a positive int, got {config.ffn!r}")
    if config.width % config.heads:
        raise ValueError(f"GPT: width ({config.width}) must be divisible by heads "
                         f"({config.heads})")
    if config.gelu not in ("tanh", "none"):
        raise ValueError(f"GPT: gelu must be 'tanh' or 'none', got {config.gelu!r}")
    if not 0 <= config.dropout < 1:
        raise ValueError(f"GPT: dropout must lie in [0, 1), got {config.dropout!r}")
