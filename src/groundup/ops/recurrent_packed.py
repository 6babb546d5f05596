"""The two index maps behind packed sequences (gu.nn.utils.rnn): taking rows out of a padded
batch and placing rows into one. They are adjoint: the backward of each is the other.

    take_rows(x, index)                  y = x[index]      x (N, *), index (M,) distinct rows
    place_rows(x, index, rows, value)    y = full((rows, *), value); y[index] = x

With distinct indices, both backwards are a plain assignment or gather (no add.at).
"""

from ..autograd import Function
from .common import as_tensor

__all__ = ["take_rows", "place_rows"]


class TakeRowsFn(Function):
    """y = x[index]        x: (N, *), index: (M,) distinct row numbers -> y: (M, *)
    dx = zeros((N, *)); dx[index] = dy      (distinct rows: an assignment, nothing summed)
    saved: the index and N."""

    def forward(self, x, index):
        self.index, self.rows = index, x.shape[0]
        return x[index]

    def backward(self, dy):
        dx = self.xp.zeros((self.rows,) + dy.shape[1:], dy.dtype)
        dx[self.index] = dy
        return dx


class PlaceRowsFn(Function):
    """y = full((rows, *), value); y[index] = x      x: (M, *), index: (M,) distinct rows
    dx = dy[index]           (the padding rows are constants: no gradient)
    saved: the index."""

    def forward(self, x, index, rows, value):
        self.index = index
        y = self.xp.full((rows,) + x.shape[1:], value, x.dtype)
        y[index] = x
        return y

    def backward(self, dy):
        return dy[self.index]


def take_rows(x, index):
    """x[index] for distinct row numbers `index` (a NumPy int array), with a cheap backward."""
    return TakeRowsFn.apply(as_tensor(x), index=index)


def place_rows(x, index, rows, value=0.0):
    """A (rows, *) tensor filled with `value` whose rows `index` (distinct) are x's rows."""
    return PlaceRowsFn.apply(as_tensor(x), index=index, rows=int(rows), value=value)
