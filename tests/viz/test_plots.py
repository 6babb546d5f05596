"""Plots write non-empty PNG files atomically; a clear error without matplotlib."""

import os
import sys

import numpy as np
import pytest

import groundup as gu
from groundup import nn
from groundup.train import History
from groundup.viz import (
    plot_confusion_matrix,
    plot_decision_boundary,
    plot_history,
    plot_image_grid,
)

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


def test_plot_history_from_history_and_dict(tmp_path):
    h = History()
    for e in range(1, 6):
        h.append(e, {"loss": 1 / e, "accuracy": 1 - 0.5 / e, "val_loss": 1.2 / e + 0.01 * e,
                     "val_accuracy": 0.9 - 0.4 / e, "lr": 0.1 * 0.5 ** e})
    path = plot_history(h, tmp_path / "curves.png", title="run")
    assert path == str(tmp_path / "curves.png")
    assert_png(path, tmp_path)
    path = plot_history({"loss": [3.0, 2.0, 1.0]}, tmp_path / "out" / "loss.png")
    assert_png(path, tmp_path / "out")
    with pytest.raises(ValueError, match="empty"):
        plot_history(History(), tmp_path / "x.png")


def test_plot_confusion_matrix(tmp_path):
    cm = gu.train.confusion_matrix([0, 1, 2, 2, 1], [0, 2, 2, 2, 1])
    assert_png(plot_confusion_matrix(cm, tmp_path / "cm.png", class_names=["a", "b", "c"]),
               tmp_path)
    assert_png(plot_confusion_matrix(cm, tmp_path / "cmn.png", normalize=True), tmp_path)
    with pytest.raises(ValueError, match="2 class names for a 3x3"):
        plot_confusion_matrix(cm, tmp_path / "bad.png", class_names=["a", "b"])
    with pytest.raises(ValueError, match="square"):
        plot_confusion_matrix(np.zeros((2, 3)), tmp_path / "bad.png")


def test_plot_decision_boundary_module_and_function(tmp_path):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((40, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    gu.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.Tanh(), nn.Linear(4, 3))
    assert model.training
    path = plot_decision_boundary(model, gu.tensor(X), gu.tensor(y), tmp_path / "db.png",
                                  resolution=40)
    assert_png(path, tmp_path)
    assert model.training  # mode restored
    # a plain function on float32 arrays, returning probabilities (N,) (as `groundup demo` does)
    prob = lambda a: 1 / (1 + np.exp(-4 * a[:, 0]))  # noqa: E731
    assert_png(plot_decision_boundary(prob, X, y, tmp_path / "fn.png", resolution=30), tmp_path)
    with pytest.raises(ValueError, match=r"\(N, 2\)"):
        plot_decision_boundary(prob, np.zeros((5, 3)), np.zeros(5), tmp_path / "bad.png")


def test_plot_image_grid_layouts(tmp_path):
    rng = np.random.default_rng(0)
    nchw = rng.standard_normal((10, 1, 8, 8)).astype(np.float32)
    assert_png(plot_image_grid(nchw, tmp_path / "g1.png", labels=list(range(10)), nrow=4),
               tmp_path)
    assert_png(plot_image_grid(gu.tensor(nchw[:, 0]), tmp_path / "g2.png",
                               labels=np.arange(10)), tmp_path)
    rgb = rng.integers(0, 256, (5, 6, 6, 3), dtype=np.uint8)
    assert_png(plot_image_grid(rgb, tmp_path / "g3.png", title="colour"), tmp_path)
    assert_png(plot_image_grid(np.moveaxis(rgb, -1, 1), tmp_path / "g4.png"), tmp_path)
    with pytest.raises(ValueError, match="3 labels for 10 images"):
        plot_image_grid(nchw, tmp_path / "bad.png", labels=[1, 2, 3])
    with pytest.raises(ValueError, match="channels"):
        plot_image_grid(np.zeros((2, 5, 8, 8)), tmp_path / "bad.png")


def test_failed_plot_leaves_old_file_and_no_temp(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    path = tmp_path / "cm.png"
    path.write_bytes(b"old")

    def broken(self, *args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(Figure, "savefig", broken)
    with pytest.raises(OSError, match="disk full"):
        plot_confusion_matrix(np.eye(2, dtype=np.int64), path)
    assert path.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["cm.png"]


def test_no_matplotlib_gives_a_clear_error(tmp_path, monkeypatch):
    for name in list(sys.modules):
        if name == "matplotlib" or name.startswith("matplotlib."):
            monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    with pytest.raises(ImportError, match=r"pip install groundup\[plot\]"):
        plot_history({"loss": [1.0]}, tmp_path / "x.png")
    with pytest.raises(ImportError, match="matplotlib"):
        History({"loss": [1.0]}).plot(tmp_path / "x.png")
    assert not os.listdir(tmp_path)
