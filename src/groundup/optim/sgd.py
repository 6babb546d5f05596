"""Stochastic gradient descent, with momentum, dampening, Nesterov and weight decay."""

from .. import kernels
from ..backend import array_module
from .optimizer import Optimizer, nonneg

__all__ = ["SGD"]


class SGD(Optimizer):
    """Stochastic gradient descent (optionally with momentum), PyTorch's exact update.

    For each parameter p with gradient g, at step t:
        1. g <- -g                                  if maximize
        2. g <- g + weight_decay * p                if weight_decay != 0
        3. if momentum != 0:
               b <- g (a copy)                      at the first step
               b <- momentum * b + (1 - dampening) * g    afterwards
               g <- g + momentum * b                if nesterov, else g <- b
        4. p <- p - lr * g

    `_update` computes these steps as written, one NumPy pass each. Large parameters
    take one compiled, threaded pass instead with the `fast` extra (the same numbers
    bit for bit), and plain SGD's step 4 is one BLAS axpy without it (a fused
    multiply-add, as PyTorch's `p.add_(g, alpha=-lr)`); see `groundup.kernels.sgd_`.

    Nesterov momentum: Sutskever et al., "On the importance of initialization and
    momentum in deep learning", ICML 2013.

    Args:
        params: tensors or param-group dicts.
        lr: learning rate (default 1e-3).
        momentum: momentum factor (default 0).
        dampening: dampening of the momentum (default 0).
        weight_decay: L2 penalty (default 0).
        nesterov: Nesterov momentum (needs momentum > 0 and dampening == 0).
        maximize: ascend the objective instead of descending it.

    State per parameter: "momentum_buffer" (only when momentum != 0).

    Example:
        >>> opt = gu.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        >>> loss.backward(); opt.step(); opt.zero_grad()
    """

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False):
        defaults = dict(lr=lr, momentum=momentum, dampening=dampening,
                        weight_decay=weight_decay, nesterov=nesterov, maximize=maximize)
        super().__init__(params, defaults)

    def _validate(self, group):
        self._check(group, "lr", nonneg, "a learning rate >= 0")
        self._check(group, "momentum", nonneg, "a momentum >= 0")
        self._check(group, "weight_decay", nonneg, "a weight_decay >= 0")
        if group.get("nesterov") and (group.get("momentum", 0) <= 0
                                      or group.get("dampening", 0) != 0):
            raise ValueError("SGD: Nesterov momentum requires a momentum > 0 and zero dampening")

    def _update(self, p, grad, state, group):
        xp = array_module(p)
        lr, momentum = float(group["lr"]), float(group["momentum"])
        dampening, weight_decay = float(group["dampening"]), float(group["weight_decay"])
        nesterov, maximize = group["nesterov"], group["maximize"]
        buf = state.get("momentum_buffer")
        first = momentum != 0 and buf is None
        if first:
            buf = xp.empty_like(p)
        if kernels.sgd_(p, grad, buf if momentum != 0 else None, lr, momentum, dampening,
                        weight_decay, nesterov, maximize, first):
            if first:
                state["momentum_buffer"] = buf
            return  # done by a tuned variant
        # 1-2. maximize, weight decay
        g = self._effective_grad(p, grad, weight_decay, maximize)
        # 3. momentum
        if momentum != 0:
            work = self._scratch(p)
            if first:
                buf[...] = g
                state["momentum_buffer"] = buf
            else:
                buf *= momentum
                xp.multiply(g, 1.0 - dampening, out=work)
                buf += work
            if nesterov:
                xp.multiply(buf, momentum, out=work)
                work += g
                g = work
            else:
                g = buf
        # 4. p <- p - lr * g
        update = xp.multiply(g, -lr, out=self._scratch(p, 2))
        p += update
