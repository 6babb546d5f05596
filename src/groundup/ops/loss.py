"""Classification losses (cross_entropy, nll_loss).

The element-wise losses (MSE, L1, Huber, BCE, KL, cosine embedding) live in
ops/pointwise_loss.py and share the reduction helpers of ops/loss_common.py.

Every loss here is one Function: the element-wise (or per-sample) loss and its
reduction run in one forward, and the backward writes d(loss)/d(input) in one or
two passes. Softmax cross-entropy is fused (log-softmax + NLL) because it is hot
and because composing it from exp / sum / log loses precision for large logits.

Reductions: 'none' returns the per-element (per-sample) loss, 'sum' its sum,
'mean' its mean (cross_entropy / nll_loss with class indices: the weighted mean,
divided by the summed weights of the counted targets, as in PyTorch); kl_div
also takes 'batchmean' (sum / batch size). Class weights, pos_weight and class
index targets are constants: they get no gradient (PyTorch gives none either).
"""

import math

import numpy as np

from ..autograd import Function
from ..backend import cached_constant
from .common import as_tensor
from .loss_common import (
    check_reduction,
    constant_array,
    float_input,
    input_target_pair,
    reduce_loss,
    target_upstream,
    upstream,
)

__all__ = ["cross_entropy", "nll_loss"]

# Cross-entropy shifts logits by one global max M (one cheap pass instead of a max per
# row), or by nothing when 0 <= M <= 16 (exp cannot overflow, and the subtraction pass
# is saved); a row whose exp-sum falls below exp(-16) (its own max is > 16 below the
# shift) is redone with its own max, so no row underflows or loses precision.
_NO_SHIFT = 16.0
_UNDERFLOW = math.exp(-16.0)


def _gather(xp, a, ys):
    """a[i, ys[i], ...]: the entry of each sample's (and position's) target class."""
    if a.ndim == 2:
        return a[cached_constant(xp, "arange", a.shape[0], np.intp), ys]
    return xp.take_along_axis(a, ys[:, None], axis=1)[:, 0]


def _sub_at(xp, a, ys, v):
    """a[i, ys[i], ...] -= v[i, ...] in place (one index per sample: no collisions)."""
    if a.ndim == 2:
        a[cached_constant(xp, "arange", a.shape[0], np.intp), ys] -= v
        return
    idx = ys[:, None]
    v = xp.broadcast_to(v, ys.shape)[:, None]
    xp.put_along_axis(a, idx, xp.take_along_axis(a, idx, axis=1) - v, axis=1)


def _class_sum(xp, a, w):
    """sum_c w_c a[i, c, ...] (w None: plain sum), as a GEMV on 2-D arrays."""
    if a.ndim == 2:
        return a @ (cached_constant(xp, "ones", a.shape[1], a.dtype) if w is None else w)
    if w is None:
        return a.sum(axis=1)
    return (a * w.reshape((1, -1) + (1,) * (a.ndim - 2))).sum(axis=1)


def _class_layout(name, x):
    """(number of classes, shape of a class-index target) of an input."""
    shape = x.array.shape
    if len(shape) == 0:
        raise ValueError(f"{name}: input must have a class dimension, got a 0-d tensor")
    if len(shape) == 1:
        return shape[0], ()
    return shape[1], (shape[0],) + shape[2:]


def _layout_name(ndim):
    """The readable layout of an input with a class dimension: (C,) or (N, C, d1, ...)."""
    if ndim == 1:
        return "(C,)"
    dims = "".join(f", d{k}" for k in range(1, ndim - 1))
    return f"(N, C{dims})"


