"""MixtureOfExperts: the gating formulas against NumPy, gradients by finite differences,
sparse dispatch (each expert sees only its rows), capacity, the load-balancing loss."""

import numpy as np
import pytest

import groundup as gu
from groundup import nn
from groundup.nn import functional as F


class Counting(nn.Module):
    """A linear expert that records the rows it was called on."""

    def __init__(self, d_in, d_out, dtype=None):
        super().__init__()
        self.lin = nn.Linear(d_in, d_out, dtype=dtype)
        self.seen = []

    def forward(self, x):
        self.seen.append(x.numpy().copy())
        return self.lin(x)


def _moe(k, n=4, d_in=3, d_out=2, dtype=gu.float64, **kw):
    gu.manual_seed(0)
    experts = [Counting(d_in, d_out, dtype=dtype) for _ in range(n)]
    return nn.MixtureOfExperts(d_in, d_out, experts=experts, k=k, dtype=dtype, **kw)


def _reference(moe, x, k):
    """Dense formula restricted to the top k: sum over the top-k experts of
    softmax(top-k logits) * E_i(x), in NumPy."""
    h = x @ moe.gate.weight.numpy().T
    outs = np.stack([x @ e.lin.weight.numpy().T + e.lin.bias.numpy() for e in moe.experts], 1)
    top = np.argsort(-h, axis=1, kind="stable")[:, :k]
    picked = np.take_along_axis(h, top, 1)
    g = np.exp(picked - picked.max(1, keepdims=True))
    g /= g.sum(1, keepdims=True)
    return (np.take_along_axis(outs, top[:, :, None], 1) * g[:, :, None]).sum(1), top


@pytest.mark.parametrize("k", [1, 2, 3])
def test_top_k_equals_the_dense_formula_restricted_to_the_top_k(k):
    moe = _moe(k)
    x = np.random.default_rng(1).normal(size=(20, 3))
    y = moe(gu.tensor(x, dtype=gu.float64)).numpy()
    want, _ = _reference(moe, x, k)
    np.testing.assert_allclose(y, want, rtol=1e-10, atol=1e-12)
    # k = N is the dense mixture
    if k == 3:
        dense = _moe(None, n=3)
        y = dense(gu.tensor(x, dtype=gu.float64)).numpy()
        want, _ = _reference(dense, x, 3)
        np.testing.assert_allclose(y, want, rtol=1e-10, atol=1e-12)


def test_without_renormalising_the_gates_are_the_full_softmax_at_the_top_k():
    moe = _moe(1, renormalize=False)
    x = np.random.default_rng(7).normal(size=(12, 3))
    y = moe(gu.tensor(x, dtype=gu.float64)).numpy()
    h = x @ moe.gate.weight.numpy().T
    p = np.exp(h - h.max(1, keepdims=True))
    p /= p.sum(1, keepdims=True)
    ones, top = _reference(moe, x, 1)                   # renormalised top-1: gate 1
    np.testing.assert_allclose(y, ones * np.take_along_axis(p, top, 1), rtol=1e-10)


def test_each_expert_runs_only_on_its_rows():
    moe = _moe(2, n=5)
    x = np.random.default_rng(2).normal(size=(4, 6, 3))
    y = moe(gu.tensor(x, dtype=gu.float64))
    assert y.shape == (4, 6, 2) and moe.router_probs.shape == (4, 6, 5)
    _, top = _reference(moe, x.reshape(-1, 3), 2)
    flat = x.reshape(-1, 3)
    for e, expert in enumerate(moe.experts):
        rows = np.nonzero((top == e).any(1))[0]
        seen = np.concatenate(expert.seen) if expert.seen else np.zeros((0, 3))
        np.testing.assert_array_equal(seen, flat[rows])
        assert moe.expert_counts[e] == len(rows)
    assert moe.expert_counts.sum() == 24 * 2          # k rows per input row, no more


def test_capacity_drops_rows_in_order_and_their_terms_are_zero():
    moe = _moe(1, n=4, capacity_factor=0.5)
    x = np.random.default_rng(3).normal(size=(40, 3))
    y = moe(gu.tensor(x, dtype=gu.float64)).numpy()
    limit = moe.capacity(40)
    assert limit == 5
    want, top = _reference(moe, x, 1)
    kept = np.zeros(40, bool)
    for e in range(4):
        rows = np.nonzero(top[:, 0] == e)[0]
        kept[rows[:limit]] = True                      # first come, first served
        assert moe.expert_counts[e] == min(len(rows), limit)
    assert moe.dropped == (~kept).sum() > 0
    np.testing.assert_allclose(y[kept], want[kept], rtol=1e-10)
    np.testing.assert_array_equal(y[~kept], 0.0)


