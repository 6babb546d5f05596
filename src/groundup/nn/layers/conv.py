"""Convolution layers: Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d, Unfold, Fold.

Signatures, parameter names and layouts, initialisation and reprs follow PyTorch, so a
PyTorch model's state_dict loads strictly. Outputs of the convolutions may be NCHW views
of batch-innermost (C, H, W, N) memory (see groundup.ops.image_layout): the next
convolution or pooling reads them without a copy; `.contiguous()` makes a C-contiguous
copy when something needs one.
"""

import math

from ...backend import to_dtype
from ...creation import empty
from ...ops.common import as_tensor
from ...ops.conv_args import pair, same_padding
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module, Parameter

__all__ = ["Conv1d", "Conv2d", "ConvTranspose1d", "ConvTranspose2d", "Unfold", "Fold"]

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What the convolution layers share: arguments, parameters, init, checks, repr."""

    _dims = 2
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None,
                 output_padding=0):
        super().__init__()
        name, n = type(self).__name__, self._dims
        if not isinstance(groups, int) or isinstance(groups, bool) or groups < 1:
            raise ValueError(f"{name}: groups must be a positive integer, got {groups!r}")
        if in_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) must be divisible by groups "
                             f"({groups})")
        if out_channels % groups:
            raise ValueError(f"{name}: out_channels ({out_channels}) must be divisible by groups "
                             f"({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")
        self.in_channels, self.out_channels = int(in_channels), int(out_channels)
        self.kernel_size = pair(name, kernel_size, "kernel_size", n, minimum=1)
        self.stride = pair(name, stride, "stride", n, minimum=1)
        self.dilation = pair(name, dilation, "dilation", n, minimum=1)
        if isinstance(padding, str):
            if padding not in ("valid", "same"):
                raise ValueError(f"{name}: padding must be an int, a tuple of ints, 'valid' or "
                                 f"'same', got {padding!r}")
            if padding == "same" and any(s != 1 for s in self.stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride={self.stride})")
            self.padding = padding
        else:
            self.padding = pair(name, padding, "padding", n, minimum=0)
        self.output_padding = pair(name, output_padding, "output_padding", n, minimum=0)
        self.transposed = self._transposed
        self.groups = groups
        self.padding_mode = padding_mode
        # F.pad's amounts for padding_mode != 'zeros': (before, after) from the last dim back
        pads = (same_padding(self.kernel_size, self.dilation) if self.padding == "same" else
                ((0, 0),) * n if self.padding == "valid" else tuple((p, p) for p in self.padding))
        self._reversed_padding_repeated_twice = [p for pp in reversed(pads) for p in pp]
        dtype = to_dtype(dtype) or to_dtype("float32")
        if self._transposed:
            shape = (self.in_channels, self.out_channels // groups) + self.kernel_size
        else:
            shape = (self.out_channels, self.in_channels // groups) + self.kernel_size
        self.weight = _parameter(shape, dtype, device)
        self.bias = _parameter((self.out_channels,), dtype, device) if bias else None
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in, _ = init._calculate_fan_in_and_fan_out(self.weight)
            if fan_in != 0:
                bound = 1 / math.sqrt(fan_in)
                init.uniform_(self.bias, -bound, bound)

    def _check_input(self, x):
        """x as a Tensor, with the layer's checks: rank, channels, dtype, kernel size."""
        x = x if isinstance(x, Tensor) else as_tensor(x)
        n, shape, ws = self._dims, tuple(x.shape), tuple(self.weight.shape)
        spatial = "L" if n == 1 else "H, W"
        if x.ndim not in (n + 1, n + 2):
            raise ValueError(f"{self!r}: expected a {n + 2}-D input (N, {self.in_channels}, "
                             f"{spatial}) or a {n + 1}-D unbatched one, got input of shape "
                             f"{shape} (weight of shape {ws})")
        channels = shape[-n - 1]
        if channels != self.in_channels:
            raise ValueError(f"{self!r}: expected input with {self.in_channels} channels "
                             f"(N, {self.in_channels}, {spatial}), got input of shape {shape} "
                             f"(weight of shape {ws})")
        if x.array.dtype != self.weight.array.dtype:
            raise TypeError(f"{self!r}: input dtype {x.array.dtype} does not match the weight "
                            f"dtype {self.weight.array.dtype}; convert the input (x.float() / "
                            f"x.double()) or the module (.float() / .double())")
        if not self._transposed:
            pads = _pairs(self._reversed_padding_repeated_twice)
            padded = tuple(s + lo + hi for s, (lo, hi) in zip(shape[-n:], pads, strict=True))
            reach = tuple(d * (k - 1) + 1 for d, k in zip(self.dilation, self.kernel_size,
                                                          strict=True))
            if any(p < r for p, r in zip(padded, reach, strict=True)):
                raise ValueError(f"{self!r}: the kernel {self.kernel_size} (dilation "
                                 f"{self.dilation}) is larger than the padded input {padded}: "
                                 f"input of shape {shape}, weight of shape {ws}")
        return x

    def extra_repr(self):
        n = self._dims
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * n:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * n:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * n:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


