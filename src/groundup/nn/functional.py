"""The functional namespace `F`: every op of `groundup.ops`, plus a few composites.

`import groundup.nn.functional as F` gives F.relu, F.softmax, F.linear,
F.layer_norm, F.batch_norm, F.group_norm, F.cross_entropy, ... (re-exported
from groundup.ops) and defines here what needs the shared random generator or
is not a primitive of its own: dropout, embedding, bilinear.
"""

import numpy as np

from .. import ops as _ops
from ..autograd import Function
from ..backend import move
from ..ops import *  # noqa: F403
from ..ops.common import as_tensor as _as_tensor
from ..random import get_generator
from ..tensor import Tensor

_OWN = ["dropout", "embedding", "bilinear"]
__all__ = sorted(
    {n for n in dir(_ops) if not n.startswith("_") and callable(getattr(_ops, n))
     and not isinstance(getattr(_ops, n), type)} | set(_OWN)
)


class Dropout(Function):
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
    return Dropout.apply(input, p=float(p))


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


class Embedding(Function):
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
    return Embedding.apply(weight, indices=idx, padding_idx=padding_idx)


class Bilinear(Function):
    """Bilinear map: y[n, k] = sum_ij x1[n, i] W[k, i, j] x2[n, j] + b[k].

    forward:   x1: (N, I), x2: (N, J), W: (K, I, J) -> y: (N, K)
               t[k] = x1 @ W[k]  (K, N, J), a batched GEMM;  y[n, k] = sum_j t[k, n, j] x2[n, j]
    backward:  u[k, n, j] = dy[n, k] x2[n, j]
               dx1 = sum_k u[k] @ W[k]^T     dW[k] = x1^T @ u[k]
               dx2[n, j] = sum_k dy[n, k] t[k, n, j]      db = sum_n dy
    saved:     x1, x2, W and t.
    """

    def forward(self, x1, x2, w, *bias):
        xp = self.xp
        t = xp.matmul(x1, w)  # (K, N, J)
        y = xp.einsum("knj,nj->nk", t, x2)
        if bias:
            y += bias[0]
        self.save_for_backward(x1, x2, w, t)
        return y

    def backward(self, dy):
        xp = self.xp
        x1, x2, w, t = self.saved
        needs = self.needs_input_grad
        dx1 = dx2 = dw = db = None
        if needs[0] or needs[2]:
            u = dy.T[:, :, None] * x2[None, :, :]  # (K, N, J)
            if needs[0]:
                dx1 = xp.matmul(u, w.transpose(0, 2, 1)).sum(0)
            if needs[2]:
                dw = xp.matmul(x1.T, u)
        if needs[1]:
            dx2 = xp.einsum("nk,knj->nj", dy, t)
        if len(needs) > 3 and needs[3]:
            db = dy.sum(0)
        return (dx1, dx2, dw, db)[: len(needs)]


def bilinear(input1, input2, weight, bias=None):
    """y = x1^T W_k x2 + b_k for each output k; x1 (..., I), x2 (..., J), W (K, I, J)."""
    input1, input2 = _as_tensor(input1), _as_tensor(input2)
    if weight.ndim != 3:
        raise ValueError(f"bilinear: weight must be 3-D (out, in1, in2), got "
                         f"{tuple(weight.shape)}")
    K, I, J = weight.shape
    lead = tuple(input1.shape[:-1])
    if (input1.ndim < 1 or input1.shape[-1] != I or input2.ndim < 1 or input2.shape[-1] != J
            or tuple(input2.shape[:-1]) != lead):
        raise ValueError(f"bilinear: expected inputs (..., {I}) and (..., {J}) with the same "
                         f"leading shape, got {tuple(input1.shape)} and {tuple(input2.shape)}")
    if bias is not None and tuple(bias.shape) != (K,):
        raise ValueError(f"bilinear: expected bias of shape ({K},), got {tuple(bias.shape)}")
    x1 = input1 if input1.ndim == 2 else _ops.reshape(input1, (-1, I))
    x2 = input2 if input2.ndim == 2 else _ops.reshape(input2, (-1, J))
    extra = () if bias is None else (bias,)
    y = Bilinear.apply(x1, x2, weight, *extra)
    return y if input1.ndim == 2 else _ops.reshape(y, lead + (K,))