def _class_indices(name, x, target, ignore_index):
    """Validate class-index targets: (int array, C, ignorable); (None, C, False) when target
    holds probabilities. ignorable: some target may equal ignore_index (it lies within the
    targets' range), so the loss must build the validity mask."""
    C, index_shape = _class_layout(name, x)
    t = as_tensor(target)
    if t.array.shape == index_shape:
        if t.array.dtype.kind not in "iu":
            raise TypeError(
                f"{name}: a target of shape {tuple(t.shape)} holds class indices and must be "
                f"an integer tensor (e.g. int64), got {t.array.dtype}"
                + (f"; class probabilities need the input's shape {tuple(x.shape)}"
                   if name == "cross_entropy" else "")
            )
        y = t.array
        ignorable = False
        if y.size:
            lo, hi = int(y.min()), int(y.max())
            ignorable = lo <= ignore_index <= hi
            if lo < 0 or hi >= C:
                bad = (y != ignore_index) & ((y < 0) | (y >= C))
                if bad.any():
                    v = int(y[bad].reshape(-1)[0])
                    raise IndexError(
                        f"{name}: target class index {v} is out of range for {C} classes "
                        f"(expected 0 <= index <= {C - 1}, or ignore_index={ignore_index})"
                    )
        return y, C, ignorable
    if name == "cross_entropy" and tuple(t.shape) == tuple(x.shape):
        if t.array.dtype.kind != "f":
            raise TypeError(
                f"{name}: a target of the input's shape {tuple(x.shape)} holds class "
                f"probabilities and must be floating point, got {t.array.dtype}"
            )
        return None, C, False
    also = f" or {tuple(x.shape)} of probabilities" if name == "cross_entropy" else ""
    raise ValueError(
        f"{name}: input {_layout_name(x.ndim)} = {tuple(x.shape)} needs target "
        f"{tuple(index_shape)} of "
        f"class indices{also}, got {tuple(t.shape)}"
    )


def _valid_targets(xp, y, ignore_index, C, dtype):
    """(safe indices, mask as floats or None when no target is ignored).

    ignore_index None: the caller knows that no target equals it."""
    if ignore_index is None or y.size == 0 or not int(y.min()) <= ignore_index <= int(y.max()):
        return y, None  # nothing can equal ignore_index: skip the mask
    valid = y != ignore_index
    if valid.all():
        return y, None
    return y * valid, valid.astype(dtype)


# ---------------------------------------------------------- cross-entropy
class CrossEntropyFn(Function):
    """Softmax cross-entropy with class-index targets, fused (log-softmax + NLL in one pass).

    x: (N, C) or (N, C, d1, ...) logits; y: (N,) or (N, d1, ...) class indices;
    w: (C,) class weights (1 when None), W = sum_c w_c; eps = label_smoothing;
    v_i = [y_i != ignore_index]. Per sample i (and position), with p_i = softmax(x_i):
        l_i = v_i ( -(1 - eps) w[y_i] log p_i[y_i] - (eps / C) sum_c w_c log p_i[c] )
    'mean' divides the sum by norm = sum_i v_i w[y_i] (PyTorch's weighted mean).
    backward, with s_i = dy_i ('none'), dy ('sum') or dy / norm ('mean'):
        dx_i[c] = s_i v_i ( ((1 - eps) w[y_i] + eps W / C) p_i[c]
                            - (1 - eps) w[y_i] [c == y_i] - (eps / C) w_c )
    so without weights dx = s v (p - (1 - eps) onehot(y) - eps / C).
    Saves e = exp(x - shift) and its class sums; p = e / sum(e) is formed only in backward.
    """

    def forward(self, x, target, weight, ignore_index, reduction, label_smoothing):
        xp = self.xp
        self.unbatched = x.ndim == 1
        if self.unbatched:
            x, target = x[None], target[None]
        C = x.shape[1]
        eps = float(label_smoothing)
        ys, valid = _valid_targets(xp, target, ignore_index, C, x.dtype)
        if x.ndim == 2:  # hot path: one global shift (often none at all), GEMV class sums
            shift = x.max() if x.size else 0
            z = x if 0 <= shift <= _NO_SHIFT else x - shift
            zy = _gather(xp, z, ys)
            zw = _class_sum(xp, z, weight) if eps else None
            e = xp.exp(z) if z is x else xp.exp(z, out=z)
            s = _class_sum(xp, e, None)
            low = s < _UNDERFLOW
            if low.any():
                rows = xp.flatnonzero(low)
                zr = x[rows]
                zr = zr - zr.max(axis=1, keepdims=True)
                zy[rows] = _gather(xp, zr, ys[rows])
                if eps:
                    zw[rows] = _class_sum(xp, zr, weight)
                xp.exp(zr, out=zr)
                e[rows] = zr
                s[rows] = _class_sum(xp, zr, None)
        else:
            e = x - x.max(axis=1, keepdims=True)
            zy = _gather(xp, e, ys)
            zw = _class_sum(xp, e, weight) if eps else None
            xp.exp(e, out=e)
            s = e.sum(axis=1)
        lse = xp.log(s)
        wy = None if weight is None else weight[ys]
        if valid is not None:
            wy = valid if wy is None else wy * valid
        loss = lse - zy  # -log p[y]
        if wy is not None:
            loss *= wy
        W = C if weight is None else weight.sum()
        if eps:
            smooth = W * lse - zw  # -sum_c w_c log p[c]
            if valid is not None:
                smooth *= valid
            loss *= 1.0 - eps
            loss += (eps / C) * smooth
        norm = float(ys.size) if wy is None else wy.sum()
        self.save_for_backward(e, s, ys, wy, valid, weight)
        self.config = (reduction, norm, eps, W)
        out = reduce_loss(xp, loss, reduction, norm)
        return out.reshape(()) if self.unbatched and reduction == "none" else out

    def backward(self, dy):
        xp = self.xp
        e, s, ys, wy, valid, weight = self.saved
        reduction, norm, eps, W = self.config
        C = e.shape[1]
        scale = target_upstream(dy, reduction, norm)
        if self.unbatched and reduction == "none":
            scale = scale[None]
        onehot = scale if wy is None else scale * wy  # coefficient of -[c == y]
        if eps:
            onehot = onehot * (1.0 - eps)
            uniform = scale * (eps / C) if valid is None else scale * (eps / C) * valid
            coef = onehot + uniform * W
        else:
            coef = onehot
        r = coef / s
        dx = e * r[:, None]
        _sub_at(xp, dx, ys, onehot)
        if eps:
            u = xp.broadcast_to(uniform, ys.shape)[:, None]
            if weight is None:
                dx -= u
            else:
                dx -= u * weight.reshape((1, C) + (1,) * (e.ndim - 2))
        return dx[0] if self.unbatched else dx