def _parameter(shape, dtype, device):
    return Parameter(empty(*shape, dtype=dtype, device=device))


def _pairs(reversed_pads):
    """F.pad's flat (before, after) list, last dim first, as ((before, after), ...) in order."""
    pairs = [tuple(reversed_pads[i:i + 2]) for i in range(0, len(reversed_pads), 2)]
    return tuple(reversed(pairs))


class _Conv(_ConvNd):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        x = self._check_input(input)
        conv = F.conv1d if self._dims == 1 else F.conv2d
        if self.padding_mode != "zeros":
            x = F.pad(x, self._reversed_padding_repeated_twice, mode=self.padding_mode)
            return conv(x, self.weight, self.bias, self.stride, 0, self.dilation, self.groups)
        return conv(x, self.weight, self.bias, self.stride, self.padding, self.dilation,
                    self.groups)


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L) signals: y = b + sum over in-channels of w * x.

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size, stride, dilation: int or 1-tuple.  padding: int, 1-tuple, 'valid'
            or 'same' (stride 1).  groups: split channels into groups (in_channels for
            depthwise).  bias: learn b (default True).  padding_mode: 'zeros', 'reflect',
            'replicate' or 'circular'.
    Shape: (N, C_in, L) or (C_in, L) -> (N, C_out, L_out),
        L_out = (L + 2*padding - dilation*(kernel_size - 1) - 1) // stride + 1.
    Attributes:
        weight: (out_channels, in_channels/groups, kernel_size), U(-k, k) with
            k = 1/sqrt(in_channels/groups * kernel_size) (kaiming_uniform_, a = sqrt(5)).
        bias: (out_channels,), the same distribution.
    Example:
        m = Conv1d(16, 33, 3, stride=2)
        y = m(gu.randn(20, 16, 50))   # (20, 33, 24)
    """

    _dims = 1


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W) images: y = b + sum over in-channels of w * x.

    Args:
        in_channels, out_channels: channels of the input and the output.
        kernel_size, stride, dilation: int or pair.  padding: int, pair, 'valid' or 'same'
            (stride 1).  groups: split channels into groups (in_channels for depthwise).
        bias: learn b (default True).  padding_mode: 'zeros', 'reflect', 'replicate',
            'circular'.
    Shape: (N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out),
        H_out = (H + 2*padding - dilation*(kernel_size - 1) - 1) // stride + 1 (W likewise).
    Attributes:
        weight: (out_channels, in_channels/groups, kH, kW), U(-k, k) with
            k = 1/sqrt(in_channels/groups * kH * kW) (kaiming_uniform_, a = sqrt(5)).
        bias: (out_channels,), the same distribution.
    Example:
        m = Conv2d(1, 16, 5, padding=2)
        y = m(gu.randn(64, 1, 28, 28))   # (64, 16, 28, 28)
    """

    _dims = 2


class _ConvTranspose(_ConvNd):
    _transposed = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        name = type(self).__name__
        if padding_mode != "zeros":
            raise ValueError(f"{name}: only padding_mode 'zeros' is supported, got "
                             f"{padding_mode!r}")
        if isinstance(padding, str):
            raise ValueError(f"{name}: padding must be an int or a tuple of ints, got "
                             f"{padding!r}")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype, output_padding)

    def forward(self, input, output_size=None):
        x = self._check_input(input)
        output_padding = self._output_padding(x, output_size)
        conv = F.conv_transpose1d if self._dims == 1 else F.conv_transpose2d
        return conv(x, self.weight, self.bias, self.stride, self.padding, output_padding,
                    self.groups, self.dilation)

    def _output_padding(self, x, output_size):
        """output_padding, or the one that gives `output_size` (the last dims count)."""
        if output_size is None:
            return self.output_padding
        n = self._dims
        size = tuple(int(s) for s in output_size)
        if len(size) == n + (x.ndim - n):
            size = size[x.ndim - n:]
        if len(size) != n:
            raise ValueError(f"{self!r}: output_size must have {n} or {x.ndim} elements, got "
                             f"{tuple(output_size)}")
        out = []
        for d in range(n):
            low = ((x.shape[x.ndim - n + d] - 1) * self.stride[d] - 2 * self.padding[d]
                   + self.dilation[d] * (self.kernel_size[d] - 1) + 1)
            high = low + self.stride[d] - 1
            if not low <= size[d] <= high:
                raise ValueError(f"{self!r}: output_size {tuple(output_size)} cannot be "
                                 f"reached from input of shape {tuple(x.shape)}: dimension "
                                 f"{d} must lie in [{low}, {high}], got {size[d]}")
            out.append(size[d] - low)
        return tuple(out)


