"""Dropout layers: Dropout, the channel-wise Dropout1d/2d/3d, AlphaDropout and
FeatureAlphaDropout (masks from the shared generator; gu.manual_seed makes them reproducible)."""

from .. import functional as F
from ..module import Module

__all__ = ["Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout",
           "FeatureAlphaDropout"]


class Dropout(Module):
    """Inverted dropout: in training, zero each element with probability p, scale the rest.

    y = x * m / (1 - p), m ~ Bernoulli(1 - p), drawn from the shared generator
    (gu.manual_seed makes it reproducible). In eval mode y = x.

    Args:
        p: probability of zeroing an element, in [0, 1] (default 0.5).
        inplace: accepted for PyTorch compatibility (the result is always new).
    Shape: input (*), output (*).
    Example:
        drop = Dropout(0.2)
        y = drop(gu.randn(16, 8)); drop.eval(); drop(x) is x   # True
    """

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
            raise ValueError(f"Dropout: probability p must be in [0, 1], got {p!r}")
        self.p = float(p)
        self.inplace = inplace

    def forward(self, x):
        return F.dropout(x, self.p, self.training)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class _DropoutNd(Module):
    """Shared constructor, check and repr; subclasses name their functional form."""

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if isinstance(p, bool) or not isinstance(p, (int, float)) or not 0.0 <= p <= 1.0:
            raise ValueError(f"{type(self).__name__}: probability p must be in [0, 1], "
                             f"got {p!r}")
        self.p = float(p)
        self.inplace = inplace

    def _fn(self):  # pragma: no cover - abstract
        raise NotImplementedError

    def forward(self, x):
        try:
            return self._fn()(x, self.p, self.training)
        except ValueError as e:
            raise ValueError(f"{self!r}: {e}") from None

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout1d(_DropoutNd):
    """Channel-wise dropout: in training, zero each whole channel x[n, c, :] with
    probability p and scale the rest by 1 / (1 - p); one draw per (sample, channel).

    Shape: (N, C, L) or (C, L) -> the same.
    Example:
        drop = Dropout1d(0.2)
        y = drop(gu.randn(8, 16, 32))
    """

    def _fn(self):
        return F.dropout1d


class Dropout2d(_DropoutNd):
    """Channel-wise dropout of feature maps x[n, c, :, :] (see Dropout1d): neighbouring
    pixels are correlated, so dropping whole channels regularises where element-wise
    dropout barely does.

    Shape: (N, C, H, W) or (C, H, W) -> the same (a 3-D input is taken as (N, C, L), as
    PyTorch does).
    Example:
        drop = Dropout2d(0.25)
        y = drop(gu.randn(8, 16, 14, 14))
    """

    def _fn(self):
        return F.dropout2d


class Dropout3d(_DropoutNd):
    """Channel-wise dropout of volumes: (N, C, D, H, W) or (C, D, H, W) -> the same."""

    def _fn(self):
        return F.dropout3d


class AlphaDropout(_DropoutNd):
    """Dropout for SELU networks: dropped elements take SELU's negative saturation
    -1.7581, then an affine map keeps the mean and variance of zero-mean, unit-variance
    inputs. In eval mode y = x.

    Shape: (*) -> the same.
    Example:
        drop = AlphaDropout(0.1)
        y = drop(gu.randn(16, 64))
    """

    def _fn(self):
        return F.alpha_dropout


class FeatureAlphaDropout(_DropoutNd):
    """AlphaDropout of whole channels: one draw per (sample, channel) of (N, C, *)."""

    def _fn(self):
        return F.feature_alpha_dropout
