"""Triangular parts of matrices: tril, triu (over the last two dims, batched).

`diagonal` picks the boundary as in PyTorch: 0 is the main diagonal, k > 0 the k-th
diagonal above it, k < 0 below it. Element (i, j) is kept by tril when j - i <= k and by
triu when j - i >= k.
"""

import numpy as np

from ..autograd import Function
from .common import as_tensor, keywords

__all__ = ["tril", "triu"]


class TriangleFn(Function):
    """y = x where the triangle mask M is true, else 0        x: (..., m, n) -> y: same shape
    M[i, j] = (j - i <= k) for tril, (j - i >= k) for triu
    dx = dy where M, else 0 (the same mask: y is linear in x)
    saved: the (m, n) mask only."""

    def forward(self, x, diagonal, upper):
        xp = self.xp
        m, n = x.shape[-2:]
        offset = xp.arange(n)[None, :] - xp.arange(m)[:, None]  # j - i
        self.mask = offset >= diagonal if upper else offset <= diagonal
        return xp.where(self.mask, x, xp.zeros((), x.dtype))

    def backward(self, dy):
        return self.xp.where(self.mask, dy, self.xp.zeros((), dy.dtype))


def _triangle(name, input, diagonal, upper):
    x = as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"{name}: expects a tensor with at least 2 dimensions (a matrix or a "
                         f"batch of them), got shape {tuple(x.shape)}")
    if isinstance(diagonal, (bool, np.bool_)) or not isinstance(diagonal, (int, np.integer)):
        raise TypeError(f"{name}: diagonal must be an int, got {diagonal!r}")
    return TriangleFn.apply(x, diagonal=int(diagonal), upper=upper)


@keywords
def tril(input, diagonal=0):
    """The lower triangle of the last two dims (j - i <= diagonal kept), the rest zeroed."""
    return _triangle("tril", input, diagonal, False)


@keywords
def triu(input, diagonal=0):
    """The upper triangle of the last two dims (j - i >= diagonal kept), the rest zeroed."""
    return _triangle("triu", input, diagonal, True)
