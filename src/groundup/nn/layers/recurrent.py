"""Recurrent layers: RNN (tanh / relu), LSTM (with an optional projection) and GRU.

Each layer and direction is one fused primitive over the whole sequence (ops/recurrent.py:
backpropagation through time written by hand); these modules stack them over layers and
directions with PyTorch's signatures, parameter names, shapes and return values. A
PackedSequence input (gu.nn.utils.rnn) runs each sequence for its own length: the batch is
padded (time-major, sorted by decreasing length), every primitive gets the lengths and keeps a
sequence's state frozen past its end, and the output is packed again. The cells (RNNCell,
LSTMCell, GRUCell) live in recurrent_cells.py.
"""

import math
import numbers
import warnings

import numpy as np

from ...backend import to_dtype
from ...creation import empty
from ...ops.common import as_tensor
from ...ops.recurrent_packed import place_rows, take_rows
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module, Parameter
from ..utils.rnn import PackedSequence

__all__ = ["RNNBase", "RNN", "LSTM", "GRU"]

_GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def recurrent_input(layer, input, weight=None):
    """The input as a Tensor, checked to have `weight`'s dtype when one is given; anything
    else (a PackedSequence where none is accepted) gets a clear error."""
    if not isinstance(input, Tensor):
        input = _convert(layer, input)
    if weight is not None and input.array.dtype != weight.array.dtype:
        raise TypeError(f"{layer}: input dtype {input.array.dtype} does not match the weight "
                        f"dtype {weight.array.dtype}; convert the input (x.float() / "
                        f"x.double()) or the module (.float() / .double())")
    return input


def _convert(layer, input):
    if hasattr(input, "batch_sizes"):
        raise TypeError(f"{layer}: expected a Tensor, got a PackedSequence (RNN, LSTM and GRU "
                        f"take one as their input; a cell runs one step of a padded batch)")
    try:
        return as_tensor(input)
    except Exception:
        raise TypeError(f"{layer}: expected a Tensor input, got {type(input).__name__}") \
            from None


