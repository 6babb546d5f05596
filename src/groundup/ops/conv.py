"""Convolution and transposed convolution (1-D and 2-D): conv1d, conv2d, conv_transpose1d,
conv_transpose2d, and (from ops/unfold.py) unfold and fold, as in torch.nn.functional.

Two implementations of the same three operations (forward, input gradient, weight
gradient) sit behind one seam, `conv_core`:

- ops/conv_reference.py, the readable one the docstrings below describe: NCHW, im2col as
  a strided view plus one copy, one batched GEMM over (batch, group), col2im;
- ops/conv_tuned.py, the one that runs on NumPy arrays: batch-innermost (C, H, W, N)
  memory, im2col over the kernel width only (kernel rows are column offsets into one
  matrix, kh GEMMs on views), bias folded into the GEMM. Its results are NCHW views of
  CHWN memory (see ops/image_layout.py: the one documented exception to C-contiguous
  layer outputs, which the next convolution or pooling reads without a copy).

`conv_tuned.use(False)` switches to the reference for a `with` block; the tests run both
and check that they agree. A 1-D convolution is computed as a 2-D one on (N, C, 1, L).
"""

import numpy as np

from ..autograd import Function
from . import conv_reference, conv_tuned
from .common import as_tensor
from .conv_args import (
    check_bias,
    check_input,
    conv_geometry,
    conv_padding,
    pair,
    transposed_geometry,
)
from .unfold import fold, unfold

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold", "fold"]


def conv_core(x):
    """The seam: the tuned core for NumPy arrays while conv_tuned.enabled(), else the
    readable reference (any array module)."""
    if type(x) is np.ndarray and conv_tuned.enabled():
        return conv_tuned
    return conv_reference


def _as4d(a):
    """a (N, C, L) as (N, C, 1, L) for a 1-D convolution (a view); 4-D arrays as they are."""
    return a if a.ndim == 4 else a.reshape(a.shape[0], a.shape[1], 1, a.shape[2])


class ConvFn(Function):
    """Convolution (cross-correlation, as in PyTorch) of x with w, per group, plus b.

    x: (N, C, H, W), w: (O, C/G, kh, kw), b: (O,) -> y: (N, O, Ho, Wo); G groups; within
    group g, output channel o reads input channels g*C/G ... (g+1)*C/G - 1. xpad = x
    zero-padded. K = C/G*kh*kw, L = Ho*Wo, cols = im2col(x) (N, G, K, L) with
    cols[n, g, (c, i, j), (a, b)] = xpad[n, g*C/G + c, a*sh + i*dh, b*sw + j*dw].
    forward:   y[n, g] = w_g @ cols[n, g] + b         w_g = w[group g] as (O/G, K)
    backward:  dx = col2im(w_g^T @ dy[n, g])          (K, O/G) @ (O/G, L), summed back
               dw_g = sum_n dy[n, g] @ cols[n, g]^T  (O/G, L) @ (L, K)
               db = sum of dy over n, Ho, Wo
               each computed only when its input needs a gradient (the data needs none:
               no dx GEMM and no col2im for the first layer)
    saved:     w, and the lowered input (cols, or the tuned core's smaller matrix) only
               when dw is needed
    A 1-D convolution is the 2-D one with H = kh = 1.
    """

    def forward(self, x, w, b=None, *, geo):
        self.geo, self.core, self.shape = geo, conv_core(x), x.shape
        needs = self.needs_input_grad
        y, lowered = self.core.conv_forward(_as4d(x), _as4d(w), b, geo,
                                            keep=needs[1])
        self.save_for_backward(lowered, w)
        return y if x.ndim == 4 else y.reshape(geo.N, geo.O, geo.Wo)

    def backward(self, dy):
        lowered, w = self.saved
        geo, core = self.geo, self.core
        needs = self.needs_input_grad
        dy = core.own_layout(_as4d(dy))
        dx = dw = db = None
        if needs[0]:
            dx = core.conv_input_grad(dy, _as4d(w), geo).reshape(self.shape)
        need_b = len(needs) == 3 and needs[2]
        if needs[1] or need_b:
            dw, db = core.conv_weight_grad(lowered, dy, geo, needs[1], need_b)
            if dw is not None:
                dw = dw.reshape(w.shape)
        return (dx, dw, db) if len(needs) == 3 else (dx, dw)


