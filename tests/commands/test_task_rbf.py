"""commands/task_rbf.py and task_regress.py: `groundup train rbfn` classifies or, on regression
data, fits a function (MSE, R²); --centres and --kernel; the closed-form read-out on a sine."""

import numpy as np

import groundup as gu
from groundup.models.rbfn import RBFN

from .support import PNG, assert_user_error


def _r2(pred, t):
    return 1.0 - ((pred - t) ** 2).sum() / ((t - t.mean()) ** 2).sum()


def test_closed_form_readout_fits_the_noisy_sine_on_held_out_points():
    X, t = gu.data.datasets.noisy_sine(n=300, noise=0.1, seed=0)
    model = RBFN(in_features=1, out_features=1, centres=16)
    model.rbf.init_from_data(X[:240], method="kmeans", generator=gu.Generator().manual_seed(0))
    model.fit_readout_lstsq(X[:240], t[:240])
    with gu.no_grad():
        pred = model(gu.tensor(X[240:])).numpy()
    assert _r2(pred, t[240:]) > 0.95          # noise 0.1 on a unit sine: about 0.98 at best


def test_train_rbfn_on_the_sine_reports_r2_and_draws_the_fit(tmp_path, gu_main):
    out = gu_main("train", "rbfn", "--data", "sine", "--centres", "12", "--kernel",
                  "inverse_quadratic", "--epochs", "15", "--out", tmp_path / "run",
                  "--no-progress")
    assert "1 feature, 1 target (regression)" in out.stdout
    assert "model      rbfn: centres 12, kernel inverse_quadratic" in out.stdout
    line = next(x for x in out.stdout.splitlines() if x.startswith("test MSE"))
    r2 = float(line.split("R² ")[1].split()[0])
    assert r2 > 0.9, line
    for name in ("fit", "curves"):
        assert (tmp_path / "run" / f"{name}.png").read_bytes().startswith(PNG)
    history = (tmp_path / "run" / "history.csv").read_text().splitlines()[0]
    assert "r2" in history and "accuracy" not in history
    again = gu_main("eval", tmp_path / "run")
    assert "sine (test split): MSE" in again.stdout
    assert f"R² {r2:.4f}" in again.stdout or "best" not in line
    assert_user_error(gu_main("eval", tmp_path / "run", "--data", "surface", check=False),
                      "--data surface has 2 features; the model takes 1")
    assert_user_error(gu_main("predict", tmp_path / "run", tmp_path / "x.csv", check=False),
                      "groundup predict applies to classifiers")


def test_train_rbfn_on_the_surface_and_on_moons(tmp_path, gu_main):
    out = gu_main("train", "rbfn", "--data", "surface", "--epochs", "2", "--centres", "20",
                  "--out", tmp_path / "surface", "--no-progress")
    assert "2 features, 1 target (regression)" in out.stdout
    assert (tmp_path / "surface" / "fit.png").read_bytes().startswith(PNG)
    out = gu_main("train", "rbfn", "--epochs", "2", "--centres", "8", "--out",
                  tmp_path / "moons", "--no-progress")
    assert "test accuracy" in out.stdout and "centres.png" in out.stdout
    assert (tmp_path / "moons" / "centres.png").read_bytes().startswith(PNG)


def test_rbf_options_are_checked_and_belong_to_rbfn(tmp_path, gu_main):
    bad = gu_main("train", "rbfn", "--kernel", "cubic", "--out", tmp_path / "a", check=False)
    assert bad.returncode == 2 and "cubic" in bad.stderr
    assert_user_error(gu_main("train", "mlp", "--centres", "8", "--out", tmp_path / "b",
                              check=False), "--centres applies to rbf models")


def test_regression_data_generators():
    X, t = gu.data.datasets.noisy_sine(n=50, seed=1)
    assert X.shape == (50, 1) and t.shape == (50, 1) and X.dtype == np.float32
    assert np.abs(t - np.sin(X)).std() < 0.15
    X, t = gu.data.datasets.surface(n=40, seed=1)
    assert X.shape == (40, 2) and t.shape == (40, 1)
