"""ASGD: averaged stochastic gradient descent (Polyak-Ruppert averaging of the iterates)."""

from ..backend import array_module
from ..blas import axpy_
from .optimizer import Optimizer, nonneg, real, to_float32

__all__ = ["ASGD"]


class ASGD(Optimizer):
    """Averaged SGD, PyTorch's exact update.

    For each parameter p with gradient g, at step t (eta starts at lr, mu at 1):
        1. g <- -g                                   if maximize
        2. g <- g + weight_decay * p                 if weight_decay != 0
        3. p <- p * (1 - lambd * eta)                (decay term)
        4. p <- p - eta * g
        5. ax <- ax + mu * (p - ax)                  (ax <- p while mu == 1)
        6. eta <- lr / (1 + lambd * lr * t)^alpha
           mu  <- 1 / max(1, t - t0)

    `ax` is the running average of the iterates since step t0 (before it, a
    copy of p): after training, copy it into the parameters to use the averaged
    model. eta and mu are kept in float32, as PyTorch keeps them. Polyak &
    Juditsky, "Acceleration of Stochastic Approximation by Averaging", SIAM J.
    Control Optim. 1992; Bottou, "Large-Scale Machine Learning with Stochastic
    Gradient Descent", COMPSTAT 2010.

    Args:
        params: tensors or param-group dicts.
        lr: learning rate (default 1e-2).
        lambd: decay term (default 1e-4).
        alpha: power of the eta decay (default 0.75).
        t0: the step at which averaging starts (default 1e6).
        weight_decay: L2 penalty (default 0).
        maximize: ascend the objective instead of descending it.

    State per parameter: "step", "eta", "mu", "ax".

    Example:
        >>> opt = gu.optim.ASGD(model.parameters(), lr=0.01, t0=100)
        >>> ...  # train
        >>> for p in model.parameters():
        ...     p.data.copy_(opt.state[p]["ax"])   # the averaged weights
    """

    _scalar_state = ("step", "eta", "mu")

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0, *,
                 maximize=False):
        defaults = dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        self._check(group, "lr", nonneg, "a learning rate >= 0")
        self._check(group, "weight_decay", nonneg, "a weight_decay >= 0")
        self._check(group, "lambd", real, "a real number")
        self._check(group, "alpha", real, "a real number")
        self._check(group, "t0", real, "a real number")

    def _update(self, p, grad, state, group):
        xp = array_module(p)
        lr, lambd = float(group["lr"]), float(group["lambd"])
        if not state:
            state["step"] = 0
            state["eta"] = to_float32(lr)
            state["mu"] = 1.0
            state["ax"] = xp.zeros_like(p)
        state["step"] += 1
        t = state["step"]
        g = self._effective_grad(p, grad, float(group["weight_decay"]), group["maximize"])
        eta, mu, ax = state["eta"], state["mu"], state["ax"]
        work = self._scratch(p)
        # 3-4. decay, then the SGD step with step size eta
        p *= 1.0 - lambd * eta
        axpy_(p, -eta, g, work)
        # 5. average the iterates
        if mu != 1:
            xp.subtract(p, ax, out=work)
            work *= mu
            ax += work
        else:
            ax[...] = p
        # 6. the next step size and averaging weight
        state["eta"] = to_float32(lr / (1 + lambd * lr * t) ** float(group["alpha"]))
        state["mu"] = to_float32(1 / max(1, t - float(group["t0"])))