class ConvTransposeFn(Function):
    """Transposed convolution: the adjoint (input gradient) of the convolution with the same
    weight, geometry and groups, plus b.

    x: (N, Cin, Hin, Win), w: (Cin, Cout/G, kh, kw), b: (Cout,) -> y: (N, Cout, H, W) with
    H = (Hin - 1)*sh - 2*ph + dh*(kh - 1) + output_padding + 1 (the same for W). Writing
    conv(z) for the convolution of z (N, Cout, H, W) with w as its (O = Cin, C/G = Cout/G)
    weight, so that conv(z) has the shape of x:
    forward:   y = conv^T(x) + b = col2im(w_g^T @ x[n, g]) + b     each input pixel scatters
               its kernel-weighted values onto the output, overlaps summed
    backward:  dx = conv(dy)                 im2col(dy) and a GEMM with w_g (no bias)
               dw_g = sum_n x[n, g] @ im2col(dy)[n, g]^T          (the conv's weight
               gradient with the roles of input and output swapped)
               db = sum of dy over n, H, W
               im2col(dy) is built once when dx or dw needs it
    saved:     x and w (references)
    """

    def forward(self, x, w, b=None, *, geo):
        self.geo, self.core, self.shape = geo, conv_core(x), x.shape
        y = self.core.conv_input_grad(_as4d(x), _as4d(w), geo)
        if b is not None:
            y += b.reshape(1, -1, 1, 1)
        self.save_for_backward(x, w)
        return y if x.ndim == 4 else y.reshape(geo.N, geo.C, geo.W)

    def backward(self, dy):
        x, w = self.saved
        geo, core = self.geo, self.core
        needs = self.needs_input_grad
        dy = core.own_layout(_as4d(dy))
        dx = dw = db = None
        if needs[0] or needs[1]:  # im2col(dy) once for both
            dx, lowered = core.conv_forward(dy, _as4d(w), None, geo, keep=needs[1],
                                            output=needs[0])
            if needs[1]:
                dw = core.conv_weight_grad(lowered, _as4d(x), geo, True, False)[0]
                dw = dw.reshape(w.shape)
            if needs[0]:
                dx = dx.reshape(self.shape)
        if len(needs) == 3 and needs[2]:
            db = core.channel_sum(dy)
        return (dx, dw, db) if len(needs) == 3 else (dx, dw)


# ---------------------------------------------------------------- the functions
def _operands(name, input, weight, bias, dims, transposed=False):
    x, w = as_tensor(input), as_tensor(weight)
    unbatched = check_input(name, x, w, dims, transposed)
    b = None if bias is None else as_tensor(bias)
    if unbatched:
        x = x.unsqueeze(0)
    return x, w, b, unbatched


def _conv(name, dims, input, weight, bias, stride, padding, dilation, groups):
    x, w, b, unbatched = _operands(name, input, weight, bias, dims)
    kernel = tuple(w.shape[2:])
    stride = pair(name, stride, "stride", dims, minimum=1)
    dilation = pair(name, dilation, "dilation", dims, minimum=1)
    pads = conv_padding(name, padding, kernel, stride, dilation)
    geo = conv_geometry(name, x.shape, w.shape, stride, pads, dilation, groups)
    check_bias(name, b, geo.O, w, x)
    args = (x, w) if b is None else (x, w, b)
    y = ConvFn.apply(*args, geo=geo)
    return y.squeeze(0) if unbatched else y


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-D convolution, as torch.nn.functional.conv1d.

    input (N, C, L) or unbatched (C, L), weight (O, C/groups, k), bias (O,) or None ->
    (N, O, Lo). padding: an int, a 1-tuple, 'valid' (none) or 'same' (output length L,
    stride 1 only). The result may be an NCL view of batch-innermost memory (see
    ops/image_layout.py); `.contiguous()` gives a C-contiguous copy.
    """
    return _conv("conv1d", 1, input, weight, bias, stride, padding, dilation, groups)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-D convolution, as torch.nn.functional.conv2d.

    input (N, C, H, W) or unbatched (C, H, W), weight (O, C/groups, kH, kW), bias (O,) or
    None -> (N, O, Ho, Wo). stride, dilation: int or pair; padding: int, pair, 'valid' or
    'same' (stride 1 only; an even kernel pads one more after than before, as PyTorch).
    groups: the channels split into groups convolved separately (groups = C: depthwise).
    The result may be an NCHW view of batch-innermost memory (see ops/image_layout.py);
    `.contiguous()` gives a C-contiguous copy.
    """
    return _conv("conv2d", 2, input, weight, bias, stride, padding, dilation, groups)


def _conv_transpose(name, dims, input, weight, bias, stride, padding, output_padding, groups,
                    dilation):
    x, w, b, unbatched = _operands(name, input, weight, bias, dims, transposed=True)
    stride = pair(name, stride, "stride", dims, minimum=1)
    dilation = pair(name, dilation, "dilation", dims, minimum=1)
    if isinstance(padding, str):
        raise ValueError(f"{name}: padding must be an int or a tuple of ints, got {padding!r}")
    padding = pair(name, padding, "padding", dims, minimum=0)
    output_padding = pair(name, output_padding, "output_padding", dims, minimum=0)
    geo = transposed_geometry(name, x.shape, w.shape, stride, padding, output_padding,
                              dilation, groups)
    check_bias(name, b, geo.C, w, x)
    args = (x, w) if b is None else (x, w, b)
    y = ConvTransposeFn.apply(*args, geo=geo)
    return y.squeeze(0) if unbatched else y


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """1-D transposed convolution, as torch.nn.functional.conv_transpose1d.

    input (N, Cin, L) or unbatched (Cin, L), weight (Cin, Cout/groups, k), bias (Cout,) ->
    (N, Cout, (L - 1)*stride - 2*padding + dilation*(k - 1) + output_padding + 1).
    """
    return _conv_transpose("conv_transpose1d", 1, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-D transposed convolution, as torch.nn.functional.conv_transpose2d.

    input (N, Cin, H, W) or unbatched (Cin, H, W), weight (Cin, Cout/groups, kH, kW), bias
    (Cout,) -> (N, Cout, Ho, Wo), Ho = (H - 1)*sh - 2*ph + dh*(kH - 1) + output_padding + 1.
    The gradient of conv2d with respect to its input, for the same weight and arguments.
    """
    return _conv_transpose("conv_transpose2d", 2, input, weight, bias, stride, padding,
                           output_padding, groups, dilation)
