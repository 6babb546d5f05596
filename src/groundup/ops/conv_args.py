"""Arguments of the convolution family: sizes as tuples, checks, and the geometry of one call.

Every convolution is computed as a 2-D one (a 1-D signal is an image one pixel high), so
the geometry always has both spatial axes. `ConvGeometry` names the sizes once:

    N batch, C input channels, H x W input size, O output channels, G groups,
    kh x kw kernel, sh, sw stride, dh, dw dilation, (pt, pb, pl, pr) padding
    top / bottom / left / right (asymmetric only for padding='same' with an even
    kernel, as in PyTorch), Ho x Wo output size:

    Ho = (H + pt + pb - dh * (kh - 1) - 1) // sh + 1      (the same for Wo)

For a transposed convolution the geometry is the one of the convolution it is the adjoint
of: its input is that convolution's output (N, O, Ho, Wo), its output that convolution's
input (N, C, H, W).
"""

from collections import namedtuple

import numpy as np

__all__ = []

ConvGeometry = namedtuple(
    "ConvGeometry",
    "N C H W O G kh kw sh sw dh dw pt pb pl pr Ho Wo",
)


def pair(name, value, what, n=2, minimum=None):
    """`value` (an int or a sequence of n ints) as a tuple of n Python ints, checked."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        values = (int(value),) * n
    else:
        try:
            values = tuple(value)
        except TypeError:
            raise TypeError(f"{name}: {what} must be an int or a tuple of {n} ints, "
                            f"got {value!r}") from None
        if len(values) == 1 and n > 1:
            values = values * n
        if len(values) != n or not all(isinstance(v, (int, np.integer))
                                       and not isinstance(v, bool) for v in values):
            raise TypeError(f"{name}: {what} must be an int or a tuple of {n} ints, "
                            f"got {value!r}")
        values = tuple(int(v) for v in values)
    if minimum is not None and any(v < minimum for v in values):
        raise ValueError(f"{name}: {what} must be at least {minimum}, got {value!r}")
    return values


def same_padding(kernel, dilation):
    """(before, after) per axis for padding='same': d * (k - 1) in all, the odd one after."""
    out = []
    for k, d in zip(kernel, dilation, strict=True):
        total = d * (k - 1)
        out.append((total // 2, total - total // 2))
    return tuple(out)


def conv_padding(name, padding, kernel, stride, dilation):
    """padding (int, tuple, 'valid' or 'same') as ((before, after), ...) per spatial axis."""
    n = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return ((0, 0),) * n
        if padding == "same":
            if any(s != 1 for s in stride):
                raise ValueError(f"{name}: padding='same' is not supported for strided "
                                 f"convolutions (stride={stride}); use an explicit padding")
            return same_padding(kernel, dilation)
        raise ValueError(f"{name}: padding must be an int, a tuple of ints, 'valid' or 'same', "
                         f"got {padding!r}")
    return tuple((p, p) for p in pair(name, padding, "padding", n, minimum=0))


def check_input(name, x, w, dims, transposed=False):
    """Check the input / weight ranks and dtypes; True when x is unbatched (no N axis)."""
    xs, ws = tuple(x.shape), tuple(w.shape)
    if x.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"{name}: expected a {dims + 2}-D input (N, C, {_spatial(dims)}) or a "
                         f"{dims + 1}-D unbatched one, got input of shape {xs} "
                         f"(weight of shape {ws})")
    if w.ndim != dims + 2:
        layout = "(in_channels, out_channels/groups" if transposed else \
            "(out_channels, in_channels/groups"
        raise ValueError(f"{name}: weight must be {dims + 2}-D {layout}, {_kernel(dims)}), "
                         f"got shape {ws}")
    xd, wd = x.array.dtype, w.array.dtype
    if xd.kind != "f" or xd != wd:
        raise TypeError(f"{name}: input and weight must be floating point of one dtype, got "
                        f"input {xd} and weight {wd}")
    return x.ndim == dims + 1


def check_bias(name, b, channels, w, x):
    if b is None:
        return
    if b.array.dtype != x.array.dtype:
        raise TypeError(f"{name}: bias dtype {b.array.dtype} does not match the input dtype "
                        f"{x.array.dtype}")
    if tuple(b.shape) != (channels,):
        raise ValueError(f"{name}: bias must have shape ({channels},) for weight of shape "
                         f"{tuple(w.shape)}, got {tuple(b.shape)}")


def _spatial(dims):
    return "L" if dims == 1 else "H, W"


def _kernel(dims):
    return "kL" if dims == 1 else "kH, kW"


def out_size(size, pad, kernel, stride, dilation):
    """Output length of a convolution along one axis (may be <= 0: the kernel does not fit)."""
    return (size + pad[0] + pad[1] - dilation * (kernel - 1) - 1) // stride + 1


def _as2d(shape):
    """A 1-D convolution's shape (N, C, L) as the 2-D one (N, C, 1, L)."""
    shape = tuple(shape)
    return shape if len(shape) == 4 else shape[:2] + (1,) + shape[2:]


