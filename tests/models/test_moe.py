"""Zoo mixture of experts: builds, uses several experts, learns the spirals, trains from the
command line with its pictures."""

import contextlib
import io

import numpy as np

import groundup as gu
from groundup import nn
from groundup.data import DataLoader, TensorDataset
from groundup.models.moe import MoEClassifier, MoEConfig
from groundup.train import fit

PNG = b"\x89PNG\r\n\x1a\n"


def _spirals(seed=0):
    X, y = gu.data.datasets.spirals(n=600, classes=3, noise=0.1, seed=seed)
    order = np.random.default_rng(seed).permutation(len(X))
    X, y = X[order], y[order]
    return (X - X.mean(0)) / X.std(0), y


def test_moe_shapes_and_parameters():
    model = MoEClassifier(MoEConfig(in_features=3, out_features=5, experts=3, k=1, hidden=[4]))
    assert model(gu.zeros(6, 3)).shape == (6, 5)
    names = [n for n, _ in model.named_parameters()]
    assert names[:4] == ["moe.experts.0.0.weight", "moe.experts.0.0.bias",
                         "moe.experts.0.2.weight", "moe.experts.0.2.bias"]
    assert names[-1] == "moe.gate.weight" and len(names) == 3 * 4 + 1
    assert sum(p.array.size for p in MoEClassifier().parameters()) == 212
    dense = MoEClassifier(k=0)
    assert dense.moe.k is None


def test_moe_learns_the_spirals_with_several_experts():
    X, y = _spirals()
    gu.manual_seed(0)
    model = gu.models.build("moe", in_features=2, out_features=3)
    loader = DataLoader(TensorDataset(X[:480], y[:480]), batch_size=32, shuffle=True, seed=0)
    opt = gu.optim.Adam(model.parameters(), lr=1e-2)
    fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=25, progress=False)
    model.eval()
    with gu.no_grad():
        pred = model(gu.tensor(X[480:])).numpy().argmax(1)
    assert (pred == y[480:]).mean() > 0.85                  # chance: 1/3
    usage = model.moe.expert_counts / model.moe.expert_counts.sum()
    assert (usage > 0.1).sum() >= 3                           # the work is shared


def test_train_moe_draws_the_expert_map_and_usage(tmp_path, monkeypatch):
    from groundup import cli

    monkeypatch.setenv("MPLBACKEND", "Agg")
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        assert cli.main(["train", "moe", "--epochs", "3", "--out", str(tmp_path / "run"),
                         "--no-progress"]) == 0
    assert "experts.png" in printed.getvalue() and "expert_usage.png" in printed.getvalue()
    for name in ("experts", "expert_usage", "curves", "confusion"):
        assert (tmp_path / "run" / f"{name}.png").read_bytes().startswith(PNG), name
