"""models/gan.py: GAN and DCGAN shapes, conditioning, spectral norm, save/load, learning."""

import numpy as np
import pytest

import groundup as gu
from groundup.models.gan import DCGAN, GAN, DCGANConfig, GANConfig


@pytest.mark.parametrize("cls,config", [(GAN, GANConfig), (DCGAN, DCGANConfig)])
@pytest.mark.parametrize("shape", [[1, 8, 8], [1, 28, 28]])
def test_shapes_from_input_shape(cls, config, shape):
    gu.manual_seed(0)
    model = cls(config(input_shape=shape))
    x = model(gu.randn(5, 32))
    assert x.shape == (5, *shape)
    assert float(x.array.min()) >= -1 and float(x.array.max()) <= 1  # tanh
    assert model.discriminator(x).shape == (5,)
    names = {n.split(".")[0] for n, _ in model.named_parameters()}
    assert names == {"generator", "discriminator"}
    images = model.sample(3, 0)
    assert images.shape == (3, *shape) and 0 <= images.array.min() <= images.array.max() <= 1
    np.testing.assert_array_equal(images.array, model.sample(3, 0).array)  # seeded


def test_conditional_labels_change_the_image_and_are_checked():
    gu.manual_seed(0)
    model = DCGAN(DCGANConfig(num_classes=10))
    z = gu.randn(2, 32)
    a = model.sample(2, z=z, labels=[1, 1]).array
    b = model.sample(2, z=z, labels=[7, 7]).array
    assert np.abs(a - b).max() > 1e-4
    assert model.discriminator(gu.zeros(2, 1, 8, 8), gu.tensor([0, 9])).shape == (2,)
    with pytest.raises(ValueError, match="labels"):
        model(z)
    with pytest.raises(ValueError, match="0..9"):
        model(z, [3, 10])


def test_bad_configs_name_the_problem():
    with pytest.raises(ValueError, match="multiple of 4"):
        DCGAN(DCGANConfig(input_shape=[1, 10, 10]))
    with pytest.raises(ValueError, match="input_shape"):
        GAN(GANConfig(input_shape=[64]))
    with pytest.raises(ValueError, match="noise of shape"):
        GAN()(gu.randn(2, 5))
    with pytest.raises(ValueError, match="discriminator: expected images"):
        GAN().discriminator(gu.zeros(2, 1, 7, 7))


def test_spectral_norm_and_no_batchnorm_in_the_discriminator():
    model = DCGAN(DCGANConfig(spectral_norm=True))
    keys = model.discriminator.state_dict()
    assert any(k.endswith("weight_orig") for k in keys)
    assert any(k.endswith("weight_u") for k in keys)
    assert not any(isinstance(m, gu.nn.BatchNorm2d) for m in model.discriminator.modules())
    assert any(isinstance(m, gu.nn.BatchNorm2d) for m in DCGAN().discriminator.modules())


def test_zoo_save_and_load(tmp_path):
    gu.manual_seed(0)
    model = gu.models.build("dcgan", num_classes=10, spectral_norm=True)
    path = tmp_path / "m.safetensors"
    gu.models.save(model, path)
    back = gu.models.load(path)
    z = gu.randn(4, 32)
    labels = [0, 1, 2, 3]
    np.testing.assert_array_equal(model.sample(4, z=z, labels=labels).array,
                                  back.sample(4, z=z, labels=labels).array)


def test_discriminator_learns_to_tell_digits_from_noise():
    """A few D steps separate real digits from the untrained generator's images."""
    from groundup.data.datasets import load_digits

    gu.manual_seed(0)
    X, _ = load_digits(split="train", as_images=True)
    model = GAN()
    opt = gu.optim.Adam(model.discriminator.parameters(), lr=1e-3)
    bce = gu.nn.functional.binary_cross_entropy_with_logits
    for i in range(30):
        x = gu.tensor(X[i * 32 % 1400:(i * 32 % 1400) + 32] * 2 - 1)
        with gu.no_grad():
            fake = model(gu.randn(32, 32))
        loss = bce(model.discriminator(x), gu.ones(32)) + bce(model.discriminator(fake),
                                                              gu.zeros(32))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss.item()) < 0.3