class RNNBase(Module):
    """What RNN, LSTM and GRU share: parameters, checks, and the loop over layers and
    directions. `mode` is 'RNN_TANH', 'RNN_RELU', 'LSTM' or 'GRU' (as in PyTorch)."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        name = {"RNN_TANH": "RNN", "RNN_RELU": "RNN"}.get(mode, mode)
        if mode not in _GATES:
            raise ValueError(f"RNNBase: unknown mode {mode!r}; expected one of {list(_GATES)}")
        for arg, value in (("input_size", input_size), ("hidden_size", hidden_size),
                           ("num_layers", num_layers), ("proj_size", proj_size)):
            if isinstance(value, bool) or not isinstance(value, numbers.Integral):
                raise TypeError(f"{name}: {arg} must be an int, got {type(value).__name__}")
        if input_size <= 0 or hidden_size <= 0 or num_layers <= 0:
            raise ValueError(f"{name}: input_size, hidden_size and num_layers must be "
                             f"positive, got {input_size}, {hidden_size}, {num_layers}")
        if not isinstance(bias, bool) or not isinstance(batch_first, bool):
            raise TypeError(f"{name}: bias and batch_first must be bools, got {bias!r}, "
                            f"{batch_first!r}")
        if isinstance(dropout, bool) or not isinstance(dropout, numbers.Number) \
                or not 0 <= dropout <= 1:
            raise ValueError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout is applied between recurrent layers, so "
                          f"dropout={dropout} with num_layers=1 has no effect", stacklevel=3)
        if proj_size < 0 or (proj_size and proj_size >= hidden_size):
            raise ValueError(f"{name}: proj_size must be 0 (no projection) or in [1, "
                             f"hidden_size={hidden_size}), got {proj_size}")
        if proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size is only supported for LSTM")
        self.mode = mode
        self.input_size = int(input_size)
        self.hidden_size = int(hidden_size)
        self.num_layers = int(num_layers)
        self.bias = bias
        self.batch_first = batch_first
        self.dropout = float(dropout)
        self.bidirectional = bool(bidirectional)
        self.proj_size = int(proj_size)
        dtype = to_dtype(dtype) or to_dtype("float32")
        D = 2 if self.bidirectional else 1
        gate_size = _GATES[mode] * self.hidden_size
        real_hidden = self.proj_size or self.hidden_size
        self._flat_weights_names = []
        self._all_weights = []
        for layer in range(self.num_layers):
            layer_input = self.input_size if layer == 0 else real_hidden * D
            for direction in range(D):
                suffix = f"_l{layer}" + ("_reverse" if direction else "")
                shapes = [("weight_ih", (gate_size, layer_input)),
                          ("weight_hh", (gate_size, real_hidden))]
                if bias:
                    shapes += [("bias_ih", (gate_size,)), ("bias_hh", (gate_size,))]
                if self.proj_size:
                    shapes.append(("weight_hr", (self.proj_size, self.hidden_size)))
                names = []
                for base, shape in shapes:  # PyTorch's parameter order
                    setattr(self, base + suffix,
                            Parameter(empty(*shape, dtype=dtype, device=device)))
                    names.append(base + suffix)
                self._flat_weights_names.extend(names)
                self._all_weights.append(names)
        self.reset_parameters()

    def reset_parameters(self):
        """Every weight and bias ~ U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)), as PyTorch."""
        bound = 1.0 / math.sqrt(self.hidden_size)
        for p in self.parameters():
            init.uniform_(p, -bound, bound)

    def flatten_parameters(self):
        """Nothing to do (PyTorch packs the weights for cuDNN here); kept so code that
        calls it runs unchanged."""

    @property
    def all_weights(self):
        """The parameters, one list per layer and direction (as PyTorch's all_weights)."""
        return [[getattr(self, name) for name in names] for names in self._all_weights]

    def _layer_name(self):
        return f"{type(self).__name__}({self.extra_repr()})"

    def _layer_weights(self, layer, direction):
        suffix = f"_l{layer}" + ("_reverse" if direction else "")
        w = [getattr(self, "weight_ih" + suffix), getattr(self, "weight_hh" + suffix)]
        w += ([getattr(self, "bias_ih" + suffix), getattr(self, "bias_hh" + suffix)]
              if self.bias else [None, None])
        return w, (getattr(self, "weight_hr" + suffix) if self.proj_size else None)

    def _check_input(self, input):
        """The input as a batched Tensor, and whether it came unbatched."""
        x = recurrent_input(self._layer_name(), input, self.weight_ih_l0)
        if x.ndim not in (2, 3):
            raise ValueError(f"{self._layer_name()}: expected a 2-D (unbatched) or 3-D input, "
                             f"got shape {tuple(x.shape)}")
        if x.shape[-1] != self.input_size:
            expected = "(seq, batch, " if not self.batch_first else "(batch, seq, "
            if x.ndim == 2:
                expected = "(seq, "
            raise ValueError(f"{self._layer_name()}: expected input {expected}"
                             f"{self.input_size}) (input_size={self.input_size}), got shape "
                             f"{tuple(x.shape)}")
        batched = x.ndim == 3
        if not batched:
            x = x.unsqueeze(0 if self.batch_first else 1)
        return x, batched

    def _check_state(self, state, name, size, batch, batched):
        """A given initial state (L*D, B, size) (or (L*D, size) unbatched), batched."""
        if state is None:
            return None
        state = recurrent_input(self._layer_name(), state, self.weight_ih_l0)
        D = 2 if self.bidirectional else 1
        expected = (self.num_layers * D, batch, size) if batched else (self.num_layers * D, size)
        if tuple(state.shape) != expected:
            raise ValueError(f"{self._layer_name()}: expected {name} of shape {expected} "
                             f"(num_layers * num_directions, {'batch, ' if batched else ''}"
                             f"{'hidden' if name == 'c0' else 'output'} size) for input of "
                             f"batch {batch}, got {tuple(state.shape)}")
        return state if batched else state.unsqueeze(1)

    def _run(self, x, h0, c0, lengths=None, batch_first=None):
        """Every layer and direction: (output, [h_n per layer/direction], [c_n ...]).
        lengths (B,): each column's sequence length (a variable-length batch)."""
        D = 2 if self.bidirectional else 1
        batch_first = self.batch_first if batch_first is None else batch_first
        hs, cs = [], []
        for layer in range(self.num_layers):
            outs = []
            for direction in range(D):
                idx = layer * D + direction
                (w_ih, w_hh, b_ih, b_hh), w_hr = self._layer_weights(layer, direction)
                h = None if h0 is None else h0[idx]
                reverse = direction == 1
                if self.mode == "LSTM":
                    c = None if c0 is None else c0[idx]
                    y, (h, c) = F.lstm_sequence(x, (h, c), w_ih, w_hh, b_ih, b_hh, w_hr,
                                                batch_first, reverse, lengths)
                    cs.append(c)
                elif self.mode == "GRU":
                    y, h = F.gru_sequence(x, h, w_ih, w_hh, b_ih, b_hh, batch_first,
                                          reverse, lengths)
                else:
                    y, h = F.rnn_sequence(x, h, w_ih, w_hh, b_ih, b_hh,
                                          "tanh" if self.mode == "RNN_TANH" else "relu",
                                          batch_first, reverse, lengths)
                outs.append(y)
                hs.append(h)
            x = outs[0] if D == 1 else F.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, hs, cs

    def _split_hx(self, hx):
        if self.mode == "LSTM" and hx is not None:
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{self._layer_name()}: hx must be a tuple (h0, c0), got "
                                f"{type(hx).__name__}")
            return hx
        return hx, None

    def forward(self, input, hx=None):
        """(output, h_n), or (output, (h_n, c_n)) for an LSTM; hx: h0, or (h0, c0) for an
        LSTM, or None (zeros). input may be a PackedSequence: output is then one too."""
        if isinstance(input, PackedSequence):
            return self._forward_packed(input, hx)
        h0, c0 = self._split_hx(hx)
        x, batched = self._check_input(input)
        batch = x.shape[0] if self.batch_first else x.shape[1]
        h0 = self._check_state(h0, "h0", self.proj_size or self.hidden_size, batch, batched)
        c0 = self._check_state(c0, "c0", self.hidden_size, batch, batched)
        y, hs, cs = self._run(x, h0, c0)
        h_n = _stack(hs)
        c_n = _stack(cs) if cs else None
        if not batched:
            y = y.squeeze(0 if self.batch_first else 1)
            h_n = h_n.squeeze(1)
            c_n = None if c_n is None else c_n.squeeze(1)
        return (y, (h_n, c_n)) if self.mode == "LSTM" else (y, h_n)

    def _forward_packed(self, packed, hx):
        """A PackedSequence through every layer: its data placed in a padded (T, B, I) batch
        (sorted columns), the primitives run with the lengths, the output packed again. hx and
        h_n are in the original batch order (permuted as PackedSequence's indices say)."""
        name = self._layer_name()
        data = recurrent_input(name, packed.data, self.weight_ih_l0)
        if data.ndim != 2 or data.shape[1] != self.input_size:
            raise ValueError(f"{name}: expected packed data of shape (sum of lengths, "
                             f"{self.input_size}) (input_size={self.input_size}), got "
                             f"{tuple(data.shape)}")
        batch_sizes = packed.batch_sizes.array.astype(np.int64)
        T, B = batch_sizes.size, int(batch_sizes[0])
        if data.shape[0] != int(batch_sizes.sum()):
            raise ValueError(f"{name}: packed data has {data.shape[0]} rows but its "
                             f"batch_sizes add up to {int(batch_sizes.sum())}")
        t, b = np.nonzero(np.arange(B)[None, :] < batch_sizes[:, None])  # rows of data
        rows = t * B + b
        lengths = np.count_nonzero(batch_sizes[:, None] > np.arange(B)[None, :], axis=0)
        x = place_rows(data, rows, T * B).reshape(T, B, self.input_size)
        h0, c0 = self._split_hx(hx)
        h0 = self._check_state(h0, "h0", self.proj_size or self.hidden_size, B, True)
        c0 = self._check_state(c0, "c0", self.hidden_size, B, True)
        order, inverse = packed.sorted_indices, packed.unsorted_indices
        if order is not None:
            h0 = None if h0 is None else h0[:, order.array]
            c0 = None if c0 is None else c0[:, order.array]
        y, hs, cs = self._run(x, h0, c0, lengths, batch_first=False)
        out = PackedSequence(take_rows(y.reshape(T * B, y.shape[2]), rows), packed.batch_sizes,
                             order, inverse)
        h_n = _stack(hs)
        c_n = _stack(cs) if cs else None
        if inverse is not None:
            h_n = h_n[:, inverse.array]
            c_n = None if c_n is None else c_n[:, inverse.array]
        return (out, (h_n, c_n)) if self.mode == "LSTM" else (out, h_n)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first:
            s += ", batch_first=True"
        if self.dropout:
            s += f", dropout={self.dropout}"
        if self.bidirectional:
            s += ", bidirectional=True"
        return s


