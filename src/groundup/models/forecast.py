"""A time-series forecaster: a window of past values -> LSTM (or GRU) -> last step ->
Linear -> the next `horizon` values.

    x (N, T, F) past values (F series, usually 1)  ->  rnn  ->  out[:, -1] (N, hidden)
    -> Linear(hidden, horizon * F)  ->  (N, horizon, F) predictions, flattened to
    (N, horizon) when F is 1

Trained by regression (mean squared error) on windows cut from a series. `rollout`
forecasts further than the horizon autoregressively: each prediction is appended to the
window and fed back in, so errors compound, which is what a multi-step forecast of a
real series does.

Example:
    >>> model = Forecaster(ForecastConfig(hidden=32))
    >>> model(gu.zeros(4, 24, 1)).shape
    (4, 1)
"""

from dataclasses import dataclass

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..tensor import Tensor

__all__ = ["ForecastConfig", "Forecaster"]

_CELLS = {"lstm": nn.LSTM, "gru": nn.GRU}


@dataclass
class ForecastConfig:
    input_size: int = 1        # series read together (features per step)
    hidden: int = 64           # hidden state width of each recurrent layer
    layers: int = 1            # stacked recurrent layers
    horizon: int = 1           # values predicted per window (per series)
    cell: str = "lstm"         # "lstm" or "gru"
    dropout: float = 0.0       # between recurrent layers


class Forecaster(nn.Module):
    """The next `horizon` values after each window; see the module docstring."""

    def __init__(self, config=None, **overrides):
        super().__init__()
        config = config or ForecastConfig()
        for k, v in overrides.items():
            setattr(config, k, v)
        for name in ("input_size", "hidden", "layers", "horizon"):
            value = getattr(config, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Forecaster: {name} must be a positive int, got {value!r}")
        if config.cell not in _CELLS:
            raise ValueError(f"Forecaster: unknown cell {config.cell!r}; expected one of "
                             f"{', '.join(sorted(_CELLS))}")
        if not 0 <= config.dropout < 1:
            raise ValueError(f"Forecaster: dropout must lie in [0, 1), got {config.dropout!r}")
        self.config = config
        self.rnn = _CELLS[config.cell](config.input_size, config.hidden,
                                       num_layers=config.layers, batch_first=True,
                                       dropout=config.dropout if config.layers > 1 else 0.0)
        self.head = nn.Linear(config.hidden, config.horizon * config.input_size)

    def forward(self, x):
        feats = self.config.input_size
        if not isinstance(x, Tensor) or x.ndim != 3 or x.shape[2] != feats:
            got = tuple(x.shape) if hasattr(x, "shape") else type(x).__name__
            raise ValueError(f"Forecaster: expected windows of shape (N, T, {feats}), got {got}")
        N = x.shape[0]
        out, _ = self.rnn(x)                                  # (N, T, hidden)
        y = self.head(out[:, -1])                             # (N, horizon * F)
        return y if feats == 1 else y.reshape(N, self.config.horizon, feats)

    def rollout(self, window, steps):
        """`steps` values forecast after `window` (T,) or (T, F), feeding each prediction
        back in (the window slides, keeping its length); a float32 array (steps,) or
        (steps, F)."""
        feats = self.config.input_size
        w = np.asarray(window.array if isinstance(window, Tensor) else window, np.float32)
        w = w.reshape(len(w), feats)
        if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 0:
            raise ValueError(f"Forecaster.rollout: steps must be an int >= 0, got {steps!r}")
        out = []
        was_training = self.training
        self.eval()
        try:
            with no_grad():
                while len(out) < steps:
                    y = self(Tensor._wrap(w[None])).array.reshape(-1, feats)  # (horizon, F)
                    out.extend(y[:steps - len(out)])
                    w = np.concatenate([w, y])[-len(w):]
        finally:
            self.train(was_training)
        result = np.asarray(out, np.float32).reshape(steps, feats)
        return result[:, 0] if feats == 1 else result
