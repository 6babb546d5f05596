"""A sequence-to-sequence Transformer (Vaswani et al. 2017, "Attention is all you need",
NeurIPS): an encoder reads the source tokens, a decoder writes the target one token at a
time, attending to its own past (causal self-attention) and to the encoder's output
(cross-attention).

    src (N, S) -> embed + sinusoidal positions -> encoder          -> memory (N, S, D)
    tgt_in (N, T) = [BOS, y1, ..., y_{T-1}] -> embed + positions -> decoder (causal, memory)
    -> Linear -> logits (N, T, V): the next token at every position (teacher forcing)

Tokens: ids 0 .. V-4 are the symbols (the ten digits by default), then PAD (V-3: filler
after EOS, never attended to in the source), BOS (V-2: starts every decoder input) and EOS
(V-1: ends every target). Both sides share one embedding table. The encoder and decoder
are gu.nn.Transformer's pre-norm stacks (norm_first=True), batch first.

Decoding (under no_grad; the decoder is rerun on the whole prefix at every step, which is
cheap for the short sequences this model is for):
- `greedy(src)`: at each step the likeliest next token, until EOS;
- `beam_search(src, beam_size=k)`: keeps the k likeliest prefixes by their summed
  log-probability; a finished hypothesis (it has emitted EOS) keeps its score and waits.
  The final choice is the hypothesis with the highest summed log-probability, or, with
  `length_norm=True`, the highest log-probability per emitted token (EOS included), which
  does not favour short outputs. k = 1 is greedy decoding exactly. Beam search looks
  wider than greedy, but it is not exhaustive: the greedy sequence can fall out of the
  beam, so it scores at least as well as greedy almost always, not by construction.
Both return the tokens after BOS (N, L) with PAD after each EOS, and each sequence's
log-probability (the sum over its tokens, EOS included), in float64.

Example:
    >>> model = Seq2Seq(Seq2SeqConfig(max_len=10))
    >>> src = gu.tensor([[3, 1, 4, 1, 5, 9, 2, 6]])
    >>> model(src, gu.tensor([[model.bos, 6, 2]])).shape
    (1, 3, 13)
    >>> tokens, scores = model.beam_search(src, beam_size=4)
"""

from dataclasses import dataclass

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..tensor import Tensor

__all__ = ["Seq2SeqConfig", "Seq2Seq", "strip", "special_tokens"]


@dataclass
class Seq2SeqConfig:
    vocab_size: int = 13       # V: symbols (10 digits) + PAD, BOS, EOS (the last three ids)
    max_len: int = 9           # longest source, and longest decoder input (BOS + output)
    width: int = 64            # D: token width
    heads: int = 4             # attention heads (dividing width)
    encoder_layers: int = 2
    decoder_layers: int = 2
    mlp: int = 256             # hidden width of each feed-forward block
    dropout: float = 0.0       # in attention, feed-forward blocks and on the embeddings


def special_tokens(vocab_size):
    """(PAD, BOS, EOS): the last three token ids of a vocabulary of `vocab_size`."""
    return vocab_size - 3, vocab_size - 2, vocab_size - 1


def strip(tokens, eos):
    """[[symbols of row 0 before its first EOS], ...] of a (N, L) array of output tokens."""
    out = []
    for row in np.asarray(tokens):
        ends = np.flatnonzero(row == eos)
        out.append([int(t) for t in row[:ends[0] if ends.size else len(row)]])
    return out


def _as_ids(name, x, vocab_size):
    """x as an int64 (N, L) array of token ids, or a clear ValueError."""
    a = np.asarray(x.array if isinstance(x, Tensor) else x)
    if a.ndim != 2 or not np.issubdtype(a.dtype, np.integer):
        raise ValueError(f"Seq2Seq.{name}: expected token ids (N, L) of an integer dtype, got "
                         f"shape {a.shape} {a.dtype}")
    if a.size and (a.min() < 0 or a.max() >= vocab_size):
        raise ValueError(f"Seq2Seq.{name}: token ids must lie in [0, {vocab_size}), got "
                         f"{a.min()} .. {a.max()}")
    return a.astype(np.int64, copy=False)