def _stack(states):
    return states[0].unsqueeze(0) if len(states) == 1 else F.stack(states, 0)


class RNN(RNNBase):
    """Multi-layer Elman RNN: h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh),
    act = tanh (default) or relu.

    Args:
        input_size, hidden_size: feature sizes of x and h.
        num_layers: stacked layers (each takes the previous one's output). default 1.
        nonlinearity: 'tanh' or 'relu'.  bias: learn b_ih, b_hh (default True).
        batch_first: input/output (batch, seq, feature) instead of (seq, batch, feature).
        dropout: dropout on the outputs of every layer but the last, in training.
        bidirectional: also run each layer from the last step to the first.
    Shape: input (L, N, H_in) (or (N, L, H_in); unbatched (L, H_in)), h0 (D*num_layers, N, H)
        (optional, zeros) -> output (L, N, D*H), h_n (D*num_layers, N, H); D = 2 if
        bidirectional else 1. input may be a PackedSequence (gu.nn.utils.rnn: sequences of
        different lengths): output is then one too, and h_n holds each sequence's state
        after its own last step (padding neither changes anything nor gets a gradient).
    Attributes: weight_ih_l{k} (H, H_in or D*H), weight_hh_l{k} (H, H), bias_ih_l{k},
        bias_hh_l{k} (H,), suffix _reverse for the backward direction; all
        U(-1/sqrt(H), 1/sqrt(H)).
    Example:
        rnn = RNN(10, 20, num_layers=2)
        output, h_n = rnn(gu.randn(5, 3, 10))     # (5, 3, 20), (2, 3, 20)
    """

    def __init__(self, *args, **kwargs):
        if "proj_size" in kwargs:
            raise ValueError("RNN: proj_size is only supported for LSTM")
        if len(args) > 3:
            nonlinearity, args = args[3], args[:3] + args[4:]
        else:
            nonlinearity = kwargs.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"RNN: unknown nonlinearity {nonlinearity!r}; select 'tanh' or "
                             f"'relu'")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", *args, **kwargs)

    def extra_repr(self):
        s = super().extra_repr()
        return s + (", nonlinearity='relu'" if self.nonlinearity == "relu" else "")


