"""The forecasting task (forecast): a window of past values in, the next value(s) out.

The data is a generated series ("sines": a sum of three sine waves of random periods,
amplitudes and phases, plus Gaussian noise of std --wave-noise) or a file of numbers
(one value per line, or the first column of a CSV file). Its last 20% is the test
stretch, the val_split before it the validation stretch, the rest the training stretch
(never shuffled: the model is tested on the future). Each sample is a window of
--window past values and the --horizon values after it; a window may reach back into
the stretch before its own (the past is known), its targets never leave it. The loss
is the mean squared error. The report compares the test MSE with the naive forecast
(the last value of the window, repeated), which a model must beat to be worth
anything, and draws forecast.png: a multi-step autoregressive rollout from the start
of the test stretch (each forecast fed back in as input) against the truth, with the
one-step forecasts beside it.
"""

import math
import os
from dataclasses import dataclass

import numpy as np

import groundup as gu

from ..cli_common import CLIError
from . import tasks

__all__ = ["TASK", "ForecastTask", "ForecastData", "sine_series", "windows"]

TEST_FRACTION = 0.2
ROLLOUT = 200  # steps of the autoregressive forecast drawn in forecast.png


def sine_series(points, noise=0.1, components=3, seed=0):
    """(series, clean): `points` float32 values of a sum of `components` sine waves (periods
    uniform in [10, 60] steps, amplitudes in [0.3, 1], random phases), clean and with
    N(0, noise^2) added."""
    rng = np.random.default_rng(seed)
    t = np.arange(points, dtype=np.float64)[:, None]                 # (points, 1)
    period = rng.uniform(10, 60, size=components)
    amplitude = rng.uniform(0.3, 1.0, size=components)
    phase = rng.uniform(0, 2 * math.pi, size=components)
    clean = (amplitude * np.sin(2 * math.pi * t / period + phase)).sum(axis=1)
    series = clean + noise * rng.standard_normal(points)
    return series.astype(np.float32), clean.astype(np.float32)


def windows(series, window, horizon, start, stop):
    """X (n, window, 1), y (n, horizon): every window whose targets series[i:i+horizon]
    lie in [start, stop) (its inputs, the `window` values before i, may come earlier)."""
    first = max(start, window)
    idx = np.arange(first, stop - horizon + 1)                       # target starts
    if not idx.size:
        return np.zeros((0, window, 1), np.float32), np.zeros((0, horizon), np.float32)
    X = series[idx[:, None] + np.arange(-window, 0)]                 # (n, window)
    y = series[idx[:, None] + np.arange(horizon)]                    # (n, horizon)
    return X[:, :, None].astype(np.float32), y.astype(np.float32)


@dataclass
class ForecastData:
    """A series cut into train / val / test stretches: [0, val) [val, test) [test, end)."""

    name: str
    series: np.ndarray
    clean: np.ndarray      # the noise-free series (generated data), else None
    val: int
    test: int
    window: int
    horizon: int
    input_size: int = 1

    def part(self, which):
        start, stop = {"train": (0, self.val), "val": (self.val, self.test),
                       "test": (self.test, self.series.size)}[which]
        return windows(self.series, self.window, self.horizon, start, stop)


def naive_mse(X, y):
    """MSE of repeating each window's last value for the whole horizon."""
    return float(np.mean((y - X[:, -1, :]) ** 2)) if y.size else float("nan")


def load_series(name, s):
    """(series, clean or None, about) of `--data name`."""
    if name == "sines":
        series, clean = sine_series(s["points"], s["wave_noise"], seed=s["seed"])
        return series, clean, (f"generated: 3 sine waves (periods 10-60 steps) + noise "
                               f"std {s['wave_noise']:g}, seed {s['seed']}")
    if not os.path.isfile(name):
        raise CLIError(f"--data {name}: no such file (a forecast model takes 'sines' or a "
                       f"file of numbers, one per line or the first column of a CSV)")
    try:
        values = np.loadtxt(name, delimiter="," if name.endswith(".csv") else None,
                            ndmin=2, dtype=np.float64)
    except (OSError, ValueError) as e:
        raise CLIError(f"--data {name}: not a file of numbers ({e})") from None
    return values[:, 0].astype(np.float32), None, name


