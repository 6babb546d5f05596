"""Loss modules: PyTorch's constructors, each forward one call into `groundup.ops`.

Class weights and pos_weight are registered buffers (saved in `state_dict`
under PyTorch's keys `weight` / `pos_weight`, moved and cast with the module).
The legacy `size_average` / `reduce` arguments are accepted and mapped to
`reduction` as PyTorch does, with a deprecation warning.
"""

import warnings

from . import functional as F
from .module import Module

__all__ = [
    "MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "BCELoss", "BCEWithLogitsLoss",
    "CrossEntropyLoss", "NLLLoss", "KLDivLoss", "CosineEmbeddingLoss",
]


def _legacy_reduction(size_average, reduce, reduction):
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce are deprecated; use reduction='mean'|'sum'|'none'",
                  DeprecationWarning, stacklevel=3)
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    if not reduce:
        return "none"
    return "mean" if size_average else "sum"


class _Loss(Module):
    """Base: holds `reduction`, checked here so a typo fails at construction."""

    _reductions = ("mean", "sum", "none")

    def __init__(self, size_average=None, reduce=None, reduction="mean"):
        super().__init__()
        reduction = _legacy_reduction(size_average, reduce, reduction)
        if reduction not in self._reductions:
            names = ", ".join(repr(r) for r in self._reductions)
            raise ValueError(f"{type(self).__name__}: reduction must be one of {names}; "
                             f"got {reduction!r}")
        self.reduction = reduction

    def extra_repr(self):
        return f"reduction={self.reduction!r}" if self.reduction != "mean" else ""


class _WeightedLoss(_Loss):
    """Base of the losses with a per-class (or per-element) `weight` buffer."""

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)


class MSELoss(_Loss):
    """Mean squared error: l = (x - y)^2 per element, then the reduction.

    Args: reduction: 'mean' | 'sum' | 'none'.
    Shape: input and target broadcast; output () or, for 'none', the broadcast shape.
    Example:
        >>> loss = nn.MSELoss()
        >>> loss(gu.randn(3, 5, requires_grad=True), gu.randn(3, 5)).backward()
    """

    def forward(self, input, target):
        return F.mse_loss(input, target, reduction=self.reduction)


class L1Loss(_Loss):
    """Mean absolute error: l = |x - y| per element, then the reduction.

    Args: reduction: 'mean' | 'sum' | 'none'.
    Shape: input and target broadcast; output () or, for 'none', the broadcast shape.
    """

    def forward(self, input, target):
        return F.l1_loss(input, target, reduction=self.reduction)


class HuberLoss(_Loss):
    """Huber loss: 0.5 (x - y)^2 where |x - y| < delta, delta (|x - y| - delta / 2) elsewhere.

    Args: reduction: 'mean' | 'sum' | 'none'; delta: the switch point (> 0).
    Shape: input and target broadcast; output () or, for 'none', the broadcast shape.
    """

    def __init__(self, reduction="mean", delta=1.0):
        super().__init__(reduction=reduction)
        self.delta = delta

    def forward(self, input, target):
        return F.huber_loss(input, target, reduction=self.reduction, delta=self.delta)

    def extra_repr(self):
        return ", ".join(filter(None, [super().extra_repr(), f"delta={self.delta}"]))


class SmoothL1Loss(_Loss):
    """Smooth L1: 0.5 (x - y)^2 / beta where |x - y| < beta, |x - y| - beta / 2 elsewhere.

    Args: reduction: 'mean' | 'sum' | 'none'; beta: the switch point (>= 0; 0 is L1).
    Shape: input and target broadcast; output () or, for 'none', the broadcast shape.
    """

    def __init__(self, size_average=None, reduce=None, reduction="mean", beta=1.0):
        super().__init__(size_average, reduce, reduction)
        self.beta = beta

    def forward(self, input, target):
        return F.smooth_l1_loss(input, target, reduction=self.reduction, beta=self.beta)

    def extra_repr(self):
        return ", ".join(filter(None, [super().extra_repr(), f"beta={self.beta}"]))


class BCELoss(_WeightedLoss):
    """Binary cross-entropy of probabilities: l = -w (y log x + (1 - y) log(1 - x)).

    Logs are clamped to >= -100, as in PyTorch.
    Args: weight: rescales each element (broadcasts to the input); reduction.
    Shape: input (*) in [0, 1], target (*) the same shape; output () or (*) for 'none'.
    """

    def forward(self, input, target):
        return F.binary_cross_entropy(input, target, weight=self.weight,
                                      reduction=self.reduction)


