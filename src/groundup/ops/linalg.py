"""Linear algebra primitives: matmul (torch.matmul semantics), linear, outer, bmm.

These are the GEMM-bound hot path of every model, so each keeps BLAS busy and
everything else out of the way: a batch of matrices times one matrix is one
big GEMM on a (batch * n, k) view instead of a loop of small ones; transposes
are views (BLAS takes them as a flag, no copy); and a backward computes only
the gradients `needs_input_grad` asks for (the data needs none: skipping the
first layer's input gradient saves a whole GEMM per step).

Shapes are checked in the functions, before any work, with errors that name
both shapes.
"""

import math

import numpy as np

from ..autograd import Function
from ..backend import cached_constant
from ..tensor import Tensor
from .common import binary_operands

__all__ = ["matmul", "linear", "outer", "bmm"]


def _rows(x):
    """x (..., k) as a 2-D (prod(...), k) array (a view when x is contiguous)."""
    return x if x.ndim == 2 else x.reshape(math.prod(x.shape[:-1]), x.shape[-1])


def _col_major(a):
    """True for a 2-D array that is column-major (F-contiguous) but not row-major."""
    flags = a.flags
    return flags.f_contiguous and not flags.c_contiguous


def _mm_rows(x, w):
    """x (..., k) @ w (k, m) or (k,) -> (..., m) or (...) as one GEMM on a (prod(...), k) view."""
    if x.ndim == 2:
        return x @ w
    y = _rows(x) @ w  # (prod(...), m) or (prod(...),)
    return y.reshape(x.shape[:-1] + w.shape[1:])


class MatmulFn(Function):
    """Matrix product with torch.matmul semantics.

    Shapes: a (..., n, k) @ b (..., k, m) -> (..., n, m), batch dims broadcast;
    a 1-D a is a row (1, k) and a 1-D b a column (k, 1), their dim removed from
    the result; 1-D @ 1-D is the dot product, a 0-d result.
    forward:   y = a @ b
    backward:  da = dy @ b^T      db = a^T @ dy      (with the 1-D dims restored)
               summed over the batch dims the operand was broadcast along; when one
               operand is a single matrix the batch sum is folded into one GEMM:
               db = a_rows^T @ dy_rows (b 2-D), da = tensordot over batch and m (a 2-D)
    saved:     a and b (references, no copies)
    """

    def forward(self, a, b):
        self.save_for_backward(a, b)
        xp = self.xp
        if a.ndim == 1 and b.ndim == 1:
            return xp.asarray(xp.dot(a, b))  # 0-d
        if b.ndim <= 2 and a.ndim > 2:
            return _mm_rows(a, b)
        return xp.matmul(a, b)

    def backward(self, dy):
        a, b = self.saved
        xp = self.xp
        need_a, need_b = self.needs_input_grad
        if a.ndim == 1 and b.ndim == 1:  # dot: dy is 0-d
            return (dy * b if need_a else None), (dy * a if need_b else None)
        A = a[None, :] if a.ndim == 1 else a  # (..., n, k)
        B = b[:, None] if b.ndim == 1 else b  # (..., k, m)
        if a.ndim == 1:
            dy = dy[..., None, :]
        if b.ndim == 1:
            dy = dy[..., None]  # dy: (..., n, m)
        da = db = None
        if need_a:
            if B.ndim == 2:  # dy's batch is A's: one GEMM over all rows
                da = _mm_rows(dy, B.T)
            elif A.ndim == 2:  # sum over B's batch and m in one contraction
                batch = list(range(B.ndim - 2))
                da = xp.tensordot(dy, B, axes=(batch + [B.ndim - 1], batch + [B.ndim - 1]))
            else:  # both batched: the engine sums broadcast batch dims
                da = xp.matmul(dy, xp.swapaxes(B, -1, -2))
            if a.ndim == 1:
                da = da.reshape(a.shape)
        if need_b:
            if B.ndim == 2:  # sum over A's batch folded into one GEMM
                db = _rows(A).T @ _rows(dy)
            elif A.ndim == 2:
                db = xp.matmul(A.T, dy)
            else:
                db = xp.matmul(xp.swapaxes(A, -1, -2), dy)
            if b.ndim == 1:
                db = db.reshape(b.shape)
        return da, db


class LinearFn(Function):
    """Fused affine map y = x @ W^T + b (nn.Linear's layout: W is (out, in)).

    Shapes: x (..., in), W (out, in), b (out,) -> y (..., out); N = prod(...).
    forward:   y = x2 @ W^T (+ b)           x2 = x as (N, in); W^T is a view
    backward:  dx = dy2 @ W                 (N, out) @ (out, in)
               dW = dy2^T @ x2              (out, N) @ (N, in)
               db = 1^T dy2                 a GEMV with a ones vector (column sums)
               each computed only when its input needs a gradient
    saved:     x and W (references, no copies)

    Layout (values are the same either way): for a 2-D x, y is computed as
    y^T = W @ x^T when out >= N or x is column-major (x^T then a plain row-major
    operand), and returned as the (N, out) column-major view y^T.T. OpenBLAS runs
    that orientation 10-40% faster for batch-sized N (more at 2 threads), and the
    next LinearFn then gets a column-major x. dx is returned in x's layout, so that
    element-wise backward ops between layers (ReLU's mask) stay contiguous.
    """

    def forward(self, x, w, b=None):
        self.save_for_backward(x, w)
        if x.ndim == 2 and (_col_major(x) or w.shape[0] >= x.shape[0]):
            y_t = w @ x.T  # (out, N): the faster GEMM orientation (see the class docstring)
            if b is not None:
                y_t += b[:, None]  # in place on the fresh GEMM output
            return y_t.T
        y = _mm_rows(x, w.T)
        if b is not None:
            y += b
        return y

    def backward(self, dy):
        x, w = self.saved
        needs = self.needs_input_grad
        dy2 = _rows(dy)  # (N, out)
        dx = dw = db = None
        if len(needs) == 3 and needs[2]:  # first, while dy is still in cache
            db = cached_constant(self.xp, "ones", dy2.shape[0], dy.dtype) @ dy2
        if needs[0]:
            if x.ndim == 2 and _col_major(x):
                dx = (w.T @ dy2.T).T  # dx^T = W^T dy^T: dx in x's (column-major) layout
            else:
                dx = dy2 @ w
                if x.ndim != 2:
                    dx = dx.reshape(x.shape)
        if needs[1]:
            if x.ndim == 2 and dy2.shape[1] < dy2.shape[0] and _col_major(x) and _col_major(dy2):
                # a narrow column-major dy against a column-major x: OpenBLAS's kernel for
                # that operand pair is ~2.5x slower than after copying the small dy to rows
                dy2 = self.xp.ascontiguousarray(dy2)
            dw = dy2.T @ _rows(x)
        return (dx, dw, db) if len(needs) == 3 else (dx, dw)


