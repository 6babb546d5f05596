"""A character-level language model: Embedding -> LSTM (or GRU) -> Linear.

It reads text one character at a time and predicts the next one (Karpathy's char-rnn,
2015). Trained with truncated backpropagation through time on (batch, seq) windows,
carrying the hidden state from one window to the next; `generate` writes new text
one character at a time from a prompt.
"""

from dataclasses import dataclass

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..tensor import Tensor
from .sampling import check_sampling, draw, sampling_rng

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


@dataclass
class CharRNNConfig:
    vocab_size: int = 65       # distinct characters (the data decides)
    embed: int = 64            # width of each character's embedding
    hidden: int = 256          # hidden state width of each recurrent layer
    layers: int = 2            # stacked recurrent layers
    dropout: float = 0.0       # dropout between recurrent layers and before the output
    cell: str = "lstm"         # "lstm" or "gru"


class CharRNN(nn.Module):
    """Next-character logits for every position of a (N, T) batch of character ids.

    forward(x) -> logits (N, T, vocab_size); forward(x, hidden, return_hidden=True)
    -> (logits, hidden) with the state after the last position (LSTM: (h, c), GRU: h),
    to be passed (detached) to the next window.
    Example:
        >>> model = CharRNN(CharRNNConfig(vocab_size=30, hidden=32, layers=1))
        >>> model(gu.zeros(4, 10, dtype=gu.int64)).shape
        (4, 10, 30)
    """

    def __init__(self, config=None, **overrides):
        super().__init__()
        config = config or CharRNNConfig()
        for k, v in overrides.items():
            setattr(config, k, v)
        if config.cell not in _CELLS:
            raise ValueError(f"CharRNN: unknown cell {config.cell!r}; expected one of "
                             f"{', '.join(sorted(_CELLS))}")
        for name in ("vocab_size", "embed", "hidden", "layers"):
            value = getattr(config, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"CharRNN: {name} must be a positive int, got {value!r}")
        if not 0 <= config.dropout < 1:
            raise ValueError(f"CharRNN: dropout must lie in [0, 1), got {config.dropout!r}")
        self.config = config
        self.embedding = nn.Embedding(config.vocab_size, config.embed)
        self.rnn = _CELLS[config.cell](config.embed, config.hidden, num_layers=config.layers,
                                       batch_first=True,
                                       dropout=config.dropout if config.layers > 1 else 0.0)
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(config.hidden, config.vocab_size)

    def forward(self, x, hidden=None, return_hidden=False):
        if not isinstance(x, Tensor) or x.ndim != 2:
            shape = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
            raise ValueError(f"CharRNN: expected character ids of shape (N, T), got {shape}")
        out, hidden = self.rnn(self.embedding(x), hidden)
        logits = self.head(self.drop(out))
        return (logits, hidden) if return_hidden else logits

    def generate(self, prompt_ids, length, temperature=1.0, top_k=None, generator=None,
                 top_p=None):
        """`length` new character ids (an int64 array) following `prompt_ids`.

        The prompt is read once; then each new character is drawn from the softmax of
        logits / temperature (among the top_k likeliest and the top_p nucleus only, when
        given: models/sampling.py) and fed back in, the hidden state carried step by step.
        generator: a gu.Generator, an int seed or None (the shared generator). An empty
        prompt starts from a zero state and a uniformly drawn first character.
        """
        ids = np.asarray(prompt_ids.array if isinstance(prompt_ids, Tensor) else prompt_ids,
                         dtype=np.int64).reshape(-1)
        V = self.config.vocab_size
        if ids.size and (ids.min() < 0 or ids.max() >= V):
            raise ValueError(f"CharRNN.generate: prompt ids must lie in [0, {V}), got "
                             f"{ids.min()} .. {ids.max()}")
        if isinstance(length, bool) or not isinstance(length, (int, np.integer)) or length < 0:
            raise ValueError(f"CharRNN.generate: length must be an int >= 0, got {length!r}")
        check_sampling("CharRNN.generate", temperature, top_k, top_p)
        rng = sampling_rng(generator, "CharRNN.generate")
        was_training = self.training
        self.eval()
        out = np.empty(length, np.int64)
        try:
            with no_grad():
                if ids.size:
                    logits, hidden = self(Tensor._wrap(ids[None]), return_hidden=True)
                    last = logits.array[0, -1].astype(np.float64)
                else:
                    hidden, last = None, np.zeros(V)
                for t in range(length):
                    out[t] = draw(last, temperature, top_k, top_p, rng)
                    logits, hidden = self(Tensor._wrap(out[None, t:t + 1]), hidden,
                                          return_hidden=True)
                    last = logits.array[0, -1].astype(np.float64)
        finally:
            self.train(was_training)
        return out

