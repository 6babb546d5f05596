"""The readable convolution: im2col, one batched GEMM, col2im; NCHW throughout.

This is the version the docstrings of ConvFn and ConvTransposeFn describe, and the one
the tuned core (ops/conv_tuned.py) is tested equal to. With g = (N, G) indexing the
batch item and group, K = Cg*kh*kw and L = Ho*Wo (names of ops/conv_args.py):

    cols = im2col(x)                      (N, G, K, L)       a strided view, then one copy
    y    = w_g @ cols (+ b)               (G, Og, K) @ (N, G, K, L) -> (N, G, Og, L)
    dx   = col2im(w_g^T @ dy_g)           (G, K, Og) @ (N, G, Og, L) -> (N, G, K, L) -> x
    dw   = sum_n dy_g @ cols^T            (N, G, Og, L) @ (N, G, L, K) -> (G, Og, K)
    db   = sum of dy over N, Ho, Wo

Grouped and depthwise convolutions are the same code: np.matmul runs the N*G GEMMs.
The three functions below are the interface both cores share (see ops/conv.py):
conv_forward, conv_input_grad, conv_weight_grad, channel_sum and own_layout.
"""

from ..backend import array_module
from .unfold import col2im, im2col

__all__ = []


def _pads(geo):
    return ((geo.pt, geo.pb), (geo.pl, geo.pr))


def _sizes(geo):
    return (geo.kh, geo.kw), (geo.sh, geo.sw), (geo.dh, geo.dw)


def conv_forward(x, w, b, geo, keep, output=True):
    """y (N, O, Ho, Wo) = conv(x, w) (+ b), and the columns conv_weight_grad needs (None
    unless keep). output=False: only the columns (y is None)."""
    xp = array_module(x)
    N, G, O, Ho, Wo = geo.N, geo.G, geo.O, geo.Ho, geo.Wo
    kernel, stride, dilation = _sizes(geo)
    cols = im2col(x, kernel, stride, dilation, _pads(geo), (Ho, Wo))  # (N, C, kh, kw, Ho, Wo)
    cols = cols.reshape(N, G, geo.C // G * geo.kh * geo.kw, Ho * Wo)  # (N, G, K, L)
    if not output:
        return None, cols
    wg = w.reshape(G, O // G, -1)  # (G, Og, K)
    y = xp.matmul(wg, cols).reshape(N, O, Ho, Wo)  # (N, G, Og, L): N*G GEMMs
    if b is not None:
        y += b.reshape(O, 1, 1)
    return y, (cols if keep else None)


def conv_input_grad(dy, w, geo):
    """dx (N, C, H, W) = col2im(w^T @ dy), per group."""
    xp = array_module(dy)
    N, G, O, Ho, Wo = geo.N, geo.G, geo.O, geo.Ho, geo.Wo
    kernel, stride, dilation = _sizes(geo)
    dyg = dy.reshape(N, G, O // G, Ho * Wo)  # (N, G, Og, L)
    wg = w.reshape(G, O // G, -1)  # (G, Og, K)
    dcols = xp.matmul(wg.transpose(0, 2, 1), dyg)  # (N, G, K, L)
    dcols = dcols.reshape(N, geo.C, geo.kh, geo.kw, Ho, Wo)
    return col2im(dcols, (geo.H, geo.W), kernel, stride, dilation, _pads(geo))


def conv_weight_grad(cols, dy, geo, need_w, need_b):
    """(dw (O, Cg, kh, kw), db (O,)): dw = sum over n of dy_g @ cols^T; db = channel sums.
    Each is None unless asked for."""
    xp = array_module(dy)
    N, G, O, Ho, Wo = geo.N, geo.G, geo.O, geo.Ho, geo.Wo
    dw = db = None
    if need_w:
        dyg = dy.reshape(N, G, O // G, Ho * Wo)  # (N, G, Og, L)
        dw = xp.matmul(dyg, cols.transpose(0, 1, 3, 2)).sum(0)  # (G, Og, K)
        dw = dw.reshape(O, geo.C // G, geo.kh, geo.kw)
    if need_b:
        db = channel_sum(dy)
    return dw, db


def own_layout(a):
    """a as it is: this core takes any layout."""
    return a


def channel_sum(dy):
    """dy (N, C, H, W) summed over N, H and W: (C,)."""
    return dy.sum(axis=(0, 2, 3))