class Seq2Seq(nn.Module):
    """Encoder-decoder Transformer over token ids; see the module docstring.

    forward(src (N, S), tgt_in (N, T)) -> logits (N, T, vocab_size).
    Attributes (state_dict keys): embed (Embedding V x D), transformer (gu.nn.Transformer:
    transformer.encoder.layers.0.self_attn.in_proj_weight, ...,
    transformer.decoder.layers.0.multihead_attn..., transformer.encoder.norm, ...),
    head (Linear D -> V). The sinusoidal positions are a fixed table, not saved.
    """

    def __init__(self, config=None, **overrides):
        super().__init__()
        config = config or Seq2SeqConfig()
        for k, v in overrides.items():
            setattr(config, k, v)
        for name in ("vocab_size", "max_len", "width", "heads", "encoder_layers",
                     "decoder_layers", "mlp"):
            value = getattr(config, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Seq2Seq: {name} must be a positive int, got {value!r}")
        if config.vocab_size < 4:
            raise ValueError(f"Seq2Seq: vocab_size must be at least 4 (a symbol and PAD, BOS, "
                             f"EOS), got {config.vocab_size}")
        if config.width % config.heads:
            raise ValueError(f"Seq2Seq: width ({config.width}) must be divisible by heads "
                             f"({config.heads})")
        if not 0 <= config.dropout < 1:
            raise ValueError(f"Seq2Seq: dropout must lie in [0, 1), got {config.dropout!r}")
        self.config = config
        V, D = config.vocab_size, config.width
        self.pad, self.bos, self.eos = special_tokens(V)
        self.embed = nn.Embedding(V, D)
        self.pos = nn.SinusoidalPositionalEncoding(D, max_len=config.max_len,
                                                   dropout=config.dropout, batch_first=True)
        self.transformer = nn.Transformer(D, config.heads, config.encoder_layers,
                                          config.decoder_layers, config.mlp, config.dropout,
                                          batch_first=True, norm_first=True)
        self.head = nn.Linear(D, V)

    # ------------------------------------------------------------- the network
    def _check_length(self, name, ids):
        if ids.shape[1] > self.config.max_len:
            raise ValueError(f"Seq2Seq.{name}: {ids.shape[1]} tokens, more than max_len "
                             f"{self.config.max_len}")

    def _source_mask(self, src):
        """The key padding mask of the source (N, S), True at PAD; None without PAD."""
        mask = src == self.pad
        return Tensor._wrap(mask) if mask.any() else None

    def encode(self, src):
        """memory (N, S, D) and the source's padding mask (or None) of src ids (N, S)."""
        src = _as_ids("encode", src, self.config.vocab_size)
        self._check_length("encode", src)
        mask = self._source_mask(src)
        x = self.pos(self.embed(Tensor._wrap(src)))                      # (N, S, D)
        return self.transformer.encoder(x, src_key_padding_mask=mask), mask

    def decode(self, tgt_in, memory, src_mask=None):
        """logits (N, T, V) of the token after each position of tgt_in (N, T)."""
        tgt_in = _as_ids("decode", tgt_in, self.config.vocab_size)
        self._check_length("decode", tgt_in)
        T = tgt_in.shape[1]
        causal = nn.Transformer.generate_square_subsequent_mask(T)      # (T, T)
        y = self.pos(self.embed(Tensor._wrap(tgt_in)))                   # (N, T, D)
        y = self.transformer.decoder(y, memory, tgt_mask=causal,
                                     memory_key_padding_mask=src_mask)
        return self.head(y)                                              # (N, T, V)

    def forward(self, src, tgt_in):
        memory, mask = self.encode(src)
        return self.decode(tgt_in, memory, mask)

    # -------------------------------------------------------------- decoding
    def _next_log_probs(self, prefix, memory, src_mask):
        """log p(next token | prefix, source) (M, V) in float64; PAD and BOS are never
        proposed (their log-probabilities are left out, not renormalised away)."""
        logits = self.decode(prefix, memory, src_mask).array[:, -1].astype(np.float64)
        z = logits - logits.max(axis=1, keepdims=True)
        logp = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        logp[:, [self.pad, self.bos]] = -np.inf
        return logp

    def _start(self, name, src, max_new):
        src = _as_ids(name, src, self.config.vocab_size)
        limit = self.config.max_len  # the last step reads BOS and max_new - 1 tokens
        max_new = limit if max_new is None else int(max_new)
        if not 1 <= max_new <= limit:
            raise ValueError(f"Seq2Seq.{name}: max_new must lie in [1, {limit}] (max_len), "
                             f"got {max_new}")
        return src, max_new

    def greedy(self, src, max_new=None):
        """(tokens (N, L), log-probabilities (N,)): the likeliest token at every step."""
        src, max_new = self._start("greedy", src, max_new)
        N = src.shape[0]
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                memory, mask = self.encode(src)
                seqs = np.full((N, 1), self.bos, np.int64)
                scores, done = np.zeros(N), np.zeros(N, bool)
                for _ in range(max_new):
                    logp = self._next_log_probs(seqs, memory, mask)      # (N, V)
                    tok = np.where(done, self.pad, logp.argmax(axis=1))
                    scores += np.where(done, 0.0, logp[np.arange(N), tok])
                    seqs = np.concatenate([seqs, tok[:, None]], axis=1)
                    done |= tok == self.eos
                    if done.all():
                        break
        finally:
            self.train(was_training)
        return seqs[:, 1:], scores

    def beam_search(self, src, beam_size=4, max_new=None, length_norm=False):
        """(tokens (N, L), log-probabilities (N,)) of the best of `beam_size` hypotheses
        per row, ranked by summed log-probability (or per token with length_norm)."""
        if isinstance(beam_size, bool) or not isinstance(beam_size, (int, np.integer)) \
                or beam_size < 1:
            raise ValueError(f"Seq2Seq.beam_search: beam_size must be an int >= 1, got "
                             f"{beam_size!r}")
        src, max_new = self._start("beam_search", src, max_new)
        N, k, V = src.shape[0], int(beam_size), self.config.vocab_size
        rows = np.arange(N)[:, None]
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                memory, mask = self.encode(src)
                copies = np.repeat(np.arange(N), k)                      # row of each beam
                memory = memory[Tensor._wrap(copies)]                     # (N k, S, D)
                mask = None if mask is None else mask[Tensor._wrap(copies)]
                seqs = np.full((N, k, 1), self.bos, np.int64)
                scores = np.full((N, k), -np.inf)
                scores[:, 0] = 0.0                 # one live hypothesis at first, not k copies
                done = np.zeros((N, k), bool)
                lengths = np.zeros((N, k))
                for _ in range(max_new):
                    logp = self._next_log_probs(seqs.reshape(N * k, -1), memory, mask)
                    logp = logp.reshape(N, k, V)
                    logp[done] = -np.inf           # a finished hypothesis only pads, at no cost
                    logp[done, self.pad] = 0.0
                    flat = (scores[:, :, None] + logp).reshape(N, k * V)
                    best = np.argsort(-flat, axis=1, kind="stable")[:, :k]   # (N, k)
                    beam, tok = np.divmod(best, V)
                    scores = np.take_along_axis(flat, best, axis=1)
                    seqs = np.concatenate([seqs[rows, beam], tok[..., None]], axis=2)
                    lengths = lengths[rows, beam] + ~done[rows, beam]
                    done = done[rows, beam] | (tok == self.eos)
                    if done.all():
                        break
        finally:
            self.train(was_training)
        rank = scores / np.maximum(lengths, 1) if length_norm else scores
        pick = np.argmax(rank, axis=1)
        return seqs[np.arange(N), pick, 1:], scores[np.arange(N), pick]

    def translate(self, src, beam_size=1, length_norm=False):
        """[[output symbols] per row of src]: greedy (beam_size 1) or beam search."""
        if beam_size == 1:
            tokens, _ = self.greedy(src)
        else:
            tokens, _ = self.beam_search(src, beam_size, length_norm=length_norm)
        return strip(tokens, self.eos)
