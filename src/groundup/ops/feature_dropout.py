"""Channel-wise (feature) dropout and alpha dropout: dropout1d, dropout2d, dropout3d,
alpha_dropout, feature_alpha_dropout, as PyTorch's.

Feature dropout zeroes whole channels: one Bernoulli draw per (sample, channel), broadcast
over the spatial positions, because neighbouring pixels of a feature map are strongly
correlated and element-wise dropout barely regularises them. Alpha dropout (for SELU
networks) sets dropped values to SELU's negative saturation and rescales so that zero-mean,
unit-variance inputs keep their mean and variance. The masks come from groundup's shared
generator, so gu.manual_seed makes them reproducible.
"""

import math
import warnings

import numpy as np

from ..autograd import Function
from ..backend import move
from ..random import get_generator
from .common import as_tensor

__all__ = ["dropout1d", "dropout2d", "dropout3d", "alpha_dropout", "feature_alpha_dropout"]

_SELU_SAT = 1.7580993408473766  # -SELU's limit at -inf: scale * alpha


class MaskedAffineFn(Function):
    """y = x * m + b with a fixed random m and b (broadcast from the mask's shape).

    forward:   x: (N, C, *S), m, b: (N, C, 1, ..) or x's shape -> y: x's shape
    backward:  dx = dy * m
    saved:     m (small for feature masks: one value per channel).
    """

    def forward(self, x, mask, shift):
        self.mask = mask
        y = x * mask
        if shift is not None:
            y += shift
        return y

    def backward(self, dy):
        return dy * self.mask


def _draw(xp, shape, p, dtype):
    """keep ~ Bernoulli(1 - p) of `shape` from the shared generator, as x's dtype (0/1)."""
    keep = (get_generator().random(shape, dtype=np.float32) >= p).astype(dtype)
    return keep if xp is np else move(keep, "cuda")


def _check_p(name, p):
    if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
        raise ValueError(f"{name}: probability p must be a number in [0, 1], got {p!r}")
    return float(p)


def _apply(name, x, p, training, alpha, feature):
    p = _check_p(name, p)
    x = as_tensor(x)
    if not training or p == 0 or x.array.size == 0:
        return x
    if x.array.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point input, got {x.array.dtype}")
    xp, dtype = np, x.array.dtype
    shape = x.shape[:2] + (1,) * (x.ndim - 2) if feature else x.shape
    if p == 1.0:  # everything dropped (PyTorch returns zeros for every variant)
        return MaskedAffineFn.apply(x, mask=np.zeros(shape, dtype), shift=None)
    keep = _draw(xp, shape, p, dtype)
    if not alpha:
        return MaskedAffineFn.apply(x, mask=keep * (1.0 / (1.0 - p)), shift=None)
    a = 1.0 / math.sqrt((_SELU_SAT * _SELU_SAT * p + 1.0) * (1.0 - p))
    shift = (keep - 1.0) * (_SELU_SAT * a) + _SELU_SAT * a * p
    return MaskedAffineFn.apply(x, mask=keep * a, shift=shift)


def _feature(name, input, p, training, ranks, alpha=False):
    x = as_tensor(input)
    if x.ndim not in ranks:
        raise ValueError(f"{name}: expected a {ranks[0]}-D or {ranks[1]}-D input (an optional "
                         f"batch dim, channels, then {ranks[0] - 1} spatial dim(s)), got "
                         f"shape {tuple(x.shape)}")
    if not training or p == 0:
        _check_p(name, p)
        return x
    if x.ndim == ranks[0]:  # unbatched: one sample
        return _apply(name, x.unsqueeze(0), p, training, alpha, True).squeeze(0)
    return _apply(name, x, p, training, alpha, True)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) with probability p, scale the rest by
    1 / (1 - p) (when training). `inplace` is accepted; the result is always new."""
    return _feature("dropout1d", input, p, training, (2, 3))


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) or (C, H, W) with probability p (when training).
    A 3-D input is taken as (N, C, L), as PyTorch does (channel-wise 1-D dropout)."""
    x = as_tensor(input)
    if x.ndim == 3:
        warnings.warn("dropout2d: a 3-D input is taken as (N, C, L) (channel-wise 1-D "
                      "dropout), as PyTorch does; use dropout1d for that", stacklevel=2)
        return _apply("dropout2d", x, p, training, False, True)
    return _feature("dropout2d", x, p, training, (3, 4))


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) or (C, D, H, W) with probability p."""
    return _feature("dropout3d", input, p, training, (4, 5))


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout (for SELU): dropped elements become -1.758..., then y = a * x' + b
    keeps zero mean and unit variance. Identity unless training (default False, as
    PyTorch's functional)."""
    return _apply("alpha_dropout", input, p, training, True, False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Alpha dropout of whole channels of (N, C, *) inputs (one draw per channel)."""
    x = as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"feature_alpha_dropout: expected an input (N, C, *), got shape "
                         f"{tuple(x.shape)}")
    return _apply("feature_alpha_dropout", x, p, training, True, True)
