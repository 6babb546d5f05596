"""Element-wise losses: MSE, L1, Huber / smooth L1, binary cross-entropy (with logits),
KL divergence, cosine embedding; PyTorch's signatures and reductions.

Each is one Function: the per-element loss and its reduction in one forward, the
input gradient in one or two passes (see ops/loss.py for the shared reductions).
"""

import numpy as np

from ..autograd import Function
from .common import as_tensor
from .loss_common import (
    REDUCTIONS,
    check_reduction,
    constant_array,
    input_target_pair,
    reduce_loss,
    upstream,
)

__all__ = [
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "binary_cross_entropy",
    "binary_cross_entropy_with_logits", "kl_div", "cosine_embedding_loss",
]


class _PointwiseLossFn(Function):
    """Base of the element-wise losses: l = f(x, t) element-wise, then the reduction.

    Subclasses implement `loss(x, t, **config)` (saving what `grads` needs) and
    `grads(scale)` -> (dx, dt) with dx = scale * df/dx; the engine sums broadcast
    shapes back to each input's shape.
    """

    def forward(self, x, t, reduction="mean", **config):
        loss = self.loss(x, t, **config)
        n = loss.size
        if reduction == "batchmean":  # kl_div: the sum over the batch size
            n = x.shape[0] if x.ndim else 1
        self.reduction, self.n = reduction, float(n)
        return reduce_loss(self.xp, loss, reduction, self.n)

    def backward(self, dy):
        return self.grads(upstream(dy, self.reduction, self.n))


class MSELossFn(_PointwiseLossFn):
    """l = (x - t)^2
    dx = 2 (x - t) s     dt = -dx     (s the upstream factor: dy, or dy / n for 'mean')"""

    def loss(self, x, t):
        d = x - t
        self.save_for_backward(d)
        return d * d

    def grads(self, scale):
        dx = self.saved[0] * (2 * scale)
        return dx, (-dx if self.needs_input_grad[1] else None)


class L1LossFn(_PointwiseLossFn):
    """l = |x - t|
    dx = sign(x - t) s     dt = -dx"""

    def loss(self, x, t):
        d = x - t
        self.save_for_backward(d)
        return self.xp.abs(d)

    def grads(self, scale):
        dx = self.xp.sign(self.saved[0])
        dx *= scale
        return dx, (-dx if self.needs_input_grad[1] else None)


class HuberLossFn(_PointwiseLossFn):
    """Huber loss, d = x - t, a = |d|, m = min(a, delta):
    l = m (a - m / 2) / k    (= d^2 / 2 inside |d| < delta, delta (a - delta / 2) outside)
    dx = clip(d, -delta, delta) s / k     dt = -dx
    k = 1 for huber_loss; smooth_l1_loss(beta) is this with delta = k = beta."""

    def loss(self, x, t, delta, k):
        xp = self.xp
        d = x - t
        a = xp.abs(d)
        m = xp.minimum(a, xp.asarray(delta, d.dtype))
        self.delta, self.k = delta, k
        self.save_for_backward(d)
        a -= 0.5 * m
        a *= m
        if k != 1:
            a *= 1.0 / k
        return a

    def grads(self, scale):
        d = self.saved[0]
        dx = self.xp.clip(d, -self.delta, self.delta)
        dx *= scale if self.k == 1 else scale / self.k
        return dx, (-dx if self.needs_input_grad[1] else None)


class BinaryCrossEntropyFn(_PointwiseLossFn):
    """p = input probabilities in [0, 1], logs clamped to >= -100 as in PyTorch:
    l = -w (t log p + (1 - t) log(1 - p))
    dp = s w (p - t) / max(p (1 - p), 1e-12)     dt = s w (log(1 - p) - log p)"""

    def loss(self, p, t, weight):
        xp = self.xp
        floor = xp.asarray(-100, p.dtype)
        with np.errstate(divide="ignore"):  # log 0 = -inf, clamped to -100
            logp = xp.maximum(xp.log(p), floor)
            log1m = xp.maximum(xp.log1p(-p), floor)
        logp -= log1m  # log p - log(1 - p)
        loss = t * logp
        loss += log1m
        loss *= -1 if weight is None else -weight
        self.save_for_backward(p, t, logp, weight)
        return loss

    def grads(self, scale):
        xp = self.xp
        p, t, logit, weight = self.saved
        f = scale if weight is None else scale * weight
        dp = dt = None
        if self.needs_input_grad[0]:
            den = p * (1 - p)
            dp = (p - t) / xp.maximum(den, xp.asarray(1e-12, den.dtype))
            dp *= f
        if self.needs_input_grad[1]:
            dt = logit * -f
        return dp, dt


