"""spectral_norm against torch.nn.utils.spectral_norm with copied weights and vectors."""

import numpy as np
import pytest

import groundup as gu
from groundup.nn.utils import remove_spectral_norm, spectral_norm
from tests.helpers import require_torch


def _pair(kind, torch):
    gu.manual_seed(0)
    torch.manual_seed(0)
    if kind == "linear":
        return gu.nn.Linear(6, 5), torch.nn.Linear(6, 5), (4, 6)
    if kind == "conv":
        return gu.nn.Conv2d(3, 4, 3, padding=1), torch.nn.Conv2d(3, 4, 3, padding=1), (2, 3, 5, 5)
    return (gu.nn.ConvTranspose2d(3, 4, 3, stride=2), torch.nn.ConvTranspose2d(3, 4, 3, stride=2),
            (2, 3, 4, 4))


@pytest.mark.parametrize("kind", ["linear", "conv", "convtranspose"])
@pytest.mark.parametrize("mode", ["train", "eval"])
def test_matches_pytorch(kind, mode):
    torch = require_torch()
    ours, theirs, shape = _pair(kind, torch)
    spectral_norm(ours)
    torch.nn.utils.spectral_norm(theirs)
    state = {k: torch.tensor(np.asarray(v)) for k, v in ours.state_dict().items()}
    assert set(state) == set(theirs.state_dict())  # weight_orig, weight_u, weight_v, bias
    theirs.load_state_dict(state)
    getattr(ours, mode)()
    getattr(theirs, mode)()
    rng = np.random.default_rng(1)
    for _ in range(3):  # the power iteration runs on in training mode
        x = rng.standard_normal(shape).astype(np.float32)
        xg = gu.tensor(x, requires_grad=True)
        xt = torch.tensor(x, requires_grad=True)
        yg, yt = ours(xg), theirs(xt)
        np.testing.assert_allclose(yg.numpy(), yt.detach().numpy(), rtol=1e-4, atol=1e-5)
        g = rng.standard_normal(yg.shape).astype(np.float32)
        (yg * gu.tensor(g)).sum().backward()
        (yt * torch.tensor(g)).sum().backward()
        np.testing.assert_allclose(ours.weight_orig.grad.numpy(),
                                   theirs.weight_orig.grad.numpy(), rtol=1e-3, atol=1e-5)
        np.testing.assert_allclose(xg.grad.numpy(), xt.grad.numpy(), rtol=1e-4, atol=1e-5)
        ours.zero_grad()
        theirs.zero_grad()
    for key in ("weight_u", "weight_v"):
        np.testing.assert_allclose(ours.state_dict()[key], theirs.state_dict()[key].numpy(),
                                   rtol=1e-4, atol=1e-6)


def test_sigma_is_one_after_convergence_and_remove():
    gu.manual_seed(0)
    layer = spectral_norm(gu.nn.Linear(8, 6), n_power_iterations=30)
    layer(gu.zeros(1, 8))
    top = np.linalg.svd(layer.weight.numpy(), compute_uv=False)[0]
    assert abs(top - 1.0) < 1e-4
    names = [n for n, _ in layer.named_parameters()]
    assert "weight_orig" in names and "weight" not in names
    remove_spectral_norm(layer)
    assert [n for n, _ in layer.named_parameters()] == ["weight", "bias"] or \
        set(n for n, _ in layer.named_parameters()) == {"weight", "bias"}
    with pytest.raises(ValueError, match="spectral_norm"):
        spectral_norm(gu.nn.ReLU())


def test_power_iteration_reference():
    """Training mode: one power-iteration step, then weight / (u . W v), written out in NumPy;
    eval mode leaves u and v alone."""
    gu.manual_seed(1)
    layer = spectral_norm(gu.nn.Conv2d(2, 3, 3))
    w = layer.weight_orig.numpy().reshape(3, -1).astype(np.float64)
    u = layer.weight_u.numpy().astype(np.float64)
    v = w.T @ u
    v /= np.linalg.norm(v)
    u = w @ v
    u /= np.linalg.norm(u)
    x = gu.randn(1, 2, 5, 5)
    layer(x)
    np.testing.assert_allclose(layer.weight.numpy().reshape(3, -1), w / (u @ w @ v), rtol=1e-5)
    np.testing.assert_allclose(layer.weight_v.numpy(), v, rtol=1e-5, atol=1e-7)
    layer.eval()
    before = layer.weight_u.numpy().copy()
    layer(x)
    np.testing.assert_array_equal(layer.weight_u.numpy(), before)


def test_gradient_through_sigma_matches_finite_differences():
    """d weight / d weight_orig with u and v held (what backward computes), in float64."""
    from groundup.nn.utils.spectral_norm import SpectralNorm

    gu.manual_seed(2)
    layer = spectral_norm(gu.nn.Conv2d(2, 3, 2)).double()
    layer.eval()
    fn = SpectralNorm()
    u, v = layer.weight_u, layer.weight_v

    class Holder:  # what compute_weight reads: weight_orig, weight_u, weight_v
        pass

    def normalised(w):
        h = Holder()
        h.weight_orig, h.weight_u, h.weight_v = w, u, v
        return fn.compute_weight(h, do_power_iteration=False)

    assert gu.gradcheck(normalised, [layer.weight_orig.detach().numpy().astype(np.float64)])
