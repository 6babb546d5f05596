"""Activation modules: each forward is one call into groundup.ops (ops/activation*.py).

Shape: input (*), output (*), the same shape (GLU halves its `dim`). Only PReLU has a
parameter. `inplace=True` is accepted where PyTorch has it: with no graph recorded
through the input (no grad needed, or under no_grad) the result is written into the
input, as in PyTorch; inside a recorded graph a new tensor is returned and the input
is left as it is (groundup records no in-place ops). Example:
    act = GELU()
    y = act(gu.randn(4, 8))
"""

from ...backend import to_dtype
from ...creation import empty
from .. import functional as F
from .. import init as initializers
from ..module import Module, Parameter

__all__ = [
    "ReLU", "ReLU6", "LeakyReLU", "ELU", "GELU", "SiLU", "Sigmoid", "Tanh", "Softplus",
    "LogSigmoid", "Hardtanh", "Softmax", "LogSoftmax", "Hardswish", "Hardsigmoid", "Mish",
    "PReLU", "RReLU", "SELU", "CELU", "Softsign", "Tanhshrink", "Hardshrink", "Softshrink",
    "Threshold", "GLU", "Softmin",
]


def _inplace_repr(module):
    return "inplace=True" if module.inplace else ""


class ReLU(Module):
    """ReLU(x) = max(x, 0)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.relu(x, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_repr(self)


class ReLU6(Module):
    """ReLU6(x) = min(max(x, 0), 6)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.relu6(x, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_repr(self)


class LeakyReLU(Module):
    """LeakyReLU(x) = x if x >= 0 else negative_slope * x (default slope 0.01)."""

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope
        self.inplace = inplace

    def forward(self, x):
        return F.leaky_relu(x, self.negative_slope, inplace=self.inplace)

    def extra_repr(self):
        return f"negative_slope={self.negative_slope}" + (", inplace=True" if self.inplace else "")


class ELU(Module):
    """ELU(x) = x if x > 0 else alpha * (exp(x) - 1)."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, x):
        return F.elu(x, self.alpha, inplace=self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class GELU(Module):
    """GELU(x) = x * Phi(x), Phi the standard normal CDF (exact, with erf).

    approximate='tanh' uses 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))).
    """

    def __init__(self, approximate="none"):
        super().__init__()
        if approximate not in ("none", "tanh"):
            raise ValueError(f"GELU: approximate must be 'none' or 'tanh', got {approximate!r}")
        self.approximate = approximate

    def forward(self, x):
        return F.gelu(x, approximate=self.approximate)

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(Module):
    """SiLU(x) = x * sigmoid(x) (also called swish)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.silu(x, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_repr(self)


class Sigmoid(Module):
    """Sigmoid(x) = 1 / (1 + exp(-x))."""

    def forward(self, x):
        return F.sigmoid(x)


class Tanh(Module):
    """Tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x))."""

    def forward(self, x):
        return F.tanh(x)


class Softplus(Module):
    """Softplus(x) = log(1 + exp(beta x)) / beta; linear where beta x > threshold."""

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def forward(self, x):
        return F.softplus(x, self.beta, self.threshold)

    def extra_repr(self):
        return f"beta={self.beta}, threshold={self.threshold}"


class LogSigmoid(Module):
    """LogSigmoid(x) = log(sigmoid(x)), computed stably."""

    def forward(self, x):
        return F.logsigmoid(x)


class Hardtanh(Module):
    """Hardtanh(x) = min(max(x, min_val), max_val) (default [-1, 1])."""

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        self.min_val = min_val
        self.max_val = max_val
        self.inplace = inplace

    def forward(self, x):
        return F.hardtanh(x, self.min_val, self.max_val, inplace=self.inplace)

    def extra_repr(self):
        return f"min_val={self.min_val}, max_val={self.max_val}" + (
            ", inplace=True" if self.inplace else "")


class Softmax(Module):
    """Softmax(x)_i = exp(x_i) / sum_j exp(x_j) along `dim`.

    dim=None means the last dimension (PyTorch's legacy implicit choice is not copied).
    """

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmax(x, -1 if self.dim is None else self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Module):
    """LogSoftmax(x)_i = x_i - log(sum_j exp(x_j)) along `dim` (None: the last one)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.log_softmax(x, -1 if self.dim is None else self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


# ------------------------------------------------------------ piecewise


class Hardswish(Module):
    """Hardswish(x) = x * ReLU6(x + 3) / 6 (MobileNetV3)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.hardswish(x, inplace=self.inplace)


class Hardsigmoid(Module):
    """Hardsigmoid(x) = ReLU6(x + 3) / 6."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.hardsigmoid(x, inplace=self.inplace)


class PReLU(Module):
    """PReLU(x) = x if x > 0 else a * x, with the slope a learned.

    Args:
        num_parameters: 1 (one slope for every element) or the number of channels C
            (one slope per channel, along dim 1 of the input).
        init: the slopes' initial value (default 0.25).
    Shape: input (N, C, *) when num_parameters == C, any shape when it is 1; output the same.
    Attributes:
        weight: (num_parameters,), the slopes (PyTorch's name and layout).
    Example:
        m = PReLU(16)
        y = m(gu.randn(8, 16, 32, 32))
    """

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        if isinstance(num_parameters, bool) or not isinstance(num_parameters, int) \
                or num_parameters < 1:
            raise ValueError(f"PReLU: num_parameters must be a positive int (1 or the number "
                             f"of channels), got {num_parameters!r}")
        self.num_parameters = num_parameters
        self.init = float(init)
        dtype = to_dtype(dtype) or to_dtype("float32")
        self.weight = Parameter(empty(num_parameters, dtype=dtype, device=device))
        self.reset_parameters()

    def reset_parameters(self):
        initializers.constant_(self.weight, self.init)

    def forward(self, x):
        return F.prelu(x, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class RReLU(Module):
    """RReLU(x) = x if x >= 0 else a * x: while training a ~ U(lower, upper) afresh for each
    element (from groundup's generator, so gu.manual_seed makes it reproducible); in eval
    mode the fixed a = (lower + upper) / 2."""

    def __init__(self, lower=1.0 / 8, upper=1.0 / 3, inplace=False):
        super().__init__()
        self.lower = lower
        self.upper = upper
        self.inplace = inplace

    def forward(self, x):
        return F.rrelu(x, self.lower, self.upper, self.training, inplace=self.inplace)

    def extra_repr(self):
        return f"lower={self.lower}, upper={self.upper}" + (
            ", inplace=True" if self.inplace else "")


class Hardshrink(Module):
    """Hardshrink(x) = x if |x| > lambd else 0."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, x):
        return F.hardshrink(x, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class Softshrink(Module):
    """Softshrink(x) = x - lambd if x > lambd, x + lambd if x < -lambd, else 0."""

    def __init__(self, lambd=0.5):
        super().__init__()
        self.lambd = lambd

    def forward(self, x):
        return F.softshrink(x, self.lambd)

    def extra_repr(self):
        return str(self.lambd)


class Threshold(Module):
    """Threshold(x) = x if x > threshold else value."""

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold = threshold
        self.value = value
        self.inplace = inplace

    def forward(self, x):
        return F.threshold(x, self.threshold, self.value, inplace=self.inplace)

    def extra_repr(self):
        return f"threshold={self.threshold}, value={self.value}" + (
            ", inplace=True" if self.inplace else "")


# --------------------------------------------------------------- smooth


class Mish(Module):
    """Mish(x) = x * tanh(softplus(x))."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.mish(x, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_repr(self)


class SELU(Module):
    """SELU(x) = scale * (x if x > 0 else alpha * (exp(x) - 1)), alpha = 1.6732632423543772,
    scale = 1.0507009873554805 (self-normalizing networks)."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace

    def forward(self, x):
        return F.selu(x, inplace=self.inplace)

    def extra_repr(self):
        return _inplace_repr(self)


class CELU(Module):
    """CELU(x) = max(0, x) + min(0, alpha * (exp(x / alpha) - 1))."""

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha
        self.inplace = inplace

    def forward(self, x):
        return F.celu(x, self.alpha, inplace=self.inplace)

    def extra_repr(self):
        return f"alpha={self.alpha}" + (", inplace=True" if self.inplace else "")


class Softsign(Module):
    """Softsign(x) = x / (1 + |x|)."""

    def forward(self, x):
        return F.softsign(x)


class Tanhshrink(Module):
    """Tanhshrink(x) = x - tanh(x)."""

    def forward(self, x):
        return F.tanhshrink(x)


class GLU(Module):
    """GLU(a, b) = a * sigmoid(b), a and b the two halves of the input along `dim`.

    Shape: input (*, 2n, *) along dim -> output (*, n, *).
    """

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.glu(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmin(Module):
    """Softmin(x)_i = exp(-x_i) / sum_j exp(-x_j) along `dim` (None: the last dimension, as
    Softmax here)."""

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        return F.softmin(x, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"
