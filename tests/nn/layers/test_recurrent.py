"""RNN, LSTM, GRU and their cells against PyTorch (weights through state_dict, both ways)."""

import math

import numpy as np
import pytest
from helpers import check_layer, randn, require_torch

import groundup as gu
from groundup import nn

torch = require_torch()
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections")

T, B, I, H = 3, 2, 3, 4


class WithStates:
    """A module calling `inner(x, hx)`, hx built from the extra inputs (so check_layer sees
    them as leaves): (h0,) -> h0, (h0, c0) -> (h0, c0). Same parameter names on both sides."""

    @staticmethod
    def make(lib, inner, n_states):
        class Wrap(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.m = inner

            def forward(self, x, *states):
                if not states:
                    return self.m(x)
                return self.m(x, states[0] if n_states == 1 else tuple(states))

        return Wrap()


def _pair(kind, kw):
    """(groundup layer, torch layer) of the same configuration."""
    kw = dict(kw)
    cls = {"rnn_tanh": "RNN", "rnn_relu": "RNN", "lstm": "LSTM", "gru": "GRU"}[kind]
    if kind == "rnn_relu":
        kw["nonlinearity"] = "relu"
    return getattr(nn, cls)(I, H, **kw), getattr(torch.nn, cls)(I, H, **kw)


def _check(kind, kw, states, unbatched=False, train=False):
    g, t = _pair(kind, kw)
    D = 2 if kw.get("bidirectional") else 1
    L = kw.get("num_layers", 1)
    P = kw.get("proj_size", 0) or H
    bf = kw.get("batch_first", False)
    x = randn(T, I) if unbatched else (randn(B, T, I) if bf else randn(T, B, I))
    lead = (L * D,) if unbatched else (L * D, B)
    extra = []
    if states:
        extra = [randn(*lead, P, seed=1)]
        if kind == "lstm":
            extra.append(randn(*lead, H, seed=2))
    n = len(extra) or 1
    gw, tw = WithStates.make(gu, g, n), WithStates.make(torch, t, n)
    tw.train(train)
    check_layer(gw, tw, x, *extra)


LAYER_CASES = [
    ({}, True),
    ({}, False),
    ({"num_layers": 2, "batch_first": True}, True),
    ({"num_layers": 3, "bidirectional": True}, False),
    ({"num_layers": 2, "bidirectional": True, "batch_first": True}, True),
    ({"bias": False, "bidirectional": True}, True),
]


@pytest.mark.parametrize("kind", ["rnn_tanh", "rnn_relu", "lstm", "gru"])
@pytest.mark.parametrize("kw,states", LAYER_CASES)
def test_layer_matches_torch(kind, kw, states):
    _check(kind, kw, states)


@pytest.mark.parametrize("kw,states", [
    ({"proj_size": 2}, True),
    ({"proj_size": 3, "num_layers": 2, "bidirectional": True, "batch_first": True}, True),
    ({"proj_size": 1, "bias": False}, False),
])
def test_lstm_projection_matches_torch(kw, states):
    _check("lstm", kw, states)


@pytest.mark.parametrize("kind", ["rnn_tanh", "lstm", "gru"])
@pytest.mark.parametrize("states", [True, False])
def test_unbatched_input(kind, states):
    _check(kind, {"num_layers": 2, "bidirectional": True, "batch_first": True}, states,
           unbatched=True)


def test_dropout_between_layers():
    # eval mode: no dropout, PyTorch's result
    _check("lstm", {"num_layers": 2, "dropout": 0.5}, True, train=False)
    m = nn.GRU(I, H, num_layers=2, dropout=0.5)
    x = gu.tensor(randn(T, B, I))
    runs = []
    for _ in range(2):
        gu.manual_seed(3)
        runs.append(m(x)[0].numpy())
    np.testing.assert_array_equal(*runs)  # gu.manual_seed controls the masks
    m.eval()
    assert not np.allclose(m(x)[0].numpy(), runs[0])
    single = nn.GRU(I, H, dropout=0.0)
    with pytest.warns(UserWarning, match="num_layers=1"):
        nn.LSTM(I, H, dropout=0.2)
    assert single.dropout == 0.0


def test_state_dict_into_torch_and_parameters():
    g = nn.LSTM(I, H, num_layers=2, bidirectional=True, proj_size=2)
    t = torch.nn.LSTM(I, H, num_layers=2, bidirectional=True, proj_size=2)
    t.load_state_dict({k: torch.tensor(v) for k, v in g.state_dict().items()}, strict=True)
    x = randn(T, B, I)
    y, (h, c) = g(gu.tensor(x))
    ty, (th, tc) = t(torch.tensor(x, dtype=torch.float32))
    for a, b in ((y, ty), (h, th), (c, tc)):
        np.testing.assert_allclose(a.numpy(), b.detach().numpy(), rtol=1e-4, atol=1e-5)
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [[tuple(p.shape) for p in w] for w in g.all_weights] == \
        [[tuple(p.shape) for p in w] for w in t.all_weights]
    assert g._flat_weights_names == t._flat_weights_names
    g.flatten_parameters()  # a no-op, for code written for PyTorch


def test_init_is_uniform_and_seeded():
    gu.manual_seed(0)
    a = nn.GRU(I, 16, num_layers=2)
    gu.manual_seed(0)
    b = nn.GRU(I, 16, num_layers=2)
    bound = 1 / math.sqrt(16)
    for (name, p), q in zip(a.named_parameters(), b.parameters(), strict=True):
        assert p.dtype == np.float32
        assert np.abs(p.numpy()).max() <= bound, name
        np.testing.assert_array_equal(p.numpy(), q.numpy())
    assert nn.LSTM(I, H, dtype=gu.float64).weight_ih_l0.dtype == np.float64


def test_repr():
    assert repr(nn.LSTM(10, 20, num_layers=2, batch_first=True)) == \
        "LSTM(10, 20, num_layers=2, batch_first=True)"
    assert repr(nn.RNN(3, 4, nonlinearity="relu")) == "RNN(3, 4, nonlinearity='relu')"
    assert repr(nn.GRUCell(3, 4, bias=False)) == "GRUCell(3, 4, bias=False)"


# ------------------------------------------------------------------------ cells
CELLS = [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}), ("LSTMCell", {}),
         ("GRUCell", {}), ("GRUCell", {"bias": False})]


