"""ColorJitter, Grayscale and RandomGrayscale against torchvision's formulas, computed by hand."""

import numpy as np
import pytest

import groundup as gu
from groundup.data import transforms as T

RNG = np.random.default_rng(2)


def images(n=4, c=3, h=6, w=7):
    return RNG.random((n, c, h, w)).astype(np.float32)


def gray(x):
    return 0.2989 * x[..., 0:1, :, :] + 0.587 * x[..., 1:2, :, :] + 0.114 * x[..., 2:3, :, :]


def test_grayscale_formula_and_channels():
    x = images()
    np.testing.assert_allclose(T.Grayscale()(x[0]), gray(x[0]), rtol=1e-6)
    out = T.Grayscale(num_output_channels=3).batch(x)
    assert out.shape == x.shape
    np.testing.assert_allclose(out, np.repeat(gray(x), 3, axis=1), rtol=1e-6)
    assert T.Grayscale(3)(x[0, :1]).shape == (3, 6, 7)
    with pytest.raises(ValueError, match="C in"):
        T.Grayscale()(np.zeros((2, 4, 4), np.float32))
    with pytest.raises(ValueError, match="1 or 3"):
        T.Grayscale(2)


def test_random_grayscale_keeps_the_channel_count():
    x = images()
    out = T.RandomGrayscale(p=1.0).batch(x)
    np.testing.assert_allclose(out, np.repeat(gray(x), 3, axis=1), rtol=1e-6)
    np.testing.assert_array_equal(T.RandomGrayscale(p=0.0)(x[0]), x[0])


def test_brightness_contrast_saturation_formulas():
    x = images()
    f = 1.7
    bright = T.ColorJitter(brightness=(f, f)).batch(x)
    np.testing.assert_allclose(bright, np.clip(f * x, 0, 1), rtol=1e-6)
    mean = gray(x).mean(axis=(1, 2, 3), keepdims=True)
    contrast = T.ColorJitter(contrast=(f, f)).batch(x)
    np.testing.assert_allclose(contrast, np.clip(f * x + (1 - f) * mean, 0, 1), rtol=1e-5,
                               atol=1e-6)
    saturated = T.ColorJitter(saturation=(0.0, 0.0))(x[0])
    np.testing.assert_allclose(saturated, np.broadcast_to(gray(x[0]), x[0].shape), rtol=1e-6)
    one_channel = x[:, :1]
    np.testing.assert_array_equal(T.ColorJitter(saturation=0.5).batch(one_channel), one_channel)


def test_color_jitter_on_uint8_truncates_like_torchvision():
    x = np.array([[[10, 200]], [[20, 100]], [[30, 250]]], np.uint8)  # (3, 1, 2)
    out = T.ColorJitter(brightness=(1.5, 1.5))(x)
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, np.clip(1.5 * x.astype(np.float32), 0, 255).astype(np.uint8))


def test_color_jitter_draws_factors_in_range_and_random_orders():
    tf = T.ColorJitter(brightness=0.5, contrast=0.2)
    assert tf.brightness == (0.5, 1.5) and tf.contrast == (0.8, 1.2) and tf.saturation is None
    gu.manual_seed(0)
    p = tf._params(gu.random.get_generator().random((400, tf.draws)), 4, 4)
    assert p["factors"][:, 0].min() >= 0.5 and p["factors"][:, 0].max() < 1.5
    assert (p["factors"][:, 2] == 1).all()
    assert len({tuple(o) for o in p["order"]}) == 6  # every order of the three steps occurs
    # the order matters once values clip: brightness then contrast != contrast then brightness
    x = images(n=64)
    gu.manual_seed(1)
    batched = T.ColorJitter(brightness=(2.0, 2.0), contrast=(0.5, 0.5)).batch(x)
    a = T.ColorJitter(contrast=(0.5, 0.5)).batch(T.ColorJitter(brightness=(2.0, 2.0)).batch(x))
    b = T.ColorJitter(brightness=(2.0, 2.0)).batch(T.ColorJitter(contrast=(0.5, 0.5)).batch(x))
    first = [np.allclose(o, i, atol=1e-6) for o, i in zip(batched, a)]
    second = [np.allclose(o, i, atol=1e-6) for o, i in zip(batched, b)]
    assert all(f or s for f, s in zip(first, second)) and any(first) and any(second)


def test_color_jitter_errors():
    with pytest.raises(ValueError, match="hue"):
        T.ColorJitter(hue=0.1)
    with pytest.raises(ValueError, match=">= 0"):
        T.ColorJitter(brightness=-1)
    with pytest.raises(ValueError, match="C in"):
        T.ColorJitter(brightness=0.5).batch(np.zeros((2, 2, 4, 4), np.float32))