class BinaryCrossEntropyWithLogitsFn(_PointwiseLossFn):
    """BCE on logits x, stable: with sp = softplus(-x) = log(1 + exp(-|x|)) + max(-x, 0)
    and pw = pos_weight (1 when None), w = weight:
    l = w ((1 - t) x + (1 + (pw - 1) t) sp)      (= -w (pw t log s(x) + (1 - t) log s(-x)))
    dx = s w (sigmoid(x) (pw t + 1 - t) - pw t)    with sigmoid(x) = exp(-sp)
    dt = s w ((pw - 1) sp - x)"""

    def loss(self, x, t, weight, pos_weight):
        xp = self.xp
        a = xp.abs(x)
        sp = xp.exp(-a)
        xp.log1p(sp, out=sp)
        a -= x
        a *= 0.5  # max(-x, 0) = (|x| - x) / 2, exactly
        sp += a
        loss = x - t * x
        if pos_weight is None:
            loss += sp
        else:
            loss += (1 + (pos_weight - 1) * t) * sp
        if weight is not None:
            loss *= weight
        self.save_for_backward(x, t, sp, weight, pos_weight)
        return loss

    def grads(self, scale):
        xp = self.xp
        x, t, sp, weight, pw = self.saved
        f = scale if weight is None else scale * weight
        dx = dt = None
        if self.needs_input_grad[0]:
            dx = xp.exp(-sp)
            if pw is None:
                dx -= t
            else:
                pt = pw * t
                dx *= pt + 1 - t
                dx -= pt
            dx *= f
        if self.needs_input_grad[1]:
            dt = -x if pw is None else (pw - 1) * sp - x
            dt *= f
        return dx, dt


class KLDivFn(_PointwiseLossFn):
    """Kullback-Leibler divergence, x = log q (input log-probabilities), t = target:
    l = t (log t - x)            (0 where t == 0)      log_target: l = exp(t) (t - x)
    dx = -t s                                          dx = -exp(t) s
    dt = (log t + 1 - x) s                             dt = exp(t) (t - x + 1) s"""

    def loss(self, x, t, log_target):
        xp = self.xp
        self.log_target = log_target
        if log_target:
            p = xp.exp(t)
            d = t - x
        else:
            p = t
            with np.errstate(divide="ignore", invalid="ignore"):
                d = xp.log(t + (t == 0))  # log t, with 0 log 0 = 0
            d -= x
        self.save_for_backward(p, d)
        return p * d

    def grads(self, scale):
        p, d = self.saved
        dx = -p * scale if self.needs_input_grad[0] else None
        dt = None
        if self.needs_input_grad[1]:
            dt = d + 1
            if self.log_target:
                dt *= p
            dt *= scale
        return dx, dt


class CosineEmbeddingLossFn(Function):
    """x1, x2: (N, D) (or (D,)); y: (N,) of 1 / -1. With m_k = |x_k|^2 + 1e-12,
    c = x1 . x2 / sqrt(m1 m2):
        l = 1 - c where y == 1,  max(c - margin, 0) where y == -1,  0 otherwise
    backward, g = s dl/dc (= -s for y == 1, s [c >= margin] for y == -1):
        dx1 = g (x2 / sqrt(m1 m2) - c x1 / m1)     dx2 = g (x1 / sqrt(m1 m2) - c x2 / m2)"""

    def forward(self, x1, x2, y, margin, reduction):
        xp = self.xp
        m1 = xp.asarray(xp.einsum("...i,...i->...", x1, x1) + 1e-12)
        m2 = xp.asarray(xp.einsum("...i,...i->...", x2, x2) + 1e-12)
        den = xp.sqrt(m1 * m2)
        c = xp.asarray(xp.einsum("...i,...i->...", x1, x2) / den)
        pos = y == 1
        over = (y == -1) & (c >= margin)
        loss = pos * (1 - c) + over * (c - margin)
        loss = xp.asarray(loss, dtype=x1.dtype)
        self.reduction, self.n = reduction, float(loss.size)
        self.save_for_backward(x1, x2, m1, m2, den, c, (over.astype(x1.dtype) - pos))
        return reduce_loss(xp, loss, reduction, self.n)

    def backward(self, dy):
        x1, x2, m1, m2, den, c, dc = self.saved
        g = dc * upstream(dy, self.reduction, self.n)
        g_den = (g / den)[..., None]
        dx1 = dx2 = None
        if self.needs_input_grad[0]:
            dx1 = x2 * g_den - x1 * (g * c / m1)[..., None]
        if self.needs_input_grad[1]:
            dx2 = x1 * g_den - x2 * (g * c / m2)[..., None]
        return dx1, dx2




