"""Zoo RBF network: builds, learns moons by gradient, fits its read-out in closed form, trains
from the command line."""

import contextlib
import io

import numpy as np
import pytest

import groundup as gu
from groundup import nn
from groundup.data import DataLoader, TensorDataset
from groundup.models.rbfn import RBFN, RBFNConfig
from groundup.train import fit


def _moons(n=400, seed=0):
    X, y = gu.data.datasets.moons(n=n, noise=0.15, seed=seed)
    order = np.random.default_rng(seed).permutation(n)      # the points come class by class
    X, y = np.asarray(X, dtype=np.float32)[order], np.asarray(y)[order]
    return (X - X.mean(0)) / X.std(0), y


def _accuracy(model, X, y):
    with gu.no_grad():
        return float((model(gu.tensor(X)).numpy().argmax(1) == y).mean())


def test_rbfn_layers_shapes_and_parameters():
    model = RBFN(RBFNConfig(in_features=3, out_features=4, centres=7, kernel="multiquadric"))
    assert model(gu.zeros(5, 3)).shape == (5, 4)
    assert [n for n, _ in model.named_parameters()] == [
        "rbf.centres", "rbf.widths", "readout.weight", "readout.bias"]
    assert model.rbf.kernel == "multiquadric"
    with pytest.raises(ValueError, match="unknown kernel 'cubic'"):
        RBFN(kernel="cubic")


def test_rbfn_learns_moons_by_gradient_descent():
    X, y = _moons()
    gu.manual_seed(0)
    model = gu.models.build("rbfn", in_features=2, out_features=2, centres=32)
    loader = DataLoader(TensorDataset(X[:300], y[:300]), batch_size=32, shuffle=True, seed=0)
    opt = gu.optim.Adam(model.parameters(), lr=1e-2)
    fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=15, progress=False)
    assert _accuracy(model, X[300:], y[300:]) > 0.95          # chance: 0.5


def test_closed_form_readout_on_kmeans_centres_classifies_moons():
    X, y = _moons(seed=1)
    gu.manual_seed(0)
    model = RBFN(in_features=2, out_features=2, centres=24)
    before = _accuracy(model, X[300:], y[300:])
    model.rbf.init_from_data(X[:300], method="kmeans", generator=gu.Generator().manual_seed(0))
    assert model.fit_readout_lstsq(X[:300], y[:300]) is model
    assert _accuracy(model, X[300:], y[300:]) > 0.95
    assert before < 0.9                                       # the untrained read-out


def test_closed_form_readout_fits_a_noisy_sine_for_regression():
    rng = np.random.default_rng(0)
    x = rng.uniform(-3, 3, size=(200, 1)).astype(np.float32)
    t = np.sin(x) + 0.1 * rng.normal(size=x.shape)
    model = RBFN(in_features=1, out_features=1, centres=12)
    model.rbf.init_from_data(x, method="kmeans", generator=gu.Generator().manual_seed(0))
    model.fit_readout_lstsq(x, t.astype(np.float32))
    grid = np.linspace(-2.5, 2.5, 50, dtype=np.float32)[:, None]
    with gu.no_grad():
        pred = model(gu.tensor(grid)).numpy()
    truth = np.sin(grid)
    r2 = 1.0 - ((pred - truth) ** 2).sum() / ((truth - truth.mean()) ** 2).sum()
    assert r2 > 0.95


def test_lstsq_readout_rejects_bad_targets():
    model = RBFN(in_features=2, out_features=3, centres=4)
    with pytest.raises(ValueError, match=r"labels must lie in \[0, 3\); got 0..3"):
        model.fit_readout_lstsq(np.zeros((4, 2)), np.array([0, 1, 2, 3]))
    with pytest.raises(ValueError, match=r"\(N,\) labels or \(N, 3\) targets .* got shape"):
        model.fit_readout_lstsq(np.zeros((4, 2)), np.zeros((4, 2)))


def test_groundup_train_rbfn_runs_and_saves(tmp_path, monkeypatch):
    from groundup import cli

    monkeypatch.setenv("MPLBACKEND", "Agg")
    out = tmp_path / "run"
    stdout, stderr = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
        rc = cli.main(["train", "rbfn", "--epochs", "2", "--out", str(out), "--no-progress"])
    assert rc == 0, stdout.getvalue() + stderr.getvalue()
    line = [s for s in stdout.getvalue().splitlines() if s.startswith("test accuracy")][0]
    assert float(line.split()[2]) > 0.8, line
    model = gu.models.load(out / "last.safetensors")
    assert isinstance(model, RBFN) and model.config.in_features == 2
