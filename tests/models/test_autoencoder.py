"""models/autoencoder.py: shapes, the VAE loss against NumPy, and a short learning run."""

import numpy as np
import pytest

import groundup as gu
from groundup.models.autoencoder import VAE, Autoencoder, AutoencoderConfig, VAELoss


def _images(n=6, seed=0):
    return np.random.default_rng(seed).random((n, 1, 8, 8)).astype(np.float32)


def test_shapes():
    x = gu.tensor(_images())
    ae = Autoencoder(AutoencoderConfig(hidden=[16], latent=3))
    assert ae(x).shape == (6, 1, 8, 8) and ae.encode(x).shape == (6, 3)
    pixels = ae.reconstruct(x).array
    assert pixels.min() >= 0 and pixels.max() <= 1
    vae = VAE(AutoencoderConfig(hidden=[16], latent=3))
    logits, mu, logvar = vae(x)
    assert logits.shape == (6, 1, 8, 8) and mu.shape == (6, 3) and logvar.shape == (6, 3)
    assert logits.dtype == np.float32
    samples = vae.sample(5, generator=1).array
    assert samples.shape == (5, 1, 8, 8) and samples.min() >= 0 and samples.max() <= 1
    np.testing.assert_array_equal(samples, vae.sample(5, generator=1).array)
    with pytest.raises(ValueError, match=r"VAE: expected inputs \(N, 1, 8, 8\)"):
        vae(gu.zeros(2, 1, 4, 4))


def test_vae_loss_matches_numpy():
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(4, 1, 8, 8))
    mu, logvar = rng.normal(size=(4, 3)), rng.normal(size=(4, 3)) * 0.5
    x = rng.random((4, 1, 8, 8))
    beta = 2.5
    bce = (np.maximum(logits, 0) - logits * x + np.log1p(np.exp(-np.abs(logits))))
    recon = bce.reshape(4, -1).sum(axis=1).mean()
    kl = (-0.5 * (1 + logvar - mu ** 2 - np.exp(logvar)).sum(axis=1)).mean()
    out = tuple(gu.tensor(a) for a in (logits, mu, logvar))
    loss, r, k = VAELoss(beta).terms(out, gu.tensor(x))
    np.testing.assert_allclose(r.item(), recon, rtol=1e-6)
    np.testing.assert_allclose(k.item(), kl, rtol=1e-6)
    np.testing.assert_allclose(loss.item(), recon + beta * kl, rtol=1e-6)
    assert VAELoss(beta)(out, gu.tensor(x)).item() == pytest.approx(recon + beta * kl)
    loss, r, k = VAELoss().terms(out[0], gu.tensor(x))  # a plain autoencoder's logits
    assert k is None and loss.item() == pytest.approx(recon)


def test_reparameterisation_gradient():
    """d z / d mu = 1 and d z / d logvar = eps * exp(logvar / 2) / 2, with eps fixed."""
    vae = VAE(AutoencoderConfig(hidden=[4], latent=2))
    mu = gu.tensor(np.array([[0.3, -1.0]]), requires_grad=True)
    logvar = gu.tensor(np.array([[0.2, -0.4]]), requires_grad=True)
    z = vae.reparameterize(mu, logvar, generator=gu.Generator().manual_seed(5))
    z.sum().backward()
    eps = gu.Generator().manual_seed(5)._rng.standard_normal((1, 2))
    np.testing.assert_allclose(mu.grad.array, np.ones((1, 2)))
    np.testing.assert_allclose(logvar.grad.array, eps * np.exp(logvar.array / 2) / 2, rtol=1e-6)


