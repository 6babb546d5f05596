"""Capsule layers: PrimaryCapsules, DigitCapsules (dynamic routing by agreement), MarginLoss.

A capsule is a vector whose length says how likely an entity is present and whose
direction describes it (pose, thickness, skew, ...). Sabour, Frosst and Hinton (2017),
"Dynamic routing between capsules", NeurIPS.

Each input capsule u_i predicts every output capsule through its own matrix,
u_hat_{j|i} = W_ij u_i; routing by agreement then decides how much of each prediction
reaches each output:

    b_ij = 0                                   logits, fresh in every forward (not learnt)
    repeat `iterations` times:
        c_ij = softmax_j(b_ij)                 coupling coefficients, sum over j is 1
        s_j  = sum_i c_ij u_hat_{j|i}          weighted sum of the predictions
        v_j  = squash(s_j)                     output capsule
        b_ij = b_ij + u_hat_{j|i} . v_j        (not after the last) agreement raises c_ij

The layers are composed of existing ops (batched matmul, softmax, elementwise products),
so autograd differentiates through every routing iteration, as in the paper;
detach_routing=True stops the gradient through all but the last (the logits b and the
coupling coefficients c become constants), as in the authors' released code.
"""

import math

from ...creation import empty, zeros
from ...ops.capsule import margin_loss, squash
from ...ops.common import as_tensor
from .. import functional as F
from .. import init
from ..module import Module, Parameter
from .conv import Conv2d

__all__ = ["dynamic_routing", "PrimaryCapsules", "DigitCapsules", "MarginLoss"]


def _route(u_hat, iterations, detach):
    """Routing on predictions laid out (N, J, I, D) (output capsule before input capsule,
    so both sums over i are batched matmuls); returns v (N, J, D) and c (N, J, I)."""
    N, J, I, D = u_hat.shape
    routed = u_hat.detach() if detach else u_hat
    b = zeros(N, J, I, dtype=u_hat.dtype, device=u_hat.device)
    for r in range(iterations):
        last = r == iterations - 1
        c = F.softmax(b, dim=1)                                          # (N, J, I)
        preds = u_hat if last else routed
        s = (c.unsqueeze(2) @ preds).squeeze(2)                          # (N, J, D)
        v = squash(s)
        if not last:
            b = b + (routed @ v.unsqueeze(3)).squeeze(3)                  # (N, J, I)
    return v, c


def dynamic_routing(u_hat, iterations=3, detach=False):
    """Routing by agreement over predictions u_hat (N, I, J, D): u_hat[n, i, j] is input
    capsule i's prediction of output capsule j. Returns (v, c): the output capsules
    v (N, J, D) and the coupling coefficients of the last iteration c (N, I, J) (each row
    c[n, i] sums to 1 over the J outputs). See the module docstring for the algorithm;
    detach=True stops the gradient through every iteration but the last."""
    u_hat = as_tensor(u_hat)
    if u_hat.ndim != 4:
        raise ValueError(f"dynamic_routing: expected predictions u_hat of shape "
                         f"(N, in_caps, out_caps, out_dim), got {tuple(u_hat.shape)}")
    _check_iterations("dynamic_routing", iterations)
    v, c = _route(u_hat.permute(0, 2, 1, 3), iterations, detach)
    return v, c.permute(0, 2, 1)


def _check_iterations(where, iterations):
    if not isinstance(iterations, int) or isinstance(iterations, bool) or iterations < 1:
        raise ValueError(f"{where}: iterations must be an integer >= 1, got {iterations!r}")


class PrimaryCapsules(Module):
    """The first capsule layer: a Conv2d whose output channels are cut into capsule vectors,
    then squashed.

    The conv gives out_capsules * capsule_dim channels; channel t * capsule_dim + k is
    component k of capsule type t, and every position of the output map holds one capsule
    of each type: (N, types * dim, H', W') -> (N, types * H' * W', dim), ordered by type,
    then row, then column.

    Args: in_channels; out_capsules: capsule types (channels groups); capsule_dim; then
        kernel_size, stride, padding as Conv2d.
    Shape: input (N, in_channels, H, W); output (N, out_capsules * H' * W', capsule_dim),
        each vector of length < 1.
    Attributes: conv (the Conv2d: weight (out_capsules * capsule_dim, in_channels, k, k)).
    Example:
        >>> caps = PrimaryCapsules(256, 32, 8, kernel_size=9, stride=2)
        >>> caps(gu.zeros(2, 256, 20, 20)).shape
        (2, 1152, 8)
    """

    def __init__(self, in_channels, out_capsules, capsule_dim, kernel_size, stride=1, padding=0,
                 device=None, dtype=None):
        super().__init__()
        self.out_capsules, self.capsule_dim = out_capsules, capsule_dim
        self.conv = Conv2d(in_channels, out_capsules * capsule_dim, kernel_size, stride=stride,
                           padding=padding, device=device, dtype=dtype)

    def reset_parameters(self):
        self.conv.reset_parameters()

    def forward(self, x):
        x = as_tensor(x)
        if x.ndim != 4 or x.shape[1] != self.conv.in_channels:
            raise ValueError(f"{type(self).__name__}: expected input (N, "
                             f"{self.conv.in_channels}, H, W), got {tuple(x.shape)}")
        y = self.conv(x)
        N, _, H, W = y.shape
        y = y.reshape(N, self.out_capsules, self.capsule_dim, H, W)      # (N, T, D, H, W)
        y = y.permute(0, 1, 3, 4, 2)                                     # (N, T, H, W, D)
        return squash(y.reshape(N, self.out_capsules * H * W, self.capsule_dim))

    def output_capsules(self, height, width):
        """How many capsules an input map of height x width gives."""
        k, s, p = self.conv.kernel_size, self.conv.stride, self.conv.padding
        rows = (height + 2 * p[0] - k[0]) // s[0] + 1
        cols = (width + 2 * p[1] - k[1]) // s[1] + 1
        return self.out_capsules * rows * cols

    def extra_repr(self):
        return f"out_capsules={self.out_capsules}, capsule_dim={self.capsule_dim}"


