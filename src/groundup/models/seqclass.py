"""A sequence classifier: an image read row by row by an LSTM (or GRU), the last step's
state -> Linear -> class logits.

The "sequential MNIST" benchmark in its row form (Le, Jaitly and Hinton 2015 read the
pixels one by one; the rows form is the usual first exercise): an image (N, C, H, W)
becomes a sequence of H steps of C*W values each, top row first, so the bundled 8x8
digits are 8 steps of 8 pixels and 28x28 MNIST-format digits 28 steps of 28. The
network has seen the whole image only after the last row, so the classifier reads the
last step's output. Sequences (N, T, F) are taken as they are.

    rows:  x (N, C, H, W) -> (N, H, C*W)          H steps of one row each
    rnn:   LSTM/GRU layers of widths hidden[0], hidden[1], ...  -> (N, H, hidden[-1])
    head:  out[:, -1] -> dropout -> Linear(hidden[-1], num_classes)

Each entry of `hidden` is one recurrent layer (so `--hidden 64,64` stacks two), which lets
the layers differ in width. Train with gradient clipping (the recipe's grad_clip): a
recurrent network's gradient can grow step after step.

Example:
    >>> model = SeqClassifier(SeqClassConfig(input_shape=[1, 8, 8], num_classes=10))
    >>> model(gu.zeros(2, 1, 8, 8)).shape
    (2, 10)
"""

from dataclasses import dataclass, field

from .. import nn
from ..tensor import Tensor

__all__ = ["SeqClassConfig", "SeqClassifier"]

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


@dataclass
class SeqClassConfig:
    input_shape: list = field(default_factory=lambda: [1, 8, 8])  # [C, H, W] or [T, F]
    num_classes: int = 10
    hidden: list = field(default_factory=lambda: [128])  # width of each recurrent layer
    cell: str = "lstm"              # "lstm" or "gru"
    dropout: float = 0.0            # between recurrent layers and before the Linear


class SeqClassifier(nn.Module):
    """Class logits (N, num_classes) from images (N, C, H, W) read row by row, or from
    sequences (N, T, F); see the module docstring."""

    def __init__(self, config=None, **overrides):
        super().__init__()
        config = config or SeqClassConfig()
        for k, v in overrides.items():
            setattr(config, k, v)
        shape = list(config.input_shape) if isinstance(config.input_shape,
                                                       (list, tuple)) else None
        if (shape is None or len(shape) not in (2, 3)
                or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1
                           for s in shape)):
            raise ValueError(f"SeqClassifier: input_shape must be [channels, height, width] "
                             f"(images) or [steps, features] (sequences) of positive ints, "
                             f"got {config.input_shape!r}")
        hidden = [config.hidden] if isinstance(config.hidden, int) else list(config.hidden)
        if not hidden or not all(isinstance(h, int) and not isinstance(h, bool) and h >= 1
                                 for h in hidden):
            raise ValueError(f"SeqClassifier: hidden must be a list of positive ints (one "
                             f"width per recurrent layer), got {config.hidden!r}")
        if config.cell not in _CELLS:
            raise ValueError(f"SeqClassifier: unknown cell {config.cell!r}; expected one of "
                             f"{', '.join(sorted(_CELLS))}")
        if not 0 <= config.dropout < 1:
            raise ValueError(f"SeqClassifier: dropout must lie in [0, 1), got "
                             f"{config.dropout!r}")
        self.config = config
        self.steps = shape[-2] if len(shape) == 2 else shape[1]
        self.features = shape[-1] if len(shape) == 2 else shape[0] * shape[2]
        widths = [self.features] + hidden
        self.rnns = nn.ModuleList([_CELLS[config.cell](widths[i], widths[i + 1],
                                                       batch_first=True)
                                   for i in range(len(hidden))])
        self.drop = nn.Dropout(config.dropout)
        self.head = nn.Linear(hidden[-1], config.num_classes)

    def forward(self, x):
        shape = tuple(self.config.input_shape)
        if not isinstance(x, Tensor) or tuple(x.shape[1:]) != shape:
            got = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
            raise ValueError(f"SeqClassifier: expected input (N, {', '.join(map(str, shape))}),"
                             f" got {got}")
        N = x.shape[0]
        if x.ndim == 4:
            x = x.permute(0, 2, 1, 3).reshape(N, self.steps, self.features)  # (N, H, C*W)
        for i, rnn in enumerate(self.rnns):
            if i:
                x = self.drop(x)
            x, _ = rnn(x)                                                 # (N, T, hidden[i])
        return self.head(self.drop(x[:, -1]))                             # (N, num_classes)