@pytest.mark.parametrize("cls", [Autoencoder, VAE])
def test_reconstruction_loss_drops(cls):
    from groundup.data.datasets import load_digits

    X = load_digits(split="train", as_images=True)[0][:512]
    gu.manual_seed(0)
    model = cls(AutoencoderConfig(hidden=[64], latent=8))
    loss_fn = VAELoss()
    opt = gu.optim.Adam(model.parameters(), lr=3e-3)
    x = gu.tensor(X)

    def recon():
        model.eval()
        with gu.no_grad():
            r = loss_fn.terms(model(x), x)[1].item()
        model.train()
        return r

    before = recon()
    rng = np.random.default_rng(0)
    for _ in range(15):
        for idx in np.array_split(rng.permutation(len(X)), 8):
            loss = loss_fn(model(gu.tensor(X[idx])), gu.tensor(X[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    after = recon()
    assert after < 0.7 * before, (before, after)


def test_reparameterisation_gradcheck():
    """z = mu + exp(logvar / 2) * eps with eps fixed: finite differences in float64."""
    from groundup.models.autoencoder import reparameterize

    rng = np.random.default_rng(3)
    eps = gu.tensor(rng.standard_normal((3, 4)), dtype=gu.float64)
    mu, logvar = rng.standard_normal((3, 4)), rng.standard_normal((3, 4)) * 0.5
    assert gu.gradcheck(lambda m, lv: reparameterize(m, lv, eps), (mu, logvar))


def test_conditional_vae_takes_labels():
    x = gu.tensor(_images())
    labels = np.array([0, 1, 2, 0, 1, 2])
    vae = VAE(AutoencoderConfig(hidden=[16], latent=3, num_classes=3))
    logits, mu, logvar = vae(x, labels)
    assert logits.shape == (6, 1, 8, 8) and mu.shape == (6, 3)
    vae.eval()
    # the label changes the code and the image decoded from one code
    assert not np.allclose(vae.encode(x, labels)[0].array, vae.encode(x, labels[::-1])[0].array)
    a = vae.sample(4, generator=2, labels=np.full(4, 1)).array
    np.testing.assert_array_equal(a, vae.sample(4, generator=2, labels=np.full(4, 1)).array)
    assert not np.allclose(a, vae.sample(4, generator=2, labels=np.full(4, 2)).array)
    with pytest.raises(ValueError, match="needs labels"):
        vae(x)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\)"):
        vae(x, np.full(6, 3))
    with pytest.raises(ValueError, match="unconditional"):
        VAE(AutoencoderConfig(hidden=[16], latent=3))(x, labels)
    with pytest.raises(ValueError, match="num_classes applies to the VAE"):
        Autoencoder(AutoencoderConfig(num_classes=3))


@pytest.mark.parametrize("conditional", [False, True])
def test_interpolate_ends_at_the_two_reconstructions(conditional):
    from groundup.models.autoencoder import interpolate

    X = _images(2)
    vae = VAE(AutoencoderConfig(hidden=[16], latent=3, num_classes=3 if conditional else 0))
    labels = (0, 2) if conditional else None
    strip = interpolate(vae, X[0], X[1], steps=5, labels=labels).array
    assert strip.shape == (5, 1, 8, 8) and vae.training
    vae.eval()
    ends = vae.reconstruct(gu.tensor(X), *((np.array(labels),) if conditional else ())).array
    np.testing.assert_allclose(strip[[0, -1]], ends, rtol=1e-5, atol=1e-6)
    assert not np.allclose(strip[2], ends[0])


def test_autoencoder_reconstructs_test_digits_well_below_the_mean_image():
    """20 epochs on the digits: test MSE under 0.03 per pixel and under 0.4 of the MSE of
    predicting the training mean image (about 0.27 of it; an untrained one is about 1.0)."""
    from groundup.data.datasets import load_digits

    X = load_digits(split="train", as_images=True)[0]
    X_test = load_digits(split="test", as_images=True)[0]
    gu.manual_seed(0)
    model = Autoencoder(AutoencoderConfig(hidden=[64], latent=8))
    loss_fn, opt = VAELoss(), gu.optim.Adam(model.parameters(), lr=3e-3)
    rng = np.random.default_rng(0)
    for _ in range(20):
        for idx in np.array_split(rng.permutation(len(X)), len(X) // 64):
            loss = loss_fn(model(gu.tensor(X[idx])), gu.tensor(X[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    mse = float(((model.reconstruct(gu.tensor(X_test)).array - X_test) ** 2).mean())
    baseline = float(((X.mean(axis=0) - X_test) ** 2).mean())
    assert mse < 0.03 and mse < 0.4 * baseline, (mse, baseline)
