"""Fused recurrent primitives (ops/recurrent.py) against PyTorch's functional recurrences,
finite differences, and the same cells composed from smaller groundup ops."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu

torch = require_torch()
# PyTorch notes that oneDNN has no projected LSTM and uses its default implementation
pytestmark = pytest.mark.filterwarnings("ignore:LSTM with projections")

T, B, I, H = 3, 2, 3, 2  # small: every primitive is gradchecked element by element
GATES = {"lstm": 4, "gru": 3, "rnn_tanh": 1, "rnn_relu": 1}


def _torch_sequence(mode, x, h0, c0, weights, batch_first, reverse):
    """The same one-layer, one-direction recurrence through torch.lstm / gru / rnn_*:
    the reverse direction is the forward one on the time-flipped sequence."""
    t_dim = 1 if batch_first else 0
    B_, dtype = x.shape[1 - t_dim], x.dtype
    if reverse:
        x = x.flip(t_dim)
    P = weights[1].shape[1]
    h = (h0 if h0 is not None else torch.zeros(B_, P, dtype=dtype))[None]
    has_bias = weights[2] is not None
    params = [w for w in weights if w is not None]
    if mode == "lstm":
        Hc = weights[0].shape[0] // 4
        c = (c0 if c0 is not None else torch.zeros(B_, Hc, dtype=dtype))[None]
        y, h_n, c_n = torch.lstm(x, (h, c), params, has_bias, 1, 0.0, False, False,
                                 batch_first)
        out = (y, h_n[0], c_n[0])
    else:
        fn = {"gru": torch.gru, "rnn_tanh": torch.rnn_tanh, "rnn_relu": torch.rnn_relu}[mode]
        y, h_n = fn(x, h, params, has_bias, 1, 0.0, False, False, batch_first)
        out = (y, h_n[0])
    return (out[0].flip(t_dim),) + out[1:] if reverse else out


def _gu_sequence(mode, x, h0, c0, weights, batch_first, reverse):
    w_ih, w_hh, b_ih, b_hh = weights[:4]
    if mode == "lstm":
        y, (h, c) = gu.lstm_sequence(x, (h0, c0), w_ih, w_hh, b_ih, b_hh, weights[4],
                                     batch_first=batch_first, reverse=reverse)
        return y, h, c
    if mode == "gru":
        return gu.gru_sequence(x, h0, w_ih, w_hh, b_ih, b_hh, batch_first, reverse)
    return gu.rnn_sequence(x, h0, w_ih, w_hh, b_ih, b_hh, mode[4:], batch_first, reverse)


def _arrays(mode, batch_first=False, bias=True, proj=0, states=True, seed=0):
    """Inputs for check_op: x, h0, c0 (LSTM), w_ih, w_hh, b_ih, b_hh, w_hr (LSTM)."""
    G, P = GATES[mode] * H, proj or H
    x = randn(B, T, I, seed=seed) if batch_first else randn(T, B, I, seed=seed)
    arrays = [x, randn(B, P, seed=seed + 1) if states else None]
    if mode == "lstm":
        arrays.append(randn(B, H, seed=seed + 2) if states else None)
    arrays += [randn(G, I, seed=seed + 3) * 0.6, randn(G, P, seed=seed + 4) * 0.6]
    arrays += [randn(G, seed=seed + 5), randn(G, seed=seed + 6)] if bias else [None, None]
    if mode == "lstm":
        arrays.append(randn(proj, H, seed=seed + 7) if proj else None)
    return arrays


def _check(mode, batch_first=False, reverse=False, **kw):
    lstm = mode == "lstm"

    def split(args):
        if lstm:
            return args[0], args[1], args[2], args[3:]
        return args[0], args[1], None, list(args[2:]) + [None]

    def gu_fn(*args):
        x, h0, c0, weights = split(args)
        return _gu_sequence(mode, x, h0, c0, weights, batch_first, reverse)

    def torch_fn(*args):
        x, h0, c0, weights = split(args)
        return _torch_sequence(mode, x, h0, c0, weights, batch_first, reverse)

    check_op(gu_fn, torch_fn, *_arrays(mode, batch_first, **kw))


SEQUENCE_CASES = [
    {},
    {"batch_first": True},
    {"reverse": True},
    {"batch_first": True, "reverse": True, "bias": False},
    {"states": False},
]


@pytest.mark.parametrize("mode", ["lstm", "gru", "rnn_tanh", "rnn_relu"])
@pytest.mark.parametrize("case", SEQUENCE_CASES)
def test_sequence_matches_torch_and_gradcheck(mode, case):
    _check(mode, **case)


@pytest.mark.parametrize("case", [{"proj": 1}, {"proj": 1, "reverse": True, "states": False}])
def test_lstm_projection(case):
    _check("lstm", **case)


def test_one_step_sequence():
    for mode in GATES:
        x, h0 = randn(1, B, I), randn(B, H, seed=1)
        w = [randn(GATES[mode] * H, n, seed=s) for n, s in ((I, 2), (H, 3))]
        check_op(lambda x, h, a, b, m=mode: _gu_sequence(m, x, h, None, [a, b, None, None,
                                                                          None], False, False),
                 lambda x, h, a, b, m=mode: _torch_sequence(m, x, h, None, [a, b, None, None],
                                                            False, False),
                 x, h0, *w)


# ------------------------------------------------------------------------ cells
@pytest.mark.parametrize("name", ["lstm_cell", "gru_cell", "rnn_tanh_cell", "rnn_relu_cell"])
def test_cell_matches_torch(name):
    G = {"lstm_cell": 4, "gru_cell": 3}.get(name, 1) * H
    x, h, c = randn(B, I), randn(B, H, seed=1), randn(B, H, seed=2)
    w = [randn(G, I, seed=3), randn(G, H, seed=4), randn(G, seed=5), randn(G, seed=6)]
    gu_fn, th_fn = getattr(gu, name), getattr(torch, name)
    if name == "lstm_cell":
        check_op(lambda x, h, c, *w: gu_fn(x, (h, c), *w),
                 lambda x, h, c, *w: th_fn(x, (h, c), *w), x, h, c, *w)
    else:
        check_op(gu_fn, th_fn, x, h, *w)
        check_op(lambda x, *w: gu_fn(x, None, *w),  # hx None: zeros, no biases
                 lambda x, *w: th_fn(x, torch.zeros(B, H, dtype=x.dtype), *w), x, *w[:2])


# -------------------------------------------------- the fused LSTM = the composed cell
def _composed_lstm(x, h, c, w_ih, w_hh, b_ih, b_hh):
    """An LSTM written with groundup's matmul, sigmoid and tanh, one step at a time."""
    hs = []
    for t in range(x.shape[0]):
        a = x[t] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f, g, o = a.chunk(4, dim=1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        hs.append(h)
    return gu.stack(hs), h, c


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_fused_lstm_equals_composed_cells(dtype):
    args = [randn(5, 4, 3), randn(4, 6, seed=1), randn(4, 6, seed=2), randn(24, 3, seed=3),
            randn(24, 6, seed=4), randn(24, seed=5), randn(24, seed=6)]
    results = []
    for fused in (True, False):
        leaves = [gu.tensor(a, dtype=dtype, requires_grad=True) for a in args]
        x, h, c, *w = leaves
        if fused:
            y, (h_n, c_n) = gu.lstm_sequence(x, (h, c), *w)
        else:
            y, h_n, c_n = _composed_lstm(x, h, c, *w)
        (y.sum() + (h_n * h_n).sum() + (3 * c_n).sum()).backward()
        results.append([y, h_n, c_n] + [t.grad for t in leaves])
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    for got, want in zip(*results, strict=True):
        assert got.dtype == dtype
        np.testing.assert_allclose(got.numpy(), want.numpy(), **tol)


# ------------------------------------------------------------------ gradients asked for
def test_only_the_gradients_asked_for():
    x = gu.tensor(randn(T, B, I))  # data: no gradient
    h0 = gu.tensor(randn(B, H, seed=1))
    c0 = gu.tensor(randn(B, H, seed=2), requires_grad=True)
    w = [gu.tensor(randn(4 * H, n, seed=s), requires_grad=True) for n, s in ((I, 3), (H, 4))]
    y, (h, c) = gu.lstm_sequence(x, (h0, c0), *w)
    y.sum().backward()
    assert x.grad is None and h0.grad is None
    assert c0.grad is not None and all(t.grad is not None for t in w)
    for mode in GATES:  # frozen weights: only the input's gradient, the same as with all
        args = _arrays(mode, bias=False)
        frozen = [None if a is None else gu.tensor(a, requires_grad=k == 0)
                  for k, a in enumerate(args)]
        full = [None if a is None else gu.tensor(a, requires_grad=True) for a in args]
        for leaves in (frozen, full):
            x, h0, *rest = leaves
            c0, weights = (rest[0], rest[1:]) if mode == "lstm" else (None, rest + [None])
            _gu_sequence(mode, x, h0, c0, weights, False, False)[0].sum().backward()
        assert frozen[3].grad is None
        np.testing.assert_array_equal(frozen[0].grad.numpy(), full[0].grad.numpy())
    with gu.no_grad():
        y, _ = gu.gru_sequence(gu.tensor(randn(T, B, I)), None,
                               *[gu.tensor(randn(3 * H, n), requires_grad=True) for n in (I, H)])
    assert not y.requires_grad


@pytest.mark.parametrize("mode", list(GATES))
def test_no_grad_forward_is_the_same(mode):
    """Without a graph the forward skips the backward's factors; same outputs."""
    args = [None if a is None else gu.tensor(a, requires_grad=True)
            for a in _arrays(mode, proj=1 if mode == "lstm" else 0)]
    x, h0, *rest = args
    c0, weights = (rest[0], rest[1:]) if mode == "lstm" else (None, rest + [None])
    with_graph = _gu_sequence(mode, x, h0, c0, weights, False, True)
    with gu.no_grad():
        without = _gu_sequence(mode, x, h0, c0, weights, False, True)
    for a, b in zip(with_graph, without, strict=True):
        assert a.requires_grad and not b.requires_grad
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("mode,used", [(m, u) for m in GATES for u in (0, 1)] + [("lstm", 2)])
def test_gradient_through_one_output(mode, used):
    """Only one of output, h_n, c_n feeds the loss: the others' gradients arrive as None."""
    arrays = _arrays(mode, proj=1 if mode == "lstm" else 0)
    g = [None if a is None else gu.tensor(a, dtype=gu.float64, requires_grad=True)
         for a in arrays]
    t = [None if a is None else torch.tensor(a, requires_grad=True) for a in arrays]
    grads = []
    for lib, args, fn in ((gu, g, _gu_sequence), (torch, t, _torch_sequence)):
        x, h0, *rest = args
        c0, weights = (rest[0], rest[1:]) if mode == "lstm" else (None, rest + [None])
        out = fn(mode, x, h0, c0, weights, False, True)[used]
        leaves = [a for a in args if a is not None]
        grads.append(lib.autograd.grad((out * out).sum(), leaves))
    for a, b in zip(*grads, strict=True):
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-9, atol=1e-12)


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("mode", ["lstm", "gru"])
def test_saturated_gates(mode):
    """Pre-activations far beyond exp's float32 range: sigmoid 0 / 1, no overflow warning."""
    arrays = _arrays(mode)
    arrays[0] = arrays[0] * 1e3
    x, h0, *rest = [None if a is None else a.astype(np.float32) for a in arrays]
    c0, weights = (rest[0], rest[1:]) if mode == "lstm" else (None, rest + [None])
    wrap = [gu.tensor, torch.tensor]
    outs = [fn(mode, *[None if a is None else w(a) for a in [x, h0, c0]],
               [None if a is None else w(a) for a in weights], False, False)
            for fn, w in zip((_gu_sequence, _torch_sequence), wrap, strict=True)]
    for a, b in zip(*outs, strict=True):
        assert np.isfinite(a.numpy()).all()
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-5, atol=1e-5)


