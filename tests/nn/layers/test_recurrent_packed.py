"""Variable-length batches in the recurrent layers: PackedSequence input against PyTorch's
layers, and a padded batch equal to running each sequence alone (outputs, final states and
every gradient), down to the fused primitives' `lengths`."""

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu
from groundup import nn
from groundup.nn.utils import rnn

torch = require_torch()
tr = torch.nn.utils.rnn
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections")

I, H = 3, 4
GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _weights(mode, proj, rng):
    G, P = GATES[mode] * H, proj or H
    w = [rng.standard_normal(s) * 0.5 for s in [(G, I), (G, P), (G,), (G,)]]
    return w + [rng.standard_normal((P, H)) * 0.5 if proj else None]


def _run(mode, x, h0, c0, w, reverse, lengths):
    """One primitive call; returns (y, h_n, c_n or None)."""
    w_ih, w_hh, b_ih, b_hh, w_hr = w
    if mode == "lstm":
        y, (h, c) = gu.lstm_sequence(x, (h0, c0), w_ih, w_hh, b_ih, b_hh, w_hr,
                                     reverse=reverse, lengths=lengths)
        return y, h, c
    if mode == "gru":
        y, h = gu.gru_sequence(x, h0, w_ih, w_hh, b_ih, b_hh, reverse=reverse, lengths=lengths)
    else:
        y, h = gu.rnn_sequence(x, h0, w_ih, w_hh, b_ih, b_hh, mode[4:], reverse=reverse,
                               lengths=lengths)
    return y, h, None


def _f64(a):
    return gu.tensor(a, dtype=gu.float64)


def _losses_and_grads(mode, arrays, w, reverse, lengths, up):
    """Forward + backward of sum(up * outputs) (outputs past each length masked out);
    returns ([y, h_n, c_n], [dx, dh0, dc0, dweights...]) as arrays."""
    x, h0, c0 = arrays
    leaves = [gu.tensor(a, dtype=gu.float64, requires_grad=True) for a in [x, h0, c0]]
    wl = [None if a is None else gu.tensor(a, dtype=gu.float64, requires_grad=True) for a in w]
    y, h, c = _run(mode, *leaves, wl, reverse, lengths)
    T, B = x.shape[:2]
    n = np.full(B, T) if lengths is None else lengths
    mask = (np.arange(T)[:, None] < n[None, :])[..., None]
    dy, dh, dc = up
    loss = (y * _f64(dy * mask)).sum() + (h * _f64(dh)).sum()
    if c is not None:
        loss = loss + (c * _f64(dc)).sum()
    loss.backward()
    outs = [y.numpy() * mask, h.numpy(), None if c is None else c.numpy()]
    grads = [None if t is None or t.grad is None else t.grad.numpy() for t in leaves + wl]
    return outs, grads


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("lengths", [[5, 4, 4, 1], [2, 5, 1, 3]])  # sorted and not
def test_primitive_lengths_equal_each_sequence_alone(mode, reverse, lengths):
    rng = np.random.default_rng(len(mode) + 7 * reverse + lengths[0])
    proj = 2 if mode == "lstm" and reverse else 0
    T, B, P = 5, len(lengths), proj or H
    w = _weights(mode, proj, rng)
    arrays = [rng.standard_normal((T, B, I)), rng.standard_normal((B, P)),
              rng.standard_normal((B, H))]
    up = [rng.standard_normal((T, B, P)), rng.standard_normal((B, P)),
          rng.standard_normal((B, H))]
    lengths = np.array(lengths)
    outs, grads = _losses_and_grads(mode, arrays, w, reverse, lengths, up)
    weight_sum = [np.zeros_like(g) if g is not None else None for g in grads[3:]]
    for b, n in enumerate(lengths):
        one = [arrays[0][:n, b:b + 1], arrays[1][b:b + 1], arrays[2][b:b + 1]]
        up1 = [up[0][:n, b:b + 1], up[1][b:b + 1], up[2][b:b + 1]]
        o1, g1 = _losses_and_grads(mode, one, w, reverse, None, up1)
        np.testing.assert_allclose(outs[0][:n, b:b + 1], o1[0], atol=1e-12)
        np.testing.assert_array_equal(outs[0][n:, b], 0)
        np.testing.assert_allclose(outs[1][b:b + 1], o1[1], atol=1e-12)
        np.testing.assert_allclose(grads[0][:n, b:b + 1], g1[0], atol=1e-12)
        np.testing.assert_array_equal(grads[0][n:, b], 0)  # padding: no gradient
        np.testing.assert_allclose(grads[1][b:b + 1], g1[1], atol=1e-12)
        if mode == "lstm":
            np.testing.assert_allclose(outs[2][b:b + 1], o1[2], atol=1e-12)
            np.testing.assert_allclose(grads[2][b:b + 1], g1[2], atol=1e-12)
        for acc, g in zip(weight_sum, g1[3:]):
            if g is not None:
                acc += g
    for got, want in zip(grads[3:], weight_sum):
        if want is not None:
            np.testing.assert_allclose(got, want, atol=1e-11)


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh"])
def test_primitive_lengths_gradcheck(mode):
    rng = np.random.default_rng(3)
    w = _weights(mode, 0, rng)[:4]
    lengths = np.array([1, 3, 2])

    def fn(x, h0, *w):
        c0 = gu.zeros(3, H, dtype=gu.float64) if mode == "lstm" else None
        y, h, c = _run(mode, x, h0, c0, list(w) + [None], True, lengths)
        return (y, h) if c is None else (y, h, c)

    gu.gradcheck(fn, [rng.standard_normal((3, 3, I)), rng.standard_normal((3, H))] + w)