class CrossEntropyProbsFn(Function):
    """Softmax cross-entropy with class-probability targets (t has the input's shape).

    x, t: (N, C, ...) (or (C,)); class axis 1 (0 for 1-D). eps = label_smoothing,
    t' = (1 - eps) t + eps / C, w: (C,) class weights (1 when None), q = w t'.
        l_i = -sum_c q_ic log p_ic,  p_i = softmax(x_i)
    'mean' divides the sum by the number of samples (numel / C), as in PyTorch.
    backward, s_i the upstream factor:
        dx_ic = s_i (p_ic sum_k q_ik - q_ic)
        dt_ic = -s_i (1 - eps) w_c log p_ic
    Saves log p (p = exp(log p) is recomputed in backward).
    """

    def forward(self, x, t, weight, reduction, label_smoothing):
        xp = self.xp
        ax = 0 if x.ndim == 1 else 1
        C = x.shape[ax]
        logp = x - x.max(axis=ax, keepdims=True)
        logp -= xp.log(xp.exp(logp).sum(axis=ax, keepdims=True))
        self.wb = None if weight is None else weight.reshape((C,) + (1,) * (x.ndim - 1 - ax))
        self.eps, self.ax, self.reduction = float(label_smoothing), ax, reduction
        q = self._q(t, C)
        loss = xp.asarray(-(q * logp).sum(axis=ax))
        self.n = x.size / C if C else 0.0
        self.save_for_backward(logp, t)
        return reduce_loss(xp, loss, reduction, self.n)

    def _q(self, t, C):
        q = t * (1.0 - self.eps) + self.eps / C if self.eps else t
        return q if self.wb is None else q * self.wb

    def backward(self, dy):
        xp = self.xp
        logp, t = self.saved
        ax = self.ax
        scale = upstream(dy, self.reduction, self.n)
        if self.reduction == "none":
            scale = xp.expand_dims(scale, ax)
        dx = dt = None
        if self.needs_input_grad[0]:
            q = self._q(t, logp.shape[ax])
            dx = xp.exp(logp)
            dx *= q.sum(axis=ax, keepdims=True)
            dx -= q
            dx *= scale
        if self.needs_input_grad[1]:
            f = -(1.0 - self.eps) * scale
            dt = logp * (f if self.wb is None else f * self.wb)
        return dx, dt


