"""Root-mean-square normalisation (Zhang & Sennrich 2019), one fused Function.

LayerNorm without the centring: each row is divided by its root mean square, then scaled
per feature. Cheaper than LayerNorm (no mean to subtract) and used by LLaMA-style models.
"""

import math

import numpy as np

from ..autograd import Function
from ..backend import cached_constant
from ..tensor import Tensor

__all__ = ["rms_norm"]


class RMSNormFn(Function):
    """RMS normalisation over the trailing `normalized_shape` dimensions.

    Axes: M rows (all leading dims), D = prod(normalized_shape) features; x viewed as (M, D).
    forward:   r = 1 / sqrt(mean_D(x^2) + eps)   (M,)
               y = x * r * w                       w: normalized_shape (or no w)
    backward:  g = dy * w
               dx = r * g - x * r^3 * mean_D(g * x)
               dw = sum_M(dy * x * r)
    saved:     x (a reference), r (M,), w.
    Row sums are GEMVs with a ones vector.
    """

    def forward(self, x, *w, eps, D):
        xp = self.xp
        x2 = x.reshape(-1, D)
        ones = cached_constant(xp, "ones", D, x.dtype)
        r = (x2 * x2) @ ones
        r *= 1.0 / D
        r += eps
        xp.sqrt(r, out=r)
        xp.reciprocal(r, out=r)
        wv = w[0].reshape(D) if w else None
        y = x2 * r[:, None] if wv is None else xp.multiply.outer(r, wv)
        if wv is not None:
            y *= x2
        if True in self.needs_input_grad:
            self.save_for_backward(x2, r, wv)
            self.shapes = (x.shape, w[0].shape if w else None)
        return y.reshape(x.shape)

    def backward(self, dy):
        xp = self.xp
        x2, r, wv = self.saved
        xshape, wshape = self.shapes
        M, D = x2.shape
        dy2 = dy.reshape(M, D)
        needs = self.needs_input_grad
        dx = dw = None
        if len(needs) == 2 and needs[1]:
            dw = (r @ (dy2 * x2)).reshape(wshape)  # sum over rows of dy * x * r
        if needs[0]:
            g = dy2 * wv if wv is not None else dy2
            k = (g * x2) @ cached_constant(xp, "ones", D, dy.dtype)  # sum_D(g x)
            k *= r * r * r * (-1.0 / D)
            dx = g * r[:, None]
            dx += x2 * k[:, None]
            dx = dx.reshape(xshape)
        return (dx, dw) if len(needs) == 2 else dx


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x^2) + eps) * weight over the last len(normalized_shape) dims.

    eps=None uses the machine epsilon of the input's dtype, as PyTorch's F.rms_norm.
    """
    name = "rms_norm"
    if not isinstance(input, Tensor) or input.array.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point Tensor input")
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(ns)
    if k == 0 or k > input.ndim or tuple(input.shape[input.ndim - k:]) != ns:
        raise ValueError(f"{name}: normalized_shape {ns} needs an input of shape (..., "
                         f"{', '.join(map(str, ns))}), got {tuple(input.shape)}")
    if weight is not None:
        if tuple(weight.shape) != ns:
            raise ValueError(f"{name}: expected weight of shape {ns}, got {tuple(weight.shape)}")
        if weight.array.dtype != input.array.dtype:
            raise TypeError(f"{name}: weight dtype {weight.array.dtype} does not match the "
                            f"input dtype {input.array.dtype}")
    eps = float(np.finfo(input.array.dtype).eps) if eps is None else float(eps)
    params = (weight,) if weight is not None else ()
    return RMSNormFn.apply(input, *params, eps=eps, D=math.prod(ns))
