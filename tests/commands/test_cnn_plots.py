"""`groundup train` on image data (--data images:DIR) and the pictures it writes for CNNs:
filters.png, feature_maps.png and errors.png beside curves.png and confusion.png."""

import json
from dataclasses import dataclass, field

import numpy as np
import pytest

import groundup as gu
from groundup import nn
from groundup.commands.tasks import cnn_plots
from groundup.data import spec
from groundup.models import recipes, registry

from .support import PNG

PICTURES = ("filters.png", "feature_maps.png", "errors.png")


def image_folder(root, per_class=12, size=8):
    """Two classes of gray PNGs that a model can tell apart: a bright left or right half."""
    Image = pytest.importorskip("PIL.Image")
    rng = np.random.default_rng(0)
    for c, name in enumerate(("left", "right")):
        (root / name).mkdir(parents=True)
        for i in range(per_class):
            a = rng.integers(0, 60, size=(size, size))
            half = slice(0, size // 2) if c == 0 else slice(size // 2, size)
            a[:, half] += 180
            Image.fromarray(a.astype(np.uint8)).save(root / name / f"{i}.png")
    return f"images:{root}"


def assert_png(path):
    data = path.read_bytes()
    assert data.startswith(PNG) and len(data) > 1000, path


@dataclass
class TinyConfig:
    input_shape: list = field(default_factory=lambda: [1, 8, 8])
    num_classes: int = 2


class TinyCNN(nn.Module):
    def __init__(self, config=None):
        super().__init__()
        self.config = config or TinyConfig()
        c, h, w = self.config.input_shape
        self.features = nn.Sequential(nn.Conv2d(c, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
        self.head = nn.Sequential(nn.Flatten(), nn.Linear(4 * (h // 2) * (w // 2),
                                                          self.config.num_classes))

    def forward(self, x):
        return self.head(self.features(x))


@pytest.fixture
def tiny_cnn(monkeypatch):
    """A conv model in the zoo for the length of a test: `groundup train tinycnn`."""
    monkeypatch.setitem(registry.MODELS, "tinycnn", registry.ModelSpec(
        "tinycnn", TinyCNN, TinyConfig, "a one-convolution network for tests",
        data_fields={"input_shape": "input_shape", "num_classes": "classes"}))
    monkeypatch.setitem(recipes.RECIPES, "tinycnn", recipes.Recipe(
        data="digits", epochs=1, batch_size=16, lr=1e-2, optimizer="adam", schedule="constant"))
    return "tinycnn"


def test_mlp_trains_on_an_image_folder(gu_main, tmp_path):
    data = image_folder(tmp_path / "pics")
    out = gu_main("train", "mlp", "--data", data, "--epochs", 3, "--hidden", 16, "--lr", 0.01,
                  "--no-progress", "--out", tmp_path / "run")
    assert "24 images, 1 channel, 8x8 pixels, 2 classes (test part cut from them)" in out.stdout
    assert "x 0.00392157 (raw" in out.stdout  # pixels scaled by 1/255
    settings = json.loads((tmp_path / "run" / "config.json").read_text())
    assert settings["data"] == f"images:{tmp_path / 'pics'}"  # resolved: usable from anywhere
    assert (tmp_path / "run" / "confusion.png").exists()
    assert not any((tmp_path / "run" / name).exists() for name in PICTURES)  # no convolution


def test_cnn_plots_for_a_conv_model_on_images_only(tmp_path):
    gu.manual_seed(0)
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, size=(10, 1, 8, 8)).astype(np.float32)
    y = np.arange(10) % 2
    split = spec.Split("x", X, y, X, y, ["a", "b"], dict(spec.PIXELS))
    paths = cnn_plots(str(tmp_path), TinyCNN(), split)
    assert paths == [str(tmp_path / name) for name in PICTURES]
    for name in PICTURES:
        assert_png(tmp_path / name)
    mlp = registry.build("mlp", in_features=64, out_features=2, hidden=[4])
    assert cnn_plots(str(tmp_path / "mlp"), mlp, split) == []
    flat = spec.Split("x", X.reshape(10, 64), y, X.reshape(10, 64), y, ["a", "b"])
    conv1d = nn.Sequential(nn.Unflatten(1, (1, 64)), nn.Conv1d(1, 2, 3), nn.Flatten(),
                           nn.Linear(124, 2))
    assert cnn_plots(str(tmp_path / "flat"), conv1d, flat) == []  # not images


def test_training_a_conv_model_writes_its_pictures(gu_main, tmp_path, tiny_cnn):
    data = image_folder(tmp_path / "pics")
    out = gu_main("train", tiny_cnn, "--data", data, "--no-progress", "--out", tmp_path / "run")
    plots = [line for line in out.stdout.splitlines() if line.startswith("plots:")][0]
    for name in PICTURES:
        assert_png(tmp_path / "run" / name)
        assert str(tmp_path / "run" / name) in plots


@pytest.mark.skipif("lenet" not in registry.MODELS, reason="the lenet zoo model is not there")
def test_lenet_writes_its_pictures(gu_main, tmp_path):
    out = gu_main("train", "lenet", "--epochs", 1, "--no-progress", "--out", tmp_path / "run")
    assert "feature_maps.png" in out.stdout
    for name in PICTURES:
        assert_png(tmp_path / "run" / name)
