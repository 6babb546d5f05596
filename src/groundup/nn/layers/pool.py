"""Pooling layers: MaxPool1d/2d, AvgPool1d/2d, MaxUnpool1d/2d, AdaptiveAvgPool1d/2d,
AdaptiveMaxPool1d/2d (each forward is one F call; the ops are in ops/pool.py and
ops/adaptive_pool.py)."""

from .. import functional as F
from ..module import Module

__all__ = ["MaxPool1d", "MaxPool2d", "AvgPool1d", "AvgPool2d", "MaxUnpool1d", "MaxUnpool2d",
           "AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveMaxPool1d", "AdaptiveMaxPool2d"]


def _call(layer, fn, *args, **kwargs):
    """fn(*args), its ValueErrors prefixed with the layer (so the message names both the
    layer and the shapes)."""
    try:
        return fn(*args, **kwargs)
    except ValueError as e:
        raise ValueError(f"{layer!r}: {e}") from None


def _ntuple(value, n):
    return tuple(value) if isinstance(value, (tuple, list)) else (value,) * n


class _MaxPoolNd(Module):
    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.dilation = dilation
        self.return_indices = return_indices
        self.ceil_mode = ceil_mode

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                f"padding={self.padding}, dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class MaxPool1d(_MaxPoolNd):
    """Max over sliding windows of the last axis: y[n, c, o] = max_j x[n, c, o*s + j*d - p].

    Args:
        kernel_size: window length k.  stride: step (default k).
        padding: -inf added on both sides (at most half the dilated kernel).
        dilation: spacing d of the window's elements.
        return_indices: also return each window's argmax (flat, for MaxUnpool1d).
        ceil_mode: round the output length up (a last, partial window).
    Shape: (N, C, L) or (C, L) -> (.., L_out),
        L_out = floor((L + 2p - d(k - 1) - 1 + (s - 1 if ceil_mode)) / s) + 1.
    Example:
        pool = MaxPool1d(2)
        y = pool(gu.randn(4, 3, 10))    # (4, 3, 5)
    """

    def forward(self, x):
        return _call(self, F.max_pool1d, x, self.kernel_size, self.stride, self.padding,
                     self.dilation, self.ceil_mode, self.return_indices)


class MaxPool2d(_MaxPoolNd):
    """Max over kh x kw windows of the last two axes; the gradient of each window goes to
    its first maximum in row-major order, as PyTorch's.

    Args: as MaxPool1d, each an int or an (h, w) pair.
    Shape: (N, C, H, W) or (C, H, W) -> (.., H_out, W_out), each as MaxPool1d's L_out.
    Example:
        pool = MaxPool2d(2)
        y = pool(gu.randn(8, 16, 28, 28))    # (8, 16, 14, 14)
    """

    def forward(self, x):
        return _call(self, F.max_pool2d, x, self.kernel_size, self.stride, self.padding,
                     self.dilation, self.ceil_mode, self.return_indices)


