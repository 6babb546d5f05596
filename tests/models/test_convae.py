"""models/convae.py: shapes derived from input_shape, and a short learning run on digits."""

import numpy as np
import pytest

import groundup as gu
from groundup.models.autoencoder import VAELoss
from groundup.models.convae import ConvAEConfig, ConvAutoencoder, conv_sizes


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 7, 9)])
def test_shapes_follow_the_input(shape):
    model = ConvAutoencoder(ConvAEConfig(input_shape=list(shape), channels=[4, 8], latent=5))
    x = gu.rand(2, *shape)
    out = model(x)
    assert out.shape == (2, *shape) and out.dtype == np.float32
    assert model.encode(x).shape == (2, 5)
    assert model(x.reshape(2, -1)).shape == (2, *shape)  # flat inputs too
    pixels = model.reconstruct(x).array
    assert pixels.min() >= 0 and pixels.max() <= 1


def test_sizes_and_errors():
    assert conv_sizes(28, 2) == [28, 14, 7] and conv_sizes(7, 2) == [7, 4, 2]
    model = ConvAutoencoder()
    with pytest.raises(ValueError, match=r"ConvAutoencoder: expected inputs \(N, 1, 8, 8\)"):
        model(gu.zeros(2, 1, 4, 4))
    with pytest.raises(ValueError, match="input_shape must be"):
        ConvAutoencoder(ConvAEConfig(input_shape=[64]))
    with pytest.raises(ValueError, match="unconditional"):
        model.decode(gu.zeros(2, 16), labels=np.zeros(2, dtype=np.int64))


def test_learns_well_below_the_mean_image():
    from groundup.data.datasets import load_digits

    X = load_digits(split="train", as_images=True)[0][:512]
    X = gu.tensor(X)
    gu.manual_seed(0)
    model = ConvAutoencoder(ConvAEConfig(channels=[16, 32], latent=16))
    opt = gu.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = VAELoss()
    rng = np.random.default_rng(0)
    for _ in range(30):
        for idx in np.array_split(rng.permutation(512), 16):
            loss = loss_fn(model(X[idx]), X[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with gu.no_grad():
        mse = float(((model.reconstruct(X).array - X.array) ** 2).mean())
    baseline = float(((X.array.mean(axis=0) - X.array) ** 2).mean())
    assert mse < 0.35 * baseline, (mse, baseline)


def test_save_and_load_rebuild_it(tmp_path):
    gu.manual_seed(0)
    model = gu.models.build("convae", input_shape=[1, 28, 28], channels=[4, 8], latent=3)
    gu.models.save(model, tmp_path / "convae.safetensors")
    again = gu.models.load(tmp_path / "convae.safetensors")
    x = gu.rand(2, 1, 28, 28)
    model.eval()
    np.testing.assert_array_equal(again(x).array, model(x).array)
    assert again.config.channels == [4, 8]
