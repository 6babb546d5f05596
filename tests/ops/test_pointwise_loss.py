"""Element-wise losses (ops/pointwise_loss.py) against torch.nn.functional."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu
from groundup import ops

REDUCTIONS = ["mean", "sum", "none"]


def th():
    return require_torch().nn.functional


def gw(w, x):
    """A constant (weight) in the dtype of the groundup tensor x, or None."""
    return None if w is None else gu.tensor(w, dtype=x.dtype)


def tw(w, x):
    torch = require_torch()
    return None if w is None else torch.tensor(w, dtype=x.dtype)


# ----------------------------------------------------------- regression losses
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"])
def test_regression_losses(name, reduction):
    check_op(lambda x, t: getattr(ops, name)(x, t, reduction=reduction),
             lambda x, t: getattr(th(), name)(x, t, reduction=reduction),
             randn(4, 3, seed=13), randn(4, 3, seed=14))


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss"])
def test_regression_losses_broadcast_target(name):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch warns about the differing sizes
        check_op(lambda x, t: getattr(ops, name)(x, t),
                 lambda x, t: getattr(th(), name)(x, t),
                 randn(4, 3, seed=15), randn(3, seed=16))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("delta", [0.3, 2.5])
def test_huber_delta(reduction, delta):
    check_op(lambda x, t: ops.huber_loss(x, t, reduction=reduction, delta=delta),
             lambda x, t: th().huber_loss(x, t, reduction=reduction, delta=delta),
             randn(5, 4, seed=17), randn(5, 4, seed=18))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("beta", [0.0, 0.3, 2.5])
def test_smooth_l1_beta(reduction, beta):
    check_op(lambda x, t: ops.smooth_l1_loss(x, t, reduction=reduction, beta=beta),
             lambda x, t: th().smooth_l1_loss(x, t, reduction=reduction, beta=beta),
             randn(5, 4, seed=19), randn(5, 4, seed=20))


# ----------------------------------------------------------------- binary losses
def probs(*shape, seed=0):
    return np.random.default_rng(seed).uniform(0.05, 0.95, shape)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight", [None, np.array([0.5, 1.0, 2.0]), "full"])
def test_binary_cross_entropy(reduction, weight):
    if isinstance(weight, str):
        weight = probs(4, 3, seed=21) * 2
    check_op(
        lambda x, t: ops.binary_cross_entropy(x, t, weight=gw(weight, x), reduction=reduction),
        lambda x, t: th().binary_cross_entropy(x, t, weight=tw(weight, x),
                                               reduction=reduction),
        probs(4, 3, seed=22), probs(4, 3, seed=23),
    )


def test_binary_cross_entropy_clamps_log_like_torch():
    torch = require_torch()
    p = np.array([0.0, 1.0, 0.0, 1.0, 0.5], np.float32)
    t = np.array([1.0, 0.0, 0.0, 1.0, 1.0], np.float32)
    got = ops.binary_cross_entropy(gu.tensor(p), gu.tensor(t), reduction="none")
    want = th().binary_cross_entropy(torch.tensor(p), torch.tensor(t), reduction="none")
    np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6)
    assert got.numpy()[0] == 100.0
    x = gu.tensor(p, requires_grad=True)
    ops.binary_cross_entropy(x, gu.tensor(t)).backward()
    assert np.isfinite(x.grad.numpy()).all()


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weight,pos_weight", [
    (None, None), (np.array([0.5, 1.0, 2.0]), None), (None, np.array([3.0, 0.5, 1.0])),
    (probs(4, 3, seed=24), np.array([3.0, 0.5, 1.0])),
])
def test_binary_cross_entropy_with_logits(reduction, weight, pos_weight):
    check_op(
        lambda x, t: ops.binary_cross_entropy_with_logits(
            x, t, weight=gw(weight, x), reduction=reduction, pos_weight=gw(pos_weight, x)),
        lambda x, t: th().binary_cross_entropy_with_logits(
            x, t, weight=tw(weight, x), reduction=reduction, pos_weight=tw(pos_weight, x)),
        randn(4, 3, seed=25) * 3, probs(4, 3, seed=26),
    )


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_binary_cross_entropy_with_logits_large_logits(dtype):
    torch = require_torch()
    x = np.array([-1e4, -100.0, -30.0, 0.0, 30.0, 100.0, 1e4], dtype)
    t = np.array([1.0, 1.0, 0.0, 0.5, 1.0, 0.0, 0.0], dtype)
    pw = np.full(7, 2.0, dtype)
    g = gu.tensor(x, dtype=dtype, requires_grad=True)
    loss = ops.binary_cross_entropy_with_logits(g, gu.tensor(t, dtype=dtype),
                                                reduction="none", pos_weight=gu.tensor(pw))
    loss.sum().backward()
    tt = torch.tensor(x, requires_grad=True)
    ref = th().binary_cross_entropy_with_logits(tt, torch.tensor(t), reduction="none",
                                                pos_weight=torch.tensor(pw))
    ref.sum().backward()
    assert np.isfinite(loss.numpy()).all() and np.isfinite(g.grad.numpy()).all()
    np.testing.assert_allclose(loss.numpy(), ref.detach().numpy(), rtol=1e-6)
    np.testing.assert_allclose(g.grad.numpy(), tt.grad.numpy(), rtol=1e-6, atol=1e-7)


# ----------------------------------------------------------------------- kl_div
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    import warnings

    q = np.log(np.random.default_rng(27).dirichlet(np.ones(4), 3))
    p = np.random.default_rng(28).dirichlet(np.ones(4), 3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # PyTorch's note about 'mean' vs 'batchmean'
        check_op(
            lambda x, t: ops.kl_div(x, t, reduction=reduction, log_target=log_target),
            lambda x, t: th().kl_div(x, t, reduction=reduction, log_target=log_target),
            q, np.log(p) if log_target else p,
        )


def test_kl_div_zero_target_and_no_target_grad():
    torch = require_torch()
    q = np.log(np.full((2, 4), 0.25))
    p = np.array([[0.0, 0.5, 0.5, 0.0], [1.0, 0.0, 0.0, 0.0]])
    x = gu.tensor(q, dtype=gu.float64, requires_grad=True)
    got = ops.kl_div(x, gu.tensor(p, dtype=gu.float64), reduction="none")
    got.sum().backward()
    xt = torch.tensor(q, requires_grad=True)
    want = th().kl_div(xt, torch.tensor(p), reduction="none")
    want.sum().backward()
    np.testing.assert_allclose(got.numpy(), want.detach().numpy(), rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12)
    assert got.numpy()[0, 0] == 0.0  # 0 log 0 = 0


# ------------------------------------------------------- cosine_embedding_loss
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.3, -0.5])
def test_cosine_embedding_loss(reduction, margin):
    y = np.array([1, -1, 1, -1, -1])
    check_op(
        lambda a, b, t: ops.cosine_embedding_loss(a, b, t, margin=margin, reduction=reduction),
        lambda a, b, t: th().cosine_embedding_loss(a, b, t, margin=margin, reduction=reduction),
        randn(5, 3, seed=29), randn(5, 3, seed=30), y,
    )


def test_cosine_embedding_loss_unbatched_and_float_target():
    for y in (np.array(1), np.array(-1)):
        check_op(lambda a, b, t: ops.cosine_embedding_loss(a, b, t, margin=-0.9),
                 lambda a, b, t: th().cosine_embedding_loss(a, b, t, margin=-0.9),
                 randn(4, seed=31), randn(4, seed=32), y)
    torch = require_torch()
    a, b, y = randn(3, 4), randn(3, 4, seed=1), np.array([1.0, -1.0, 1.0], np.float32)
    got = ops.cosine_embedding_loss(gu.tensor(a), gu.tensor(b), gu.tensor(y)).item()
    want = th().cosine_embedding_loss(torch.tensor(a, dtype=torch.float32),
                                      torch.tensor(b, dtype=torch.float32),
                                      torch.tensor(y)).item()
    assert abs(got - want) < 1e-6