def _size_text(sizes):
    return " x ".join(str(v) for v in sizes)


def conv_geometry(name, xshape, wshape, stride, pads, dilation, groups):
    """The ConvGeometry of conv(x, w), with PyTorch's checks. Shapes are 3-D (N, C, L) or
    4-D; stride, pads, dilation have one entry per spatial axis."""
    xshape, wshape = tuple(xshape), tuple(wshape)
    if len(wshape) == 3:
        stride, dilation, pads = (1,) + tuple(stride), (1,) + tuple(dilation), ((0, 0),) + pads
    N, C, H, W = _as2d(xshape)
    O, Cg, kh, kw = _as2d(wshape)
    _check_groups(name, groups)
    if O % groups:
        raise ValueError(f"{name}: out_channels ({O}, weight of shape {wshape}) must be "
                         f"divisible by groups={groups}")
    if Cg * groups != C:
        raise ValueError(f"{name}: given groups={groups}, weight of shape {wshape} expects "
                         f"input of shape {xshape} to have {Cg * groups} channels, but it has "
                         f"{C}")
    (pt, pb), (pl, pr) = pads
    padded = (H + pt + pb, W + pl + pr)
    reach = (dilation[0] * (kh - 1) + 1, dilation[1] * (kw - 1) + 1)
    if padded[0] < reach[0] or padded[1] < reach[1]:
        n = len(xshape) - 2
        raise ValueError(f"{name}: the kernel ({_size_text(wshape[2:])}, dilation "
                         f"{_size_text(dilation[-n:])}; weight of shape {wshape}) is larger than "
                         f"the padded input ({_size_text(padded[-n:])}; input of shape {xshape})")
    Ho = out_size(H, pads[0], kh, stride[0], dilation[0])
    Wo = out_size(W, pads[1], kw, stride[1], dilation[1])
    return ConvGeometry(N, C, H, W, O, int(groups), kh, kw, stride[0], stride[1],
                        dilation[0], dilation[1], pt, pb, pl, pr, Ho, Wo)


def _check_groups(name, groups):
    if not isinstance(groups, (int, np.integer)) or isinstance(groups, bool) or groups < 1:
        raise ValueError(f"{name}: groups must be a positive int, got {groups!r}")


def transposed_geometry(name, xshape, wshape, stride, padding, output_padding, dilation,
                        groups):
    """The ConvGeometry of the convolution whose input gradient conv_transpose(x, w) is.
    Shapes are 3-D or 4-D; the other arguments have one entry per spatial axis."""
    xshape, wshape = tuple(xshape), tuple(wshape)
    if len(wshape) == 3:
        stride, dilation = (1,) + tuple(stride), (1,) + tuple(dilation)
        padding, output_padding = (0,) + tuple(padding), (0,) + tuple(output_padding)
    N, Cin, Hin, Win = _as2d(xshape)
    _, Cg, kh, kw = _as2d(wshape)
    _check_groups(name, groups)
    if wshape[0] != Cin:
        raise ValueError(f"{name}: weight of shape {wshape} expects input of shape {xshape} to "
                         f"have {wshape[0]} channels, but it has {Cin}")
    if Cin % groups:
        raise ValueError(f"{name}: in_channels ({Cin}) must be divisible by groups={groups}")
    n = len(xshape) - 2
    for op, s, d in zip(output_padding, stride, dilation, strict=True):
        if op >= s and op >= d:
            raise ValueError(f"{name}: output_padding {output_padding[-n:]} must be smaller "
                             f"than either stride {stride[-n:]} or dilation {dilation[-n:]}")
    size = []
    for m, p, op, k, s, d in zip((Hin, Win), padding, output_padding, (kh, kw), stride,
                                 dilation, strict=True):
        size.append((m - 1) * s - 2 * p + d * (k - 1) + op + 1)
    if min(size) < 1:
        raise ValueError(f"{name}: the output would be {_size_text(size[-n:])} (input of shape "
                         f"{xshape}, weight of shape {wshape}, padding {padding[-n:]}); it must "
                         f"be at least 1 in every dimension")
    ph, pw = padding
    return ConvGeometry(N, Cg * groups, size[0], size[1], Cin, int(groups), kh, kw, stride[0],
                        stride[1], dilation[0], dilation[1], ph, ph, pw, pw, Hin, Win)
