"""Normalisation layers: BatchNorm1d/2d/3d, InstanceNorm1d/2d, LayerNorm, GroupNorm (fused ops in
ops/normalization.py), RMSNorm (ops/rms_norm.py)."""

import warnings

import numpy as np

from ...backend import to_dtype
from ...creation import empty, ones, zeros
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module, Parameter

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "InstanceNorm1d", "InstanceNorm2d",
           "LayerNorm", "GroupNorm", "RMSNorm"]


def _float_dtype(dtype):
    return to_dtype(dtype) or to_dtype("float32")


def _trailing_shape(layer, x):
    """x as a Tensor, checked to end in layer.normalized_shape (LayerNorm, RMSNorm)."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    ns = layer.normalized_shape
    if x.ndim < len(ns) or tuple(x.shape[x.ndim - len(ns):]) != ns:
        raise ValueError(f"{layer!r}: expected input (..., {', '.join(map(str, ns))}), "
                         f"got {tuple(x.shape)}")
    return x


class _BatchNorm(Module):
    """Shared BatchNorm logic; subclasses set the accepted input ranks."""

    _ndims = ()
    _shapes = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        dtype = _float_dtype(dtype)
        self.weight = (Parameter(empty(num_features, dtype=dtype, device=device))
                       if affine else None)
        self.bias = (Parameter(empty(num_features, dtype=dtype, device=device))
                     if affine and bias else None)
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked", Tensor._wrap(np.array(0, np.int64)))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.array[...] = 0
            self.running_var.array[...] = 1
            self.num_batches_tracked.array[...] = 0

    def reset_parameters(self):
        self.reset_running_stats()
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x):
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if x.ndim not in self._ndims:
            raise ValueError(f"{self!r}: expected {self._shapes} input, got shape "
                             f"{tuple(x.shape)} ({x.ndim}-D)")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{self!r}: expected {self.num_features} channels in dimension 1, "
                             f"got input of shape {tuple(x.shape)}")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked.array += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.array)
        # Without running statistics the batch statistics are used in eval mode too.
        use_batch = self.training or self.running_mean is None
        track = not self.training or self.track_running_stats
        return F.batch_norm(
            x, self.running_mean if track else None, self.running_var if track else None,
            self.weight, self.bias, use_batch, factor, self.eps,
        )

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over the batch (and length) of each channel.

    training: y = (x - mean_B) / sqrt(var_B + eps) * weight + bias with the batch mean
    and biased variance per channel; running_mean/var are updated as
    (1 - momentum) * running + momentum * batch (the unbiased variance), or as a
    cumulative average when momentum is None. eval: the running statistics are used.

    Args:
        num_features: C.  eps: 1e-5.  momentum: 0.1 (or None).
        affine: learn weight and bias (default True).
        bias: with affine, also learn the bias (default True; keyword only).
        track_running_stats: keep running statistics (default True).
    Shape: (N, C) or (N, C, L) -> the same.
    Attributes:
        weight (C,) ones, bias (C,) zeros; buffers running_mean (C,) zeros,
        running_var (C,) ones, num_batches_tracked (int64 scalar).
    Example:
        bn = BatchNorm1d(16)
        y = bn(gu.randn(32, 16))
    """

    _ndims = (2, 3)
    _shapes = "2-D (N, C) or 3-D (N, C, L)"


class BatchNorm2d(_BatchNorm):
    """BatchNorm1d's computation for images: per channel over (N, H, W).

    Shape: (N, C, H, W) -> the same. Arguments and attributes as BatchNorm1d.
    Example:
        bn = BatchNorm2d(8)
        y = bn(gu.randn(4, 8, 5, 5))
    """

    _ndims = (4,)
    _shapes = "4-D (N, C, H, W)"


class BatchNorm3d(_BatchNorm):
    """BatchNorm1d's computation for volumes: per channel over (N, D, H, W).

    Shape: (N, C, D, H, W) -> the same.
    """

    _ndims = (5,)
    _shapes = "5-D (N, C, D, H, W)"


