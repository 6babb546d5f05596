"""The RBF network's run: classification or regression, picked from the data.

`groundup train rbfn` classifies (moons by default, any classification data); with
regression data (`--data sine`, `--data surface`) the same model fits a function: mean
squared error, R² reported (task_regress.py). Its own settings: `--centres N` (RBF units)
and `--kernel NAME` (gaussian, multiquadric, inverse_quadratic, inverse_multiquadric);
`--init kmeans|random` places the centres on the training inputs before training (k-means,
or distinct training points; widths by the nearest-centre heuristic; left out, the centres
are the model's standard normal draws); `--readout lstsq` keeps the centres and widths
fixed and solves the read-out in closed form by least squares on the training part (the
classic two-stage method; the centres then start by k-means unless --init says otherwise),
in place of gradient training (`--readout gradient`, the default): the run is one epoch
that scores the solved model and writes the checkpoint, history and pictures as usual.
Pictures: the centres over the data with the decision regions (2-D classification), or the
fitted function with the centres (regression).
"""

import os

import groundup as gu

from ..cli_common import LAST
from ..nn.layers.rbf import KERNELS
from . import task_regress, tasks
from .tasks import Option

__all__ = ["RBFTask", "TASK"]


class RBFTask(tasks.Task):
    name = "rbf"
    options = {
        "centres": Option(int, None, "number of RBF units (default: the model's, 64)", low=1),
        "kernel": Option(str, None, "the radial function (default: gaussian)",
                         choices=tuple(KERNELS)),
        "init": Option(str, None, "centres placed on the training inputs by k-means or at "
                       "random ones (default: standard normal draws; kmeans with --readout "
                       "lstsq)", choices=("kmeans", "random")),
        "readout": Option(str, "gradient", "train the read-out with the rest by gradient "
                          "descent, or solve it by least squares on fixed centres and "
                          "widths (one epoch)", choices=("gradient", "lstsq")),
    }

    def __init__(self):
        self.regress = task_regress.Regress()

    def _for(self, s):
        return self.regress if task_regress.is_regression(s["data"]) else super()

    @staticmethod
    def _is_regression(data):
        return isinstance(data, task_regress.RegressionData)

    def load_data(self, s):
        return self._for(s).load_data(s)

    def model_config(self, spec, data, s):
        if s.get("readout") == "lstsq":  # what is in effect, kept in config.json
            s["init"] = s.get("init") or "kmeans"
            s["epochs"] = 1   # nothing to train: one epoch scores the solved read-out
        return super().model_config(spec, data, s)

    def callbacks(self, out, s, data, model):
        """A new run (not a resumed one): place the centres by --init and, with --readout
        lstsq, solve the read-out on the training part."""
        if os.path.exists(os.path.join(out, LAST)):
            return []
        X = data.scale(data.X_train)
        if s.get("init"):
            model.rbf.init_from_data(X, method=s["init"])
        if s.get("readout") == "lstsq":
            model.rbf.centres.requires_grad = False
            model.rbf.widths.requires_grad = False
            target = data.t_train if self._is_regression(data) else data.y_train
            model.fit_readout_lstsq(X, target)
        return []

    def step(self, s, model):
        """--readout lstsq: each batch is only scored (no gradient step)."""
        if s.get("readout") != "lstsq":
            return None

        def step(state, inputs, target):
            with gu.no_grad():
                output = state.model(*inputs)
                return {"loss": state.loss_fn(output, target), "output": output}

        return step

    def data_lines(self, data, s):
        return self._for(s).data_lines(data, s)

    def run_info(self, data):
        return (self.regress if self._is_regression(data) else super()).run_info(data)

    def loaders(self, data, s):
        return self._for(s).loaders(data, s)

    def loss(self, s):
        return self._for(s).loss(s)

    def metrics(self, s):
        return self._for(s).metrics(s)

    def report(self, out, s, data, model, best_model, ckpt, test_loader):
        return self._for(s).report(out, s, data, model, best_model, ckpt, test_loader)

    def classifies(self, run):
        return "targets" not in run              # what Regress.run_info writes

    def evaluate(self, args, loaded):
        return self.regress.evaluate(args, loaded)

    def plots(self, out, model, data, best_epoch):
        # classification: the centres come with the base pictures (viz.plot_model_regions)
        if self._is_regression(data):
            return self.regress.plots(out, model, data, best_epoch)
        return super().plots(out, model, data, best_epoch)


TASK = RBFTask()
