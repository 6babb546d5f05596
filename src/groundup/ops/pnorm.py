"""Vector p-norms: norm (torch.norm / Tensor.norm) over all elements or over `dim`.

Notation: x has shape S, the norm runs over the axes A, n = |y| is the output; `n_k` and
`dy_k` are n and dy with A kept as size 1, so they broadcast against x.
p = 'fro' is the 2-norm of the elements (over any dims); 'nuc' (a matrix norm that needs a
singular value decomposition) is not supported.
"""

import math

import numpy as np

from ..autograd import Function
from ..backend import to_dtype
from .common import as_tensor, keywords, normalize_dim
from .elementwise import cast

__all__ = ["norm"]


class NormFn(Function):
    """y = (sum over A of |x|^p)^(1/p);  p = inf: max |x|;  p = -inf: min |x|;
    p = 0: the number of nonzero elements.
    dx (PyTorch's rules, with n_k, dy_k as in the module docstring):
      p = 0:      0
      p = 1:      sign(x) * dy_k
      p = 2:      x / n_k * dy_k                         (0 where n = 0)
      p = +-inf:  sign(x) * dy_k / c_k at the c elements with |x| = n (ties share), 0 elsewhere
      p < 1:      sign(x) |x|^(p-1) * dy_k * n_k^(1-p)   (0 where x = 0)
      else:       sign(x) |x|^(p-1) * dy_k / n_k^(p-1)   (0 where n = 0)
    saved: x and n_k."""

    def forward(self, x, p, axes, keepdim):
        xp = self.xp
        self.p = p
        self.axes = axes
        a = xp.abs(x)
        if p == 2:
            y = xp.sqrt((x * x).sum(axis=axes, keepdims=True))
        elif p == 1:
            y = a.sum(axis=axes, keepdims=True)
        elif p == math.inf:
            y = a.max(axis=axes, keepdims=True)
        elif p == -math.inf:
            y = a.min(axis=axes, keepdims=True)
        elif p == 0:
            y = (x != 0).sum(axis=axes, keepdims=True).astype(x.dtype)
        else:
            with np.errstate(divide="ignore"):
                y = (a ** p).sum(axis=axes, keepdims=True) ** (1.0 / p)
        y = xp.asarray(y, dtype=x.dtype)
        if self.needs_input_grad[0]:
            self.save_for_backward(x, y)
        if keepdim:
            return y
        return y.reshape(tuple(n for i, n in enumerate(y.shape) if i not in axes))

    def backward(self, dy):
        xp = self.xp
        x, n = self.saved
        p = self.p
        g = dy.reshape(n.shape)
        if p == 0:
            return xp.zeros_like(x)
        if p == 1:
            return xp.sign(x) * g
        with np.errstate(divide="ignore", invalid="ignore"):
            if p == 2:
                return x * xp.where(n == 0, 0, g / n).astype(x.dtype)
            if math.isinf(p):
                a = xp.abs(x)
                mask = (a == n) | xp.isnan(a)
                count = mask.sum(axis=self.axes, keepdims=True)
                return xp.sign(x) * mask * (g / count).astype(x.dtype)
            scaled = xp.sign(x) * xp.abs(x) ** (p - 1.0)
            if p < 1:
                scaled = xp.where(x == 0, 0, scaled).astype(x.dtype)
                return scaled * (g * n ** (1.0 - p))
            return scaled * xp.where(n == 0, 0, g / n ** (p - 1.0)).astype(x.dtype)


@keywords
def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The p-norm of x over all elements (dim=None) or over `dim` (an int or a tuple):
    p a number (2, 1, inf, -inf, 0, any other p) or 'fro' (the 2-norm). Float input only."""
    x = as_tensor(input)
    if dtype is not None:
        x = cast(x, to_dtype(dtype))
    if x.array.dtype.kind != "f":
        raise TypeError(f"norm: expected a floating-point tensor, got dtype {x.array.dtype}; "
                        f"convert it with .float() or pass dtype=")
    if p == "fro" or p is None:
        p = 2.0
    elif isinstance(p, str) or isinstance(p, bool) or not isinstance(p, (int, float, np.number)):
        raise ValueError(f"norm: p={p!r} is not supported; use a number (2, 1, inf, -inf, 0, "
                         f"...) or 'fro' (the nuclear norm 'nuc' is not available)")
    if dim is None:
        axes = tuple(range(x.ndim))
    else:
        dims = (dim,) if isinstance(dim, (int, np.integer)) else tuple(dim)
        try:
            axes = tuple(sorted({normalize_dim(int(d), x.ndim) for d in dims}))
        except IndexError as e:
            raise IndexError(f"norm: {e}") from None
        if len(axes) != len(dims):
            raise ValueError(f"norm: dim {dims} names the same dimension more than once")
        if x.ndim == 0:
            axes = ()
    return NormFn.apply(x, p=float(p), axes=axes, keepdim=bool(keepdim))
