"""Adadelta: steps scaled by the ratio of running RMS of updates to running RMS of gradients."""

from ..backend import array_module
from ..blas import axpy_
from .optimizer import Optimizer, nonneg

__all__ = ["Adadelta"]


class Adadelta(Optimizer):
    """Adadelta, PyTorch's exact update.

    For each parameter p with gradient g (v and u start at 0):
        1. g <- -g                                   if maximize
        2. g <- g + weight_decay * p                 if weight_decay != 0
        3. v <- rho * v + (1 - rho) * g * g          (running average of g^2)
        4. delta <- sqrt(u + eps) / sqrt(v + eps) * g
        5. u <- rho * u + (1 - rho) * delta * delta  (running average of delta^2)
        6. p <- p - lr * delta

    The ratio in 4 gives each coordinate the units of p, so lr (default 1.0)
    only rescales it. Zeiler, "ADADELTA: An Adaptive Learning Rate Method",
    2012, https://arxiv.org/abs/1212.5701.

    Args:
        params: tensors or param-group dicts.
        lr: factor applied to delta (default 1.0).
        rho: decay of the running averages, in [0, 1] (default 0.9).
        eps: added inside both square roots for stability (default 1e-6).
        weight_decay: L2 penalty (default 0).
        maximize: ascend the objective instead of descending it.

    State per parameter: "step", "square_avg" (v), "acc_delta" (u).

    Example:
        >>> opt = gu.optim.Adadelta(model.parameters())
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0, *, maximize=False):
        defaults = dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        self._check(group, "lr", nonneg, "a learning rate >= 0")
        self._check(group, "rho", lambda r: nonneg(r) and r <= 1, "a rho in [0, 1]")
        self._check(group, "eps", nonneg, "an eps >= 0")
        self._check(group, "weight_decay", nonneg, "a weight_decay >= 0")

    def _update(self, p, grad, state, group):
        xp = array_module(p)
        rho, eps = float(group["rho"]), float(group["eps"])
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(p)
            state["acc_delta"] = xp.zeros_like(p)
        state["step"] += 1
        g = self._effective_grad(p, grad, float(group["weight_decay"]), group["maximize"])
        v, u = state["square_avg"], state["acc_delta"]
        delta, std = self._scratch(p, 0), self._scratch(p, 2)
        # 3. v <- rho * v + (1 - rho) * g * g
        v *= rho
        xp.multiply(g, 1.0 - rho, out=delta)
        delta *= g
        v += delta
        # 4. delta <- sqrt(u + eps) / sqrt(v + eps) * g
        xp.add(v, eps, out=std)
        xp.sqrt(std, out=std)
        xp.add(u, eps, out=delta)
        xp.sqrt(delta, out=delta)
        delta /= std
        delta *= g
        # 5. u <- rho * u + (1 - rho) * delta * delta
        u *= rho
        xp.multiply(delta, 1.0 - rho, out=std)
        std *= delta
        u += std
        # 6. p <- p - lr * delta
        axpy_(p, -float(group["lr"]), delta, std)