@pytest.mark.parametrize("name,kw", CELLS)
@pytest.mark.parametrize("states", [True, False])
@pytest.mark.parametrize("unbatched", [False, True])
def test_cell_matches_torch(name, kw, states, unbatched):
    g, t = getattr(nn, name)(I, H, **kw), getattr(torch.nn, name)(I, H, **kw)
    lead = () if unbatched else (B,)
    extra = []
    if states:
        extra = [randn(*lead, H, seed=1)] + ([randn(*lead, H, seed=2)] if name == "LSTMCell"
                                             else [])
    n = len(extra) or 1
    check_layer(WithStates.make(gu, g, n), WithStates.make(torch, t, n), randn(*lead, I),
                *extra)


def test_cell_loop_equals_layer():
    gu.manual_seed(0)
    layer = nn.LSTM(I, H)
    cell = nn.LSTMCell(I, H)
    cell.load_state_dict({k[:-3]: v for k, v in layer.state_dict().items()})
    x = gu.tensor(randn(T, B, I))
    y, (h, c) = layer(x)
    hc = None
    for t in range(T):
        hc = cell(x[t], hc)
        np.testing.assert_allclose(hc[0].numpy(), y[t].numpy(), rtol=1e-6, atol=1e-7)
    np.testing.assert_allclose(hc[1].numpy(), c[0].numpy(), rtol=1e-6, atol=1e-7)


# ------------------------------------------------------------------------- errors
def test_errors_name_the_layer_and_shapes():
    lstm = nn.LSTM(I, H, num_layers=2)
    with pytest.raises(ValueError, match=r"LSTM\(3, 4, num_layers=2\): expected a 2-D .*"
                                         r"got shape \(1, 3, 2, 3\)"):
        lstm(gu.randn(1, T, B, I))
    with pytest.raises(ValueError, match=r"LSTM\(3, 4, num_layers=2\): expected input "
                                         r"\(seq, batch, 3\) .*got shape \(3, 2, 5\)"):
        lstm(gu.randn(T, B, 5))
    with pytest.raises(ValueError, match=r"expected h0 of shape \(2, 2, 4\) .*got \(1, 2, 4\)"):
        lstm(gu.randn(T, B, I), (gu.randn(1, B, H), gu.randn(2, B, H)))
    with pytest.raises(ValueError, match=r"expected c0 of shape \(2, 2, 4\) .*got \(2, 2, 3\)"):
        lstm(gu.randn(T, B, I), (gu.randn(2, B, H), gu.randn(2, B, 3)))
    with pytest.raises(TypeError, match=r"hx must be a tuple \(h0, c0\)"):
        lstm(gu.randn(T, B, I), gu.randn(2, B, H))
    with pytest.raises(ValueError, match=r"GRU\(3, 4, batch_first=True\): expected h0 of "
                                         r"shape \(1, 2, 4\) .*got \(1, 3, 4\)"):
        nn.GRU(I, H, batch_first=True)(gu.randn(B, T, I), gu.randn(1, T, H))

    with pytest.raises(TypeError, match=r"GRU\(3, 4\): input dtype float64 does not match "
                                        r"the weight dtype float32"):
        nn.GRU(I, H)(gu.randn(T, B, I, dtype=gu.float64))

    packed = gu.nn.utils.rnn.pack_sequence([gu.randn(T, I), gu.randn(1, I)])
    with pytest.raises(TypeError, match=r"GRUCell\(3, 4\): expected a Tensor, got a "
                                        r"PackedSequence"):
        nn.GRUCell(I, H)(packed)
    with pytest.raises(ValueError, match=r"LSTMCell\(3, 4\): expected input \(batch, 3\) "
                                         r".*got shape \(2, 5\)"):
        nn.LSTMCell(I, H)(gu.randn(B, 5))
    with pytest.raises(ValueError, match=r"GRUCell\(3, 4\): expected hx of shape \(2, 4\) "
                                         r"for input \(2, 3\), got \(4,\)"):
        nn.GRUCell(I, H)(gu.randn(B, I), gu.randn(H))
    with pytest.raises(ValueError,
                       match=r"RNNCell\(3, 4\): expected a 1-D .*got shape \(1, 2, 3\)"):
        nn.RNNCell(I, H)(gu.randn(1, B, I))


def test_constructor_errors():
    with pytest.raises(ValueError, match="proj_size must be 0"):
        nn.LSTM(I, H, proj_size=H)
    with pytest.raises(ValueError, match="proj_size is only supported for LSTM"):
        nn.GRU(I, H, proj_size=1)
    with pytest.raises(ValueError, match="unknown nonlinearity 'gelu'"):
        nn.RNN(I, H, nonlinearity="gelu")
    with pytest.raises(ValueError, match="dropout must be a number in"):
        nn.GRU(I, H, num_layers=2, dropout=1.5)
    with pytest.raises(TypeError, match="hidden_size must be an int"):
        nn.LSTM(I, 4.0)
    with pytest.raises(ValueError, match="must be positive"):
        nn.LSTM(I, H, num_layers=0)