class NllLossFn(Function):
    """Negative log-likelihood of log-probabilities x at class-index targets y.

    x: (N, C) or (N, C, d1, ...); y: (N,) or (N, d1, ...); w: (C,) (1 when None);
    v_i = [y_i != ignore_index].
        l_i = -v_i w[y_i] x_i[y_i]          'mean': sum / sum_i v_i w[y_i]
    backward: dx_i[c] = -s_i v_i w[y_i] [c == y_i]   (s_i the upstream factor)
    """

    def forward(self, x, target, weight, ignore_index, reduction):
        xp = self.xp
        self.unbatched = x.ndim == 1
        if self.unbatched:
            x, target = x[None], target[None]
        ys, valid = _valid_targets(xp, target, ignore_index, x.shape[1], x.dtype)
        wy = None if weight is None else weight[ys]
        if valid is not None:
            wy = valid if wy is None else wy * valid
        loss = -_gather(xp, x, ys)
        if wy is not None:
            loss *= wy
        norm = float(ys.size) if wy is None else wy.sum()
        self.shape, self.config = x.shape, (reduction, norm)
        self.save_for_backward(ys, wy)
        out = reduce_loss(xp, loss, reduction, norm)
        return out.reshape(()) if self.unbatched and reduction == "none" else out

    def backward(self, dy):
        ys, wy = self.saved
        reduction, norm = self.config
        scale = target_upstream(dy, reduction, norm)
        if self.unbatched and reduction == "none":
            scale = scale[None]
        dx = self.xp.zeros(self.shape, dy.dtype)
        _sub_at(self.xp, dx, ys, scale if wy is None else scale * wy)
        return dx[0] if self.unbatched else dx


# ---------------------------------------------------------------- functions
def cross_entropy(input, target, weight=None, ignore_index=-100, reduction="mean",
                  label_smoothing=0.0):
    """Softmax cross-entropy of logits `input` (N, C) / (N, C, d1, ...) / (C,).

    target: class indices (N,) / (N, d1, ...) / () (integer), or class probabilities of
    the input's shape (float). weight: (C,) class weights. ignore_index: targets equal
    to it count for nothing (indices only). label_smoothing: eps in [0, 1], mixing the
    target with the uniform distribution as in PyTorch.
    """
    name = "cross_entropy"
    check_reduction(name, reduction)
    x = float_input(name, input)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{name}: label_smoothing must be in [0, 1], got {label_smoothing}")
    y, C, ignorable = _class_indices(name, x, target, ignore_index)
    w = constant_array(name, "weight", weight, x, (C,))
    if y is not None:
        ii = int(ignore_index) if ignorable else None  # None: no target is ignored
        return CrossEntropyFn.apply(x, target=y, weight=w, ignore_index=ii,
                                  reduction=reduction, label_smoothing=label_smoothing)
    x, t = input_target_pair(name, x, target, same_shape=True)
    if w is not None:
        w = w.astype(x.array.dtype, copy=False)
    return CrossEntropyProbsFn.apply(x, t, weight=w, reduction=reduction,
                                   label_smoothing=label_smoothing)


def nll_loss(input, target, weight=None, ignore_index=-100, reduction="mean"):
    """Negative log-likelihood of log-probabilities `input` (N, C) / (N, C, d1, ...) / (C,)
    at integer class indices `target` (N,) / (N, d1, ...) / ()."""
    name = "nll_loss"
    check_reduction(name, reduction)
    x = float_input(name, input)
    y, C, ignorable = _class_indices(name, x, target, ignore_index)
    w = constant_array(name, "weight", weight, x, (C,))
    ii = int(ignore_index) if ignorable else None  # None: no target is ignored
    return NllLossFn.apply(x, target=y, weight=w, ignore_index=ii,
                         reduction=reduction)