def test_float32_stays_float32():
    y, (h, c) = gu.lstm_sequence(gu.randn(T, B, I), None, gu.randn(4 * H, I), gu.randn(4 * H, H),
                                 gu.randn(4 * H), gu.randn(4 * H))
    assert y.dtype == h.dtype == c.dtype == np.float32


def test_graphs_alive_together_and_retain_graph():
    """Reused buffers: two graphs alive at once, and a second backward through one graph."""
    w = [gu.tensor(randn(3 * H, n, seed=s), requires_grad=True) for n, s in ((I, 1), (H, 2))]
    xs = [gu.tensor(randn(T, B, I, seed=10 + k), requires_grad=True) for k in range(2)]
    alone = []
    for x in xs:
        y, _ = gu.gru_sequence(x, None, *w)
        alone.append(gu.autograd.grad(y.sum(), [x] + w))
    ys = [gu.gru_sequence(x, None, *w)[0] for x in xs]  # both graphs alive
    for y, x, want in zip(ys, xs, alone, strict=True):
        for _ in range(2):
            got = gu.autograd.grad(y.sum(), [x] + w, retain_graph=True)
            for g, a in zip(got, want, strict=True):
                np.testing.assert_array_equal(g.numpy(), a.numpy())


# ------------------------------------------------------------------------- errors
def test_errors_name_the_function_and_shapes():
    w_ih, w_hh = gu.randn(4 * H, I), gu.randn(4 * H, H)
    with pytest.raises(ValueError, match=r"lstm_sequence: expected a 3-D input .*\(3, 3\)"):
        gu.lstm_sequence(gu.randn(3, 3), None, w_ih, w_hh)
    with pytest.raises(ValueError, match=r"w_ih must have shape \(8, 5\) .*got \(8, 3\)"):
        gu.lstm_sequence(gu.randn(T, B, 5), None, w_ih, w_hh)
    with pytest.raises(ValueError, match=r"h0 must have shape \(2, 2\) .*got \(3, 2\)"):
        gu.lstm_sequence(gu.randn(T, B, I), (gu.randn(3, H), None), w_ih, w_hh)
    with pytest.raises(ValueError, match="sequence length larger than 0"):
        gu.gru_sequence(gu.randn(0, B, I), None, gu.randn(3 * H, I), gu.randn(3 * H, H))
    with pytest.raises(TypeError, match="w_ih has dtype float64"):
        gu.rnn_sequence(gu.randn(T, B, I), None, gu.randn(H, I, dtype=gu.float64),
                        gu.randn(H, H))
    with pytest.raises(ValueError, match="nonlinearity must be 'tanh' or 'relu'"):
        gu.rnn_sequence(gu.randn(T, B, I), None, gu.randn(H, I), gu.randn(H, H), None, None,
                        "sigmoid")
    with pytest.raises(ValueError, match="both biases"):
        gu.gru_sequence(gu.randn(T, B, I), None, gu.randn(3 * H, I), gu.randn(3 * H, H),
                        gu.randn(3 * H))
    with pytest.raises(ValueError, match=r"gru_cell: expected a 2-D input"):
        gu.gru_cell(gu.randn(T, B, I), None, gu.randn(3 * H, I), gu.randn(3 * H, H))
