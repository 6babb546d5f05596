"""Adamax: Adam with the second moment replaced by a running infinity norm."""

from ..backend import array_module
from .optimizer import Optimizer, beta_pair, lerp_, nonneg

__all__ = ["Adamax"]


class Adamax(Optimizer):
    """Adamax, PyTorch's exact update.

    For each parameter p with gradient g, at step t (m and u start at 0):
        1. g <- -g                                   if maximize
        2. g <- g + weight_decay * p                 if weight_decay != 0
        3. m <- m + (1 - beta1) * (g - m)            (lerp: the first moment)
        4. u <- max(beta2 * u, |g| + eps)            (the running infinity norm)
        5. p <- p - (lr / (1 - beta1^t)) * m / u

    Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015,
    section 7.1, https://arxiv.org/abs/1412.6980.

    Args:
        params: tensors or param-group dicts.
        lr: learning rate (default 2e-3).
        betas: decay rates (beta1, beta2) of the moment and of the norm (default (0.9, 0.999)).
        eps: added to |g| for stability (default 1e-8).
        weight_decay: L2 penalty (default 0).
        maximize: ascend the objective instead of descending it.

    State per parameter: "step", "exp_avg" (m), "exp_inf" (u).

    Example:
        >>> opt = gu.optim.Adamax(model.parameters(), lr=2e-3)
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0, *,
                 maximize=False):
        if isinstance(betas, list):
            betas = tuple(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        self._check(group, "lr", nonneg, "a learning rate >= 0")
        self._check(group, "eps", nonneg, "an eps >= 0")
        self._check(group, "betas", beta_pair, "a pair (beta1, beta2) with 0 <= beta < 1")
        self._check(group, "weight_decay", nonneg, "a weight_decay >= 0")

    def _update(self, p, grad, state, group):
        xp = array_module(p)
        beta1, beta2 = float(group["betas"][0]), float(group["betas"][1])
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p)
            state["exp_inf"] = xp.zeros_like(p)
        state["step"] += 1
        g = self._effective_grad(p, grad, float(group["weight_decay"]), group["maximize"])
        m, u = state["exp_avg"], state["exp_inf"]
        work = self._scratch(p)
        # 3. m <- m + (1 - beta1) * (g - m)
        lerp_(xp, m, g, 1.0 - beta1, work)
        # 4. u <- max(beta2 * u, |g| + eps)
        u *= beta2
        xp.abs(g, out=work)
        work += float(group["eps"])
        xp.maximum(u, work, out=u)
        # 5. p <- p - (lr / (1 - beta1^t)) * m / u
        clr = float(group["lr"]) / (1.0 - beta1 ** state["step"])
        xp.multiply(m, -clr, out=work)
        work /= u
        p += work