class ForecastTask(tasks.Task):
    name = "forecast"
    options = {
        "window": tasks.Option(int, 32, "past values a forecast model reads", low=1),
        "horizon": tasks.Option(int, 1, "values a forecast model predicts per window", low=1),
        "points": tasks.Option(int, 4000, "length of the generated series (--data sines)",
                               low=10),
        "wave_noise": tasks.Option(float, 0.1, "std of the noise on the generated series",
                                   low=0),
        "width": tasks.Option(int, None, "hidden state width of a recurrent model (default: "
                              "its recipe's)", low=1),
        "layers": tasks.Option(int, None, "recurrent layers of a recurrent model (default: "
                               "its recipe's)", low=1),
        "cell": tasks.Option(str, "lstm", "recurrent layer of a recurrent model",
                             choices=("lstm", "gru")),
    }

    # ---------------------------------------------------------------- data
    def load_data(self, s):
        series, clean, about = load_series(s["data"], s)
        test = series.size - int(round(TEST_FRACTION * series.size))
        val = test - int(round(s["val_split"] * test))
        data = ForecastData(about, series, clean, val, test, s["window"], s["horizon"])
        for part in ("train", "test"):
            if not len(data.part(part)[1]):
                raise CLIError(f"--data {s['data']}: {series.size} values are too few for "
                               f"windows of {s['window']} and a horizon of {s['horizon']} "
                               f"(the {part} stretch has no window)")
        return data

    def model_config(self, spec, data, s):
        config = {"input_size": 1, "horizon": s["horizon"], "cell": s["cell"]}
        for option, field in (("width", "hidden"), ("layers", "layers")):
            if s.get(option) is not None:
                config[field] = s[option]
        return config

    def data_lines(self, data, s):
        n = {p: len(data.part(p)[1]) for p in ("train", "val", "test")}
        return [
            f"  data       {data.series.size:,} values: {n['train']:,} train / {n['val']:,} "
            f"val / {n['test']:,} test windows (test: the last {TEST_FRACTION:.0%})",
            f"  source     {data.name}",
            f"  windows    {s['window']} past values -> the next {s['horizon']}",
        ]

    def run_info(self, data):
        return {"series": {"values": int(data.series.size), "val_start": int(data.val),
                           "test_start": int(data.test)}}

    def loaders(self, data, s):
        from ..data import DataLoader, TensorDataset

        X, y = data.part("train")
        train = DataLoader(TensorDataset(X, y), batch_size=s["batch_size"], shuffle=True,
                           seed=s["seed"])
        Xv, yv = data.part("val")
        val = DataLoader(TensorDataset(Xv, yv), batch_size=512) if len(yv) else None
        return train, val, DataLoader(TensorDataset(*data.part("test")), batch_size=512)

    # ------------------------------------------------------------ training
    def loss(self, s):
        return gu.nn.MSELoss()

    def metrics(self, s):
        return ()

    # -------------------------------------------------------------- report
    def figures(self, model, data):
        """(test MSE of `model`, naive MSE, test windows)."""
        from ..train import predict

        X, y = data.part("test")
        pred = np.asarray(predict(model, X), np.float32).reshape(y.shape)
        return float(np.mean((pred - y) ** 2)), naive_mse(X, y), len(y)

    def report(self, out, s, data, model, best_model, ckpt, test_loader):
        mse, naive, n = self.figures(best_model, data)
        which = "the last model"
        if best_model is not model:
            last = self.figures(model, data)[0]
            logs = ckpt.best_logs or {}
            val = f" (val_loss {logs['val_loss']:.5f})" if "val_loss" in logs else ""
            print(f"best model: epoch {ckpt.best_epoch}{val}: {ckpt.best_path}")
            which = "the best model" + (f" ({last:.5f} with the last)" if last != mse else
                                        " (the last one)")
        print(f"test MSE {mse:.5f} with {which}; naive forecast (the last value) {naive:.5f}: "
              f"the model's error is {mse / naive:.3f} of it ({n:,} test windows)")
        if s["data"] == "sines":
            print(f"(the noise alone, std {s['wave_noise']:g}, costs {s['wave_noise'] ** 2:.5f}:"
                  f" no forecast can do better on average)")
        print(f"checkpoint: {ckpt.path}")
        tasks.print_plots(lambda: [
            tasks.plot_curves(out, ckpt.best_epoch),
            plot_forecast(best_model, data, os.path.join(out, "forecast.png"))])

    # ---------------------------------------------------------------- eval
    def evaluate(self, args, loaded):
        path, kind, meta, model, run = loaded
        s, data = self.eval_data(args, run)
        mse, naive, n = self.figures(model, data)
        print(f"{s['data']} (test stretch, {n:,} windows): MSE {mse:.5f}, naive forecast "
              f"{naive:.5f} ({mse / naive:.3f} of it; {kind} model)")
        return 0


def plot_forecast(model, data, path, steps=ROLLOUT):
    """forecast.png: from the start of the test stretch, `steps` values forecast
    autoregressively and the one-step forecasts, against the series; returns the path."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from ..train import predict

    start, w = data.test, data.window
    steps = min(steps, data.series.size - start)
    rollout = model.rollout(data.series[start - w:start], steps)
    X, _ = windows(data.series, w, 1, start, start + steps)
    one = np.asarray(predict(model, X), np.float32).reshape(len(X), -1)[:, 0]
    t = np.arange(start - w, start + steps)
    fig, ax = plt.subplots(figsize=(10, 3.5))
    ax.plot(t, data.series[start - w:start + steps], color="0.6", lw=1, label="series")
    if data.clean is not None:
        ax.plot(t, data.clean[start - w:start + steps], color="0.2", lw=1, ls=":",
                label="noise-free")
    ax.plot(np.arange(start, start + len(one)), one, color="tab:blue", lw=1,
            label="one step ahead")
    ax.plot(np.arange(start, start + steps), rollout, color="tab:red", lw=1.5,
            label=f"rollout ({steps} steps, fed back)")
    ax.axvline(start, color="k", lw=0.5)
    ax.set_xlabel("step")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_title("forecast from the start of the test stretch")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


TASK = ForecastTask()