class BCEWithLogitsLoss(_Loss):
    """Sigmoid + binary cross-entropy in one stable step:
    l = -w (p y log sigmoid(x) + (1 - y) log(1 - sigmoid(x))).

    Args: weight: rescales each element; reduction; pos_weight: p, the weight of
        positive examples per class (broadcast over the last dimension).
    Shape: input (*) logits, target (*) the same shape; output () or (*) for 'none'.
    Example:
        >>> loss = nn.BCEWithLogitsLoss(pos_weight=gu.ones(3) * 2)
        >>> loss(gu.randn(4, 3, requires_grad=True), gu.rand(4, 3)).backward()
    """

    def __init__(self, weight=None, size_average=None, reduce=None, reduction="mean",
                 pos_weight=None):
        super().__init__(size_average, reduce, reduction)
        self.register_buffer("weight", weight)
        self.register_buffer("pos_weight", pos_weight)

    def forward(self, input, target):
        return F.binary_cross_entropy_with_logits(
            input, target, weight=self.weight, reduction=self.reduction,
            pos_weight=self.pos_weight,
        )


class CrossEntropyLoss(_WeightedLoss):
    """Softmax cross-entropy of logits: l = -w[y] log softmax(x)[y] (fused, stable).

    Args: weight: (C,) class weights; ignore_index: a target class index that counts
        for nothing; reduction ('mean' is weighted by the targets' class weights);
        label_smoothing: eps in [0, 1], the target mixed with the uniform distribution.
    Shape: input (N, C), (N, C, d1, ...) or (C,); target class indices (N,),
        (N, d1, ...) or () (integers), or probabilities of the input's shape.
    Example:
        >>> loss = nn.CrossEntropyLoss(label_smoothing=0.1)
        >>> loss(gu.randn(4, 10, requires_grad=True), gu.tensor([1, 0, 9, 3])).backward()
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean", label_smoothing=0.0):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index
        self.label_smoothing = label_smoothing

    def forward(self, input, target):
        return F.cross_entropy(input, target, weight=self.weight,
                               ignore_index=self.ignore_index, reduction=self.reduction,
                               label_smoothing=self.label_smoothing)

    def extra_repr(self):
        parts = [super().extra_repr()]
        if self.ignore_index != -100:
            parts.append(f"ignore_index={self.ignore_index}")
        if self.label_smoothing:
            parts.append(f"label_smoothing={self.label_smoothing}")
        return ", ".join(filter(None, parts))


class NLLLoss(_WeightedLoss):
    """Negative log-likelihood of log-probabilities: l = -w[y] x[y].

    Args: weight: (C,) class weights; ignore_index; reduction (weighted 'mean').
    Shape: input (N, C), (N, C, d1, ...) or (C,); target (N,), (N, d1, ...) or () integers.
    """

    def __init__(self, weight=None, size_average=None, ignore_index=-100, reduce=None,
                 reduction="mean"):
        super().__init__(weight, size_average, reduce, reduction)
        self.ignore_index = ignore_index

    def forward(self, input, target):
        return F.nll_loss(input, target, weight=self.weight, ignore_index=self.ignore_index,
                          reduction=self.reduction)

    def extra_repr(self):
        parts = [super().extra_repr()]
        if self.ignore_index != -100:
            parts.append(f"ignore_index={self.ignore_index}")
        return ", ".join(filter(None, parts))


class KLDivLoss(_Loss):
    """Kullback-Leibler divergence: l = y (log y - x), x log-probabilities.

    Args: reduction: 'mean' (per element) | 'batchmean' (the mathematical KL) |
        'sum' | 'none'; log_target: the target is given as log-probabilities.
    Shape: input (*), target broadcasting with it; output () or (*) for 'none'.
    """

    _reductions = ("mean", "batchmean", "sum", "none")

    def __init__(self, size_average=None, reduce=None, reduction="mean", log_target=False):
        super().__init__(size_average, reduce, reduction)
        self.log_target = log_target

    def forward(self, input, target):
        return F.kl_div(input, target, reduction=self.reduction, log_target=self.log_target)

    def extra_repr(self):
        parts = [super().extra_repr()]
        if self.log_target:
            parts.append("log_target=True")
        return ", ".join(filter(None, parts))


class CosineEmbeddingLoss(_Loss):
    """l = 1 - cos(x1, x2) where y = 1, max(0, cos(x1, x2) - margin) where y = -1.

    Args: margin: in [-1, 1] (0 to 0.5 suggested); reduction.
    Shape: x1, x2 (N, D) or (D,); y (N,) or () of 1 / -1; output () or (N,) for 'none'.
    """

    def __init__(self, margin=0.0, size_average=None, reduce=None, reduction="mean"):
        super().__init__(size_average, reduce, reduction)
        self.margin = margin

    def forward(self, input1, input2, target):
        return F.cosine_embedding_loss(input1, input2, target, margin=self.margin,
                                       reduction=self.reduction)

    def extra_repr(self):
        return ", ".join(filter(None, [f"margin={self.margin}", super().extra_repr()]))
