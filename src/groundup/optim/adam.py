"""Adam and AdamW: one update, with L2 (Adam) or decoupled (AdamW) weight decay."""

from .. import kernels
from ..backend import array_module
from .optimizer import Optimizer, beta_pair, lerp_, nonneg

__all__ = ["Adam", "AdamW"]


class Adam(Optimizer):
    """Adam: per-coordinate steps from running moments of the gradient, PyTorch's exact order.

    For each parameter p with gradient g, at step t (m, v start at 0):
        1. g <- -g                                   if maximize
        2. p <- p * (1 - lr * weight_decay)          if decoupled (AdamW)
           g <- g + weight_decay * p                 otherwise (L2, Adam)
        3. m <- m + (1 - beta1) * (g - m)            (lerp)
        4. v <- beta2 * v + (1 - beta2) * g * g
        5. v_max <- max(v_max, v); use v_max for v   if amsgrad
        6. denom <- sqrt(v) / sqrt(1 - beta2^t) + eps
        7. p <- p - (lr / (1 - beta1^t)) * m / denom

    `_update` computes these steps as written, one NumPy pass each. With the `fast`
    extra, large parameters take one compiled, threaded pass instead
    (`groundup.kernels.adam_`, the same numbers bit for bit); without it, the common
    case takes nine passes through BLAS (the same numbers to rounding).

    Kingma & Ba, "Adam: A Method for Stochastic Optimization", ICLR 2015,
    https://arxiv.org/abs/1412.6980; AMSGrad: Reddi et al., "On the Convergence of
    Adam and Beyond", ICLR 2018; AdamW: Loshchilov & Hutter, "Decoupled Weight
    Decay Regularization", ICLR 2019, https://arxiv.org/abs/1711.05101.

    Args:
        params: tensors or param-group dicts.
        lr: learning rate (default 1e-3).
        betas: decay rates (beta1, beta2) of the moment estimates (default (0.9, 0.999)).
        eps: added to the denominator for stability (default 1e-8).
        weight_decay: L2 penalty, or decoupled decay when decoupled_weight_decay (default 0).
        amsgrad: use the running maximum of v (AMSGrad).
        maximize: ascend the objective instead of descending it.
        decoupled_weight_decay: decay the weights directly, as AdamW.

    State per parameter: "step", "exp_avg" (m), "exp_avg_sq" (v), and
    "max_exp_avg_sq" with amsgrad.

    Example:
        >>> opt = gu.optim.Adam(model.parameters(), lr=3e-4)
        >>> loss.backward(); opt.step(); opt.zero_grad()
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, maximize=False, decoupled_weight_decay=False):
        if isinstance(betas, list):
            betas = tuple(betas)
        defaults = dict(lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                        amsgrad=amsgrad, maximize=maximize,
                        decoupled_weight_decay=decoupled_weight_decay)
        super().__init__(params, defaults)

    def _validate(self, group):
        self._check(group, "lr", nonneg, "a learning rate >= 0")
        self._check(group, "eps", nonneg, "an eps >= 0")
        self._check(group, "betas", beta_pair, "a pair (beta1, beta2) with 0 <= beta < 1")
        self._check(group, "weight_decay", nonneg, "a weight_decay >= 0")

    def _update(self, p, grad, state, group):
        xp = array_module(p)
        lr, eps = float(group["lr"]), float(group["eps"])
        beta1, beta2 = float(group["betas"][0]), float(group["betas"][1])
        weight_decay = float(group["weight_decay"])
        decoupled, maximize = group["decoupled_weight_decay"], group["maximize"]
        if not state:
            state["step"] = 0
            state["exp_avg"] = xp.zeros_like(p)
            state["exp_avg_sq"] = xp.zeros_like(p)
        if group["amsgrad"] and "max_exp_avg_sq" not in state:
            state["max_exp_avg_sq"] = xp.zeros_like(p)
        state["step"] += 1
        t = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        v_max = state["max_exp_avg_sq"] if group["amsgrad"] else None
        if kernels.adam_(p, grad, m, v, v_max, t, lr, beta1, beta2, eps, weight_decay,
                         decoupled, maximize, self._scratch(p)):
            return  # done by the compiled kernel, or in fewer passes through BLAS
        # 1-2. maximize, weight decay (L2 into the gradient, or decoupled onto p)
        if decoupled and weight_decay != 0:
            p *= 1.0 - lr * weight_decay
        g = self._effective_grad(p, grad, 0.0 if decoupled else weight_decay, maximize)
        work, update = self._scratch(p), self._scratch(p, 2)
        # 3. m <- m + (1 - beta1) * (g - m)
        lerp_(xp, m, g, 1.0 - beta1, work)
        # 4. v <- beta2 * v + (1 - beta2) * g * g
        v *= beta2
        xp.multiply(g, 1.0 - beta2, out=work)
        work *= g
        v += work
        # 5. AMSGrad: the running maximum of v stands for v
        if v_max is not None:
            xp.maximum(v_max, v, out=v_max)
            v = v_max
        # 6. denom <- sqrt(v) / sqrt(1 - beta2^t) + eps
        denom = xp.sqrt(v, out=work)
        denom /= (1.0 - beta2**t) ** 0.5
        denom += eps
        # 7. p <- p - (lr / (1 - beta1^t)) * m / denom
        xp.multiply(m, -lr / (1.0 - beta1**t), out=update)
        update /= denom
        p += update


class AdamW(Adam):
    """Adam with decoupled weight decay (Loshchilov & Hutter, ICLR 2019).

    The same update as `Adam` with decoupled_weight_decay=True: the weights are
    multiplied by (1 - lr * weight_decay) before the Adam step, instead of
    weight_decay * p being added to the gradient. Default weight_decay 1e-2.

    Example:
        >>> opt = gu.optim.AdamW(model.parameters(), lr=1e-3, weight_decay=0.01)
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False):
        super().__init__(params, lr=lr, betas=betas, eps=eps, weight_decay=weight_decay,
                         amsgrad=amsgrad, maximize=maximize, decoupled_weight_decay=True)