class _FixedGate(nn.Module):
    def __init__(self):
        super().__init__()
        self.w = None

    def forward(self, x):
        return F.linear(x, self.w)


@pytest.mark.parametrize("k", [None, 2])
def test_gradients_by_finite_differences(k):
    moe = _moe(k, n=3, aux_loss_coef=0.0)
    gate = _FixedGate()
    moe.gate = gate
    rng = np.random.default_rng(4)
    x = gu.tensor(rng.normal(size=(7, 3)), dtype=gu.float64, requires_grad=True)
    w = gu.tensor(rng.normal(size=(3, 3)), dtype=gu.float64, requires_grad=True)
    w1 = moe.experts[0].lin.weight

    def f(x, w, w1):
        gate.w = w
        return moe(x)

    assert gu.gradcheck(f, [x, w, w1], eps=1e-6, atol=1e-6)

    def aux(x, w):
        gate.w = w
        moe(x)
        return moe.aux_loss

    assert gu.gradcheck(aux, [x, w], eps=1e-6, atol=1e-6)


def test_noisy_gating_trains_its_noise_scale_and_is_off_in_eval():
    moe = _moe(2, n=4, noisy_gating=True)
    x = gu.tensor(np.random.default_rng(5).normal(size=(30, 3)), dtype=gu.float64)
    moe(x).pow(2).sum().backward()
    assert moe.noise.weight.grad is not None and np.abs(moe.noise.weight.grad.numpy()).sum() > 0
    moe.eval()
    a, b = moe(x).numpy(), moe(x).numpy()
    np.testing.assert_array_equal(a, b)
    want, _ = _reference(moe, x.numpy(), 2)
    np.testing.assert_allclose(a, want, rtol=1e-10)


def test_the_attached_aux_loss_adds_its_gradient():
    x = gu.tensor(np.random.default_rng(6).normal(size=(16, 3)), dtype=gu.float64)
    attached = _moe(2, aux_loss_coef=0.5)
    attached(x).sum().backward()
    by_hand = _moe(2, aux_loss_coef=0.0)
    y = by_hand(x)
    (y.sum() + 0.5 * by_hand.aux_loss).backward()
    np.testing.assert_allclose(attached.gate.weight.grad.numpy(),
                               by_hand.gate.weight.grad.numpy(), rtol=1e-12)
    # it is 1 when the use is even, N when one expert takes every row
    assert 1.0 - 1e-9 <= by_hand.aux_loss.item() <= 4.0


def _usage_after_training(coef, steps=60):
    gu.manual_seed(0)
    moe = nn.MixtureOfExperts(2, 1, num_experts=4, k=1, hidden=8, aux_loss_coef=coef)
    with gu.no_grad():
        moe.gate.weight.array[...] = [[3.0, 0.0], [0.0, 0.0], [0.0, 0.0], [-3.0, 0.0]]
    rng = np.random.default_rng(0)
    X = rng.uniform(-1, 1, size=(256, 2)).astype(np.float32)
    X[:, 0] = np.abs(X[:, 0]) + 0.2                     # expert 0 takes every row at first
    t = gu.tensor(np.sin(3 * X[:, :1]) * X[:, 1:])
    opt = gu.optim.Adam(moe.parameters(), lr=0.05)
    for _ in range(steps):
        opt.zero_grad()
        F.mse_loss(moe(gu.tensor(X)), t).backward()
        opt.step()
    moe(gu.tensor(X))
    return moe.expert_counts / 256


def test_the_load_balancing_loss_evens_the_use_of_the_experts():
    without = _usage_after_training(0.0)
    with_aux = _usage_after_training(1.0)
    assert without.max() == 1.0                         # top-1: the gate learns from aux only
    assert with_aux.max() < 0.5 and (with_aux > 0.05).sum() >= 3


def test_bad_input_and_arguments_raise_clear_errors():
    moe = nn.MixtureOfExperts(3, 2, num_experts=2)
    with pytest.raises(ValueError, match=r"MixtureOfExperts: expected input \(\*, 3\); got "
                                         r"shape \(4, 5\)"):
        moe(gu.zeros(4, 5))
    with pytest.raises(ValueError, match="k must be None"):
        nn.MixtureOfExperts(3, 2, num_experts=2, k=3)
    with pytest.raises(ValueError, match="num_experts=3 but 2 experts"):
        nn.MixtureOfExperts(3, 2, num_experts=3, experts=[nn.Linear(3, 2), nn.Linear(3, 2)])
    bad = nn.MixtureOfExperts(3, 2, experts=lambda: nn.Linear(3, 4), num_experts=2)
    with pytest.raises(ValueError, match=r"expert 0 must map \(n, 3\) to \(n, 2\)"):
        bad(gu.zeros(4, 3))
    assert "top-" not in repr(moe) and "gating=dense" in repr(moe)
