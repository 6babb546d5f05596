"""Batch-innermost image memory behind the public NCHW layout.

Image tensors are NCHW (N, C, H, W) or NCL (N, C, L) in the public API, as in PyTorch.
The convolution primitives (ops/conv_tuned.py) work on batch-innermost memory instead,
C-contiguous (C, H, W, N) ("CHWN"; (C, L, N) for signals), where

- im2col copies long contiguous runs (every pixel's N batch values are adjacent), and
- a convolution's GEMM output (O, Ho*Wo*N) already is the next layer's input, with no
  transpose between layers.

Such a primitive returns its result as an NCHW *view* of the CHWN array,
`y_chwn.transpose(3, 0, 1, 2)`: shape, indexing and values are NCHW; only the strides
say that the memory is batch-innermost. This is the one exception to "layer outputs are
C-contiguous": element-wise NumPy ufuncs (ReLU, dropout masks, adds) run over such a view
at full speed and keep its layout (they iterate in memory order), and the next
convolution or pooling finds its CHWN input from the strides with `batch_last_array`,
without a copy. `tensor.contiguous()` (or `numpy.ascontiguousarray`) turns it into an
ordinary C-contiguous NCHW array when a consumer needs one.

The functions work for any number of spatial axes: (N, C, *S) <-> (C, *S, N).
"""

from ..backend import array_module

__all__ = []


def batch_last_array(x):
    """The C-contiguous (C, *S, N) array behind x (N, C, *S) when x is such a view, else None.

    The result shares memory with x (no copy). A C-contiguous NCHW array with N = 1 (or
    any array whose strides allow it) also qualifies: both readings are the same memory.
    """
    if x.ndim < 2:
        return None
    a = x.transpose(tuple(range(1, x.ndim)) + (0,))
    return a if a.flags.c_contiguous else None


def as_batch_last(x):
    """x (N, C, *S) as a C-contiguous (C, *S, N) array: the memory behind x when it is
    batch-innermost already, else a copy (one pass; long runs when x is nearly so)."""
    a = x.transpose(tuple(range(1, x.ndim)) + (0,))
    if a.flags.c_contiguous:
        return a
    return array_module(x).ascontiguousarray(a)


def batch_first_view(a):
    """The (N, C, *S) view of a batch-innermost array a (C, *S, N) (no copy)."""
    return a.transpose((a.ndim - 1,) + tuple(range(a.ndim - 1)))


def is_batch_last(x):
    """Whether x (N, C, *S) is a view of C-contiguous (C, *S, N) memory."""
    return batch_last_array(x) is not None

