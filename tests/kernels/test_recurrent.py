"""The compiled LSTM time loops of groundup.kernels equal the NumPy reference loops of
ops/recurrent_lstm.py (to float32 rounding: exp and tanh are polynomials there), outputs,
final states and every gradient, and either backward follows either forward."""

import numpy as np
import pytest

import groundup as gu
from groundup import blas, kernels

pytestmark = pytest.mark.skipif(
    not kernels.available() or blas.gemm_address(np.float32) is None,
    reason="the compiled LSTM loops need numba (the `fast` extra) and NumPy's CBLAS")


@pytest.fixture(autouse=True)
def every_size(monkeypatch):
    monkeypatch.setattr(kernels.switch, "MIN_SIZE", 0)


def _run(forward_compiled, backward_compiled, *, cell="LSTM", states=False, dtype=np.float32,
         seed=0, **layer):
    """Outputs, final states and every gradient of a small LSTM or GRU layer, its forward
    and backward each run compiled or not."""
    gu.manual_seed(seed)
    rnn = getattr(gu.nn, cell)(5, 7, **layer).to(dtype)
    rng = np.random.default_rng(seed)
    batch_first = layer.get("batch_first", False)
    T, B = 6, 3
    x = gu.tensor(rng.standard_normal((B, T, 5) if batch_first else (T, B, 5)) * 2,
                  dtype=dtype, requires_grad=True)
    rows = (2 if layer.get("bidirectional") else 1) * layer.get("num_layers", 1)
    given = [gu.tensor(rng.standard_normal((rows, B, 7)), dtype=dtype, requires_grad=True)
             for _ in range(2 if cell == "LSTM" else 1)] if states else []
    with kernels.use(forward_compiled):
        y, final = rnn(x, (tuple(given) if cell == "LSTM" else given[0]) if states else None)
    final = list(final) if cell == "LSTM" else [final]
    loss = (y * gu.tensor(rng.standard_normal(y.shape), dtype=dtype)).sum()
    for s, scale in zip(final, (1.0, 0.5)):
        loss = loss + (s * s * scale).sum()
    with kernels.use(backward_compiled):
        loss.backward()
    out = [y.numpy()] + [s.numpy() for s in final] + [x.grad.numpy()]
    return out + [p.grad.numpy() for p in rnn.parameters()] + [s.grad.numpy() for s in given]


@pytest.mark.parametrize("layer", [
    {}, {"batch_first": True}, {"bidirectional": True}, {"num_layers": 2},
    {"bias": False}, {"batch_first": True, "bidirectional": True, "num_layers": 2}])
@pytest.mark.parametrize("states", [False, True])
def test_compiled_loops_equal_the_reference(layer, states):
    ref = _run(False, False, states=states, **layer)
    for fwd, bwd in [(True, True), (True, False), (False, True)]:
        got = _run(fwd, bwd, states=states, **layer)
        for a, b in zip(got, ref):
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)


def test_the_compiled_loops_run_and_leave_float64_to_the_reference(monkeypatch):
    calls = []
    mod = kernels.switch.load("compiled_recurrent")
    for name in ("lstm_forward_steps", "lstm_backward_steps", "gru_forward_steps",
                 "gru_backward_steps"):
        fn = getattr(mod, name)
        monkeypatch.setattr(mod, name, lambda *a, _fn=fn, _n=name: calls.append(_n) or _fn(*a))
    _run(True, True)
    assert calls == ["lstm_forward_steps", "lstm_backward_steps"]
    calls.clear()
    _run(True, True, dtype=np.float64)
    assert calls == []
    _run(True, True, cell="GRU")
    assert calls == ["gru_forward_steps", "gru_backward_steps"]
    calls.clear()
    _run(True, True, cell="GRU", dtype=np.float64)
    assert calls == []


def test_without_a_graph_no_factors_are_kept():
    gu.manual_seed(0)
    lstm = gu.nn.LSTM(4, 6)
    x = gu.randn(5, 2, 4)
    with gu.no_grad():
        with kernels.use(True):
            y1, (h1, c1) = lstm(x)
        with kernels.use(False):
            y0, (h0, c0) = lstm(x)
    for a, b in [(y1, y0), (h1, h0), (c1, c0)]:
        np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=2e-5, atol=2e-6)


def test_exp_and_tanh_polynomials_are_within_a_few_ulp():
    mod = kernels.switch.load("compiled_recurrent")
    x = np.linspace(-30, 30, 100_001, dtype=np.float32)
    s = -x.copy()
    mod._sigmoid_of_minus(s)  # 1 / (1 + exp(-x))
    ref = (1 / (1 + np.exp(-x.astype(np.float64))))
    np.testing.assert_allclose(s, ref, rtol=3e-7, atol=1e-30)
    # tanh(c) through the cell with i = 1, f = 0, o = 1, sigmoid(2 a_g) = (c + 1) / 2: h = tanh(c)
    c = np.linspace(-1, 1, 4001, dtype=np.float32) * 0.999
    HB = c.size
    gates = np.concatenate([np.ones(HB), np.zeros(HB), (c + 1) / 2, np.ones(HB)]).astype(
        np.float32)
    state, h = np.zeros(HB, np.float32), np.empty(HB, np.float32)
    mod._cell(gates, state, h, HB)
    np.testing.assert_allclose(h, np.tanh(state.astype(np.float64)), rtol=4e-7, atol=1e-9)


@pytest.mark.parametrize("layer", [
    {}, {"batch_first": True}, {"bidirectional": True}, {"num_layers": 2}, {"bias": False}])
@pytest.mark.parametrize("states", [False, True])
def test_compiled_gru_loops_equal_the_reference(layer, states):
    ref = _run(False, False, cell="GRU", states=states, **layer)
    for fwd, bwd in [(True, True), (True, False), (False, True)]:
        got = _run(fwd, bwd, cell="GRU", states=states, **layer)
        for a, b in zip(got, ref):
            np.testing.assert_allclose(a, b, rtol=2e-5, atol=2e-6)