class ConvTranspose1d(_ConvTranspose):
    """1-D transposed convolution (the gradient of Conv1d with respect to its input).

    Args:
        in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias as
        Conv1d; output_padding: extra length on one side of the output (< stride or
        dilation). padding_mode: 'zeros' only.
    Shape: (N, C_in, L) or (C_in, L) -> (N, C_out, L_out), L_out = (L - 1)*stride
        - 2*padding + dilation*(kernel_size - 1) + output_padding + 1.
    Attributes:
        weight: (in_channels, out_channels/groups, kernel_size), U(-k, k) with
            k = 1/sqrt(out_channels/groups * kernel_size).
        bias: (out_channels,), the same distribution.
    Example:
        m = ConvTranspose1d(16, 8, 3, stride=2)
        y = m(gu.randn(4, 16, 10))   # (4, 8, 21); m(x, output_size=[22]) -> (4, 8, 22)
    """

    _dims = 1


class ConvTranspose2d(_ConvTranspose):
    """2-D transposed convolution (the gradient of Conv2d with respect to its input).

    Args:
        in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias as
        Conv2d; output_padding: extra rows/columns on one side of the output (< stride or
        dilation). padding_mode: 'zeros' only. forward(input, output_size=None) picks the
        output_padding that gives output_size.
    Shape: (N, C_in, H, W) or (C_in, H, W) -> (N, C_out, H_out, W_out), H_out = (H - 1)*stride
        - 2*padding + dilation*(kernel_size - 1) + output_padding + 1 (W likewise).
    Attributes:
        weight: (in_channels, out_channels/groups, kH, kW), U(-k, k) with
            k = 1/sqrt(out_channels/groups * kH * kW).
        bias: (out_channels,), the same distribution.
    Example:
        m = ConvTranspose2d(16, 8, 3, stride=2, padding=1)
        y = m(gu.randn(4, 16, 12, 12), output_size=(24, 24))   # (4, 8, 24, 24)
    """

    _dims = 2


class Unfold(Module):
    """Sliding local blocks as columns (im2col), as torch.nn.Unfold.

    Args: kernel_size, dilation=1, padding=0, stride=1 (ints or pairs).
    Shape: (N, C, H, W) or (C, H, W) -> (N, C*kH*kW, L) or (C*kH*kW, L), L the number of
        blocks.
    Example:
        Unfold(kernel_size=(2, 3))(gu.randn(2, 5, 3, 4)).shape   # (2, 30, 4)
    """

    def __init__(self, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.kernel_size, self.dilation = kernel_size, dilation
        self.padding, self.stride = padding, stride

    def forward(self, input):
        return F.unfold(input, self.kernel_size, self.dilation, self.padding, self.stride)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, dilation={self.dilation}, "
                f"padding={self.padding}, stride={self.stride}")


class Fold(Module):
    """Columns summed back into an image (col2im), as torch.nn.Fold: the adjoint of Unfold.

    Args: output_size (H, W), kernel_size, dilation=1, padding=0, stride=1.
    Shape: (N, C*kH*kW, L) or (C*kH*kW, L) -> (N, C, H, W) or (C, H, W).
    Example:
        Fold(output_size=(4, 5), kernel_size=(2, 2))(gu.randn(1, 12, 12)).shape  # (1, 3, 4, 5)
    """

    def __init__(self, output_size, kernel_size, dilation=1, padding=0, stride=1):
        super().__init__()
        self.output_size, self.kernel_size = output_size, kernel_size
        self.dilation, self.padding, self.stride = dilation, padding, stride

    def forward(self, input):
        return F.fold(input, self.output_size, self.kernel_size, self.dilation, self.padding,
                      self.stride)

    def extra_repr(self):
        return (f"output_size={self.output_size}, kernel_size={self.kernel_size}, "
                f"dilation={self.dilation}, padding={self.padding}, stride={self.stride}")