class OuterFn(Function):
    """Outer product of two vectors.

    forward:   y[i, j] = a[i] * b[j]          a: (n,), b: (m,) -> y: (n, m)
    backward:  da = dy @ b     db = dy^T @ a  (GEMVs)
    saved:     a and b
    """

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a[:, None] * b[None, :]

    def backward(self, dy):
        a, b = self.saved
        need_a, need_b = self.needs_input_grad
        return (dy @ b if need_a else None), (a @ dy if need_b else None)


class BmmFn(Function):
    """Batched matrix product of 3-D tensors with the same batch size (no broadcasting).

    forward:   y[i] = a[i] @ b[i]            a: (B, n, k), b: (B, k, m) -> y: (B, n, m)
    backward:  da = dy @ b^T     db = a^T @ dy   (per batch entry)
    saved:     a and b
    """

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return self.xp.matmul(a, b)

    def backward(self, dy):
        a, b = self.saved
        xp = self.xp
        need_a, need_b = self.needs_input_grad
        da = xp.matmul(dy, xp.swapaxes(b, 1, 2)) if need_a else None
        db = xp.matmul(xp.swapaxes(a, 1, 2), dy) if need_b else None
        return da, db


def _shape(t):
    return tuple(t.shape)


def matmul(a, b):
    """Matrix product with torch.matmul semantics (1-D, 2-D, batched, broadcast batch dims)."""
    if type(a) is not Tensor or type(b) is not Tensor or a.array.dtype != b.array.dtype:
        a, b = binary_operands(a, b)
    sa, sb = a.array.shape, b.array.shape
    if not sa or not sb:
        raise ValueError(
            f"matmul: both arguments must be at least 1-D, got shapes {sa} and {sb}"
        )
    ka = sa[-1]
    kb = sb[-2] if len(sb) >= 2 else sb[0]
    if ka != kb:
        raise ValueError(f"matmul: shapes {sa} and {sb} are not aligned: {ka} != {kb}")
    if len(sa) > 2 and len(sb) > 2:
        try:
            np.broadcast_shapes(sa[:-2], sb[:-2])
        except ValueError:
            raise ValueError(
                f"matmul: shapes {sa} and {sb} have batch dimensions {sa[:-2]} and "
                f"{sb[:-2]} that do not broadcast"
            ) from None
    return MatmulFn.apply(a, b)


def linear(x, weight, bias=None):
    """y = x @ weight.T + bias, with x (..., in_features), weight (out, in), bias (out,)."""
    if (not isinstance(x, Tensor) or not isinstance(weight, Tensor)
            or x.array.dtype != weight.array.dtype):  # (a Parameter is a Tensor: no conversion)
        x, weight = binary_operands(x, weight)
    sx, sw = x.array.shape, weight.array.shape
    if len(sw) != 2:
        raise ValueError(
            f"linear: weight must be 2-D (out_features, in_features), got shape {sw}"
        )
    if not sx or sx[-1] != sw[1]:
        got = sx[-1] if sx else "no"
        raise ValueError(
            f"linear: input of shape {sx} has {got} features in its last dimension, but "
            f"weight of shape {sw} expects in_features={sw[1]}"
        )
    if bias is None:
        return LinearFn.apply(x, weight)
    if not isinstance(bias, Tensor) or bias.array.dtype != x.array.dtype:
        bias = binary_operands(x, bias)[1]
    if bias.array.shape != (sw[0],):
        raise ValueError(
            f"linear: bias must have shape ({sw[0]},) for weight of shape {sw}, got "
            f"{bias.array.shape}"
        )
    return LinearFn.apply(x, weight, bias)


def outer(a, b):
    """Outer product of two 1-D tensors: (n,) x (m,) -> (n, m)."""
    a, b = binary_operands(a, b)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"outer: expected two 1-D tensors, got shapes {_shape(a)} and {_shape(b)}")
    return OuterFn.apply(a, b)


def bmm(a, b):
    """Batched matrix product: (B, n, k) @ (B, k, m) -> (B, n, m), no broadcasting."""
    a, b = binary_operands(a, b)
    sa, sb = _shape(a), _shape(b)
    if len(sa) != 3 or len(sb) != 3:
        raise ValueError(f"bmm: expected two 3-D tensors, got shapes {sa} and {sb}")
    if sa[0] != sb[0]:
        raise ValueError(f"bmm: shapes {sa} and {sb} have different batch sizes: "
                         f"{sa[0]} != {sb[0]}")
    if sa[2] != sb[1]:
        raise ValueError(f"bmm: shapes {sa} and {sb} are not aligned: {sa[2]} != {sb[1]}")
    return BmmFn.apply(a, b)
