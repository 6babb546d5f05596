"""Embedding: rows of a table picked by integer indices; the backward scatters gradients back."""

import numpy as np

from ..autograd import Function
from ..tensor import Tensor

__all__ = ["embedding"]


def _scatter_add_rows(xp, out, idx, rows):
    """out[idx[i]] += rows[i] for every i, adding repeated indices (out: (V, D))."""
    V, D = out.shape
    if V <= 96:
        # A small table (e.g. characters): one GEMM with a one-hot (N, V) matrix beats
        # any scatter; its cost grows with V, the scatter's does not.
        onehot = xp.zeros((idx.size, V), dtype=rows.dtype)
        onehot[xp.arange(idx.size), idx] = 1
        out += onehot.T @ rows
    elif xp is np:
        # np.add.at over flat element indices takes NumPy's fast 1-D path, several
        # times quicker than add.at with row indices on a 2-D array.
        flat = (idx[:, None] * D + np.arange(D)).reshape(-1)
        np.add.at(out.reshape(-1), flat, rows.reshape(-1))
    else:  # pragma: no cover - CuPy
        import cupyx

        cupyx.scatter_add(out, idx, rows)


class EmbeddingFn(Function):
    """Table lookup: y[..., :] = W[idx[...], :].

    forward:   idx: integer (...), W: (V, D) -> y: (..., D)
    backward:  dW[v] = sum of dy[i] over the positions i with idx[i] == v
               (row padding_idx gets no gradient); idx gets none.
    saved:     the flat indices.
    """

    def forward(self, weight, indices, padding_idx):
        self.idx = indices.reshape(-1)
        self.wshape = weight.shape
        self.padding_idx = padding_idx
        return weight.take(indices, axis=0)

    def backward(self, dy):
        xp = self.xp
        V, D = self.wshape
        dw = xp.zeros((V, D), dtype=dy.dtype)
        _scatter_add_rows(xp, dw, self.idx, dy.reshape(-1, D))
        if self.padding_idx is not None:
            dw[self.padding_idx] = 0
        return dw


def embedding(input, weight, padding_idx=None):
    """Rows of `weight` (V, D) picked by the integer tensor `input` (...) -> (..., D).

    Indices must lie in [0, V); the row `padding_idx` (if given) receives no gradient.
    """
    idx = input.array if isinstance(input, Tensor) else np.asarray(input)
    if idx.dtype.kind not in "iu":
        raise TypeError(f"embedding: indices must be an integer tensor, got dtype {idx.dtype}")
    if weight.ndim != 2:
        raise ValueError(f"embedding: weight must be 2-D (num_embeddings, embedding_dim), "
                         f"got shape {tuple(weight.shape)}")
    V = weight.shape[0]
    if idx.size:
        lo, hi = int(idx.min()), int(idx.max())
        if lo < 0 or hi >= V:
            bad = lo if lo < 0 else hi
            raise IndexError(f"embedding: index {bad} is out of range for a table of {V} rows "
                             f"(expected 0 <= index < {V})")
    if padding_idx is not None:
        if not -V <= padding_idx < V:
            raise ValueError(f"embedding: padding_idx {padding_idx} must be within "
                             f"[-{V}, {V})")
        padding_idx %= V
    return EmbeddingFn.apply(weight, indices=idx, padding_idx=padding_idx)
