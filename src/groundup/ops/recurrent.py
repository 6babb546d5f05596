"""Recurrent primitives: whole sequences (one layer, one direction) and single cells.

Each sequence function is one fused Function with backpropagation through time written by
hand (ops/recurrent_rnn.py, recurrent_lstm.py, recurrent_gru.py; their layout and the folded
GEMM in recurrent_common.py). The cells are the same Functions run for one step, so a cell
in a Python loop and a whole sequence compute the same thing.

    rnn_sequence(input, hx, w_ih, w_hh, b_ih, b_hh, nonlinearity, batch_first, reverse,
                 lengths) -> (output, h_n)
    lstm_sequence(input, hx, w_ih, w_hh, b_ih, b_hh, w_hr, batch_first, reverse, lengths)
        -> (output, (h_n, c_n))
    gru_sequence(input, hx, w_ih, w_hh, b_ih, b_hh, batch_first, reverse, lengths)
        -> (output, h_n)
    rnn_tanh_cell / rnn_relu_cell / gru_cell(input, hx, w_ih, w_hh, b_ih, b_hh) -> h'
    lstm_cell(input, hx, w_ih, w_hh, b_ih, b_hh) -> (h', c')       (as torch.lstm_cell)

input is (T, B, I), or (B, T, I) with batch_first; the states are (B, H) (hx None: zeros).
reverse=True runs the sequence from its last step to its first (the backward direction of a
bidirectional layer); the output stays in time order. lengths (B,) (optional, each in
[0, T]) makes a variable-length batch: sequence b has steps t < lengths[b] only, its state
frozen at the others, so h_n is its state after its own last step (after t = 0 in reverse),
the output at a missing step repeats the state, and the padding neither changes anything nor
gets a gradient (what the layers do with a PackedSequence). The layers (nn.RNN, nn.LSTM, nn.GRU)
stack these over layers and directions.
"""

import numpy as np

from .common import as_tensor
from .recurrent_common import check_sequence_args
from .recurrent_gru import GRUFn
from .recurrent_lstm import LSTMFn
from .recurrent_rnn import RNNFn

__all__ = ["rnn_sequence", "lstm_sequence", "gru_sequence", "rnn_tanh_cell", "rnn_relu_cell",
           "lstm_cell", "gru_cell"]


def _weights(name, gates, x, w_ih, w_hh, b_ih, b_hh, w_hr=None):
    """Check the weights against each other and the input; returns (H, P)."""
    if w_hh.ndim != 2 or w_hh.shape[0] % gates or w_hh.shape[0] == 0:
        raise ValueError(f"{name}: w_hh must be 2-D with {gates} * hidden_size rows, got shape "
                         f"{tuple(w_hh.shape)}")
    H = w_hh.shape[0] // gates
    P = H if w_hr is None else w_hr.shape[0]
    if (b_ih is None) != (b_hh is None):
        raise ValueError(f"{name}: give both biases b_ih and b_hh, or neither")
    weights = [("w_ih", w_ih, (gates * H, x.shape[-1])), ("w_hh", w_hh, (gates * H, P)),
               ("b_ih", b_ih, (gates * H,)), ("b_hh", b_hh, (gates * H,))]
    if w_hr is not None:
        weights.append(("w_hr", w_hr, (P, H)))
    return H, P, weights


def _sequence(name, gates, input, w_ih, w_hh, b_ih, b_hh, w_hr, states, batch_first):
    """Convert and check a sequence call's arguments; returns (x, H, P)."""
    x = as_tensor(input)
    H, P, weights = _weights(name, gates, x, w_ih, w_hh, b_ih, b_hh, w_hr)
    check_sequence_args(name, x, batch_first, weights,
                        [(sname, s, H if sname == "c0" else P) for sname, s in states])
    return x, H, P


def _lengths(name, lengths, x, batch_first):
    """lengths as an int64 NumPy array (B,) of values in [0, T], or None."""
    if lengths is None:
        return None
    T, B = (x.shape[1], x.shape[0]) if batch_first else x.shape[:2]
    a = lengths.array if hasattr(lengths, "array") else lengths
    a = np.asarray(a)
    if a.dtype.kind not in "iu" or a.shape != (B,):
        raise ValueError(f"{name}: lengths must be {B} integers (one per sequence of the "
                         f"batch), got {a.dtype} of shape {a.shape}")
    if a.size and (a.min() < 0 or a.max() > T):
        raise ValueError(f"{name}: lengths must lie in [0, {T}] (the input's {T} steps), got "
                         f"{a.min()} .. {a.max()}")
    return a.astype(np.int64)


def _tensor_or_none(t):
    return None if t is None else as_tensor(t)