def mse_loss(input, target, reduction="mean"):
    """Mean squared error (x - t)^2; input and target broadcast."""
    check_reduction("mse_loss", reduction)
    return MSELossFn.apply(*input_target_pair("mse_loss", input, target), reduction=reduction)


def l1_loss(input, target, reduction="mean"):
    """Mean absolute error |x - t|; input and target broadcast."""
    check_reduction("l1_loss", reduction)
    return L1LossFn.apply(*input_target_pair("l1_loss", input, target), reduction=reduction)


def huber_loss(input, target, reduction="mean", delta=1.0):
    """Huber loss: quadratic inside |x - t| < delta, linear (slope delta) outside."""
    check_reduction("huber_loss", reduction)
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be positive, got {delta}")
    return HuberLossFn.apply(*input_target_pair("huber_loss", input, target), reduction=reduction,
                           delta=float(delta), k=1.0)


def smooth_l1_loss(input, target, reduction="mean", beta=1.0):
    """Smooth L1: (x - t)^2 / (2 beta) inside |x - t| < beta, |x - t| - beta / 2 outside;
    beta = 0 is the L1 loss."""
    check_reduction("smooth_l1_loss", reduction)
    if beta < 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta}")
    x, t = input_target_pair("smooth_l1_loss", input, target)
    if beta == 0:
        return L1LossFn.apply(x, t, reduction=reduction)
    return HuberLossFn.apply(x, t, reduction=reduction, delta=float(beta), k=float(beta))


def binary_cross_entropy(input, target, weight=None, reduction="mean"):
    """BCE of probabilities `input` in [0, 1] against `target` (same shape); weight broadcasts."""
    name = "binary_cross_entropy"
    check_reduction(name, reduction)
    x, t = input_target_pair(name, input, target, same_shape=True)
    if x.array.size and (x.array.min() < 0 or x.array.max() > 1):
        raise ValueError(
            f"{name}: input must hold probabilities in [0, 1] (apply sigmoid first, or use "
            f"binary_cross_entropy_with_logits); got values in "
            f"[{float(x.array.min()):.4g}, {float(x.array.max()):.4g}]"
        )
    w = constant_array(name, "weight", weight, x)
    return BinaryCrossEntropyFn.apply(x, t, reduction=reduction, weight=w)


def binary_cross_entropy_with_logits(input, target, weight=None, reduction="mean",
                                     pos_weight=None):
    """Sigmoid + BCE in one stable step; pos_weight (broadcast over the last, class
    dimension) weighs the positive term, weight each element."""
    name = "binary_cross_entropy_with_logits"
    check_reduction(name, reduction)
    x, t = input_target_pair(name, input, target, same_shape=True)
    w = constant_array(name, "weight", weight, x)
    pw = constant_array(name, "pos_weight", pos_weight, x)
    return BinaryCrossEntropyWithLogitsFn.apply(x, t, reduction=reduction, weight=w,
                                              pos_weight=pw)


def kl_div(input, target, reduction="mean", log_target=False):
    """KL divergence sum t (log t - input) with `input` log-probabilities; `target`
    probabilities (log-probabilities when log_target). 'batchmean' divides by the
    batch size (the mathematical KL); 'mean' by the number of elements."""
    name = "kl_div"
    check_reduction(name, reduction, REDUCTIONS + ("batchmean",))
    x, t = input_target_pair(name, input, target)
    return KLDivFn.apply(x, t, reduction=reduction, log_target=bool(log_target))


def cosine_embedding_loss(input1, input2, target, margin=0.0, reduction="mean"):
    """1 - cos(x1, x2) for target 1, max(0, cos(x1, x2) - margin) for target -1."""
    name = "cosine_embedding_loss"
    check_reduction(name, reduction)
    x1, x2 = input_target_pair(name, input1, input2, same_shape=True)
    if x1.ndim not in (1, 2):
        raise ValueError(
            f"{name}: inputs must be (N, D) or (D,), got shape {tuple(x1.shape)}"
        )
    y = as_tensor(target).array
    if tuple(y.shape) != tuple(x1.shape[:-1]):
        raise ValueError(
            f"{name}: inputs of shape {tuple(x1.shape)} need a target of shape "
            f"{tuple(x1.shape[:-1])} (1 or -1 per pair), got {tuple(y.shape)}"
        )
    return CosineEmbeddingLossFn.apply(x1, x2, y=y, margin=float(margin), reduction=reduction)
