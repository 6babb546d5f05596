"""Pictures of CNNs (filters, feature maps, worst errors) are written as PNG; bad shapes named."""

import os
import sys

import numpy as np
import pytest

import groundup as gu
from groundup import nn
from groundup.viz import conv_layers, plot_feature_maps, plot_filters, plot_worst_errors

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(autouse=True)
def need_matplotlib(request):
    if "no_matplotlib" not in request.node.name:
        pytest.importorskip("matplotlib")


def assert_png(path, directory):
    with open(path, "rb") as f:
        data = f.read()
    assert data.startswith(PNG) and len(data) > 1000
    assert not [n for n in os.listdir(directory) if n.startswith(".")]  # no temp files left


def tiny_cnn(channels=1):
    gu.manual_seed(0)
    return nn.Sequential(nn.Conv2d(channels, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(4, 6, 3), nn.ReLU(), nn.Flatten(), nn.Linear(6 * 2 * 2, 3))


@pytest.mark.parametrize("shape", [(6, 1, 5, 5), (10, 3, 3, 3), (5, 4, 3, 2), (7, 2, 5)])
def test_plot_filters_gray_rgb_multichannel_and_1d(tmp_path, shape):
    w = np.random.default_rng(0).normal(size=shape).astype(np.float32)
    path = plot_filters(w, tmp_path / "f.png")
    assert path == str(tmp_path / "f.png")
    assert_png(path, tmp_path)


def test_plot_filters_takes_a_layer_or_its_weight_and_refuses_other_shapes(tmp_path):
    conv = tiny_cnn()[0]
    assert_png(plot_filters(conv, tmp_path / "a.png"), tmp_path)
    assert_png(plot_filters(conv.weight, tmp_path / "b.png", max_filters=2), tmp_path)
    with pytest.raises(ValueError, match=r"plot_filters: expected convolution weights.*\(3, 4\)"):
        plot_filters(np.zeros((3, 4)), tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()


def test_plot_feature_maps_hooks_every_conv_layer_and_leaves_the_model_as_it_was(tmp_path):
    model = tiny_cnn()
    assert [name for name, _ in conv_layers(model)] == ["0", "3"]
    x = np.random.default_rng(0).random((1, 8, 8)).astype(np.float32)
    before = model(gu.tensor(x[None])).numpy()
    for given in (x, x[0], x[None]):  # (C, H, W), (H, W), (1, C, H, W)
        assert_png(plot_feature_maps(model, given, tmp_path / "maps.png", max_channels=3),
                   tmp_path)
    assert model.training and all(not m.__dict__.get("_forward_hooks") for m in model.modules())
    np.testing.assert_array_equal(model(gu.tensor(x[None])).numpy(), before)


def test_plot_feature_maps_conv1d(tmp_path):
    model = nn.Sequential(nn.Conv1d(2, 5, 3), nn.ReLU(), nn.Conv1d(5, 4, 3))
    x = np.random.default_rng(0).random((2, 20)).astype(np.float32)
    assert_png(plot_feature_maps(model, x, tmp_path / "maps.png"), tmp_path)


def test_plot_feature_maps_errors(tmp_path):
    model = tiny_cnn()
    with pytest.raises(ValueError, match=r"one input \(C, H, W\) or \(1, C, H, W\), got shape "
                                         r"\(2, 1, 8, 8\)"):
        plot_feature_maps(model, np.zeros((2, 1, 8, 8)), tmp_path / "m.png")
    with pytest.raises(ValueError, match="no convolution layer"):
        plot_feature_maps(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), np.zeros((2, 2)),
                          tmp_path / "m.png")
    with pytest.raises(TypeError, match="must be a gu.nn.Module"):
        plot_feature_maps(lambda x: x, np.zeros((1, 4, 4)), tmp_path / "m.png")
    with pytest.raises(ValueError, match="Conv2d"):  # 3 channels into a 1-channel layer
        plot_feature_maps(model, np.zeros((3, 8, 8)), tmp_path / "m.png")
    assert all(not m.__dict__.get("_forward_hooks") for m in model.modules())
    assert not os.listdir(tmp_path)


def test_plot_worst_errors_orders_the_mistakes_by_confidence(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    images = rng.random((6, 3, 8, 8)).astype(np.float32)
    labels = np.array([0, 1, 2, 0, 1, 2])
    probs = np.array([[0.9, 0.05, 0.05],   # right
                      [0.6, 0.3, 0.1],     # 1 -> 0 (0.6)
                      [0.1, 0.1, 0.8],     # right
                      [0.05, 0.9, 0.05],   # 0 -> 1 (0.9): the worst
                      [0.2, 0.7, 0.1],     # right
                      [0.1, 0.2, 0.7]])    # right
    titles = []
    from matplotlib.axes import Axes

    real = Axes.set_title
    monkeypatch.setattr(Axes, "set_title",
                        lambda ax, text, **kw: (titles.append(text), real(ax, text, **kw))[1])
    path = plot_worst_errors(images, labels, probs, tmp_path / "e.png",
                             class_names=["cat", "dog", "owl"])
    assert_png(path, tmp_path)
    assert titles == ["cat -> dog (0.90)", "dog -> cat (0.60)"]
    titles.clear()
    logits = np.log(probs)  # logits are turned into probabilities
    plot_worst_errors(images.transpose(0, 2, 3, 1), labels, logits, tmp_path / "e.png", k=1)
    assert titles == ["0 -> 1 (0.90)"]
    gray = plot_worst_errors(images[:, 0], labels, np.eye(3)[labels], tmp_path / "none.png")
    assert os.path.getsize(gray) > 0  # no mistakes: the picture says so


def test_plot_worst_errors_shape_errors(tmp_path):
    images, labels, probs = np.zeros((4, 1, 5, 5)), np.array([0, 1, 0, 1]), np.zeros((4, 2))
    with pytest.raises(ValueError, match=r"probs \(N, K\) and labels \(N,\) for N = 4.*\(3, 2\)"):
        plot_worst_errors(images, labels, probs[:3], tmp_path / "e.png")
    with pytest.raises(ValueError, match=r"images must be \(N, C, H, W\).*\(4, 5\)"):
        plot_worst_errors(np.zeros((4, 5)), labels, probs, tmp_path / "e.png")
    with pytest.raises(ValueError, match=r"labels must lie in 0..1.*0..7"):
        plot_worst_errors(images, np.array([0, 1, 7, 0]), probs, tmp_path / "e.png")
    with pytest.raises(ValueError, match="3 class names for 2 classes"):
        plot_worst_errors(images, labels, probs, tmp_path / "e.png", class_names="abc")
    assert not os.listdir(tmp_path)


def test_no_matplotlib_gives_a_clear_error(tmp_path, monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    with pytest.raises(ImportError, match=r"pip install groundup\[plot\]"):
        plot_filters(np.ones((2, 1, 3, 3)), tmp_path / "f.png")
    assert not os.listdir(tmp_path)
