"""im2col and col2im: sliding windows as columns (unfold) and back, summed (fold).

These are the two halves of every convolution (ops/conv_reference.py builds the readable
convolution from them) and PyTorch's F.unfold / F.fold:

    unfold: x (N, C, H, W) -> cols (N, C*kh*kw, L), L = Ho*Wo, column l = (a, b) holding
            cols[n, (c, i, j), (a, b)] = xpad[n, c, a*sh + i*dh, b*sw + j*dw]
    fold:   cols (N, C*kh*kw, L) -> y (N, C, H, W), the adjoint: every column entry is
            added back at the pixel it was read from (overlapping windows sum), and the
            padding is cut off.

xpad is x zero-padded by (pt, pb) rows and (pl, pr) columns. Windows are a strided view
of xpad (no copy); the only copy is the reshape into columns. col2im adds the kh*kw
kernel offsets one at a time, each as one strided add over all windows (a Python loop
over the kernel, never over pixels or batch items).
"""

from ..autograd import Function
from ..backend import array_module
from .common import as_tensor
from .conv_args import out_size, pair

__all__ = ["unfold", "fold"]


def pad_zeros(x, pads):
    """x (N, C, H, W) zero-padded by pads ((pt, pb), (pl, pr)); x itself when all are 0."""
    (pt, pb), (pl, pr) = pads
    if not (pt or pb or pl or pr):
        return x
    N, C, H, W = x.shape
    xpad = array_module(x).zeros((N, C, H + pt + pb, W + pl + pr), x.dtype)
    xpad[:, :, pt:pt + H, pl:pl + W] = x
    return xpad


def windows(xpad, kernel, stride, dilation, out_hw):
    """The view v (N, C, kh, kw, Ho, Wo) of xpad (N, C, Hp, Wp) with
    v[n, c, i, j, a, b] = xpad[n, c, a*sh + i*dh, b*sw + j*dw]   (no copy; read only)."""
    xp = array_module(xpad)
    N, C = xpad.shape[:2]
    sn, sc, s_h, s_w = xpad.strides
    (kh, kw), (sh, sw), (dh, dw), (Ho, Wo) = kernel, stride, dilation, out_hw
    return xp.lib.stride_tricks.as_strided(
        xpad, (N, C, kh, kw, Ho, Wo), (sn, sc, s_h * dh, s_w * dw, s_h * sh, s_w * sw))


def im2col(x, kernel, stride, dilation, pads, out_hw):
    """cols (N, C, kh, kw, Ho, Wo), a C-contiguous copy of the windows of padded x."""
    v = windows(pad_zeros(x, pads), kernel, stride, dilation, out_hw)
    return array_module(x).ascontiguousarray(v)


def col2im(cols, in_hw, kernel, stride, dilation, pads):
    """y (N, C, H, W): the sum of cols (N, C, kh, kw, Ho, Wo) put back where im2col read
    each entry, padding cut off (the adjoint of im2col)."""
    xp = array_module(cols)
    N, C, kh, kw, Ho, Wo = cols.shape
    (H, W), (sh, sw), (dh, dw), ((pt, pb), (pl, pr)) = in_hw, stride, dilation, pads
    ypad = xp.zeros((N, C, H + pt + pb, W + pl + pr), cols.dtype)
    for i in range(kh):
        for j in range(kw):
            rows = slice(i * dh, i * dh + sh * (Ho - 1) + 1, sh)
            columns = slice(j * dw, j * dw + sw * (Wo - 1) + 1, sw)
            ypad[:, :, rows, columns] += cols[:, :, i, j]
    if pt or pb or pl or pr:
        return xp.ascontiguousarray(ypad[:, :, pt:pt + H, pl:pl + W])
    return ypad


