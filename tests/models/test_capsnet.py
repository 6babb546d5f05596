"""models/capsnet.py: sizes derived from input_shape, the loss, and a short learning run."""

import numpy as np
import pytest

import groundup as gu
from groundup.models.capsnet import CapsNet, CapsNetConfig, CapsNetLoss, perturb_capsule


def test_sizes_follow_the_input():
    small = CapsNet()
    assert (small.conv.kernel_size, small.primary.conv.stride) == ((3, 3), (1, 1))
    assert small.digits.weight.shape == (16 * 4 * 4, 10, 16, 8)
    assert small(gu.zeros(2, 1, 8, 8)).shape == (2, 10)
    paper = CapsNet(CapsNetConfig(input_shape=[1, 28, 28]))
    assert paper.conv.out_channels == 256 and paper.conv.kernel_size == (9, 9)
    assert paper.digits.weight.shape == (1152, 10, 16, 8)
    assert [m.out_features for m in paper.decoder if isinstance(m, gu.nn.Linear)] \
        == [512, 1024, 784]
    # a field set in the config wins over the derived value
    assert CapsNet(CapsNetConfig(conv_channels=8, primary_types=2)).digits.in_capsules == 32


def test_outputs_reconstruction_and_errors():
    gu.manual_seed(0)
    model = CapsNet(CapsNetConfig(conv_channels=8, primary_types=4, digit_dim=6,
                                  decoder_hidden=[16]))
    x = gu.rand(3, 1, 8, 8)
    scores, recon = model.forward_with_reconstruction(x)
    assert scores.shape == (3, 10) and recon.shape == (3, 1, 8, 8)
    assert np.all((scores.array > 0) & (scores.array < 1))
    assert 0 <= recon.array.min() and recon.array.max() <= 1
    assert perturb_capsule(model, x[0], steps=5).shape == (6 * 5, 1, 8, 8)
    y = gu.tensor([1, 2, 3])
    total, margin, error = CapsNetLoss().terms(scores, recon, x, y)
    diff = recon.array - x.array
    np.testing.assert_allclose(error.item(), (diff ** 2).sum((1, 2, 3)).mean(), rtol=1e-5)
    np.testing.assert_allclose(total.item(), margin.item() + 0.0005 * 784 / 64 * error.item(),
                               rtol=1e-5)
    with pytest.raises(ValueError, match=r"CapsNet: expected images \(N, 1, 8, 8\)"):
        model(gu.zeros(2, 1, 7, 7))
    with pytest.raises(ValueError, match="too small"):
        CapsNet(CapsNetConfig(input_shape=[1, 4, 4]))


def test_learns_the_digits():
    from groundup.data.datasets import load_digits

    X, y = load_digits(split="train", as_images=True)
    Xt, yt = load_digits(split="test", as_images=True)
    X, Xt = gu.tensor(X), gu.tensor(Xt)
    gu.manual_seed(0)
    model = CapsNet(CapsNetConfig(conv_channels=32, primary_types=8, digit_dim=8,
                                  decoder_hidden=[64]))
    opt = gu.optim.Adam(model.parameters(), lr=3e-3)
    loss_fn = CapsNetLoss()
    rng = np.random.default_rng(0)
    for _ in range(3):
        for idx in np.array_split(rng.permutation(len(y)), len(y) // 64):
            target = gu.tensor(y[idx])
            scores, recon = model.forward_with_reconstruction(X[idx], target)
            loss = loss_fn.terms(scores, recon, X[idx], target)[0]
            opt.zero_grad()
            loss.backward()
            opt.step()
    model.eval()
    with gu.no_grad():
        accuracy = float((model(Xt).array.argmax(1) == yt).mean())
    assert accuracy > 0.9, accuracy


def test_save_and_load_rebuild_it(tmp_path):
    gu.manual_seed(0)
    model = gu.models.build("capsnet", conv_channels=8, primary_types=2, iterations=2)
    gu.models.save(model, tmp_path / "capsnet.safetensors")
    again = gu.models.load(tmp_path / "capsnet.safetensors")
    x = gu.rand(2, 1, 8, 8)
    np.testing.assert_array_equal(again(x).array, model(x).array)
    assert again.config.iterations == 2 and again.config.conv_kernel == 3
