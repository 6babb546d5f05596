"""NAdam: Adam with Nesterov momentum and a warming-up momentum schedule."""

from ..backend import array_module
from .optimizer import Optimizer, beta_pair, lerp_, nonneg, to_float32

__all__ = ["NAdam"]


class NAdam(Optimizer):
    """NAdam, PyTorch's exact update.

    For each parameter p with gradient g, at step t (m, v start at 0, mu_product at 1):
        1. g <- -g                                   if maximize
        2. p <- p * (1 - lr * weight_decay)          if decoupled_weight_decay
           g <- g + weight_decay * p                 otherwise (L2)
        3. mu_t     <- beta1 * (1 - 0.5 * 0.96^(t * momentum_decay))
           mu_{t+1} <- beta1 * (1 - 0.5 * 0.96^((t + 1) * momentum_decay))
           mu_product <- mu_product * mu_t           (kept in float32, as PyTorch does)
        4. m <- m + (1 - beta1) * (g - m)            (lerp)
        5. v <- beta2 * v + (1 - beta2) * g * g
        6. denom <- sqrt(v / (1 - beta2^t)) + eps
        7. p <- p - lr * (1 - mu_t) / (1 - mu_product) * g / denom
        8. p <- p - lr * mu_{t+1} / (1 - mu_product * mu_{t+1}) * m / denom

    Steps 7-8 are Adam's step with the momentum looked ahead one step (Nesterov).
    Dozat, "Incorporating Nesterov Momentum into Adam", ICLR 2016 workshop;
    decoupled weight decay: Loshchilov & Hutter, ICLR 2019.

    Args:
        params: tensors or param-group dicts.
        lr: learning rate (default 2e-3).
        betas: decay rates (beta1, beta2) of the moment estimates (default (0.9, 0.999)).
        eps: added to the denominator for stability (default 1e-8).
        weight_decay: L2 penalty, or decoupled decay when decoupled_weight_decay (default 0).
        momentum_decay: how fast mu_t warms up towards beta1 (default 4e-3).
        decoupled_weight_decay: decay the weights directly, as AdamW (default False).
        maximize: ascend the objective instead of descending it.

    State per parameter: "step", "mu_product", "exp_avg" (m), "exp_avg_sq" (v).

    Example:
        >>> opt = gu.optim.NAdam(model.parameters(), lr=2e-3)
    """

    _scalar_state = ("step", "mu_product")

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False):
        if isinstance(betas, list):
            betas = tuple(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        momentum_decay=momentum_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        self._check(group, "lr", nonneg, "a learning rate >= 0")
        self._check(group, "eps", nonneg, "an eps >= 0")
        self._check(group, "betas", beta_pair, "a pair (beta1, beta2) with 0 <= beta < 1")
        self._check(group, "weight_decay", nonneg, "a weight_decay >= 0")
        self._check(group, "momentum_decay", nonneg, "a momentum_decay >= 0")

    def _update(self, p, grad, state, group):
        xp = array_module(p)
        lr = float(group["lr"])
        beta1, beta2 = float(group["betas"][0]), float(group["betas"][1])
        weight_decay = float(group["weight_decay"])
        momentum_decay = float(group["momentum_decay"])
        if not state:
            state["step"] = 0
            state["mu_product"] = 1.0
            state["exp_avg"] = xp.zeros_like(p)
            state["exp_avg_sq"] = xp.zeros_like(p)
        state["step"] += 1
        t = state["step"]
        # 1-2. maximize, then weight decay (decoupled or L2)
        if group["decoupled_weight_decay"]:
            if weight_decay != 0:
                p *= 1.0 - lr * weight_decay
            weight_decay = 0.0
        g = self._effective_grad(p, grad, weight_decay, group["maximize"])
        # 3. the momentum schedule
        mu = beta1 * (1.0 - 0.5 * 0.96 ** (t * momentum_decay))
        mu_next = beta1 * (1.0 - 0.5 * 0.96 ** ((t + 1) * momentum_decay))
        mu_product = state["mu_product"] = to_float32(
            to_float32(state["mu_product"]) * to_float32(mu))
        # 4-5. the moments
        m, v = state["exp_avg"], state["exp_avg_sq"]
        work, denom = self._scratch(p, 0), self._scratch(p, 2)
        lerp_(xp, m, g, 1.0 - beta1, work)
        v *= beta2
        xp.multiply(g, 1.0 - beta2, out=work)
        work *= g
        v += work
        # 6. denom <- sqrt(v / (1 - beta2^t)) + eps
        xp.divide(v, 1.0 - beta2**t, out=denom)
        xp.sqrt(denom, out=denom)
        denom += float(group["eps"])
        # 7. the gradient's share of the step
        xp.multiply(g, -lr * (1.0 - mu) / (1.0 - mu_product), out=work)
        work /= denom
        p += work
        # 8. the momentum's share, looked ahead one step
        xp.multiply(m, -lr * mu_next / (1.0 - mu_product * mu_next), out=work)
        work /= denom
        p += work
