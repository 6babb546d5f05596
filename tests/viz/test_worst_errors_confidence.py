"""plot_worst_errors with `confidence`: per-class scores in [0, 1] (a CapsNet's capsule
lengths) ranked as they are, not turned into a softmax, and named in the title."""

import numpy as np
import pytest
from PIL import Image

from groundup import viz


def test_scores_are_used_as_they_are_and_checked(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    images = np.random.default_rng(0).random((4, 1, 8, 8)).astype(np.float32)
    labels = np.array([0, 1, 2, 0])
    # lengths: every row wrong; by the raw lengths image 1 is the worst (0.9), while a
    # softmax over the rows would rank image 3 first (its other lengths are lowest)
    lengths = np.array([[0.1, 0.6, 0.5], [0.9, 0.2, 0.85], [0.3, 0.7, 0.2],
                        [0.0, 0.8, 0.0]])
    shown = []
    real = viz.cnn._show

    def spy(ax, image, cmap):
        real(ax, image, cmap)
        shown.append(ax)

    monkeypatch.setattr(viz.cnn, "_show", spy)
    path = viz.plot_worst_errors(images, labels, lengths, tmp_path / "e.png",
                                 confidence="capsule length", k=2)
    with Image.open(path) as image:
        image.verify()
        assert image.format == "PNG"
    assert [ax.get_title() for ax in shown] == ["1 -> 0 (0.90)", "0 -> 1 (0.80)"]
    with pytest.raises(ValueError, match=r"capsule length scores must lie in \[0, 1\]"):
        viz.plot_worst_errors(images, labels, lengths * 2, tmp_path / "e.png",
                              confidence="capsule length")
