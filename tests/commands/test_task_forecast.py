"""commands/task_forecast.py: `groundup train forecast` on generated sines or a file."""

import json

import numpy as np
import pytest

from groundup.commands.task_forecast import naive_mse, sine_series, windows

from .support import assert_user_error, trained

SMALL = ("--points", "2000", "--window", "16", "--width", "16", "--batch-size", "32",
         "--no-progress")


def test_windows_keep_targets_inside_their_stretch():
    series = np.arange(20, dtype=np.float32)
    X, y = windows(series, 4, 2, 10, 15)
    assert X.shape == (4, 4, 1) and y.shape == (4, 2)
    assert y[0].tolist() == [10, 11] and X[0, :, 0].tolist() == [6, 7, 8, 9]
    assert y[-1].tolist() == [13, 14]  # the last target stays before 15
    assert naive_mse(X, y) == pytest.approx(np.mean((y - X[:, -1]) ** 2))
    a, clean = sine_series(100, noise=0.0, seed=1)
    np.testing.assert_array_equal(a, clean)
    assert 0.4 < (sine_series(100, noise=0.5, seed=1)[0] - clean).std() < 0.6


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    return trained(tmp_path_factory, "forecast", "--epochs", "3", *SMALL)


def test_train_beats_the_naive_forecast_and_draws_it(gu_main, tmp_path):
    out = gu_main("train", "forecast", "--epochs", "4", "--lr", "0.01", "--out", tmp_path / "r",
                  *SMALL)
    line = next(ln for ln in out.stdout.splitlines() if ln.startswith("test MSE"))
    ratio = float(line.split("error is ")[1].split()[0])
    assert ratio < 0.5, line  # the last value repeated is far worse than a learnt forecast
    assert (tmp_path / "r" / "forecast.png").stat().st_size > 0
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert config["window"] == 16 and config["grad_clip"] == 1.0  # clipping on by default


def test_eval_reports_the_test_mse(gu_main, run_dir):
    out = gu_main("eval", run_dir)
    assert "MSE" in out.stdout and "naive forecast" in out.stdout


def test_a_file_of_numbers_is_a_series(gu_main, tmp_path):
    values = np.sin(np.arange(300) / 3)
    (tmp_path / "s.csv").write_text("\n".join(f"{v:.5f},0" for v in values) + "\n")
    out = gu_main("train", "forecast", "--data", tmp_path / "s.csv", "--epochs", "1",
                  "--out", tmp_path / "r", *SMALL)
    assert "300 values" in out.stdout


@pytest.mark.parametrize("args,fragment", [
    (("--data", "nothere.csv"), "no such file"),
    (("--points", "40", "--window", "30"), "too few"),
    (("--window", "0"), "--window must be >= 1"),
])
def test_bad_data_and_settings_are_refused(gu_main, tmp_path, args, fragment):
    out = gu_main("train", "forecast", "--out", tmp_path / "r", *args, check=False, cwd=tmp_path)
    assert_user_error(out, fragment)


def test_forecast_options_belong_to_forecast_models(gu_main, tmp_path):
    out = gu_main("train", "mlp", "--window", "8", "--out", tmp_path / "r", check=False)
    assert_user_error(out, "--window applies to forecast models")


def test_hidden_points_to_the_width_setting(gu_main, tmp_path):
    for model in ("charrnn", "forecast"):
        out = gu_main("train", model, "--hidden", "64", "--out", tmp_path / "r", check=False)
        assert_user_error(out, f"--hidden does not apply to {model}: its width is set with "
                               f"--width")
