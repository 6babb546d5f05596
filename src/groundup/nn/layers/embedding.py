"""Embedding: a learned lookup table."""

from ...backend import to_dtype
from ...creation import empty
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module, Parameter

__all__ = ["Embedding"]


class Embedding(Module):
    """A table of `num_embeddings` vectors of size `embedding_dim`: y = weight[indices].

    Args:
        num_embeddings: table size V.  embedding_dim: vector size D.
        padding_idx: a row that stays zero and gets no gradient (negative counts
            from the end), or None.
        dtype: parameter dtype (default float32).
    Shape: indices (*) integer -> output (*, D).  Indices outside [0, V) raise IndexError.
    Attributes:
        weight: (V, D), N(0, 1) (row padding_idx zero).
    Example:
        emb = Embedding(10, 3, padding_idx=0)
        y = emb(gu.tensor([[1, 2, 0]]))    # (1, 3, 3); y[0, 2] is zero
    """

    def __init__(self, num_embeddings, embedding_dim, padding_idx=None, device=None,
                 dtype=None, _weight=None):
        super().__init__()
        self.num_embeddings = int(num_embeddings)
        self.embedding_dim = int(embedding_dim)
        if padding_idx is not None:
            if not -self.num_embeddings <= padding_idx < self.num_embeddings:
                raise ValueError(f"Embedding: padding_idx {padding_idx} must be within "
                                 f"[-{self.num_embeddings}, {self.num_embeddings})")
            padding_idx %= self.num_embeddings
        self.padding_idx = padding_idx
        if _weight is None:
            dtype = to_dtype(dtype) or to_dtype("float32")
            self.weight = Parameter(empty(num_embeddings, embedding_dim, dtype=dtype,
                                          device=device))
            self.reset_parameters()
        else:
            if tuple(_weight.shape) != (self.num_embeddings, self.embedding_dim):
                raise ValueError(f"Embedding: _weight must have shape ({num_embeddings}, "
                                 f"{embedding_dim}), got {tuple(_weight.shape)}")
            self.weight = Parameter(_weight)

    @classmethod
    def from_pretrained(cls, embeddings, freeze=True, padding_idx=None):
        """An Embedding holding `embeddings` (V, D) (a Tensor or array); frozen by default."""
        if not isinstance(embeddings, Tensor):
            embeddings = Tensor(embeddings)
        if embeddings.ndim != 2:
            raise ValueError(f"Embedding.from_pretrained: expected a 2-D table, got shape "
                             f"{tuple(embeddings.shape)}")
        V, D = embeddings.shape
        m = cls(V, D, padding_idx=padding_idx, _weight=embeddings)
        m.weight.requires_grad_(not freeze)
        return m

    def reset_parameters(self):
        init.normal_(self.weight)
        if self.padding_idx is not None:
            self.weight.array[self.padding_idx] = 0

    def forward(self, indices):
        return F.embedding(indices, self.weight, self.padding_idx)

    def extra_repr(self):
        s = f"{self.num_embeddings}, {self.embedding_dim}"
        if self.padding_idx is not None:
            s += f", padding_idx={self.padding_idx}"
        return s
