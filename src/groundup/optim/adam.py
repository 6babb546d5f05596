"""Adam and AdamW: one update, with L2 (Adam) or decoupled (AdamW) weight decay."""

from ..backend import array_module, axpy_, blas_axpy_pays
from .optimizer import Optimizer, lerp_, nonneg

__all__ = ["Adam", "AdamW"]


def _beta_pair(v):
    return len(v) == 2 and all(nonneg(b) and b < 1 for b in v)


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

    Computed in the fewest array passes: 6-7 as p -= c * m / (sqrt(v) + eps * s) with
    s = sqrt(1 - beta2^t) and c = s * lr / (1 - beta1^t), and each "y += c * x" as one
    BLAS axpy when OpenBLAS runs on one thread (9 passes over the parameter instead of
    13; values agree with PyTorch's to float rounding).

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
        self._check(group, "betas", _beta_pair, "a pair (beta1, beta2) with 0 <= beta < 1")
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
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = xp.zeros_like(p)
        state["step"] += 1
        step = state["step"]
        m, v = state["exp_avg"], state["exp_avg_sq"]
        if group["decoupled_weight_decay"]:
            if weight_decay != 0:
                p *= 1.0 - lr * weight_decay
            weight_decay = 0.0
        g = self._effective_grad(p, grad, weight_decay, group["maximize"])
        work = self._scratch(p)
        fused = blas_axpy_pays(p)  # BLAS axpy: one pass for each "y += c * x" below
        lerp_(xp, m, g, 1.0 - beta1, work, blas=fused)
        v *= beta2
        if fused:
            xp.multiply(g, g, out=work)
            axpy_(v, 1.0 - beta2, work)
        else:
            xp.multiply(g, 1.0 - beta2, out=work)
            work *= g
            v += work
        if group["amsgrad"]:
            v_max = state.setdefault("max_exp_avg_sq", xp.zeros_like(p))
            xp.maximum(v_max, v, out=v_max)
            v = v_max
        # m / (sqrt(v) / s + eps) = s * m / (sqrt(v) + eps * s), s = sqrt(1 - beta2^t):
        # one pass fewer than dividing by s first
        s = (1.0 - beta2**step) ** 0.5
        step_size = lr / (1.0 - beta1**step) * s
        xp.sqrt(v, out=work)
        work += float(group["eps"]) * s
        xp.divide(m, work, out=work)
        if fused:
            axpy_(p, -step_size, work)
        else:
            work *= step_size
            p -= work


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
