"""`groundup train rbfn --init kmeans|random --readout gradient|lstsq`: where the centres
start, and the read-out solved in closed form on fixed centres; `groundup eval` on the runs."""

import json

import numpy as np
from PIL import Image

from groundup.commands.runs import load_run
from groundup.data import spec as data_spec

from .support import assert_user_error, weights


def _png(path):
    with Image.open(path) as image:
        image.verify()
        assert image.format == "PNG", path


def _figure(stdout, start, key):
    line = next(x for x in stdout.splitlines() if x.startswith(start))
    return float(line.split(f"{key} ")[1].split()[0].rstrip(","))


def test_lstsq_readout_classifies_moons_on_fixed_kmeans_centres(tmp_path, gu_main):
    run = tmp_path / "moons"
    out = gu_main("train", "rbfn", "--readout", "lstsq", "--centres", "16", "--out", run,
                  "--no-progress").stdout
    assert "centres 16, kernel gaussian, init kmeans, readout lstsq" in out
    assert _figure(out, "test accuracy", "test accuracy") > 0.95     # chance: 0.5
    config = json.loads((run / "config.json").read_text())
    assert (config["init"], config["readout"], config["epochs"]) == ("kmeans", "lstsq", 1)
    assert len((run / "history.csv").read_text().strip().splitlines()) == 2   # one epoch
    for name in ("curves", "confusion", "centres"):
        _png(run / f"{name}.png")
    # the centres are k-means centres of the scaled training inputs, left where they were put
    path, kind, meta, model, info = load_run(str(run), "last")
    split = data_spec.load("moons", seed=0, val_split=0.1)
    X = data_spec.apply_scaling(split.X_train, info["scaling"])
    assign = ((X[:, None] - model.rbf.centres.numpy()[None]) ** 2).sum(-1).argmin(1)
    means = np.stack([X[assign == k].mean(0) for k in range(16)])
    # (10 rounds of Lloyd's algorithm: near its fixed point, each centre its points' mean)
    np.testing.assert_allclose(model.rbf.centres.numpy(), means, atol=0.05)
    evaluated = gu_main("eval", run).stdout
    assert "moons (test split): accuracy" in evaluated and "loss" in evaluated


def test_lstsq_readout_fits_the_noisy_sine_from_the_command_line(tmp_path, gu_main):
    run = tmp_path / "sine"
    out = gu_main("train", "rbfn", "--data", "sine", "--readout", "lstsq", "--centres", "16",
                  "--out", run, "--no-progress").stdout
    r2 = _figure(out, "test MSE", "R²")
    assert r2 > 0.95, out                      # noise 0.1 on a unit sine: about 0.98 at best
    _png(run / "fit.png")
    _png(run / "curves.png")
    assert (run / "last.safetensors").exists()
    evaluated = gu_main("eval", run).stdout
    assert f"R² {r2:.4f}" in evaluated


def test_random_init_puts_the_centres_on_training_points_then_trains_them(tmp_path, gu_main):
    fixed = tmp_path / "fixed"
    gu_main("train", "rbfn", "--init", "random", "--readout", "lstsq", "--centres", "8",
            "--out", fixed, "--no-progress")
    path, kind, meta, model, info = load_run(str(fixed), "last")
    split = data_spec.load("moons", seed=0, val_split=0.1)
    X = data_spec.apply_scaling(split.X_train, info["scaling"])
    d2 = ((X[:, None] - model.rbf.centres.numpy()[None]) ** 2).sum(-1)
    assert d2.min(0).max() < 1e-10                        # each centre is a training point
    assert len(np.unique(d2.argmin(0))) == 8              # distinct ones
    trained = tmp_path / "trained"
    out = gu_main("train", "rbfn", "--init", "kmeans", "--centres", "8", "--epochs", "3",
                  "--out", trained, "--no-progress").stdout
    assert "init kmeans, readout gradient" in out and "epochs 3" in out
    assert _figure(out, "test accuracy", "test accuracy") > 0.85
    # gradient training starts from the same k-means centres (same seed) and moves them
    gu_main("train", "rbfn", "--init", "kmeans", "--readout", "lstsq", "--centres", "8",
            "--out", tmp_path / "kmeans", "--no-progress")
    start = weights(tmp_path / "kmeans" / "last.safetensors")["rbf.centres"]
    moved = weights(trained / "last.safetensors")["rbf.centres"]
    assert 1e-3 < np.abs(moved - start).max() < 1.0


def test_rbf_init_and_readout_options_are_checked(tmp_path, gu_main):
    bad = gu_main("train", "rbfn", "--readout", "newton", "--out", tmp_path / "a", check=False)
    assert bad.returncode == 2 and "newton" in bad.stderr
    bad = gu_main("train", "rbfn", "--init", "grid", "--out", tmp_path / "b", check=False)
    assert bad.returncode == 2 and "grid" in bad.stderr
    assert_user_error(gu_main("train", "mlp", "--readout", "lstsq", "--out", tmp_path / "c",
                              check=False), "--readout applies to rbf models")


def test_regression_names_are_listed_and_refused_by_classifiers(tmp_path, gu_main):
    listed = gu_main("list").stdout
    assert "  sine " in listed and "  surface " in listed
    assert "sine" in data_spec.NAMED and "surface" in data_spec.NAMED
    assert_user_error(gu_main("train", "mlp", "--data", "sine", "--out", tmp_path / "m",
                              check=False), "sine is regression data")
    out = gu_main("train", "rbfn", "--data", "sine", "--epochs", "1", "--out", tmp_path / "r",
                  "--no-progress").stdout
    assert "(regression)" in out and "test MSE" in out
