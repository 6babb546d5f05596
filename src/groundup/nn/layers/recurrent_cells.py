"""Recurrent cells, one time step each: RNNCell, LSTMCell, GRUCell.

Each runs the fused sequence primitive of its layer (ops/recurrent.py) for one step, so a
Python loop over a cell computes what the layer computes. Parameter names and shapes are
PyTorch's: weight_ih (G*H, I), weight_hh (G*H, H), bias_ih, bias_hh (G*H,), with G = 1, 4
(i, f, g, o) and 3 (r, z, n).
"""

import math

from ...backend import to_dtype
from ...creation import empty
from .. import functional as F
from .. import init
from ..module import Module, Parameter
from .recurrent import recurrent_input

__all__ = ["RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


class RNNCellBase(Module):
    """What the cells share: parameters, initialisation and the shape checks."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        for arg, value in (("input_size", input_size), ("hidden_size", hidden_size)):
            if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
                raise ValueError(f"{name}: {arg} must be a positive int, got {value!r}")
        self.input_size = input_size
        self.hidden_size = hidden_size
        self.bias = bool(bias)
        dtype = to_dtype(dtype) or to_dtype("float32")
        G = num_chunks * hidden_size
        self.weight_ih = Parameter(empty(G, input_size, dtype=dtype, device=device))
        self.weight_hh = Parameter(empty(G, hidden_size, dtype=dtype, device=device))
        if self.bias:
            self.bias_ih = Parameter(empty(G, dtype=dtype, device=device))
            self.bias_hh = Parameter(empty(G, dtype=dtype, device=device))
        else:
            self.bias_ih = self.bias_hh = None
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def _name(self):
        return f"{type(self).__name__}({self.extra_repr()})"

    def _check(self, input, states):
        """input (B, I) or (I,) and the given states (B, H) or (H,), as batched Tensors;
        returns (input, states, batched)."""
        x = recurrent_input(self._name(), input, self.weight_ih)
        if x.ndim not in (1, 2):
            raise ValueError(f"{self._name()}: expected a 1-D (unbatched) or 2-D input, got "
                             f"shape {tuple(x.shape)}")
        if x.shape[-1] != self.input_size:
            raise ValueError(f"{self._name()}: expected input (batch, {self.input_size}) "
                             f"(input_size={self.input_size}), got shape {tuple(x.shape)}")
        batched = x.ndim == 2
        expected = (x.shape[0], self.hidden_size) if batched else (self.hidden_size,)
        out = []
        for name, s in states:
            if s is not None:
                s = recurrent_input(self._name(), s, self.weight_ih)
                if tuple(s.shape) != expected:
                    raise ValueError(f"{self._name()}: expected {name} of shape {expected} "
                                     f"for input {tuple(x.shape)}, got {tuple(s.shape)}")
                s = s if batched else s.unsqueeze(0)
            out.append(s)
        return (x if batched else x.unsqueeze(0)), out, batched

    def _weights(self):
        return self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        return s


class RNNCell(RNNCellBase):
    """One Elman RNN step: h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act tanh or relu.

    Args: input_size, hidden_size, bias=True, nonlinearity='tanh' ('relu').
    Shape: input (N, H_in) or (H_in,), hx (N, H) or (H,) (optional, zeros) -> h' like hx.
    Attributes: weight_ih (H, H_in), weight_hh (H, H), bias_ih, bias_hh (H,);
        all U(-1/sqrt(H), 1/sqrt(H)).
    Example:
        cell = RNNCell(10, 20)
        h = cell(gu.randn(3, 10))         # (3, 20); then h = cell(x_next, h)
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNNCell: unknown nonlinearity {nonlinearity!r}; select 'tanh' "
                             f"or 'relu'")
        self.nonlinearity = nonlinearity
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._check(input, [("hx", hx)])
        cell = F.rnn_tanh_cell if self.nonlinearity == "tanh" else F.rnn_relu_cell
        h = cell(x, h, *self._weights())
        return h if batched else h.squeeze(0)

    def extra_repr(self):
        s = super().extra_repr()
        return s + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTMCell(RNNCellBase):
    """One LSTM step (gates i, f, g, o; equations as LSTM): returns (h', c').

    Args: input_size, hidden_size, bias=True.
    Shape: input (N, H_in) or (H_in,), hx = (h, c) each (N, H) or (H,) (optional, zeros)
        -> (h', c') shaped like them.
    Attributes: weight_ih (4H, H_in), weight_hh (4H, H), bias_ih, bias_hh (4H,);
        all U(-1/sqrt(H), 1/sqrt(H)).
    Example:
        cell = LSTMCell(10, 20)
        h, c = cell(gu.randn(3, 10))      # (3, 20) each; then h, c = cell(x_next, (h, c))
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError(f"{self._name()}: hx must be a tuple (h, c), got "
                            f"{type(hx).__name__}")
        h, c = (None, None) if hx is None else hx
        x, (h, c), batched = self._check(input, [("h", h), ("c", c)])
        h, c = F.lstm_cell(x, (h, c), *self._weights())
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step (gates r, z, n; equations as GRU): returns h'.

    Args: input_size, hidden_size, bias=True.
    Shape: input (N, H_in) or (H_in,), hx (N, H) or (H,) (optional, zeros) -> h' like hx.
    Attributes: weight_ih (3H, H_in), weight_hh (3H, H), bias_ih, bias_hh (3H,);
        all U(-1/sqrt(H), 1/sqrt(H)).
    Example:
        cell = GRUCell(10, 20)
        h = cell(gu.randn(3, 10))         # (3, 20)
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._check(input, [("hx", hx)])
        h = F.gru_cell(x, h, *self._weights())
        return h if batched else h.squeeze(0)
