"""Sorting: sort, argsort, topk (values with their int64 indices, as in PyTorch).

Order, as PyTorch's: nan counts as larger than every number, so nans come last ascending and
first descending. Ties: groundup always sorts stably, ascending and descending alike (equal
elements keep their order in the input), which is what PyTorch guarantees with
`stable=True`. topk returns the first k of that stable order; PyTorch promises nothing about
which of several equal elements topk picks, so only the values (and that the indices point at
them) are comparable between the two.

The values are one GatherFn along dim (ops/index.py): dx = zeros(S) with dy put back at the
positions the indices name. The indices carry no gradient.
"""

import numpy as np

from ..backend import array_module
from ..tensor import Tensor
from .common import as_tensor, check_dim, keywords
from .index import GatherFn
from .reduce import ValuesIndices

__all__ = ["sort", "argsort", "topk"]


def _order(xp, a, d, descending):
    """int64 positions that sort `a` along axis d, stably, nan largest.

    Descending: sort the reversed array ascending (stable), reverse the result and map the
    positions back; equal elements then keep their original order, and the nans (last in an
    ascending sort) come first."""
    if not descending:
        return xp.argsort(a, axis=d, kind="stable")
    n = a.shape[d]
    idx = xp.argsort(xp.flip(a, d), axis=d, kind="stable")
    return (n - 1) - xp.flip(idx, d)


def _prepare(name, input, dim):
    x = as_tensor(input)
    d = check_dim(name, dim, x.ndim)
    return x, d


def _values(x, index, d):
    """The values at `index` along d (differentiable), and the indices as a Tensor."""
    return ValuesIndices(GatherFn.apply(x, index=index, dim=d), Tensor._wrap(index))


@keywords
def sort(input, dim=-1, descending=False, stable=False):
    """(values, indices): x sorted along dim, ascending unless descending=True, and where each
    value came from. Always stable (see the module docstring); `stable` is accepted for
    PyTorch's signature."""
    x, d = _prepare("sort", input, dim)
    a = x.array
    if a.ndim == 0:
        return _values(x, array_module(a).zeros((), np.int64), 0)
    index = _order(array_module(a), a, d, bool(descending)).astype(np.int64, copy=False)
    return _values(x, index, d)


@keywords
def argsort(input, dim=-1, descending=False, stable=False):
    """The int64 indices that sort x along dim (sort(...).indices); always stable."""
    x, d = _prepare("argsort", input, dim)
    a = x.array
    xp = array_module(a)
    if a.ndim == 0:
        return Tensor._wrap(xp.zeros((), np.int64))
    return Tensor._wrap(_order(xp, a, d, bool(descending)).astype(np.int64, copy=False))


@keywords
def topk(input, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the k largest (largest=False: smallest) elements along dim,
    in sorted order (also when sorted=False, which allows any order)."""
    x, d = _prepare("topk", input, dim)
    a = x.array
    xp = array_module(a)
    n = a.shape[d] if a.ndim else 1
    if isinstance(k, Tensor):
        k = k.item()
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"topk: k must be an int, got {k!r}")
    if not 0 <= k <= n:
        raise ValueError(f"topk: k ({k}) is out of range for dimension {d} of size {n} "
                         f"(tensor of shape {tuple(a.shape)}); expected 0 <= k <= {n}")
    if a.ndim == 0:  # PyTorch returns the element for k = 0 and k = 1 alike
        return _values(x, xp.zeros((), np.int64), 0)
    order = _order(xp, a, d, bool(largest)).astype(np.int64, copy=False)
    index = order[(slice(None),) * d + (slice(0, int(k)),)]
    return _values(x, xp.ascontiguousarray(index), d)
