"""Capsule layers: squash, margin loss, PrimaryCapsules, DigitCapsules (routing by agreement),
checked against NumPy references written here and by float64 finite differences."""

import numpy as np
import pytest

import groundup as gu
import groundup.nn.functional as F
from groundup.nn.layers.capsule import dynamic_routing


# ---------------------------------------------------------------- references
def np_squash(s, eps=1e-8):
    sq = (s * s).sum(-1, keepdims=True)
    return s * sq / (1 + sq) / np.sqrt(sq + eps)


def np_softmax(b, axis):
    e = np.exp(b - b.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def np_routing(u_hat, iterations):
    """u_hat (N, I, J, D) -> v (N, J, D), c (N, I, J): the paper's Procedure 1."""
    b = np.zeros(u_hat.shape[:3])
    for r in range(iterations):
        c = np_softmax(b, axis=2)
        s = np.einsum("nij,nijd->njd", c, u_hat)
        v = np_squash(s)
        if r < iterations - 1:
            b = b + np.einsum("nijd,njd->nij", u_hat, v)
    return v, c


def np_margin(lengths, target, m_plus=0.9, m_minus=0.1, lam=0.5):
    t = np.eye(lengths.shape[1])[target]
    loss = t * np.maximum(0, m_plus - lengths) ** 2 \
        + lam * (1 - t) * np.maximum(0, lengths - m_minus) ** 2
    return loss.sum(1)


def rand(*shape, seed=0, scale=1.0):
    return np.random.default_rng(seed).standard_normal(shape) * scale


# -------------------------------------------------------------------- squash
def test_squash_matches_numpy_and_keeps_direction():
    s = rand(4, 5, 8, seed=1)
    v = F.squash(gu.tensor(s, dtype=gu.float64)).numpy()
    np.testing.assert_allclose(v, np_squash(s), rtol=1e-12)
    lengths = np.linalg.norm(v, axis=-1)
    assert np.all(lengths < 1)
    np.testing.assert_allclose(lengths, (np.linalg.norm(s, axis=-1) ** 2)
                               / (1 + np.linalg.norm(s, axis=-1) ** 2), rtol=1e-6)
    assert F.squash(gu.tensor(s)).dtype == gu.float32


def test_squash_at_zero_is_finite():
    x = gu.tensor(np.zeros((2, 3)), dtype=gu.float64, requires_grad=True)
    v = F.squash(x)
    v.sum().backward()
    assert np.all(v.numpy() == 0) and np.all(np.isfinite(x.grad.numpy()))


def test_squash_gradcheck_and_dim():
    assert gu.gradcheck(lambda s: F.squash(s), [rand(3, 4, 5, seed=2)])
    assert gu.gradcheck(lambda s: F.squash(s, dim=1), [rand(3, 4, 5, seed=3)])
    s = rand(3, 4, 5, seed=4)
    np.testing.assert_allclose(F.squash(gu.tensor(s, dtype=gu.float64), dim=1).numpy(),
                               np.moveaxis(np_squash(np.moveaxis(s, 1, -1)), -1, 1),
                               rtol=1e-12)


# --------------------------------------------------------------- margin loss
def test_margin_loss_matches_numpy():
    rng = np.random.default_rng(0)
    lengths = rng.uniform(0, 1, (6, 5))
    target = rng.integers(0, 5, 6)
    want = np_margin(lengths, target)
    x = gu.tensor(lengths, dtype=gu.float64)
    y = gu.tensor(target)
    np.testing.assert_allclose(F.margin_loss(x, y, reduction="none").numpy(), want, rtol=1e-12)
    np.testing.assert_allclose(F.margin_loss(x, y).item(), want.mean(), rtol=1e-12)
    np.testing.assert_allclose(gu.nn.MarginLoss(reduction="sum")(x, y).item(), want.sum(),
                               rtol=1e-12)
    assert gu.nn.MarginLoss()(gu.tensor([[0.95, 0.2]]), gu.tensor([0])).item() \
        == pytest.approx(0.005)


def test_margin_loss_gradcheck():
    rng = np.random.default_rng(1)
    lengths = rng.uniform(0.02, 0.98, (5, 4))
    target = gu.tensor(rng.integers(0, 4, 5))
    assert gu.gradcheck(lambda x: F.margin_loss(x, target), [lengths])


def test_margin_loss_errors():
    x = gu.rand(4, 3)
    with pytest.raises(ValueError, match=r"margin_loss.*\(N, K\)"):
        F.margin_loss(gu.rand(4), gu.tensor([0, 1, 2, 0]))
    with pytest.raises(ValueError, match=r"margin_loss.*\(4,\)"):
        F.margin_loss(x, gu.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"margin_loss.*\[0, 3\)"):
        F.margin_loss(x, gu.tensor([0, 1, 3, 0]))
    with pytest.raises(ValueError, match="MarginLoss: reduction"):
        gu.nn.MarginLoss(reduction="avg")


# ------------------------------------------------------------------- routing
def test_dynamic_routing_matches_numpy():
    u_hat = rand(3, 7, 4, 5, seed=5, scale=0.5)
    for iterations in (1, 2, 3, 5):
        v, c = dynamic_routing(gu.tensor(u_hat, dtype=gu.float64), iterations=iterations)
        want_v, want_c = np_routing(u_hat, iterations)
        np.testing.assert_allclose(v.numpy(), want_v, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(c.numpy(), want_c, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(c.numpy().sum(2), 1.0, rtol=1e-12)
    # one iteration is a plain average: c = 1 / J everywhere
    _, c = dynamic_routing(gu.tensor(u_hat), iterations=1)
    np.testing.assert_allclose(c.numpy(), 0.25)


def test_routing_agreement_raises_coupling():
    # inputs 0-2 agree on output 0; input 3 points elsewhere, so it couples more to output 1
    u_hat = np.zeros((1, 4, 2, 2))
    u_hat[0, :3, 0] = [1.0, 0.0]
    u_hat[0, 3, 0] = [-1.0, 0.0]
    u_hat[0, :, 1] = [0.0, 0.3]
    _, c = dynamic_routing(gu.tensor(u_hat, dtype=gu.float64), iterations=3)
    c = c.numpy()[0]
    assert np.all(c[:3, 0] > 0.5) and c[3, 0] < 0.5


def test_dynamic_routing_gradcheck():
    u_hat = rand(2, 5, 3, 4, seed=6, scale=0.5)
    assert gu.gradcheck(lambda u: dynamic_routing(u, iterations=3)[0], [u_hat])


def test_digit_capsules_match_numpy_with_given_weights():
    layer = gu.nn.DigitCapsules(6, 4, 3, 5, iterations=3, dtype=gu.float64)
    W = rand(6, 3, 5, 4, seed=7, scale=0.5)
    layer.weight.array[...] = W
    u = np_squash(rand(2, 6, 4, seed=8))
    v = layer(gu.tensor(u, dtype=gu.float64)).numpy()
    want, _ = np_routing(np.einsum("ijed,nid->nije", W, u), 3)
    np.testing.assert_allclose(v, want, rtol=1e-10, atol=1e-12)


def test_digit_capsules_gradients():
    layer = gu.nn.DigitCapsules(5, 3, 4, 2, dtype=gu.float64)
    u = np_squash(rand(2, 5, 3, seed=9))
    assert gu.gradcheck(lambda x: layer(x), [u])
    # the weight's gradient equals that of the same function composed with einsum
    W = layer.weight.array.copy()
    x = gu.tensor(u, dtype=gu.float64)
    layer.zero_grad()
    layer(x).square().sum().backward()
    w = gu.tensor(W, dtype=gu.float64, requires_grad=True)
    v, _ = dynamic_routing(gu.einsum("ijed,nid->nije", w, x))
    v.square().sum().backward()
    np.testing.assert_allclose(layer.weight.grad.numpy(), w.grad.numpy(), rtol=1e-10)
    assert gu.gradcheck(lambda w: dynamic_routing(gu.einsum("ijed,nid->nije", w, x))[0], [W])


def test_routing_logits_are_not_parameters_and_reset_each_forward():
    gu.manual_seed(0)
    layer = gu.nn.DigitCapsules(8, 4, 3, 6)
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert list(layer.state_dict()) == ["weight"]
    u = gu.tensor(np_squash(rand(2, 8, 4, seed=10)))
    first = layer(u).numpy()
    layer(gu.tensor(np_squash(rand(5, 8, 4, seed=11))))   # another batch, another size
    np.testing.assert_array_equal(layer(u).numpy(), first)


def test_detach_routing_changes_gradients_not_outputs():
    W = rand(6, 3, 5, 4, seed=12, scale=0.5)
    u = np_squash(rand(2, 6, 4, seed=13))
    outs, grads = [], []
    for detach in (False, True):
        layer = gu.nn.DigitCapsules(6, 4, 3, 5, detach_routing=detach, dtype=gu.float64)
        layer.weight.array[...] = W
        x = gu.tensor(u, dtype=gu.float64, requires_grad=True)
        v = layer(x)
        v.square().sum().backward()
        outs.append(v.numpy())
        grads.append((layer.weight.grad.numpy(), x.grad.numpy()))
    np.testing.assert_array_equal(outs[0], outs[1])
    assert not np.allclose(grads[0][0], grads[1][0])
    assert not np.allclose(grads[0][1], grads[1][1])
    # with one iteration there is nothing to detach
    u_hat = gu.tensor(rand(2, 4, 3, 2, seed=14), dtype=gu.float64, requires_grad=True)
    dynamic_routing(u_hat, iterations=1, detach=True)[0].sum().backward()
    g = u_hat.grad.numpy()
    u_hat.grad = None
    dynamic_routing(u_hat, iterations=1)[0].sum().backward()
    np.testing.assert_allclose(u_hat.grad.numpy(), g)


# ----------------------------------------------------------- primary capsules
def test_primary_capsules_shapes_and_layout():
    gu.manual_seed(0)
    layer = gu.nn.PrimaryCapsules(3, 4, 5, kernel_size=3, stride=2)
    x = gu.tensor(rand(2, 3, 9, 9, seed=15))
    caps = layer(x)
    assert caps.shape == (2, 4 * 4 * 4, 5) == (2, layer.output_capsules(9, 9), 5)
    conv = layer.conv(x).numpy()                                   # (2, 20, 4, 4)
    want = np_squash(conv.reshape(2, 4, 5, 4, 4).transpose(0, 1, 3, 4, 2).reshape(2, -1, 5))
    np.testing.assert_allclose(caps.numpy(), want, rtol=1e-5, atol=1e-7)
    assert np.all(np.linalg.norm(caps.numpy(), axis=-1) < 1)


def test_capsule_layers_paper_shapes():
    primary = gu.nn.PrimaryCapsules(256, 32, 8, kernel_size=9, stride=2)
    assert primary(gu.zeros(1, 256, 20, 20)).shape == (1, 1152, 8)
    digits = gu.nn.DigitCapsules(1152, 8, 10, 16)
    assert digits.weight.shape == (1152, 10, 16, 8)
    assert digits(gu.zeros(2, 1152, 8)).shape == (2, 10, 16)


def test_capsule_layer_errors():
    with pytest.raises(ValueError, match=r"DigitCapsules: expected input capsules \(N, 6, 4\)"
                                         r", got \(2, 6, 3\)"):
        gu.nn.DigitCapsules(6, 4, 3, 5)(gu.zeros(2, 6, 3))
    with pytest.raises(ValueError, match=r"PrimaryCapsules: expected input \(N, 3, H, W\)"):
        gu.nn.PrimaryCapsules(3, 2, 4, kernel_size=3)(gu.zeros(1, 2, 8, 8))
    with pytest.raises(ValueError, match="iterations must be an integer >= 1"):
        gu.nn.DigitCapsules(6, 4, 3, 5, iterations=0)
    with pytest.raises(ValueError, match=r"dynamic_routing: expected predictions"):
        dynamic_routing(gu.zeros(2, 3, 4))
    with pytest.raises(TypeError, match="squash: expected a floating-point"):
        F.squash(gu.tensor([1, 2]))