def _pair(kind, kw):
    torch.manual_seed(0)
    t_layer = getattr(torch.nn, kind)(I, H, **kw).double()
    g_layer = getattr(nn, kind)(I, H, **kw).double()
    g_layer.load_state_dict({k: v.detach().numpy() for k, v in t_layer.state_dict().items()})
    return g_layer, t_layer


CASES = [
    ("LSTM", {}), ("GRU", {}), ("RNN", {}), ("RNN", {"nonlinearity": "relu"}),
    ("LSTM", {"num_layers": 2, "bidirectional": True}),
    ("GRU", {"num_layers": 2, "bidirectional": True}),
    ("RNN", {"num_layers": 2, "bidirectional": True}),
    ("LSTM", {"proj_size": 2, "bidirectional": True}),
]


@pytest.mark.parametrize("kind,kw", CASES)
@pytest.mark.parametrize("enforce_sorted", [True, False])
@pytest.mark.parametrize("states", [False, True])
def test_packed_layer_matches_torch(kind, kw, enforce_sorted, states):
    rng = np.random.default_rng(1)
    g_layer, t_layer = _pair(kind, kw)
    lengths = [5, 3, 3, 1] if enforce_sorted else [3, 5, 1, 4]
    seqs = [rng.standard_normal((n, I)) for n in lengths]
    g_seqs = [gu.tensor(s, dtype=gu.float64, requires_grad=True) for s in seqs]
    t_seqs = [torch.tensor(s, requires_grad=True) for s in seqs]
    g_in = rnn.pack_sequence(g_seqs, enforce_sorted)
    t_in = tr.pack_sequence(t_seqs, enforce_sorted)
    D = 2 if kw.get("bidirectional") else 1
    n_states = D * kw.get("num_layers", 1)
    shapes = [(n_states, 4, kw.get("proj_size") or H)] + ([(n_states, 4, H)] if kind == "LSTM"
                                                           else [])
    g_hx = t_hx = None
    if states:
        init = [rng.standard_normal(s) for s in shapes]
        g_states = [gu.tensor(a, dtype=gu.float64, requires_grad=True) for a in init]
        t_states = [torch.tensor(a, requires_grad=True) for a in init]
        g_hx, t_hx = (g_states, t_states) if kind == "LSTM" else (g_states[0], t_states[0])
        g_hx = tuple(g_hx) if kind == "LSTM" else g_hx
        t_hx = tuple(t_hx) if kind == "LSTM" else t_hx
    g_out, g_h = g_layer(g_in, g_hx)
    t_out, t_h = t_layer(t_in, t_hx)
    assert isinstance(g_out, rnn.PackedSequence)
    assert g_out.batch_sizes is g_in.batch_sizes
    g_outs = [g_out.data] + (list(g_h) if kind == "LSTM" else [g_h])
    t_outs = [t_out.data] + (list(t_h) if kind == "LSTM" else [t_h])
    g_loss = t_loss = 0
    for g, t in zip(g_outs, t_outs, strict=True):
        np.testing.assert_allclose(g.numpy(), t.detach().numpy(), rtol=1e-9, atol=1e-10)
        up = rng.standard_normal(tuple(t.shape))
        g_loss = g_loss + (g * _f64(up)).sum()
        t_loss = t_loss + (t * torch.tensor(up)).sum()
    g_loss.backward()
    t_loss.backward()
    for g, t in zip(g_seqs, t_seqs):
        np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-10)
    if states:
        for g, t in zip(g_states, t_states):
            np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-9, atol=1e-10)
    g_params = dict(g_layer.named_parameters())
    for name, p in t_layer.named_parameters():
        np.testing.assert_allclose(g_params[name].grad.numpy(), p.grad.numpy(), rtol=1e-9,
                                   atol=1e-10, err_msg=name)


