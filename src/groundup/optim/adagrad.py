"""Adagrad: per-coordinate steps scaled by the accumulated squared gradients."""

from ..backend import array_module
from .optimizer import Optimizer, nonneg

__all__ = ["Adagrad"]


class Adagrad(Optimizer):
    """Adagrad, PyTorch's exact update.

    For each parameter p with gradient g, at step t (sum starts at
    initial_accumulator_value):
        1. g <- -g                                   if maximize
        2. g <- g + weight_decay * p                 if weight_decay != 0
        3. clr <- lr / (1 + (t - 1) * lr_decay)
        4. sum <- sum + g * g
        5. p <- p - clr * g / (sqrt(sum) + eps)

    Duchi, Hazan & Singer, "Adaptive Subgradient Methods for Online Learning and
    Stochastic Optimization", JMLR 2011.

    Args:
        params: tensors or param-group dicts.
        lr: learning rate (default 1e-2).
        lr_decay: learning-rate decay per step (default 0).
        weight_decay: L2 penalty (default 0).
        initial_accumulator_value: starting value of the sum (default 0).
        eps: added to the denominator for stability (default 1e-10).
        maximize: ascend the objective instead of descending it.

    State per parameter: "step", "sum" (created at the first step, from the
    group's initial_accumulator_value; PyTorch fills it at construction from the
    constructor's value, so a group-level override differs there).

    Example:
        >>> opt = gu.optim.Adagrad(model.parameters(), lr=0.1)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, *, maximize=False):
        defaults = dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                        initial_accumulator_value=initial_accumulator_value, eps=eps,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        self._check(group, "lr", nonneg, "a learning rate >= 0")
        self._check(group, "lr_decay", nonneg, "an lr_decay >= 0")
        self._check(group, "weight_decay", nonneg, "a weight_decay >= 0")
        self._check(group, "initial_accumulator_value", nonneg,
                    "an initial_accumulator_value >= 0")
        self._check(group, "eps", nonneg, "an eps >= 0")

    def _update(self, p, grad, state, group):
        xp = array_module(p)
        if not state:
            state["step"] = 0
            state["sum"] = xp.full_like(p, float(group["initial_accumulator_value"]))
        state["step"] += 1
        clr = float(group["lr"]) / (1 + (state["step"] - 1) * float(group["lr_decay"]))
        g = self._effective_grad(p, grad, float(group["weight_decay"]), group["maximize"])
        work = self._scratch(p)
        total = state["sum"]
        xp.multiply(g, g, out=work)
        total += work
        xp.sqrt(total, out=work)
        work += float(group["eps"])
        xp.divide(g, work, out=work)
        work *= clr
        p -= work
