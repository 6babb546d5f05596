"""Capsule-network functions: squash and margin_loss (Sabour, Frosst and Hinton 2017,
"Dynamic routing between capsules", NeurIPS).

Both are composed of existing differentiable ops (elementwise products, sums, sqrt, relu),
so autograd gives their gradients; neither is hot enough to need a fused primitive (squash
runs on (N, caps, dim) tensors of a few thousand elements).
"""

from ..backend import array_module
from .common import as_tensor

__all__ = ["squash", "margin_loss"]


def squash(s, dim=-1, eps=1e-8):
    """v = |s|^2 / (1 + |s|^2) * s / |s|, along `dim`: a vector's length mapped into [0, 1).

    Short vectors shrink to almost nothing (|v| ~ |s|^2), long ones to just below length 1;
    the direction is kept. |s| is computed as sqrt(|s|^2 + eps), so s = 0 gives v = 0 with a
    finite gradient (the plain formula divides 0 by 0 there).

    Shape: s (..., D) (any shape; the vectors lie along `dim`), v the same.
    Example:
        >>> F.squash(gu.tensor([[3.0, 4.0]])).numpy()      # |s| = 5: |v| = 25/26
        array([[0.5769231, 0.7692308]], dtype=float32)
    """
    s = as_tensor(s)
    if s.array.dtype.kind != "f":
        raise TypeError(f"squash: expected a floating-point tensor, got {s.dtype}")
    if s.ndim == 0:
        raise ValueError("squash: expected a tensor of vectors (at least 1-d), got a scalar")
    sq = (s * s).sum(dim=dim, keepdim=True)           # |s|^2, (..., 1)
    return s * (sq / ((1.0 + sq) * (sq + eps).sqrt()))


def margin_loss(lengths, target, m_plus=0.9, m_minus=0.1, lambda_=0.5, reduction="mean"):
    """The margin loss of capsule lengths: per sample, summed over the classes k,

        L_k = T_k max(0, m+ - |v_k|)^2 + lambda (1 - T_k) max(0, |v_k| - m-)^2

    with T_k = 1 for the target class and 0 otherwise: the target's capsule should be
    longer than m+ (0.9), every other shorter than m- (0.1); lambda (0.5) keeps the many
    absent classes from shrinking all lengths early in training.

    Args: lengths: (N, K) capsule lengths (class scores in [0, 1)); target: (N,) class
        indices; reduction: 'mean' (over samples), 'sum' or 'none' ((N,) per-sample losses).
    """
    lengths = as_tensor(lengths)
    if lengths.ndim != 2:
        raise ValueError(f"margin_loss: expected lengths of shape (N, K), got "
                         f"{tuple(lengths.shape)}")
    target = as_tensor(target)
    if target.array.dtype.kind not in "iu" or tuple(target.shape) != (lengths.shape[0],):
        raise ValueError(f"margin_loss: expected integer class indices of shape "
                         f"({lengths.shape[0]},) for lengths {tuple(lengths.shape)}, got "
                         f"{target.dtype} {tuple(target.shape)}")
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"margin_loss: reduction must be 'mean', 'sum' or 'none', got "
                         f"{reduction!r}")
    xp = array_module(lengths.array)
    k = lengths.shape[1]
    t = target.array
    if t.size and (int(t.min()) < 0 or int(t.max()) >= k):
        raise ValueError(f"margin_loss: class indices must lie in [0, {k}); got "
                         f"{int(t.min())}..{int(t.max())}")
    onehot = (t[:, None] == xp.arange(k)[None, :]).astype(lengths.dtype)       # (N, K)
    present = (m_plus - lengths).relu()
    absent = (lengths - m_minus).relu()
    per_class = onehot * present * present + lambda_ * (1.0 - onehot) * absent * absent
    per_sample = per_class.sum(dim=1)                                          # (N,)
    if reduction == "none":
        return per_sample
    return per_sample.sum() if reduction == "sum" else per_sample.mean()