def rnn_sequence(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, nonlinearity="tanh",
                 batch_first=False, reverse=False, lengths=None):
    """An Elman RNN layer over a sequence: h_t = act(W_ih x_t + b_ih + W_hh h_{t-1} + b_hh),
    act tanh or relu. Returns (output (T, B, H) or (B, T, H), h_n (B, H)). See RNNFn."""
    if nonlinearity not in ("tanh", "relu"):
        raise ValueError(f"rnn_sequence: nonlinearity must be 'tanh' or 'relu', got "
                         f"{nonlinearity!r}")
    w_ih, w_hh, b_ih, b_hh, hx = map(_tensor_or_none, (w_ih, w_hh, b_ih, b_hh, hx))
    x, _, _ = _sequence("rnn_sequence", 1, input, w_ih, w_hh, b_ih, b_hh, None, [("hx", hx)],
                        batch_first)
    lengths = _lengths("rnn_sequence", lengths, x, batch_first)
    return RNNFn.apply(x, hx, w_ih, w_hh, b_ih, b_hh, nonlinearity, bool(batch_first),
                       bool(reverse), lengths)


def lstm_sequence(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, w_hr=None, batch_first=False,
                  reverse=False, lengths=None):
    """An LSTM layer over a sequence (gates i, f, g, o; optional projection w_hr (P, H)).
    hx: None or (h0 (B, P), c0 (B, H)), either may be None (zeros). Returns
    (output (T, B, P) or (B, T, P), (h_n (B, P), c_n (B, H))). See LSTMFn."""
    h0, c0 = (None, None) if hx is None else _pair("lstm_sequence", hx)
    w_ih, w_hh, b_ih, b_hh, w_hr, h0, c0 = map(_tensor_or_none,
                                               (w_ih, w_hh, b_ih, b_hh, w_hr, h0, c0))
    x, _, _ = _sequence("lstm_sequence", 4, input, w_ih, w_hh, b_ih, b_hh, w_hr,
                        [("h0", h0), ("c0", c0)], batch_first)
    lengths = _lengths("lstm_sequence", lengths, x, batch_first)
    y, h, c = LSTMFn.apply(x, h0, c0, w_ih, w_hh, b_ih, b_hh, w_hr, bool(batch_first),
                           bool(reverse), lengths)
    return y, (h, c)


def gru_sequence(input, hx, w_ih, w_hh, b_ih=None, b_hh=None, batch_first=False,
                 reverse=False, lengths=None):
    """A GRU layer over a sequence (gates r, z, n, PyTorch's equations). Returns
    (output (T, B, H) or (B, T, H), h_n (B, H)). See GRUFn."""
    w_ih, w_hh, b_ih, b_hh, hx = map(_tensor_or_none, (w_ih, w_hh, b_ih, b_hh, hx))
    x, _, _ = _sequence("gru_sequence", 3, input, w_ih, w_hh, b_ih, b_hh, None, [("hx", hx)],
                        batch_first)
    lengths = _lengths("gru_sequence", lengths, x, batch_first)
    return GRUFn.apply(x, hx, w_ih, w_hh, b_ih, b_hh, bool(batch_first), bool(reverse),
                       lengths)


def _pair(name, hx):
    if not isinstance(hx, (tuple, list)) or len(hx) != 2:
        raise TypeError(f"{name}: hx must be a pair (h, c) of tensors, got {type(hx).__name__}")
    return hx


def _cell_input(name, input):
    x = as_tensor(input)
    if x.ndim != 2:
        raise ValueError(f"{name}: expected a 2-D input (batch, input_size), got shape "
                         f"{tuple(x.shape)}")
    return x.unsqueeze(0)  # a sequence of one step


def rnn_tanh_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One step of a tanh RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh). input (B, I),
    hx (B, H) or None. Returns h' (B, H)."""
    return rnn_sequence(_cell_input("rnn_tanh_cell", input), hx, w_ih, w_hh, b_ih, b_hh)[1]


def rnn_relu_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One step of a relu RNN: h' = relu(W_ih x + b_ih + W_hh h + b_hh). input (B, I),
    hx (B, H) or None. Returns h' (B, H)."""
    return rnn_sequence(_cell_input("rnn_relu_cell", input), hx, w_ih, w_hh, b_ih, b_hh,
                        nonlinearity="relu")[1]


def lstm_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One LSTM step (equations in LSTMFn). input (B, I), hx (h, c) each (B, H), or None.
    Returns (h', c')."""
    return lstm_sequence(_cell_input("lstm_cell", input), hx, w_ih, w_hh, b_ih, b_hh)[1]


def gru_cell(input, hx, w_ih, w_hh, b_ih=None, b_hh=None):
    """One GRU step (equations in GRUFn). input (B, I), hx (B, H) or None. Returns h'."""
    return gru_sequence(_cell_input("gru_cell", input), hx, w_ih, w_hh, b_ih, b_hh)[1]
