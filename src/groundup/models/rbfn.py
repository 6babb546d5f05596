"""Radial-basis-function network: an RBF layer and a linear read-out.

phi = RBF(x) (one unit per centre, a kernel of the scaled distance to it), then
logits = phi @ W^T + b. Broomhead and Lowe (1988), "Multivariable functional
interpolation and adaptive networks", Complex Systems 2.

The config alone does not see the data, so the centres start as standard normal
draws (on the scale of standardised inputs, which `groundup train` feeds) with
widths by the nearest-centre heuristic; gradient training then moves centres,
widths and read-out together. To place the centres on the data instead, call
`model.rbf.init_from_data(X, method="kmeans")` before training. With centres
fixed, `fit_readout_lstsq(X, y)` solves the read-out in closed form (the
classic two-stage method).

`groundup train rbfn` classifies; on regression data (`--data sine`, `--data surface`)
the same network fits a function with the mean squared error (commands/task_rbf.py).
`--centres N` and `--kernel NAME` set the config's `centres` and `kernel`; `--init
kmeans|random` calls `init_from_data` on the training inputs and `--readout lstsq` solves
the read-out with `fit_readout_lstsq` on fixed centres instead of training it.
"""

from dataclasses import dataclass

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..backend import array_module
from ..tensor import Tensor


@dataclass
class RBFNConfig:
    in_features: int = 2           # features of the data
    out_features: int = 2          # classes (or regression targets)
    centres: int = 64              # number of RBF units
    kernel: str = "gaussian"       # gaussian multiquadric inverse_quadratic inverse_multiquadric


class RBFN(nn.Module):
    """in_features -> RBF(centres, kernel) -> Linear -> out_features, returning logits.

    Shape: input (N, in_features) (or (N, *) flattened), output (N, out_features).
    Example:
        >>> model = RBFN(RBFNConfig(in_features=2, centres=16, out_features=2))
        >>> model(gu.zeros(4, 2)).shape
        (4, 2)
    """

    def __init__(self, config=None, **overrides):
        super().__init__()
        config = config or RBFNConfig()
        for k, v in overrides.items():
            setattr(config, k, v)
        self.config = config
        self.flatten = nn.Flatten()
        self.rbf = nn.RBF(config.in_features, config.centres, kernel=config.kernel)
        self.readout = nn.Linear(config.centres, config.out_features)

    def forward(self, x):
        return self.readout(self.rbf(self.flatten(x)))

    def fit_readout_lstsq(self, X, y):
        """Solve the read-out in closed form by least squares on the current RBF features.

        X: inputs (N, in_features). y: integer class labels (N,) (fitted as one-hot
        targets) or float targets (N, out_features) for regression. The weight and bias
        minimise ||[phi, 1] [W^T; b] - Y||^2 (xp.linalg.lstsq, xp the features' array
        module). Returns the model.
        """
        X = X if isinstance(X, Tensor) else Tensor._wrap(np.asarray(X))
        X = X.to(self.readout.weight.dtype)
        y = y.numpy() if isinstance(y, Tensor) else np.asarray(y)
        n, out = X.shape[0], self.config.out_features
        if y.ndim == 1 and y.dtype.kind in "iub":
            if y.size and (y.min() < 0 or y.max() >= out):
                raise ValueError(f"RBFN.fit_readout_lstsq: labels must lie in [0, {out}); "
                                 f"got {y.min()}..{y.max()}")
            targets = np.eye(out)[y]
        else:
            targets = y.reshape(n, -1).astype(np.float64)
        if targets.shape != (n, out):
            raise ValueError(f"RBFN.fit_readout_lstsq: y must be (N,) labels or (N, {out}) "
                             f"targets for X with N={n} rows; got shape {y.shape}")
        with no_grad():
            phi = self.rbf(self.flatten(X)).array.astype(np.float64)
        xp = array_module(phi)
        design = xp.concatenate([phi, xp.ones((n, 1))], axis=1)
        solution = xp.linalg.lstsq(design, xp.asarray(targets), rcond=None)[0]  # (centres+1, out)
        with no_grad():
            self.readout.weight.array[...] = solution[:-1].T
            self.readout.bias.array[...] = solution[-1]
        return self