def test_float32_packed_and_padding_is_inert():
    """float32 stays float32; values in the padding change nothing and get no gradient; the
    padded batch equals each sequence run alone through the layer."""
    layer = nn.LSTM(I, H, num_layers=2, bidirectional=True, batch_first=True)
    rng = np.random.default_rng(2)
    lengths = [2, 6, 4]
    x = rng.standard_normal((3, 6, I)).astype(np.float32)
    outs = []
    for fill in (0.0, 1e3):
        xf = x.copy()
        for b, n in enumerate(lengths):
            xf[b, n:] = fill
        xt = gu.tensor(xf, requires_grad=True)
        packed = rnn.pack_padded_sequence(xt, lengths, batch_first=True, enforce_sorted=False)
        out, (h, c) = layer(packed)
        y, out_lengths = rnn.pad_packed_sequence(out, batch_first=True)
        (y.sum() + h.sum() + c.sum()).backward()
        assert y.dtype == np.float32 and out_lengths.numpy().tolist() == lengths
        outs.append((y.numpy(), h.numpy(), c.numpy(), xt.grad.numpy()))
        for b, n in enumerate(lengths):
            assert not xt.grad.numpy()[b, n:].any()
    for a, b in zip(*outs):
        np.testing.assert_array_equal(a, b)
    y, h, c, _ = outs[0]
    for b, n in enumerate(lengths):
        y1, (h1, c1) = layer(gu.tensor(x[b:b + 1, :n]))
        np.testing.assert_allclose(y[b:b + 1, :n], y1.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_array_equal(y[b, n:], 0)
        np.testing.assert_allclose(h[:, b:b + 1], h1.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(c[:, b:b + 1], c1.numpy(), rtol=1e-5, atol=1e-6)


def test_packed_with_dropout_runs_in_training():
    layer = nn.GRU(I, H, num_layers=2, dropout=0.5)
    out, h = layer(rnn.pack_sequence([gu.randn(4, I), gu.randn(2, I)]))
    assert tuple(out.data.shape) == (6, H) and tuple(h.shape) == (2, 2, H)


def test_packed_errors():
    packed = rnn.pack_sequence([gu.randn(4, 5), gu.randn(2, 5)])
    with pytest.raises(ValueError, match=r"GRU\(3, 4\): expected packed data of shape \(sum "
                                         r"of lengths, 3\) .*got \(6, 5\)"):
        nn.GRU(I, H)(packed)
    packed = rnn.pack_sequence([gu.randn(4, I), gu.randn(2, I)])
    with pytest.raises(ValueError, match=r"LSTM\(3, 4\): expected h0 of shape \(1, 2, 4\)"):
        nn.LSTM(I, H)(packed, (gu.randn(1, 3, H), gu.randn(1, 2, H)))
    with pytest.raises(TypeError, match=r"RNN\(3, 4\): input dtype float64 does not match"):
        nn.RNN(I, H)(packed.double())
    with pytest.raises(ValueError, match=r"lstm_sequence: lengths must lie in \[0, 4\]"):
        gu.lstm_sequence(gu.randn(4, 2, I), None, gu.randn(4 * H, I), gu.randn(4 * H, H),
                         lengths=[5, 1])
    with pytest.raises(ValueError, match=r"gru_sequence: lengths must be 2 integers"):
        gu.gru_sequence(gu.randn(4, 2, I), None, gu.randn(3 * H, I), gu.randn(3 * H, H),
                        lengths=[4, 2, 1])
