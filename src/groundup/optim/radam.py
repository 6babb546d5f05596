"""RAdam: Adam whose adaptive step is switched on gradually, as its variance estimate firms up."""

from ..backend import array_module
from .optimizer import Optimizer, beta_pair, lerp_, nonneg

__all__ = ["RAdam"]


class RAdam(Optimizer):
    """Rectified Adam, PyTorch's exact update.

    For each parameter p with gradient g, at step t (m, v start at 0):
        1. g <- -g                                   if maximize
        2. p <- p * (1 - lr * weight_decay)          if decoupled_weight_decay
           g <- g + weight_decay * p                 otherwise (L2)
        3. m <- m + (1 - beta1) * (g - m)            (lerp)
        4. v <- beta2 * v + (1 - beta2) * g * g
        5. m_hat <- m / (1 - beta1^t)
        6. rho_inf <- 2 / (1 - beta2) - 1
           rho_t   <- rho_inf - 2 * t * beta2^t / (1 - beta2^t)
        7. if rho_t > 5 (the variance of the adaptive step is tractable):
               r <- sqrt((rho_t - 4) (rho_t - 2) rho_inf / ((rho_inf - 4) (rho_inf - 2) rho_t))
               p <- p - lr * m_hat * sqrt(1 - beta2^t) / (sqrt(v) + eps) * r
           else (early steps: plain momentum SGD):
               p <- p - lr * m_hat

    Liu et al., "On the Variance of the Adaptive Learning Rate and Beyond",
    ICLR 2020, https://arxiv.org/abs/1908.03265; decoupled weight decay:
    Loshchilov & Hutter, ICLR 2019.

    Args:
        params: tensors or param-group dicts.
        lr: learning rate (default 1e-3).
        betas: decay rates (beta1, beta2) of the moment estimates (default (0.9, 0.999)).
        eps: added to the denominator for stability (default 1e-8).
        weight_decay: L2 penalty, or decoupled decay when decoupled_weight_decay (default 0).
        decoupled_weight_decay: decay the weights directly, as AdamW (default False).
        maximize: ascend the objective instead of descending it.

    State per parameter: "step", "exp_avg" (m), "exp_avg_sq" (v).

    Example:
        >>> opt = gu.optim.RAdam(model.parameters(), lr=1e-3)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 decoupled_weight_decay=False, *, maximize=False):
        if isinstance(betas, list):
            betas = tuple(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        decoupled_weight_decay=decoupled_weight_decay, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        self._check(group, "lr", nonneg, "a learning rate >= 0")
        self._check(group, "eps", nonneg, "an eps >= 0")
        self._check(group, "betas", beta_pair, "a pair (beta1, beta2) with 0 <= beta < 1")
        self._check(group, "weight_decay", nonneg, "a weight_decay >= 0")

    def _update(self, p, grad, state, group):
        xp = array_module(p)
        lr = float(group["lr"])
        beta1, beta2 = float(group["betas"][0]), float(group["betas"][1])
        weight_decay = float(group["weight_decay"])
        if not state:
            state["step"] = 0
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
        # 3-4. the moments
        m, v = state["exp_avg"], state["exp_avg_sq"]
        work, adaptive = self._scratch(p, 0), self._scratch(p, 2)
        lerp_(xp, m, g, 1.0 - beta1, work)
        v *= beta2
        xp.multiply(g, 1.0 - beta2, out=work)
        work *= g
        v += work
        # 5. m_hat, times lr
        bias_correction2 = 1.0 - beta2**t
        xp.divide(m, 1.0 - beta1**t, out=work)
        work *= lr
        # 6. the length of the approximated simple moving average
        rho_inf = 2.0 / (1.0 - beta2) - 1.0
        rho_t = rho_inf - 2.0 * t * beta2**t / bias_correction2
        # 7. the rectified adaptive step, or plain momentum while rho_t <= 5
        if rho_t > 5.0:
            rect = ((rho_t - 4) * (rho_t - 2) * rho_inf
                    / ((rho_inf - 4) * (rho_inf - 2) * rho_t)) ** 0.5
            xp.sqrt(v, out=adaptive)
            adaptive += float(group["eps"])
            xp.divide(bias_correction2**0.5, adaptive, out=adaptive)
            work *= adaptive
            work *= rect
        p -= work
