"""The regression run: generated data (a noisy sine, a 2-D surface), mean squared error, R².

Used by models that take regression data as well as classes (rbfn: `groundup train rbfn
--data sine`, see task_rbf.py). The inputs are standardised over the training part, the
targets are left as they are; the model's out_features is the number of targets.
"""

import os
from dataclasses import dataclass, field

import numpy as np

import groundup as gu

from ..cli_common import CLIError
from . import tasks

__all__ = ["RegressionData", "Regress", "DATASETS", "is_regression", "TASK"]

TEST_FRACTION = 0.2
# --data name -> (what it is, the generator of (X, t) for a seed)
DATASETS = {
    "sine": ("generated: 300 points of sin(x) + N(0, 0.1^2), x in [-3, 3]",
             lambda seed: gu.data.datasets.noisy_sine(n=300, noise=0.1, seed=seed)),
    "surface": ("generated: 600 points of sin(x1) cos(x2) + N(0, 0.05^2) on [-3, 3]^2",
                lambda seed: gu.data.datasets.surface(n=600, noise=0.05, seed=seed)),
}


def is_regression(data):
    """Whether the --data value names regression data."""
    return data in DATASETS


@dataclass
class RegressionData:
    name: str
    X_train: np.ndarray
    t_train: np.ndarray
    X_test: np.ndarray
    t_test: np.ndarray
    X_val: np.ndarray = None
    t_val: np.ndarray = None
    scaling: dict = field(default_factory=dict)

    @property
    def features(self):
        return int(self.X_train.shape[1])

    @property
    def targets(self):
        return int(self.t_train.shape[1])

    classes = targets          # what a classifier's config takes as out_features

    @property
    def input_shape(self):
        return [self.features]

    def scale(self, X):
        from ..data import spec as data_spec

        return data_spec.apply_scaling(X, self.scaling)

    def sizes(self):
        return (len(self.t_train), 0 if self.t_val is None else len(self.t_val),
                len(self.t_test))


class Regress(tasks.Task):
    name = "regress"

    # ---------------------------------------------------------------- data
    def load_data(self, s):
        if not is_regression(s["data"]):
            raise CLIError(f"--data {s['data']}: regression data is one of "
                           f"{', '.join(DATASETS)}")
        X, t = DATASETS[s["data"]][1](s["seed"])
        order = np.random.default_rng(s["seed"]).permutation(len(X))
        X, t = X[order], t[order]
        n_test = int(round(len(X) * TEST_FRACTION))
        n_val = int(round((len(X) - n_test) * (s["val_split"] or 0.0)))
        X_test, t_test = X[:n_test], t[:n_test]
        X_val, t_val = (X[n_test:n_test + n_val], t[n_test:n_test + n_val]) if n_val else \
            (None, None)
        X_train, t_train = X[n_test + n_val:], t[n_test + n_val:]
        mean, std = X_train.mean(0), X_train.std(0)
        scaling = {"kind": "standardize", "mean": mean.tolist(),
                   "std": np.where(std > 0, std, 1.0).tolist()}
        return RegressionData(s["data"], X_train, t_train, X_test, t_test, X_val, t_val,
                              scaling)

    def data_lines(self, data, s):
        train, val, test = data.sizes()
        return [f"  data       {train} train / {val} val / {test} test samples, "
                f"{data.features} feature{'s' if data.features > 1 else ''}, {data.targets} "
                f"target{'s' if data.targets > 1 else ''} (regression)",
                f"  source     {DATASETS[data.name][0]}",
                "  inputs     standardised: (x - mean) / std of each feature over the "
                "training part"]

    def run_info(self, data):
        train, val, test = data.sizes()
        return {"scaling": data.scaling, "input_shape": data.input_shape,
                "targets": data.targets, "samples": {"train": train, "val": val,
                                                     "test": test}}

    def loaders(self, data, s):
        from ..data import DataLoader, TensorDataset

        train = DataLoader(TensorDataset(data.scale(data.X_train), data.t_train),
                           batch_size=s["batch_size"], shuffle=True, seed=s["seed"])
        val = None if data.t_val is None else DataLoader(
            TensorDataset(data.scale(data.X_val), data.t_val), batch_size=512)
        test = DataLoader(TensorDataset(data.scale(data.X_test), data.t_test), batch_size=512)
        return train, val, test

    # ------------------------------------------------------------ training
    def loss(self, s):
        return gu.nn.MSELoss()

    def metrics(self, s):
        return ("r2",)

    # -------------------------------------------------------------- report
    def report(self, out, s, data, model, best_model, ckpt, test_loader):
        from ..train import evaluate

        mse = gu.nn.MSELoss()
        last = evaluate(model, test_loader, mse, metrics=("r2",))
        n = len(data.t_test)
        if best_model is not model:
            chosen = evaluate(best_model, test_loader, mse, metrics=("r2",))
            print(f"best model: epoch {ckpt.best_epoch}: {ckpt.best_path}")
            print(f"test MSE {chosen['loss']:.4f}, R² {chosen['r2']:.4f} with the best model; "
                  f"MSE {last['loss']:.4f}, R² {last['r2']:.4f} with the last ({n} test "
                  f"samples: reported, never selected on)")
        else:
            print(f"test MSE {last['loss']:.4f}, R² {last['r2']:.4f} with the last model "
                  f"({n} test samples)")
        print(f"checkpoint: {ckpt.path}")
        self.plots(out, best_model, data, ckpt.best_epoch)

    def evaluate(self, args, loaded):
        """`groundup eval DIR`: test MSE and R² on the run's held-out part (or, with
        --data, on all of another regression set)."""
        from ..data import DataLoader, TensorDataset
        from ..train import evaluate

        path, kind, meta, model, run = loaded
        s = dict(run["settings"])
        other = getattr(args, "data", None)
        if other and other != s["data"]:
            s["data"] = other
            data = self.load_data(s)
            X = np.concatenate([p for p in (data.X_train, data.X_val, data.X_test)
                                if p is not None])
            t = np.concatenate([p for p in (data.t_train, data.t_val, data.t_test)
                                if p is not None])
            what = "all samples"
        else:
            data = self.load_data(s)
            X, t, what = data.X_test, data.t_test, "test split"
        if X.shape[1] != run["input_shape"][0]:
            raise CLIError(f"--data {s['data']} has {X.shape[1]} features; the model takes "
                           f"{run['input_shape'][0]}")
        X = gu.data.spec.apply_scaling(X, run["scaling"])
        figures = evaluate(model, DataLoader(TensorDataset(X, t), batch_size=512),
                           gu.nn.MSELoss(), metrics=("r2",))
        print(f"evaluating the {kind} model ({path})")
        print(f"{s['data']} ({what}): MSE {figures['loss']:.4f}  R² {figures['r2']:.4f}  "
              f"({len(t)} samples)")
        return 0

    def plots(self, out, model, data, best_epoch):
        tasks.print_plots(lambda: [tasks.plot_curves(out, best_epoch)]
                          + self.fit_plots(out, model, data))

    def fit_plots(self, out, model, data):
        """fit.png: the fitted function over the test data (1-D or 2-D inputs), with the
        centres of an RBF layer."""
        from .. import viz
        from ..viz.regions import find_layer

        if data.features > 2:
            return []
        rbf = find_layer(model, "RBF")
        centres = None if rbf is None else rbf.centres.numpy()
        return [viz.plot_regression_fit(model, data.scale(data.X_test), data.t_test,
                                        os.path.join(out, "fit.png"), centres=centres,
                                        title=f"fit on the {len(data.t_test)} test points")]


TASK = Regress()
