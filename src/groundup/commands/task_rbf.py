"""The RBF network's run: classification or regression, picked from the data.

`groundup train rbfn` classifies (moons by default, any classification data); with
regression data (`--data sine`, `--data surface`) the same model fits a function: mean
squared error, R² reported (task_regress.py). Its own settings: `--centres N` (RBF units)
and `--kernel NAME` (gaussian, multiquadric, inverse_quadratic, inverse_multiquadric).
Pictures: the centres over the data with the decision regions (2-D classification), or the
fitted function with the centres (regression).
"""

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