class AvgPool1d(Module):
    """Mean over sliding windows of the last axis.

    Args:
        kernel_size: k.  stride: default k.  padding: zeros on both sides (at most k / 2).
        ceil_mode: round the output length up.
        count_include_pad: count the padding zeros in each mean (default True).
    Shape: (N, C, L) or (C, L) -> (.., L_out), as MaxPool1d with d = 1.
    Example:
        pool = AvgPool1d(3, stride=2)
        y = pool(gu.randn(4, 3, 11))    # (4, 3, 5)
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, 1)
        self.stride = _ntuple(stride if stride is not None else kernel_size, 1)
        self.padding = _ntuple(padding, 1)
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad

    def forward(self, x):
        return _call(self, F.avg_pool1d, x, self.kernel_size, self.stride, self.padding,
                     self.ceil_mode, self.count_include_pad)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AvgPool2d(Module):
    """Mean over kh x kw windows of the last two axes.

    Args: as AvgPool1d, each an int or an (h, w) pair, and
        divisor_override: divide every window's sum by this instead of its size.
    Shape: (N, C, H, W) or (C, H, W) -> (.., H_out, W_out).
    Example:
        pool = AvgPool2d(2)
        y = pool(gu.randn(8, 16, 28, 28))    # (8, 16, 14, 14)
    """

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = stride if stride is not None else kernel_size
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override

    def forward(self, x):
        return _call(self, F.avg_pool2d, x, self.kernel_size, self.stride, self.padding,
                     self.ceil_mode, self.count_include_pad, self.divisor_override)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class _MaxUnpoolNd(Module):
    _n = 1

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size = _ntuple(kernel_size, self._n)
        self.stride = _ntuple(stride if stride is not None else kernel_size, self._n)
        self.padding = _ntuple(padding, self._n)

    def forward(self, input, indices, output_size=None):
        fn = F.max_unpool1d if self._n == 1 else F.max_unpool2d
        return _call(self, fn, input, indices, self.kernel_size, self.stride, self.padding,
                     output_size)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class MaxUnpool1d(_MaxUnpoolNd):
    """Partial inverse of MaxPool1d: each value goes back to the position its index names,
    zeros elsewhere.

    Args: kernel_size, stride (default kernel_size), padding, as the MaxPool1d undone.
    Shape: input and indices (N, C, L) or (C, L) -> (.., L_out),
        L_out = (L - 1) s - 2p + k, or output_size given to forward.
    Example:
        pool, unpool = MaxPool1d(2, return_indices=True), MaxUnpool1d(2)
        y, idx = pool(x); x_sparse = unpool(y, idx)
    """

    _n = 1


class MaxUnpool2d(_MaxUnpoolNd):
    """Partial inverse of MaxPool2d (see MaxUnpool1d), on (N, C, H, W) or (C, H, W).

    Example:
        pool, unpool = MaxPool2d(2, return_indices=True), MaxUnpool2d(2)
        y, idx = pool(x); x_sparse = unpool(y, idx, output_size=x.shape)
    """

    _n = 2


class _AdaptivePool(Module):
    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def extra_repr(self):
        return f"output_size={self.output_size}"


class AdaptiveAvgPool1d(_AdaptivePool):
    """Mean over L_out windows that cover the last axis: window o is
    [floor(o L / L_out), ceil((o + 1) L / L_out)).

    Args: output_size: L_out.
    Shape: (N, C, L) or (C, L) -> (.., L_out).
    Example:
        pool = AdaptiveAvgPool1d(4)
        y = pool(gu.randn(2, 3, 10))    # (2, 3, 4)
    """

    def forward(self, x):
        return _call(self, F.adaptive_avg_pool1d, x, self.output_size)


class AdaptiveAvgPool2d(_AdaptivePool):
    """Mean over adaptive windows of the last two axes (AdaptiveAvgPool1d's, per axis).

    Args: output_size: an int or (H_out, W_out); None keeps that input size.
    Shape: (N, C, H, W) or (C, H, W) -> (.., H_out, W_out).
    Example:
        gap = AdaptiveAvgPool2d(1)
        y = gap(gu.randn(8, 64, 7, 7))    # (8, 64, 1, 1): global average pooling
    """

    def forward(self, x):
        return _call(self, F.adaptive_avg_pool2d, x, self.output_size)


class AdaptiveMaxPool1d(_AdaptivePool):
    """Max over L_out adaptive windows of the last axis (as AdaptiveAvgPool1d).

    Args: output_size: L_out.  return_indices: also return each window's argmax.
    Shape: (N, C, L) or (C, L) -> (.., L_out).
    Example:
        pool = AdaptiveMaxPool1d(4)
        y = pool(gu.randn(2, 3, 10))    # (2, 3, 4)
    """

    def __init__(self, output_size, return_indices=False):
        super().__init__(output_size)
        self.return_indices = return_indices

    def forward(self, x):
        return _call(self, F.adaptive_max_pool1d, x, self.output_size, self.return_indices)


class AdaptiveMaxPool2d(AdaptiveMaxPool1d):
    """Max over adaptive windows of the last two axes.

    Args: output_size: an int or (H_out, W_out) (None keeps a size).  return_indices.
    Shape: (N, C, H, W) or (C, H, W) -> (.., H_out, W_out).
    Example:
        pool = AdaptiveMaxPool2d((2, 2))
        y = pool(gu.randn(8, 16, 7, 9))    # (8, 16, 2, 2)
    """

    def forward(self, x):
        return _call(self, F.adaptive_max_pool2d, x, self.output_size, self.return_indices)
