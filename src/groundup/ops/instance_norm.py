"""instance_norm, as torch.nn.functional.instance_norm: each (sample, channel) plane
normalised over its own spatial positions.

That is group normalisation with one channel per group, so with the input's statistics it
is group_norm(x, C) (one fused Function, ops/normalization.py); with running statistics
(use_input_stats=False) it is batch_norm in eval mode. The running estimates are updated
as PyTorch's: (1 - momentum) * running + momentum * the mean over the batch of each
instance's mean (and unbiased variance).
"""

import numpy as np

from ..tensor import Tensor
from .common import as_tensor
from .normalization import batch_norm, group_norm

__all__ = ["instance_norm"]


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Instance normalisation of x (N, C, *spatial), as PyTorch's.

    use_input_stats=True normalises each plane by its own mean and biased variance and, when
    running_mean / running_var ((C,) Tensors) are given, updates them in place;
    use_input_stats=False normalises with the running statistics instead.
    """
    x = as_tensor(input)
    if x.ndim < 3:
        raise ValueError(f"instance_norm: expected an input (N, C, *spatial) with at least "
                         f"one spatial dim, got shape {tuple(x.shape)}")
    C = x.shape[1]
    if not use_input_stats:
        if running_mean is None or running_var is None:
            raise ValueError("instance_norm: use_input_stats=False needs running_mean and "
                             "running_var")
        return batch_norm(x, running_mean, running_var, weight, bias, False, momentum, eps)
    spatial = int(np.prod(x.shape[2:]))
    if spatial <= 1:
        raise ValueError(f"instance_norm: expected more than 1 spatial element per channel "
                         f"when using the input's statistics, got input of shape "
                         f"{tuple(x.shape)}")
    if x.shape[0] == 0:  # an empty batch: nothing to normalise (group_norm needs rows)
        return x * 0.0
    if running_mean is not None or running_var is not None:
        _update_running(x, running_mean, running_var, momentum)
    return group_norm(x, C, weight, bias, eps)


def _update_running(x, running_mean, running_var, momentum):
    a, C, m = x.array, x.shape[1], float(momentum)
    axes = tuple(range(2, a.ndim))
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None and (not isinstance(t, Tensor) or tuple(t.shape) != (C,)):
            raise ValueError(f"instance_norm: {name} must be a Tensor of shape ({C},) for an "
                             f"input of shape {tuple(x.shape)}")
    if running_mean is not None:
        mean = a.mean(axis=axes).mean(axis=0)  # (C,): the batch mean of the instance means
        running_mean.array *= 1.0 - m
        running_mean.array += (m * mean).astype(running_mean.array.dtype, copy=False)
    if running_var is not None:
        var = a.var(axis=axes, ddof=1).mean(axis=0)  # of the unbiased instance variances
        running_var.array *= 1.0 - m
        running_var.array += (m * var).astype(running_var.array.dtype, copy=False)
