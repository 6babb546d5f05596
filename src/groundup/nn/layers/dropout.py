"""Dropout."""

from .. import functional as F
from ..module import Module

__all__ = ["Dropout"]


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability p, scale the rest.

    y = x * m / (1 - p), m ~ Bernoulli(1 - p), drawn from the shared generator
    (gu.manual_seed makes it reproducible). In eval mode y = x.

    Args:
        p: probability of zeroing an element, in [0, 1] (default 0.5).
        inplace: accepted for PyTorch compatibility (the result is always new).
    Shape: input (*), output (*).
    Example:
        drop = Dropout(0.2)
        y = drop(gu.randn(16, 8)); drop.eval(); drop(x) is x   # True
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability p must be in [0, 1], got {p!r}")
        self.p = float(p)
        self.inplace = inplace

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"
