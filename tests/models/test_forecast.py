"""models/forecast.py: windows of past values -> recurrent network -> the next values."""

import math

import numpy as np
import pytest

import groundup as gu
from groundup.models.forecast import ForecastConfig, Forecaster


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_shapes(cell):
    gu.manual_seed(0)
    assert Forecaster(ForecastConfig(hidden=8, cell=cell))(gu.zeros(3, 10, 1)).shape == (3, 1)
    model = Forecaster(ForecastConfig(input_size=2, hidden=8, horizon=4, layers=2, cell=cell))
    assert model(gu.zeros(3, 10, 2)).shape == (3, 4, 2)


def test_rollout_feeds_each_forecast_back():
    gu.manual_seed(0)
    model = Forecaster(ForecastConfig(hidden=8))
    window = np.sin(np.arange(12) / 2).astype(np.float32)
    out = model.rollout(window, 5)
    assert out.shape == (5,) and out.dtype == np.float32
    w = list(window)
    for k in range(5):  # the same, one step at a time by hand
        y = model(gu.tensor(np.asarray(w[-12:], np.float32)[None, :, None])).item()
        assert abs(y - out[k]) < 1e-5
        w.append(y)
    # a horizon of 3 rolls out 3 values per call, cut to the steps asked for
    assert Forecaster(ForecastConfig(hidden=8, horizon=3)).rollout(window, 7).shape == (7,)


@pytest.mark.parametrize("overrides,fragment", [
    ({"hidden": 0}, "hidden must be a positive int"),
    ({"cell": "rnn"}, "unknown cell"),
    ({"dropout": -0.1}, "dropout"),
])
def test_bad_config_is_refused(overrides, fragment):
    with pytest.raises(ValueError, match=fragment):
        Forecaster(ForecastConfig(**overrides))


def test_wrong_input_shape_is_named():
    with pytest.raises(ValueError, match=r"Forecaster: expected windows of shape \(N, T, 1\)"):
        Forecaster()(gu.zeros(3, 10))


def test_learns_to_beat_the_naive_forecast():
    """A few hundred steps on a noise-free sine: the one-step MSE falls well below that of
    repeating the last value."""
    gu.manual_seed(0)
    t = np.arange(1200)
    series = (np.sin(2 * math.pi * t / 23) + 0.5 * np.sin(2 * math.pi * t / 9)).astype(
        np.float32)
    idx = np.arange(16, series.size)
    X = series[idx[:, None] + np.arange(-16, 0)][:, :, None]
    y = series[idx][:, None]
    model = Forecaster(ForecastConfig(hidden=24))
    opt = gu.optim.Adam(model.parameters(), lr=1e-2)
    loader = gu.data.DataLoader(gu.data.TensorDataset(X[:900], y[:900]), batch_size=64,
                                shuffle=True, seed=0)
    gu.train.fit(model, loader, gu.nn.functional.mse_loss, opt, epochs=8, metrics=(),
                 progress=False, clip_grad_norm=1.0)
    model.eval()
    with gu.no_grad():
        mse = float(((model(gu.tensor(X[900:])).array - y[900:]) ** 2).mean())
    naive = float(((X[900:, -1] - y[900:]) ** 2).mean())
    assert mse < 0.05 * naive, (mse, naive)


def test_registered_with_a_clipping_recipe():
    from groundup.models import recipes, registry

    assert registry.get("forecast").task == "forecast"
    assert recipes.get("forecast").grad_clip is not None
    assert registry.build("forecast", hidden=8)(gu.zeros(2, 5, 1)).shape == (2, 1)
