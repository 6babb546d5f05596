"""The seam of the tuned convolution's im2col and col2im: compiled, threaded twins.

Called by ops/conv_tuned.py's _lower and conv_input_grad with their arrays; each returns
the result, or None and the NumPy reference runs (compiled path off, fewer than
switch.MIN_SIZE elements, not NumPy float32/float64). The reference makes one strided
copy (or add) per kernel offset on one core; the kernels make the same copies and sums
over all of groundup's threads (compiled_conv.py).
"""

import numpy as np

from . import switch

__all__ = ["im2col", "col2im"]


def _module(size, dtype):
    if size < switch.MIN_SIZE or not switch.enabled() or dtype.kind != "f" \
            or dtype.itemsize < 4:
        return None
    mod = switch.load("compiled_conv")
    if mod is not None:
        switch.set_threads(size)
    return mod


def _geometry(geo, plan):
    return (np.asarray(plan.offsets, np.int64), geo.sh, geo.sw, geo.dw, geo.pt, geo.pl)


def im2col(x4, X6, geo, plan):
    """Fill X6 (C, P, kw, count, Wo, N) from x4 (C, H, W, N) as conv_tuned._lower does;
    False when the reference must do it."""
    if type(x4) is not np.ndarray or not x4.flags.c_contiguous or x4.dtype != X6.dtype:
        return False
    mod = _module(X6.size, X6.dtype)
    if mod is None:
        return False
    try:
        mod.im2col(x4, X6, *_geometry(geo, plan))
    except Exception as e:  # pragma: no cover - a numba failure falls back, once
        switch.failed(e)
        return False
    return True


def col2im(dX6, geo, plan):
    """dx (C, H, W, N) summed from dX6 as conv_input_grad's col2im does; None when the
    reference must do it."""
    if not dX6.flags.c_contiguous:
        return None
    mod = _module(dX6.size, dX6.dtype)
    if mod is None:
        return None
    dx = np.empty((geo.C, geo.H, geo.W, geo.N), dX6.dtype)
    try:
        mod.col2im(dX6, dx, *_geometry(geo, plan))
    except Exception as e:  # pragma: no cover
        switch.failed(e)
        return None
    return dx
