"""Linear algebra primitives: matmul (torch.matmul semantics), linear, outer, bmm, bilinear.

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
import weakref

import numpy as np

from ..autograd import Function
from ..backend import cached_constant
from ..tensor import Tensor
from .common import as_tensor, binary_operands
from .shape import reshape

__all__ = ["matmul", "linear", "outer", "bmm", "bilinear"]


def _rows(x):
    """x (..., k) as a 2-D (prod(...), k) array (a view when x is contiguous)."""
    return x if x.ndim == 2 else x.reshape(math.prod(x.shape[:-1]), x.shape[-1])


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
    forward:   y = x2 @ W^T (+ b)           x2 = x as (N, in); W^T is a view (BLAS takes
                                            the transpose as a flag, no copy)
    backward:  dx = dy2 @ W                 (N, out) @ (out, in)
               dW = dy2^T @ x2              (out, N) @ (N, in); in blocks of rows, each
                                            handed on as written, when the weight has a
                                            sink (set_weight_grad_sink)
               db = 1^T dy2                 column sums, as a GEMV with a ones vector
               each computed only when its input needs a gradient
    saved:     x and W (references, no copies)
    The output is C-contiguous (row-major), like every layer output.
    """

    def forward(self, x, w, b=None):
        self.save_for_backward(x, w)
        y = _mm_rows(x, w.T)
        if b is not None:
            y += b  # in place on the fresh GEMM output
        return y

    def backward(self, dy):
        x, w = self.saved
        needs = self.needs_input_grad
        dy2 = _rows(dy)  # (N, out)
        dx = dw = db = None
        if len(needs) == 3 and needs[2]:  # first, while dy is still in cache
            db = cached_constant(self.xp, "ones", dy2.shape[0], dy.dtype) @ dy2
        if needs[0]:
            dx = (dy2 @ w).reshape(x.shape)
        if needs[1]:
            sink = _weight_grad_sinks.get(id(self.parents[1])) if _weight_grad_sinks else None
            if sink is None:
                dw = dy2.T @ _rows(x)
            else:
                dw = _blocked_weight_grad(self.xp, dy2, _rows(x), *sink[:2])
        return (dx, dw, db) if len(needs) == 3 else (dx, dw)


_weight_grad_sinks = {}  # id(weight Tensor) -> (rows per block, sink, weakref to the weight)


def set_weight_grad_sink(weight, sink, rows):
    """Have LinearFn's backward compute dW of `weight` in blocks of `rows` rows.

    After each block W.grad[lo:hi] is written, `sink(lo, hi, block)` is called (block is
    that part of the gradient array backward returns), so a consumer can start on it
    while the rest is computed (DistributedDataParallel starts its all-reduce).
    sink=None removes it; so does the weight's end (only a weak reference is kept to it).
    The result is the same as one GEMM's up to rounding order.
    """
    key = id(weight)
    if sink is None:
        _weight_grad_sinks.pop(key, None)
    else:
        gone = weakref.ref(weight, lambda _: _weight_grad_sinks.pop(key, None))
        _weight_grad_sinks[key] = (max(1, int(rows)), sink, gone)


def _blocked_weight_grad(xp, dy2, x2, rows, sink):
    """dW = dy2^T @ x2, (out, N) @ (N, in), as GEMMs of `rows` rows of dW each."""
    out = dy2.shape[1]
    dw = xp.empty((out, x2.shape[1]), dtype=dy2.dtype)
    for lo in range(0, out, rows):
        hi = min(out, lo + rows)
        xp.matmul(dy2[:, lo:hi].T, x2, out=dw[lo:hi])
        sink(lo, hi, dw[lo:hi])
    return dw


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


class BilinearFn(Function):
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
    input1, input2 = as_tensor(input1), as_tensor(input2)
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
    x1 = input1 if input1.ndim == 2 else reshape(input1, (-1, I))
    x2 = input2 if input2.ndim == 2 else reshape(input2, (-1, J))
    extra = () if bias is None else (bias,)
    y = BilinearFn.apply(x1, x2, weight, *extra)
    return y if input1.ndim == 2 else reshape(y, lead + (K,))