class DigitCapsules(Module):
    """A fully connected capsule layer with dynamic routing by agreement.

    u_hat_{j|i} = W_ij u_i for every input capsule i and output capsule j, then routing
    (module docstring) gives the output capsules v_j = squash(s_j).

    Args: in_capsules (I), in_dim (d), out_capsules (J), out_dim (D); iterations: routing
        iterations (3); detach_routing: stop the gradient through all but the last
        iteration (False: it flows through all of them).
    Shape: input (N, I, d); output (N, J, D), each vector of length < 1 (its length is
        the probability that entity j is present).
    Attributes: weight (I, J, D, d), normal with std 1 / sqrt(d) (a prediction has about
        the length of its input capsule). The routing logits are not parameters: they
        start at zero in every forward.
    Example:
        >>> caps = DigitCapsules(1152, 8, 10, 16)
        >>> caps(gu.zeros(2, 1152, 8)).shape
        (2, 10, 16)
    """

    def __init__(self, in_capsules, in_dim, out_capsules, out_dim, iterations=3,
                 detach_routing=False, device=None, dtype=None):
        super().__init__()
        _check_iterations(type(self).__name__, iterations)
        self.in_capsules, self.in_dim = in_capsules, in_dim
        self.out_capsules, self.out_dim = out_capsules, out_dim
        self.iterations, self.detach_routing = iterations, detach_routing
        self.weight = Parameter(empty(in_capsules, out_capsules, out_dim, in_dim, dtype=dtype,
                                      device=device))
        self.reset_parameters()

    def reset_parameters(self):
        init.normal_(self.weight, 0.0, 1.0 / math.sqrt(self.in_dim))

    def predictions(self, u):
        """u_hat (N, J, I, D) from input capsules u (N, I, d): one GEMM per input capsule,
        batched over i: (I, N, d) @ (I, d, J*D)."""
        N = u.shape[0]
        I, J, D, d = self.weight.shape
        w = self.weight.reshape(I, J * D, d).transpose(1, 2)             # (I, d, J*D)
        u_hat = u.transpose(0, 1) @ w                                    # (I, N, J*D)
        return u_hat.reshape(I, N, J, D).permute(1, 2, 0, 3)             # (N, J, I, D)

    def forward(self, u):
        u = as_tensor(u)
        if u.ndim != 3 or tuple(u.shape[1:]) != (self.in_capsules, self.in_dim):
            raise ValueError(f"{type(self).__name__}: expected input capsules (N, "
                             f"{self.in_capsules}, {self.in_dim}), got {tuple(u.shape)}")
        v, _ = _route(self.predictions(u), self.iterations, self.detach_routing)
        return v

    def extra_repr(self):
        return (f"in_capsules={self.in_capsules}, in_dim={self.in_dim}, "
                f"out_capsules={self.out_capsules}, out_dim={self.out_dim}, "
                f"iterations={self.iterations}"
                + (", detach_routing=True" if self.detach_routing else ""))


class MarginLoss(Module):
    """The capsule margin loss (F.margin_loss) of lengths (N, K) against class indices (N,):
    sum_k T_k max(0, m+ - |v_k|)^2 + lambda (1 - T_k) max(0, |v_k| - m-)^2, then the
    reduction over samples ('mean', 'sum' or 'none').

    Example:
        >>> MarginLoss()(gu.tensor([[0.95, 0.2]]), gu.tensor([0])).item()   # 0.5 * 0.1^2
        0.005
    """

    def __init__(self, m_plus=0.9, m_minus=0.1, lambda_=0.5, reduction="mean"):
        super().__init__()
        if reduction not in ("mean", "sum", "none"):
            raise ValueError(f"MarginLoss: reduction must be 'mean', 'sum' or 'none'; got "
                             f"{reduction!r}")
        self.m_plus, self.m_minus, self.lambda_ = m_plus, m_minus, lambda_
        self.reduction = reduction

    def forward(self, lengths, target):
        return margin_loss(lengths, target, self.m_plus, self.m_minus, self.lambda_,
                           self.reduction)

    def extra_repr(self):
        return f"m_plus={self.m_plus}, m_minus={self.m_minus}, lambda_={self.lambda_}"