class _InstanceNorm(_BatchNorm):
    """Shared InstanceNorm logic: BatchNorm's parameters and buffers, other defaults and
    forward; subclasses set the ranks (unbatched first)."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None, *, bias=True):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype, bias=bias)

    def forward(self, x):
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if x.ndim not in self._ndims:
            raise ValueError(f"{self!r}: expected {self._shapes} input, got shape "
                             f"{tuple(x.shape)} ({x.ndim}-D)")
        unbatched = x.ndim == self._ndims[0]
        channels = x.shape[0 if unbatched else 1]
        if channels != self.num_features:
            message = (f"{self!r}: expected {self.num_features} channels in dimension "
                       f"{0 if unbatched else 1}, got input of shape {tuple(x.shape)}")
            if self.affine or self.track_running_stats:
                raise ValueError(message)
            warnings.warn(message + " (num_features is unused with affine=False)",
                          stacklevel=2)
        if unbatched:
            x = x.unsqueeze(0)
        y = F.instance_norm(
            x, self.running_mean, self.running_var, self.weight, self.bias,
            self.training or not self.track_running_stats,
            0.0 if self.momentum is None else self.momentum, self.eps,
        )
        return y.squeeze(0) if unbatched else y


class InstanceNorm1d(_InstanceNorm):
    """Instance normalisation: each (sample, channel) row normalised over its length.

    y = (x - mean) / sqrt(var + eps) * weight + bias, mean and biased var of x[n, c, :].
    With track_running_stats, training also updates running_mean / running_var
    (momentum, the unbiased variance, averaged over the batch) and eval mode uses them.

    Args:
        num_features: C.  eps: 1e-5.  momentum: 0.1.
        affine: learn per-channel weight and bias (default False).
        track_running_stats: keep running statistics (default False).
    Shape: (N, C, L) or (C, L) -> the same.
    Attributes: as BatchNorm1d when affine / track_running_stats.
    Example:
        norm = InstanceNorm1d(8)
        y = norm(gu.randn(4, 8, 20))
    """

    _ndims = (2, 3)
    _shapes = "2-D (C, L) or 3-D (N, C, L)"


class InstanceNorm2d(_InstanceNorm):
    """Instance normalisation of images: each (sample, channel) plane over its H x W
    positions (style transfer's normalisation). Arguments as InstanceNorm1d.

    Shape: (N, C, H, W) or (C, H, W) -> the same.
    Example:
        norm = InstanceNorm2d(3, affine=True)
        y = norm(gu.randn(2, 3, 16, 16))
    """

    _ndims = (3, 4)
    _shapes = "3-D (C, H, W) or 4-D (N, C, H, W)"


class LayerNorm(Module):
    """Layer normalisation over the last dimensions of each sample.

    y = (x - mean) / sqrt(var + eps) * weight + bias, mean and biased var over the
    trailing `normalized_shape` dimensions.

    Args:
        normalized_shape: int or tuple, the trailing shape to normalise over.
        eps: 1e-5.  elementwise_affine: learn weight/bias (default True).
        bias: learn the bias (default True).
    Shape: (*, *normalized_shape) -> the same.
    Attributes:
        weight: normalized_shape, ones.   bias: normalized_shape, zeros.
    Example:
        ln = LayerNorm(64)
        y = ln(gu.randn(8, 10, 64))
    """

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        dtype = _float_dtype(dtype)
        if elementwise_affine:
            self.weight = Parameter(empty(self.normalized_shape, dtype=dtype, device=device))
            self.bias = (Parameter(empty(self.normalized_shape, dtype=dtype, device=device))
                         if bias else None)
        else:
            self.weight = None
            self.bias = None
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x):
        x = _trailing_shape(self, x)
        return F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Group normalisation: channels in `num_groups` groups, each normalised per sample.

    y = (x - mean_g) / sqrt(var_g + eps) * weight[c] + bias[c], statistics over the
    channels of a group and all spatial positions of one sample.

    Args:
        num_groups: G, dividing num_channels.  num_channels: C.
        eps: 1e-5.  affine: learn per-channel weight/bias (default True).
        bias: with affine, also learn the bias (default True; keyword only).
    Shape: (N, C, *) -> the same.
    Attributes:
        weight: (C,) ones.   bias: (C,) zeros.
    Example:
        gn = GroupNorm(4, 16)
        y = gn(gu.randn(2, 16, 8, 8))
    """

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None,
                 dtype=None, *, bias=True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must be divisible by "
                             f"num_groups ({num_groups})")
        self.num_groups = int(num_groups)
        self.num_channels = int(num_channels)
        self.eps = eps
        self.affine = affine
        dtype = _float_dtype(dtype)
        self.weight = (Parameter(empty(num_channels, dtype=dtype, device=device))
                       if affine else None)
        self.bias = (Parameter(empty(num_channels, dtype=dtype, device=device))
                     if affine and bias else None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)
        if self.bias is not None:
            init.zeros_(self.bias)

    def forward(self, x):
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if x.ndim < 2 or x.shape[1] != self.num_channels:
            raise ValueError(f"{self!r}: expected input (N, {self.num_channels}, *), "
                             f"got {tuple(x.shape)}")
        return F.group_norm(x, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


class RMSNorm(Module):
    """Root-mean-square normalisation over the last dimensions of each sample.

    y = x / sqrt(mean(x^2) + eps) * weight, the mean over the trailing `normalized_shape`
    dimensions (LayerNorm without the centring and the bias).

    Args:
        normalized_shape: int or tuple, the trailing shape to normalise over.
        eps: added to the mean square; None (default) uses the input dtype's machine
            epsilon, as PyTorch.
        elementwise_affine: learn weight (default True).
    Shape: (*, *normalized_shape) -> the same.
    Attributes: weight: normalized_shape, ones.
    Example:
        norm = RMSNorm(64)
        y = norm(gu.randn(8, 10, 64))
    """

    def __init__(self, normalized_shape, eps=None, elementwise_affine=True, device=None,
                 dtype=None):
        super().__init__()
        if isinstance(normalized_shape, int):
            normalized_shape = (normalized_shape,)
        self.normalized_shape = tuple(int(s) for s in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight = (Parameter(empty(self.normalized_shape, dtype=_float_dtype(dtype),
                                       device=device)) if elementwise_affine else None)
        self.reset_parameters()

    def reset_parameters(self):
        if self.weight is not None:
            init.ones_(self.weight)

    def forward(self, x):
        x = _trailing_shape(self, x)
        return F.rms_norm(x, self.normalized_shape, self.weight, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}")
