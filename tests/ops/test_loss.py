"""Loss primitives (ops/loss.py) against torch.nn.functional, forward and gradients,
float32 and float64, plus finite differences (tests/helpers.check_op)."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu
from groundup import ops

REDUCTIONS = ["mean", "sum", "none"]
W5 = np.array([0.5, 2.0, 1.0, 0.25, 1.5])  # class weights for C = 5


def th():
    return require_torch().nn.functional


def gw(w, x):
    """A constant (weight) in the dtype of the groundup tensor x, or None."""
    return None if w is None else gu.tensor(w, dtype=x.dtype)


def tw(w, x):
    torch = require_torch()
    return None if w is None else torch.tensor(w, dtype=x.dtype)


def labels(shape, C, seed=0, ignore=()):
    """Integer class indices; positions in `ignore` (flat) set to -100."""
    y = np.random.default_rng(seed).integers(0, C, shape)
    y.reshape(-1)[list(ignore)] = -100
    return y


# ---------------------------------------------------------------- cross_entropy
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, W5])
@pytest.mark.parametrize("eps", [0.0, 0.3])
@pytest.mark.parametrize("ignore", [(), (1, 4)])
def test_cross_entropy_indices(reduction, weight, eps, ignore):
    y = labels(6, 5, ignore=ignore)
    check_op(
        lambda x, t: ops.cross_entropy(x, t, weight=gw(weight, x), reduction=reduction,
                                       label_smoothing=eps),
        lambda x, t: th().cross_entropy(x, t, weight=tw(weight, x), reduction=reduction,
                                        label_smoothing=eps),
        randn(6, 5), y,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_ignore_index_in_range(reduction):
    y = np.array([0, 2, 2, 1, 4, 2])
    check_op(
        lambda x, t: ops.cross_entropy(x, t, weight=gw(W5, x), ignore_index=2,
                                       reduction=reduction, label_smoothing=0.1),
        lambda x, t: th().cross_entropy(x, t, weight=tw(W5, x), ignore_index=2,
                                        reduction=reduction, label_smoothing=0.1),
        randn(6, 5, seed=1), y,
    )


@pytest.mark.parametrize("shape", [(2, 5, 3), (2, 5, 2, 3)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight,eps", [(None, 0.0), (W5, 0.2)])
def test_cross_entropy_higher_dim(shape, reduction, weight, eps):
    y = labels((shape[0],) + shape[2:], 5, seed=2, ignore=(1,))
    check_op(
        lambda x, t: ops.cross_entropy(x, t, weight=gw(weight, x), reduction=reduction,
                                       label_smoothing=eps),
        lambda x, t: th().cross_entropy(x, t, weight=tw(weight, x), reduction=reduction,
                                        label_smoothing=eps),
        randn(*shape, seed=3), y,
    )


@pytest.mark.parametrize("shape", [(4, 5), (2, 5, 3)])
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight,eps", [(None, 0.0), (None, 0.25), (W5, 0.0), (W5, 0.25)])
def test_cross_entropy_probabilities(shape, reduction, weight, eps):
    p = np.random.default_rng(4).random(shape)
    p /= p.sum(axis=1, keepdims=True)
    check_op(  # the gradient reaches the target too
        lambda x, t: ops.cross_entropy(x, t, weight=gw(weight, x), reduction=reduction,
                                       label_smoothing=eps),
        lambda x, t: th().cross_entropy(x, t, weight=tw(weight, x), reduction=reduction,
                                        label_smoothing=eps),
        randn(*shape, seed=5), p,
    )


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_unbatched(reduction):
    def both(x, t):
        return ops.cross_entropy(x, t, reduction=reduction, label_smoothing=0.1)

    def ref(x, t):
        return th().cross_entropy(x, t, reduction=reduction, label_smoothing=0.1)

    check_op(both, ref, randn(5, seed=6), np.array(3))
    check_op(both, ref, randn(5, seed=7), np.random.default_rng(0).dirichlet(np.ones(5)))


@pytest.mark.parametrize("scale,offset", [(1.0, 5.0), (3.0, 30.0), (1.0, -40.0), (10.0, 0.0)])
def test_cross_entropy_shift_paths(scale, offset):
    """Logits needing no shift, a global shift, and rows redone with their own max."""
    x = randn(8, 5, seed=8) * scale + offset
    x[::3] -= 60.0  # rows far below the others: the per-row fallback
    check_op(ops.cross_entropy, th().cross_entropy, x, labels(8, 5), gradcheck=False)
    check_op(lambda a, t: ops.cross_entropy(a, t, label_smoothing=0.2),
             lambda a, t: th().cross_entropy(a, t, label_smoothing=0.2),
             x, labels(8, 5), gradcheck=False)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_cross_entropy_large_logits_finite(dtype):
    torch = require_torch()
    x = (randn(16, 10, seed=9) * 1e4).astype(dtype)
    y = labels(16, 10)
    for kw in [{}, {"label_smoothing": 0.1}, {"reduction": "none"}]:
        g = gu.tensor(x, dtype=dtype, requires_grad=True)
        loss = ops.cross_entropy(g, gu.tensor(y), **kw)
        loss.sum().backward()
        t = torch.tensor(x, requires_grad=True)
        ref = th().cross_entropy(t, torch.tensor(y), **kw)
        ref.sum().backward()
        assert np.isfinite(loss.numpy()).all() and np.isfinite(g.grad.numpy()).all()
        np.testing.assert_allclose(loss.numpy(), ref.detach().numpy(), rtol=1e-5)
        np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), atol=1e-6)
    p = np.random.default_rng(0).dirichlet(np.ones(10), 16)
    out = ops.cross_entropy(gu.tensor(x, dtype=dtype), gu.tensor(p, dtype=dtype))
    np.testing.assert_allclose(
        out.numpy(), th().cross_entropy(torch.tensor(x), torch.tensor(p)).numpy(), rtol=1e-5
    )


def test_cross_entropy_matches_composition():
    """The fused op against log-softmax composed from groundup ops + nll_loss."""
    x64, y = randn(7, 5, seed=10), labels(7, 5)
    x = gu.tensor(x64, dtype=gu.float64, requires_grad=True)
    fused = ops.cross_entropy(x, gu.tensor(y))
    fused.backward()
    x2 = gu.tensor(x64, dtype=gu.float64, requires_grad=True)
    logp = x2 - x2.exp().sum(dim=1, keepdim=True).log()
    composed = ops.nll_loss(logp, gu.tensor(y))
    composed.backward()
    np.testing.assert_allclose(fused.numpy(), composed.numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), x2.grad.numpy(), atol=1e-12)
    p = np.random.default_rng(1).dirichlet(np.ones(5), 7)
    soft = ops.cross_entropy(x, gu.tensor(p, dtype=gu.float64))
    np.testing.assert_allclose(soft.numpy(), -(p * logp.numpy()).sum(1).mean(), rtol=1e-12)


def test_cross_entropy_all_ignored_is_nan_like_torch():
    torch = require_torch()
    x, y = randn(3, 4), np.full(3, -100)
    got = ops.cross_entropy(gu.tensor(x), gu.tensor(y))
    want = th().cross_entropy(torch.tensor(x, dtype=torch.float32), torch.tensor(y))
    assert np.isnan(got.item()) and np.isnan(want.item())
    none = ops.cross_entropy(gu.tensor(x), gu.tensor(y), reduction="none")
    np.testing.assert_array_equal(none.numpy(), np.zeros(3, np.float32))


def test_cross_entropy_retain_graph_backward_twice():
    x = gu.tensor(randn(4, 5), requires_grad=True)
    loss = ops.cross_entropy(x, gu.tensor(labels(4, 5)), label_smoothing=0.1)
    loss.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    x.grad = None
    loss.backward()
    np.testing.assert_array_equal(x.grad.numpy(), first)


def test_cross_entropy_no_grad_and_int_target_types():
    x = gu.tensor(randn(4, 5), requires_grad=True)
    with gu.no_grad():
        out = ops.cross_entropy(x, np.array([0, 1, 2, 3], dtype=np.int32))
    assert not out.requires_grad and out.dtype == gu.float32 and out.shape == ()
    out2 = ops.cross_entropy(x, [0, 1, 2, 3])  # a list of ints works too
    np.testing.assert_allclose(out.numpy(), out2.numpy())


# --------------------------------------------------------------------- nll_loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, W5])
@pytest.mark.parametrize("shape", [(6, 5), (2, 5, 3)])
def test_nll_loss(reduction, weight, shape):
    y = labels((shape[0],) + shape[2:], 5, seed=11, ignore=(2,))
    check_op(
        lambda x, t: ops.nll_loss(x, t, weight=gw(weight, x), reduction=reduction),
        lambda x, t: th().nll_loss(x, t, weight=tw(weight, x), reduction=reduction),
        randn(*shape, seed=12), y,
    )


def test_nll_loss_unbatched_and_ignore_index():
    check_op(lambda x, t: ops.nll_loss(x, t, reduction="none"),
             lambda x, t: th().nll_loss(x, t, reduction="none"), randn(5), np.array(4))
    y = np.array([1, 3, 3, 0])
    check_op(lambda x, t: ops.nll_loss(x, t, ignore_index=3),
             lambda x, t: th().nll_loss(x, t, ignore_index=3), randn(4, 5), y)


# ------------------------------------------------------------------ dtypes
def test_float32_stays_float32_and_mixed_promotes():
    x32 = gu.tensor(randn(3, 4), requires_grad=True)
    t64 = gu.tensor(randn(3, 4, seed=1), dtype=gu.float64)
    for fn in (ops.mse_loss, ops.l1_loss, ops.huber_loss, ops.smooth_l1_loss):
        assert fn(x32, gu.tensor(randn(3, 4, seed=1))).dtype == gu.float32
        out = fn(x32, t64)
        assert out.dtype == gu.float64  # the wider float, as in PyTorch
        x32.grad = None
        out.backward()
        assert x32.grad.dtype == gu.float32
    assert ops.cross_entropy(x32, gu.tensor([0, 1, 2])).dtype == gu.float32
    w64 = gu.tensor(np.ones(4), dtype=gu.float64)  # a float64 weight does not upcast
    assert ops.cross_entropy(x32, gu.tensor([0, 1, 2]), weight=w64).dtype == gu.float32
    half = gu.tensor(np.full((3, 4), 0.5))
    assert ops.binary_cross_entropy_with_logits(x32, half).dtype == gu.float32


# ------------------------------------------------------------------ errors
def test_error_messages():
    x = gu.tensor(randn(4, 3))
    msg = ("cross_entropy: input (N, C) = (4, 3) needs target (4,) of class indices or (4, 3) "
           "of probabilities, got (5,)")
    with pytest.raises(ValueError, match=r"^" + msg.replace("(", r"\(").replace(")", r"\)")):
        ops.cross_entropy(x, gu.tensor([0, 1, 2, 0, 1]))
    with pytest.raises(ValueError, match=r"\(N, C, d1\) = \(2, 3, 4\) needs target \(2, 4\)"):
        ops.cross_entropy(gu.tensor(randn(2, 3, 4)), gu.tensor([0, 1]))
    with pytest.raises(IndexError,
                       match=r"index 3 is out of range for 3 classes .*0 <= index <= 2"):
        ops.cross_entropy(x, gu.tensor([0, 1, 3, 0]))
    with pytest.raises(IndexError, match=r"index -1 is out of range"):
        ops.nll_loss(x, gu.tensor([0, 1, -1, 0]))
    with pytest.raises(TypeError, match=r"holds class indices and must be an integer tensor"):
        ops.cross_entropy(x, gu.tensor([0.0, 1.0, 2.0, 0.0]))
    with pytest.raises(TypeError, match=r"probabilities and must be floating point"):
        ops.cross_entropy(x, gu.tensor(np.zeros((4, 3), np.int64)))
    with pytest.raises(ValueError,
                       match=r"nll_loss: input \(N, C\) = \(4, 3\) needs target \(4,\)"):
        ops.nll_loss(x, gu.tensor(np.zeros((4, 3))))
    with pytest.raises(ValueError,
                       match=r"cross_entropy: weight must have shape \(3,\), got \(4,\)"):
        ops.cross_entropy(x, gu.tensor([0, 1, 2, 0]), weight=gu.ones(4))
    with pytest.raises(ValueError, match=r"label_smoothing must be in \[0, 1\]"):
        ops.cross_entropy(x, gu.tensor([0, 1, 2, 0]), label_smoothing=1.5)
    with pytest.raises(TypeError, match=r"cross_entropy: input must be a floating-point"):
        ops.cross_entropy(gu.tensor([[1, 2]]), gu.tensor([0]))
    for fn in (ops.mse_loss, ops.l1_loss, ops.binary_cross_entropy_with_logits):
        with pytest.raises(ValueError, match=r"reduction must be one of 'mean', 'sum', 'none'; "
                                             r"got 'avg'"):
            fn(x, x, reduction="avg")
    with pytest.raises(ValueError, match=r"reduction must be one of .*'batchmean'"):
        ops.kl_div(x, x, reduction="bad")
    with pytest.raises(ValueError, match=r"mse_loss: input shape \(4, 3\) and target shape \(5,\) "
                                         r"do not broadcast"):
        ops.mse_loss(x, gu.ones(5))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: target shape \(3,\) must equal"):
        ops.binary_cross_entropy(gu.rand(4, 3), gu.rand(3))
    with pytest.raises(ValueError, match=r"binary_cross_entropy: input must hold probabilities"):
        ops.binary_cross_entropy(x, gu.rand(4, 3))
    with pytest.raises(ValueError, match=r"pos_weight of shape \(4,\) does not broadcast"):
        ops.binary_cross_entropy_with_logits(x, gu.rand(4, 3), pos_weight=gu.ones(4))
    with pytest.raises(ValueError, match=r"huber_loss: delta must be positive"):
        ops.huber_loss(x, x, delta=0.0)
    with pytest.raises(ValueError,
                       match=r"cosine_embedding_loss: .* need a target of shape \(4,\)"):
        ops.cosine_embedding_loss(x, x, gu.tensor([1, -1]))


def test_functional_namespace_exports():
    F = gu.nn.functional
    for name in ops.loss.__all__:
        assert getattr(F, name) is getattr(ops, name)


@pytest.mark.parametrize("fn", ["cross_entropy", "nll_loss"])
def test_all_targets_ignored_gives_zero_gradient_like_torch(fn):
    torch = require_torch()
    x = np.random.default_rng(0).standard_normal((2, 3)).astype(np.float32)
    y = np.array([-100, -100])
    g = gu.tensor(x, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    loss = getattr(gu.ops, fn)(g, gu.tensor(y))
    ref = getattr(torch.nn.functional, fn)(t, torch.tensor(y))
    assert np.isnan(loss.item()) and np.isnan(ref.item())  # 0 / 0, in both
    loss.backward()
    ref.backward()
    np.testing.assert_array_equal(g.grad.numpy(), t.grad.numpy())
    assert not np.isnan(g.grad.numpy()).any()


def test_broadcast_target_warns_like_torch():
    x = gu.tensor(np.zeros((3, 1), np.float32))
    with pytest.warns(UserWarning, match=r"mse_loss: target shape \(3,\) differs"):
        ops.mse_loss(x, gu.tensor(np.ones(3, np.float32)))