class UnfoldFn(Function):
    """Extract sliding windows as columns (im2col), as torch.nn.functional.unfold.

    x: (N, C, H, W) -> y: (N, C*kh*kw, L), L = Ho*Wo
    forward:   y[n, (c, i, j), (a, b)] = xpad[n, c, a*sh + i*dh, b*sw + j*dw]
    backward:  dx = col2im(dy): each dy entry is added to the pixel it was read from
               (overlapping windows sum), padding cut off
    saved:     only the geometry
    """

    def forward(self, x, kernel, stride, dilation, pads, out_hw):
        self.config = (x.shape[2:], kernel, stride, dilation, pads, out_hw)
        N, C = x.shape[:2]
        cols = im2col(x, kernel, stride, dilation, pads, out_hw)  # (N, C, kh, kw, Ho, Wo)
        return cols.reshape(N, C * kernel[0] * kernel[1], out_hw[0] * out_hw[1])

    def backward(self, dy):
        in_hw, kernel, stride, dilation, pads, (Ho, Wo) = self.config
        N, K, _ = dy.shape
        cols = dy.reshape(N, K // (kernel[0] * kernel[1]), *kernel, Ho, Wo)
        return col2im(cols, in_hw, kernel, stride, dilation, pads)


class FoldFn(Function):
    """Sum columns back into an image (col2im), as torch.nn.functional.fold.

    x: (N, C*kh*kw, L) -> y: (N, C, H, W), L = Ho*Wo windows of the (H, W) image
    forward:   y = col2im(x): y[n, c, a*sh + i*dh - pt, b*sw + j*dw - pl] += x[n, (c, i, j),
               (a, b)] over all columns, entries landing in the padding dropped
    backward:  dx = im2col(dy): dx[n, (c, i, j), (a, b)] = dypad[n, c, a*sh + i*dh, b*sw + j*dw]
    saved:     only the geometry
    """

    def forward(self, x, out_size_hw, kernel, stride, dilation, pads, out_hw):
        self.config = (kernel, stride, dilation, pads, out_hw)
        N, K, _ = x.shape
        cols = x.reshape(N, K // (kernel[0] * kernel[1]), *kernel, *out_hw)
        return col2im(cols, out_size_hw, kernel, stride, dilation, pads)

    def backward(self, dy):
        kernel, stride, dilation, pads, out_hw = self.config
        N, C = dy.shape[:2]
        cols = im2col(dy, kernel, stride, dilation, pads, out_hw)
        return cols.reshape(N, C * kernel[0] * kernel[1], out_hw[0] * out_hw[1])


def _window_args(name, kernel_size, dilation, padding, stride):
    kernel = pair(name, kernel_size, "kernel_size", minimum=1)
    dilation = pair(name, dilation, "dilation", minimum=1)
    padding = pair(name, padding, "padding", minimum=0)
    stride = pair(name, stride, "stride", minimum=1)
    return kernel, dilation, tuple((p, p) for p in padding), stride


def _blocks(name, hw, kernel, dilation, pads, stride, shape):
    blocks = tuple(out_size(n, p, k, s, d)
                   for n, p, k, s, d in zip(hw, pads, kernel, stride, dilation, strict=True))
    if blocks[0] < 1 or blocks[1] < 1:
        raise ValueError(f"{name}: the kernel {kernel} (dilation {dilation}) does not fit the "
                         f"padded input {tuple(n + p[0] + p[1] for n, p in zip(hw, pads))} "
                         f"(input of shape {shape})")
    return blocks


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding windows as columns, as torch.nn.functional.unfold.

    input (N, C, H, W) or unbatched (C, H, W) -> (N, C*kh*kw, L) or (C*kh*kw, L), with L
    the number of windows. Column l holds window l, channel-major then kernel row, column.
    """
    x = as_tensor(input)
    shape = tuple(x.shape)
    if x.ndim not in (3, 4):
        raise ValueError(f"unfold: expected a 4-D input (N, C, H, W) or a 3-D unbatched one, "
                         f"got shape {shape}")
    kernel, dilation, pads, stride = _window_args("unfold", kernel_size, dilation, padding,
                                                  stride)
    unbatched = x.ndim == 3
    if unbatched:
        x = x.unsqueeze(0)
    out_hw = _blocks("unfold", x.shape[2:], kernel, dilation, pads, stride, shape)
    y = UnfoldFn.apply(x, kernel=kernel, stride=stride, dilation=dilation, pads=pads,
                       out_hw=out_hw)
    return y.squeeze(0) if unbatched else y


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum columns back into an image, as torch.nn.functional.fold (the adjoint of unfold).

    input (N, C*kh*kw, L) or unbatched (C*kh*kw, L) -> (N, C, H, W) or (C, H, W), where
    (H, W) = output_size and L must be the number of windows of that image.
    """
    x = as_tensor(input)
    shape = tuple(x.shape)
    if x.ndim not in (2, 3):
        raise ValueError(f"fold: expected a 3-D input (N, C*kh*kw, L) or a 2-D unbatched one, "
                         f"got shape {shape}")
    size = pair("fold", output_size, "output_size", minimum=1)
    kernel, dilation, pads, stride = _window_args("fold", kernel_size, dilation, padding, stride)
    unbatched = x.ndim == 2
    if unbatched:
        x = x.unsqueeze(0)
    K, L = x.shape[1:]
    if K % (kernel[0] * kernel[1]):
        raise ValueError(f"fold: input of shape {shape}: dimension 1 ({K}) must be divisible by "
                         f"the kernel size {kernel[0]} * {kernel[1]}")
    out_hw = _blocks("fold", size, kernel, dilation, pads, stride, shape)
    if out_hw[0] * out_hw[1] != L:
        raise ValueError(f"fold: input of shape {shape} has {L} columns, but output_size "
                         f"{size} with kernel {kernel}, dilation {dilation}, padding "
                         f"{tuple(p for p, _ in pads)} and stride {stride} gives "
                         f"{out_hw[0]} x {out_hw[1]} = {out_hw[0] * out_hw[1]} windows")
    y = FoldFn.apply(x, out_size_hw=size, kernel=kernel, stride=stride, dilation=dilation,
                     pads=pads, out_hw=out_hw)
    return y.squeeze(0) if unbatched else y
