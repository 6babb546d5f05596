"""RMSprop: steps scaled by a running root-mean-square of the gradient."""

from ..backend import array_module
from .optimizer import Optimizer, lerp_, nonneg

__all__ = ["RMSprop"]


class RMSprop(Optimizer):
    """RMSprop, PyTorch's exact update (optionally centered, with momentum).

    For each parameter p with gradient g (s, a, b start at 0):
        1. g <- -g                                   if maximize
        2. g <- g + weight_decay * p                 if weight_decay != 0
        3. s <- alpha * s + (1 - alpha) * g * g
        4. if centered: a <- a + (1 - alpha) * (g - a);  avg <- sqrt(s - a * a)
           else:        avg <- sqrt(s)
        5. avg <- avg + eps
        6. if momentum > 0: b <- momentum * b + g / avg;  p <- p - lr * b
           else:            p <- p - lr * g / avg

    Hinton, "Neural Networks for Machine Learning", lecture 6e (2012); centered
    form: Graves, "Generating Sequences With Recurrent Neural Networks", 2013,
    https://arxiv.org/abs/1308.0850.

    Args:
        params: tensors or param-group dicts.
        lr: learning rate (default 1e-2).
        alpha: smoothing constant of the square average (default 0.99).
        eps: added to the denominator for stability (default 1e-8).
        weight_decay: L2 penalty (default 0).
        momentum: momentum factor (default 0).
        centered: normalise by an estimate of the gradient's variance.
        maximize: ascend the objective instead of descending it.

    State per parameter: "step", "square_avg", "momentum_buffer" (momentum > 0),
    "grad_avg" (centered).

    Example:
        >>> opt = gu.optim.RMSprop(model.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, *, maximize=False):
        defaults = dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                        momentum=momentum, centered=centered, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        self._check(group, "lr", nonneg, "a learning rate >= 0")
        self._check(group, "eps", nonneg, "an eps >= 0")
        self._check(group, "momentum", nonneg, "a momentum >= 0")
        self._check(group, "weight_decay", nonneg, "a weight_decay >= 0")
        self._check(group, "alpha", nonneg, "an alpha >= 0")

    def _update(self, p, grad, state, group):
        xp = array_module(p)
        alpha = float(group["alpha"])
        momentum = float(group["momentum"])
        if not state:
            state["step"] = 0
            state["square_avg"] = xp.zeros_like(p)
            if momentum > 0:
                state["momentum_buffer"] = xp.zeros_like(p)
            if group["centered"]:
                state["grad_avg"] = xp.zeros_like(p)
        state["step"] += 1
        g = self._effective_grad(p, grad, float(group["weight_decay"]), group["maximize"])
        work = self._scratch(p)
        square_avg = state["square_avg"]
        xp.multiply(g, 1.0 - alpha, out=work)
        work *= g
        square_avg *= alpha
        square_avg += work
        if group["centered"]:
            grad_avg = state.setdefault("grad_avg", xp.zeros_like(p))
            lerp_(xp, grad_avg, g, 1.0 - alpha, work)
            xp.multiply(grad_avg, grad_avg, out=work)
            xp.subtract(square_avg, work, out=work)
            xp.sqrt(work, out=work)
        else:
            xp.sqrt(square_avg, out=work)
        work += float(group["eps"])
        xp.divide(g, work, out=work)
        if momentum > 0:
            buf = state.setdefault("momentum_buffer", xp.zeros_like(p))
            buf *= momentum
            buf += work
            xp.multiply(buf, float(group["lr"]), out=work)
        else:
            work *= float(group["lr"])
        p -= work
