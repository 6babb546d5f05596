"""Compiled optimizer updates: one threaded pass over each parameter (numba prange).

Each kernel is the NumPy reference of its optimizer (optim/adam.py, optim/sgd.py) with
its passes fused into one loop: the same operations on the same values, in the same
order and dtype (the constants arrive as an array of the parameter's dtype, as NumPy
converts a Python float), with no fused multiply-add, so the results are bit-identical
to the reference. The update is bound by memory traffic: one pass that reads p, g and
the state once and writes them once replaces 12-14 NumPy passes.

Arrays are flat (1-D) views of C-contiguous arrays of one dtype.
"""

import numpy as np
from numba import prange

from .switch import jit


@jit
def adam(p, g, m, v, v_max, c, maximize, l2, decoupled, lerp_low, amsgrad):
    """c = [decay, weight_decay, w, 1 - w, beta2, 1 - beta2, sqrt(1 - beta2^t), eps,
    -lr / (1 - beta1^t)] in p's dtype, w = 1 - beta1; the flags select the steps."""
    decay, wd, w, one_minus_w = c[0], c[1], c[2], c[3]
    beta2, one_minus_beta2, bc2_sqrt, eps, neg_step = c[4], c[5], c[6], c[7], c[8]
    for i in prange(p.size):
        pi = p[i]
        gi = g[i]
        if decoupled:
            pi = pi * decay
        if l2:
            gi = wd * pi - gi if maximize else wd * pi + gi
        elif maximize:
            gi = -gi
        d = gi - m[i]
        mi = m[i] + d * w if lerp_low else gi - d * one_minus_w
        m[i] = mi
        vi = v[i] * beta2 + (gi * one_minus_beta2) * gi
        v[i] = vi
        if amsgrad:
            vm = v_max[i]
            if not (vm >= vi or vm != vm):  # np.maximum: NaN wins
                vm = vi
            v_max[i] = vm
            vi = vm
        denom = np.sqrt(vi) / bc2_sqrt + eps
        p[i] = pi + (mi * neg_step) / denom


@jit
def sgd(p, g, buf, c, maximize, l2, momentum_on, first, nesterov):
    """c = [weight_decay, momentum, 1 - dampening, -lr] in p's dtype."""
    wd, momentum, undamped, neg_lr = c[0], c[1], c[2], c[3]
    for i in prange(p.size):
        pi = p[i]
        gi = g[i]
        if l2:
            gi = pi * wd - gi if maximize else pi * wd + gi
        elif maximize:
            gi = -gi
        if momentum_on:
            if first:
                b = gi
            else:
                b = buf[i] * momentum + gi * undamped
            buf[i] = b
            gi = b * momentum + gi if nesterov else b
        p[i] = pi + gi * neg_lr
