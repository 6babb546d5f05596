"""Linear layers and shape helpers: Identity, Linear, Bilinear, Flatten, Unflatten."""

import math

from ...backend import to_dtype
from ...creation import empty
from ...ops.common import as_tensor
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module, Parameter

__all__ = ["Identity", "Linear", "Bilinear", "Flatten", "Unflatten"]


def _input(layer, x):
    """`x` as a Tensor (arrays are converted), for the layer's error messages."""
    return x if isinstance(x, Tensor) else as_tensor(x)


def _check_float(layer, x, weight):
    if x.array.dtype != weight.array.dtype:
        raise TypeError(f"{layer!r}: input dtype {x.array.dtype} does not match the weight dtype "
                        f"{weight.array.dtype}; convert the input (x.float() / x.double()) "
                        f"or the module (.float() / .double())")


class Identity(Module):
    """y = x. Takes (and ignores) any constructor arguments.

    Shape: input (*), output (*), the same tensor.
    Example:
        m = Identity()
        m(x) is x   # True
    """

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x


class Linear(Module):
    """Affine map y = x @ W^T + b.

    Args:
        in_features, out_features: sizes of the last input / output dimension.
        bias: learn an additive bias (default True).
        dtype: parameter dtype (default float32).
    Shape: input (*, in_features) -> output (*, out_features).
    Attributes:
        weight: (out_features, in_features), U(-1/sqrt(in_features), 1/sqrt(in_features))
            (kaiming_uniform_ with a = sqrt(5), as in PyTorch).
        bias: (out_features,), U(-1/sqrt(in_features), 1/sqrt(in_features)).
    Example:
        m = Linear(20, 30)
        y = m(gu.randn(128, 20))    # (128, 30)
    """

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        dtype = to_dtype(dtype) or to_dtype("float32")
        self.weight = Parameter(empty(out_features, in_features, dtype=dtype, device=device))
        self.bias = Parameter(empty(out_features, dtype=dtype, device=device)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            init.uniform_(self.bias, -bound, bound)

    def forward(self, x):
        x = _input(self, x)
        shape = x.array.shape
        if not shape or shape[-1] != self.in_features:
            raise ValueError(f"Linear(in_features={self.in_features}, out_features="
                             f"{self.out_features}): expected input (..., {self.in_features}), "
                             f"got {tuple(shape)}")
        _check_float(self, x, self.weight)
        return F.linear(x, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """Bilinear map y_k = x1^T W_k x2 + b_k.

    Args:
        in1_features, in2_features: last-dimension sizes of the two inputs.
        out_features: output size.  bias: learn b (default True).
    Shape: input1 (*, in1), input2 (*, in2) -> output (*, out).
    Attributes:
        weight: (out, in1, in2), U(-1/sqrt(in1), 1/sqrt(in1)).
        bias: (out,), the same distribution.
    Example:
        m = Bilinear(20, 30, 40)
        y = m(gu.randn(128, 20), gu.randn(128, 30))   # (128, 40)
    """

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        self.in1_features = int(in1_features)
        self.in2_features = int(in2_features)
        self.out_features = int(out_features)
        dtype = to_dtype(dtype) or to_dtype("float32")
        self.weight = Parameter(empty(out_features, in1_features, in2_features, dtype=dtype,
                                      device=device))
        self.bias = Parameter(empty(out_features, dtype=dtype, device=device)) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        bound = 1 / math.sqrt(self.in1_features) if self.in1_features > 0 else 0
        init.uniform_(self.weight, -bound, bound)
        if self.bias is not None:
            init.uniform_(self.bias, -bound, bound)

    def forward(self, input1, input2):
        x1, x2 = _input(self, input1), _input(self, input2)
        if (x1.ndim < 1 or x1.shape[-1] != self.in1_features or x2.ndim < 1
                or x2.shape[-1] != self.in2_features or x1.shape[:-1] != x2.shape[:-1]):
            raise ValueError(f"{self!r}: expected inputs (..., {self.in1_features}) and "
                             f"(..., {self.in2_features}) with the same leading shape, got "
                             f"{tuple(x1.shape)} and {tuple(x2.shape)}")
        _check_float(self, x1, self.weight)
        _check_float(self, x2, self.weight)
        return F.bilinear(x1, x2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")


class Flatten(Module):
    """Flatten dimensions start_dim..end_dim into one (default: all but the batch dimension).

    Shape: (N, *dims) -> (N, prod(dims)) with the defaults.
    Example:
        Flatten()(gu.zeros(32, 1, 5, 5)).shape    # (32, 25)
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, x):
        return F.flatten(_input(self, x), self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Split dimension `dim` into `unflattened_size` (a tuple whose product is its size).

    Shape: (*, S, *) -> (*, *unflattened_size, *) with prod(unflattened_size) == S.
    Example:
        Unflatten(1, (2, 5))(gu.zeros(2, 10)).shape   # (2, 2, 5)
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        self.dim = int(dim)
        self.unflattened_size = tuple(int(s) for s in unflattened_size)

    def forward(self, x):
        x = _input(self, x)
        n = x.ndim
        if not -n <= self.dim < n:
            raise IndexError(f"{self!r}: dim {self.dim} is out of range for an input of shape "
                             f"{tuple(x.shape)}")
        d = self.dim % n
        size = x.shape[d]
        known = math.prod(s for s in self.unflattened_size if s != -1)
        ok = (size == known) if -1 not in self.unflattened_size else (known and size % known == 0)
        if not ok:
            raise ValueError(f"{self!r}: cannot split dimension {d} of size {size} "
                             f"(input {tuple(x.shape)}) into {self.unflattened_size}")
        return F.reshape(x, tuple(x.shape[:d]) + self.unflattened_size + tuple(x.shape[d + 1:]))

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
