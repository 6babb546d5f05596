"""Dropout: zero random elements while training and rescale the rest (inverted dropout).

The mask comes from groundup's shared generator (groundup.random), so gu.manual_seed
makes it reproducible.
"""

import numpy as np

from ..autograd import Function
from ..backend import move
from ..random import get_generator

__all__ = ["dropout"]


class DropoutFn(Function):
    """Inverted dropout: keep each element with probability 1 - p and rescale.

    forward:   m ~ Bernoulli(1 - p) per element, s = 1 / (1 - p)
               y = x * m * s                                  x, y: any shape
    backward:  dx = dy * m * s
    saved:     the scaled mask m * s (one array, in x's dtype).
    """

    def forward(self, x, p):
        keep = get_generator().random(x.shape, dtype=np.float32) >= p
        if p >= 1.0:
            mask = np.zeros(x.shape, x.dtype)
        else:
            mask = np.multiply(keep, 1.0 / (1.0 - p), dtype=x.dtype)
        if self.xp is not np:
            mask = move(mask, "cuda")
        self.save_for_backward(mask)
        return x * mask

    def backward(self, dy):
        return dy * self.saved[0]


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability p and scale the rest by 1/(1-p) (when training).

    The mask comes from the shared generator, so gu.manual_seed makes it
    reproducible. In eval mode (training=False) or with p=0 this is the identity.
    `inplace` is accepted for PyTorch compatibility; the result is always new.
    """
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout: probability p must be a number in [0, 1], got {p!r}")
    if not training or p == 0:
        return input
    if input.array.dtype.kind != "f":
        raise TypeError(f"dropout: expected a floating-point input, got {input.array.dtype}")
    return DropoutFn.apply(input, p=float(p))