class LSTM(RNNBase):
    """Multi-layer LSTM, PyTorch's equations (gates packed i, f, g, o):

        i = sigmoid(W_ii x + b_ii + W_hi h + b_hi)    f = sigmoid(W_if x + ... )
        g = tanh(W_ig x + b_ig + W_hg h + b_hg)       o = sigmoid(W_io x + ... )
        c' = f * c + i * g                            h' = o * tanh(c')
    With proj_size > 0, h' = W_hr (o * tanh(c')) has proj_size features.

    Args: as RNN (no nonlinearity), plus proj_size (default 0: no projection).
    Shape: input (L, N, H_in) (or (N, L, H_in); unbatched (L, H_in)), hx = (h0, c0)
        optional, h0 (D*num_layers, N, H_out), c0 (D*num_layers, N, H) -> output
        (L, N, D*H_out), (h_n, c_n) shaped as (h0, c0); H_out = proj_size or H.
    Attributes: weight_ih_l{k} (4H, H_in or D*H_out), weight_hh_l{k} (4H, H_out), biases (4H,),
        weight_hr_l{k} (proj_size, H) with a projection; suffix _reverse;
        all U(-1/sqrt(H), 1/sqrt(H)).
    Example:
        lstm = LSTM(10, 20, batch_first=True)
        output, (h_n, c_n) = lstm(gu.randn(3, 5, 10))   # (3, 5, 20), (1, 3, 20), (1, 3, 20)
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", *args, **kwargs)


class GRU(RNNBase):
    """Multi-layer GRU, PyTorch's equations (gates packed r, z, n):

        r = sigmoid(W_ir x + b_ir + W_hr h + b_hr)    z = sigmoid(W_iz x + ... )
        n = tanh(W_in x + b_in + r * (W_hn h + b_hn))
        h' = (1 - z) * n + z * h

    Args, shapes: as RNN (no nonlinearity). Attributes: weight_ih_l{k} (3H, H_in or D*H),
        weight_hh_l{k} (3H, H), biases (3H,), suffix _reverse; all U(-1/sqrt(H), 1/sqrt(H)).
    Example:
        gru = GRU(10, 20, bidirectional=True)
        output, h_n = gru(gu.randn(5, 3, 10))     # (5, 3, 40), (2, 3, 20)
    """

    def __init__(self, *args, **kwargs):
        super().__init__("GRU", *args, **kwargs)
