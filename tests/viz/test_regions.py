"""viz/regions.py: expert maps and usage, RBF centres, regression fits, as PNG files."""

import numpy as np

import groundup as gu
from groundup import nn, viz

PNG = b"\x89PNG\r\n\x1a\n"


def _png(path):
    with open(path, "rb") as f:
        return f.read(8) == PNG


def test_the_pictures_are_pngs_and_only_apply_to_their_models(tmp_path):
    gu.manual_seed(0)
    X = np.random.default_rng(0).normal(size=(40, 2)).astype(np.float32)
    y = (X[:, 0] > 0).astype(np.int64)
    moe_model = gu.models.build("moe", in_features=2, out_features=2)
    paths = viz.plot_model_regions(moe_model, X, y, tmp_path)
    assert [p.split("/")[-1] for p in paths] == ["experts.png", "expert_usage.png"]
    assert all(_png(p) for p in paths)
    rbfn = gu.models.build("rbfn", in_features=2, out_features=2, centres=6)
    assert [p.split("/")[-1] for p in viz.plot_model_regions(rbfn, X, y, tmp_path)] == \
        ["centres.png"]
    mlp = gu.models.build("mlp", in_features=2, out_features=2, hidden=[4])
    assert viz.plot_model_regions(mlp, X, y, tmp_path) == []
    for d in (1, 2):
        reg = gu.models.build("rbfn", in_features=d, out_features=1, centres=5)
        path = viz.plot_regression_fit(reg, X[:, :d], X[:, :1], tmp_path / f"fit{d}.png",
                                       centres=reg.rbf.centres.numpy())
        assert _png(path)
    dense = nn.MixtureOfExperts(3, 2, num_experts=3)
    assert _png(viz.plot_model_experts(dense, np.zeros((5, 3), np.float32), np.zeros(5),
                                       tmp_path)[0])
