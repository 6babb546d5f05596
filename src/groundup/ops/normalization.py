"""Normalisation primitives with fused, hand-written backward passes (llm.c style).

All three normalise some group of values to zero mean and unit variance and
then apply an optional per-feature affine map. Composing them from mean, var,
sub, div, mul and add would record about ten graph nodes and as many full-size
temporaries per call; one Function each keeps forward and backward to a few
passes over the data.

Notation shared by the docstrings: for one normalisation group of n values
    mu = mean(x)    var = mean((x - mu)^2)    rstd = 1 / sqrt(var + eps)
    xhat = (x - mu) * rstd                    y = xhat * w + b
and backward, with g = dy * w (the gradient reaching xhat),
    dx = rstd * (g - mean(g) - xhat * mean(g * xhat))
    dw = sum over the group's positions of dy * xhat      db = sum of dy
(the mean over the group of g, g * xhat; the sums of dw, db are over every
position where that feature is used).

Speed notes (NumPy): a ufunc whose operand broadcasts (x * r[:, None], x * w)
costs 2-3 times a same-shape one, and a GEMV with a ones vector is the cheapest
row/column sum. So the code saves the centred xc = x - mu and rstd rather than
xhat (xhat = xc * rstd never needs its own pass), folds rstd and w into one
per-row or per-channel factor, and takes every sum as a GEMV.
"""

import math

from .. import kernels
from ..autograd import Function
from ..tensor import Tensor

__all__ = ["layer_norm", "batch_norm", "group_norm"]


# ------------------------------------------------------------------ helpers
def _center_rows(xp, x2, eps):
    """xc = x - mean and rstd of each row of x2 (M, D): the rows are the groups."""
    D = x2.shape[1]
    ones = xp.ones(D, dtype=x2.dtype)
    mu = (x2 @ ones) * (1.0 / D)  # (M,) row sums as a GEMV: faster than .mean(-1)
    xc = x2 - mu[:, None]
    sq = xc * xc
    var = (sq @ ones) * (1.0 / D)
    rstd = 1.0 / xp.sqrt(var + eps)
    return xc, rstd


def _check_affine(op, x, t, shape, what):
    if t is None:
        return
    if not isinstance(t, Tensor):
        raise TypeError(f"{op}: {what} must be a Tensor or None, got {type(t).__name__}")
    if tuple(t.shape) != tuple(shape):
        raise ValueError(f"{op}: expected {what} of shape {tuple(shape)}, got {tuple(t.shape)}")
    if t.array.dtype != x.array.dtype:
        raise TypeError(f"{op}: {what} has dtype {t.array.dtype} but the input has "
                        f"{x.array.dtype}; convert one of them (.float() / .double())")


def _check_input(op, x, min_ndim=1):
    if not isinstance(x, Tensor):
        raise TypeError(f"{op}: expected a Tensor input, got {type(x).__name__}")
    if x.array.dtype.kind != "f":
        raise TypeError(f"{op}: expected a floating-point input, got {x.array.dtype}")
    if x.ndim < min_ndim:
        raise ValueError(f"{op}: expected an input with at least {min_ndim} dimensions, "
                         f"got shape {tuple(x.shape)}")


def _params(weight, bias):
    return tuple(t for t in (weight, bias) if t is not None)


def _param_grads(needs, dw, db, has_w, has_b):
    out = []
    i = 1
    if has_w:
        out.append(dw if needs[i] else None)
        i += 1
    if has_b:
        out.append(db if needs[i] else None)
    return out


# --------------------------------------------------------------- layer norm
class LayerNormFn(Function):
    """Layer normalisation over the trailing `normalized_shape` dimensions.

    Axes: M rows (all leading dimensions), D = prod(normalized_shape) features.
    forward:   x: (..., *ns) viewed as (M, D); per row
               xc = x - mu,  xhat = xc * rstd,  y = xhat * w + b    w, b: ns -> y: like x
               (computed as y = xc * outer(rstd, w) + b)
    backward:  g = dy * w;  R = dy * xc
               dw = sum_M(dy * xhat) = rstd @ R       db = sum_M(dy)
               dx = rstd * (g - mean_D(g) - xhat * mean_D(g * xhat))
                  = dy * outer(rstd, w) - (rstd^2 mean_D(g xhat)) * xc - rstd mean_D(g)
               with mean_D(g) = (dy @ w) / D and mean_D(g xhat) = rstd (R @ w) / D
    saved:     xc (M, D), rstd (M,), w.
    """

    def forward(self, x, *params, eps, has_w, has_b, D):
        y = kernels.layer_norm_forward(self, x, *params, eps=eps, has_w=has_w, has_b=has_b, D=D)
        if y is not None:
            return y  # the compiled twin (groundup.kernels): same result, same saved state
        xp = self.xp
        xc, rstd = _center_rows(xp, x.reshape(-1, D), eps)  # (M, D), (M,)
        w = params[0].reshape(D) if has_w else None
        b = params[-1].reshape(D) if has_b else None
        self.shapes = (x.shape, params[0].shape if params else None)
        self.has = (has_w, has_b)
        self.save_for_backward(xc, rstd, w)
        if w is not None:
            y = xp.multiply.outer(rstd, w)  # (M, D): rstd and w folded into one factor
            y *= xc
        else:
            y = xc * rstd[:, None]
        if b is not None:
            y += b
        return y.reshape(x.shape)

    def backward(self, dy):
        grads = kernels.layer_norm_backward(self, dy)
        if grads is not None:
            return grads  # the compiled twin (groundup.kernels)
        xp = self.xp
        xc, rstd, w = self.saved
        has_w, has_b = self.has
        xshape, pshape = self.shapes
        M, D = xc.shape
        dy2 = dy.reshape(M, D)
        needs = self.needs_input_grad
        need_w = has_w and needs[1]
        dx = dw = db = None
        R = dy2 * xc if (needs[0] or need_w) else None
        if need_w:
            dw = (rstd @ R).reshape(pshape)
        if has_b and needs[-1]:
            db = (xp.ones(M, dtype=dy2.dtype) @ dy2).reshape(pshape)
        if needs[0]:
            v = w if w is not None else xp.ones(D, dtype=dy2.dtype)
            k_xc = (R @ v) * rstd * rstd * rstd * (-1.0 / D)  # -rstd^2 * mean(g * xhat)
            k_0 = (dy2 @ v) * rstd * (-1.0 / D)  # -rstd * mean(g)
            if w is not None:
                dx = xp.multiply.outer(rstd, w)
                dx *= dy2
            else:
                dx = dy2 * rstd[:, None]
            k_xc = xc * k_xc[:, None]
            dx += k_xc
            dx += k_0[:, None]
            dx = dx.reshape(xshape)
        return (dx, *_param_grads(needs, dw, db, has_w, has_b))


def layer_norm(x, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalise over the last len(normalized_shape) dims, then y = xhat * weight + bias."""
    _check_input("layer_norm", x)
    ns = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(normalized_shape)
    k = len(ns)
    if k == 0 or k > x.ndim or tuple(x.shape[x.ndim - k:]) != ns:
        expected = "(..., " + ", ".join(map(str, ns)) + ")"
        raise ValueError(f"layer_norm: normalized_shape {ns} needs an input of shape "
                         f"{expected}, got {tuple(x.shape)}")
    _check_affine("layer_norm", x, weight, ns, "weight")
    _check_affine("layer_norm", x, bias, ns, "bias")
    return LayerNormFn.apply(x, *_params(weight, bias), eps=float(eps), has_w=weight is not None,
                           has_b=bias is not None, D=math.prod(ns))


# --------------------------------------------------------------- batch norm
def _channel_view(a, C):
    """(N, C) stays; (N, C, *S) becomes a (N, C, L) view (a copy only if not contiguous)."""
    return a if a.ndim == 2 else a.reshape(a.shape[0], C, -1)


def _csum(xp, a):
    """Per-channel sum of a (N, C) or (N, C, L) array -> (C,)."""
    if a.ndim == 2:
        return xp.ones(a.shape[0], dtype=a.dtype) @ a  # GEMV: column sums
    return xp.einsum("ncl->c", a)


def _cdot(xp, a, b):
    """Per-channel sum of a * b -> (C,)."""
    return xp.einsum("nc,nc->c" if a.ndim == 2 else "ncl,ncl->c", a, b)


def channel_setup(fn, x, params, has_w, has_b):
    """What a batch-norm Function's forward starts with: (C, x as (N, C[, L]), the shape
    that broadcasts a (C,) array against it, weight or None, bias or None); records
    fn.has, fn.bshape and fn.xshape for the backward."""
    C = x.shape[1]
    x3 = _channel_view(x, C)
    bshape = (C,) if x3.ndim == 2 else (C, 1)  # broadcasts against (N, C) / (N, C, L)
    fn.has, fn.bshape, fn.xshape = (has_w, has_b), bshape, x.shape
    return C, x3, bshape, params[0] if has_w else None, params[-1] if has_b else None


def channel_grad(fn, dy):
    """dy as (N, C[, L]) and its per-channel sum (the bias gradient), for a batch-norm
    Function's backward."""
    dy3 = _channel_view(dy, fn.xshape[1])
    return dy3, _csum(fn.xp, dy3)


def update_running(running_mean, running_var, mu, var, n, momentum):
    """The running statistics (arrays, or None), in place: each moves a fraction `momentum`
    towards the batch's mean mu and unbiased variance var * n / (n - 1)."""
    if running_mean is not None:
        running_mean *= 1.0 - momentum
        running_mean += momentum * mu
    if running_var is not None:
        running_var *= 1.0 - momentum
        running_var += (momentum * n / (n - 1)) * var


class BatchNormFn(Function):
    """Batch normalisation: per channel c, over the batch and spatial positions.

    Axes: x (N, C) or (N, C, *S) viewed as (N, C, L); n = N * L values per channel.
    training:  mu, var = batch mean and biased variance per channel
               xc = x - mu,  xhat = xc * rstd,  y = xhat * w + b = xc * k + b,  k = w * rstd
               running_mean = (1 - m) * running_mean + m * mu
               running_var  = (1 - m) * running_var + m * var * n / (n - 1)   (unbiased)
    backward:  db = sum(dy)   dw = sum(dy * xhat) = rstd * sum(dy * xc)   (over N and L)
               dx = k * (dy - db / n - xhat * dw / n)
                  = dy * k - xc * (k * rstd * dw / n) - k * db / n
               (mean(g) = w * db / n and mean(g * xhat) = w * dw / n, since w is
               constant over a channel: no full-size temporary for g or xhat)
    eval:      mu, var = running statistics (constants):  y = x * k + (b - mu * k);
               dx = dy * k,  dw = rstd * (sum(dy * x) - mu * db),  db = sum(dy)
    saved:     training: xc, rstd and k; eval: x, the running mean, rstd and k.
    """

    def forward(self, x, *params, running_mean, running_var, training, momentum, eps,
                has_w, has_b):
        xp = self.xp
        C, x3, bshape, w, b = channel_setup(self, x, params, has_w, has_b)
        self.training = training
        if training:
            n = x3.size // C
            mu = _csum(xp, x3) * (1.0 / n)
            xc = x3 - mu.reshape(bshape)
            var = _csum(xp, xc * xc) * (1.0 / n)
            rstd = 1.0 / xp.sqrt(var + eps)
            update_running(running_mean, running_var, mu, var, n, momentum)
            k = rstd * w if w is not None else rstd
            self.save_for_backward(xc, rstd, k)
            y = xc * k.reshape(bshape)
        else:
            mu = running_mean.astype(x.dtype, copy=False)
            rstd = 1.0 / xp.sqrt(running_var.astype(x.dtype, copy=False) + eps)
            k = rstd * w if w is not None else rstd
            self.save_for_backward(x3, mu, rstd, k)
            y = x3 * k.reshape(bshape)
            y -= (mu * k).reshape(bshape)
        if b is not None:
            y += b.reshape(bshape)
        return y.reshape(x.shape)

    def backward(self, dy):
        xp = self.xp
        has_w, has_b = self.has
        bshape = self.bshape
        needs = self.needs_input_grad
        C = self.xshape[1]
        dy3, db = channel_grad(self, dy)
        dx = dw = None
        if self.training:
            xc, rstd, k = self.saved
            n = xc.size // C
            if needs[0] or (has_w and needs[1]):
                dw = rstd * _cdot(xp, dy3, xc)
            if needs[0]:
                dx = dy3 * k.reshape(bshape)
                t = xc * (k * rstd * dw * (-1.0 / n)).reshape(bshape)
                dx += t
                dx -= (k * db * (1.0 / n)).reshape(bshape)
                dx = dx.reshape(self.xshape)
        else:
            x3, mu, rstd, k = self.saved
            if needs[0]:
                dx = (dy3 * k.reshape(bshape)).reshape(self.xshape)
            if has_w and needs[1]:
                dw = rstd * (_cdot(xp, dy3, x3) - mu * db)
        return (dx, *_param_grads(needs, dw, db, has_w, has_b))


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalisation of x (N, C) or (N, C, *spatial) per channel.

    training=True normalises with the batch statistics and, when running_mean /
    running_var (Tensors of shape (C,), or None) are given, updates them in place
    with `momentum` (the unbiased batch variance goes into running_var).
    training=False normalises with the running statistics.
    """
    _check_input("batch_norm", x, min_ndim=2)
    C = x.shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var)):
        if t is not None:
            if not isinstance(t, Tensor):
                raise TypeError(f"batch_norm: {name} must be a Tensor or None, "
                                f"got {type(t).__name__}")
            if tuple(t.shape) != (C,):
                raise ValueError(f"batch_norm: expected {name} of shape ({C},) for an input "
                                 f"with {C} channels {tuple(x.shape)}, got {tuple(t.shape)}")
    if not training and (running_mean is None or running_var is None):
        raise ValueError("batch_norm: training=False needs running_mean and running_var "
                         "(pass training=True to use the batch statistics)")
    if training and x.array.size // max(C, 1) <= 1:
        raise ValueError(f"batch_norm: expected more than 1 value per channel when training, "
                         f"got input of shape {tuple(x.shape)}")
    _check_affine("batch_norm", x, weight, (C,), "weight")
    _check_affine("batch_norm", x, bias, (C,), "bias")
    return BatchNormFn.apply(
        x, *_params(weight, bias),
        running_mean=None if running_mean is None else running_mean.array,
        running_var=None if running_var is None else running_var.array,
        training=bool(training), momentum=float(momentum), eps=float(eps),
        has_w=weight is not None, has_b=bias is not None,
    )


# --------------------------------------------------------------- group norm
class GroupNormFn(Function):
    """Group normalisation: channels split into G groups, each normalised per sample.

    Axes: x (N, C, *S), L = prod(S), G groups of Cg = C/G channels; a group of one
    sample has D = Cg * L values, so x is viewed as (N*G, D) rows (no copy) for the
    statistics and as (N*C, L) rows, one per (sample, channel), for everything else.
    forward:   xc = x - mu_g,  xhat = xc * rstd_g,  y = xhat * w[c] + b[c]     w, b: (C,)
               (computed as y = xc * (rstd_g w[c]) + b[c]: one factor per (n, c) row)
    backward:  g = dy * w[c];  per (n, c): S1 = sum_L dy,  S2 = sum_L dy * xhat
               dw = sum_N S2     db = sum_N S1
               mean_D(g) = sum_{c in group} w[c] S1 / D,  mean_D(g xhat) likewise with S2
               dx = rstd * (g - mean_D(g) - xhat * mean_D(g * xhat))
                  = dy * (rstd w[c]) - xc * (rstd^2 mean_D(g xhat)) - rstd mean_D(g)
    saved:     xc (N*G, D), rstd (N*G,), w.
    """

    def forward(self, x, *params, num_groups, eps, has_w, has_b):
        xp = self.xp
        N, C = x.shape[0], x.shape[1]
        G = num_groups
        Cg = C // G
        xc, rstd = _center_rows(xp, x.reshape(N * G, -1), eps)  # (N*G, D), (N*G,)
        rows = xc.reshape(N * C, -1)  # (N*C, L)
        w = params[0] if has_w else None
        b = params[-1] if has_b else None
        self.has = (has_w, has_b)
        self.dims = (N, C, G, Cg)
        self.xshape = x.shape
        self.save_for_backward(xc, rstd, w)
        if w is not None:
            factor = (rstd.reshape(N, G, 1) * w.reshape(1, G, Cg)).reshape(N * C)
        else:
            factor = xp.repeat(rstd, Cg)
        y = rows * factor[:, None]
        if b is not None:
            y += xp.tile(b, N)[:, None]
        return y.reshape(x.shape)

    def backward(self, dy):
        xp = self.xp
        xc, rstd, w = self.saved
        has_w, has_b = self.has
        N, C, G, Cg = self.dims
        D = xc.shape[1]
        needs = self.needs_input_grad
        rows = xc.reshape(N * C, -1)  # (N*C, L)
        dy_r = dy.reshape(rows.shape)
        ones = xp.ones(rows.shape[1], dtype=dy.dtype)
        dx = dw = db = None
        S1 = dy_r @ ones  # (N*C,)
        rs = xp.repeat(rstd, Cg)  # (N*C,) rstd of each row's group
        S2 = ((dy_r * rows) @ ones) * rs if (needs[0] or (has_w and needs[1])) else None
        if has_w and needs[1]:
            dw = S2.reshape(N, C).sum(0)
        if has_b and needs[-1]:
            db = S1.reshape(N, C).sum(0)
        if needs[0]:
            wt = xp.tile(w, N) if w is not None else xp.ones(N * C, dtype=dy.dtype)
            mean_g = (S1 * wt).reshape(N * G, Cg).sum(1) * (1.0 / D)  # (N*G,)
            mean_gx = (S2 * wt).reshape(N * G, Cg).sum(1) * (1.0 / D)
            dx = dy_r * (rs * wt)[:, None]
            t = rows * xp.repeat(-rstd * rstd * mean_gx, Cg)[:, None]
            dx += t
            dx += xp.repeat(-rstd * mean_g, Cg)[:, None]
            dx = dx.reshape(self.xshape)
        return (dx, *_param_grads(needs, dw, db, has_w, has_b))


def group_norm(x, num_groups, weight=None, bias=None, eps=1e-5):
    """Group normalisation of x (N, C, *spatial) with `num_groups` groups of channels."""
    _check_input("group_norm", x, min_ndim=2)
    C = x.shape[1]
    if not isinstance(num_groups, int) or num_groups < 1 or C % num_groups:
        raise ValueError(f"group_norm: num_groups={num_groups!r} must be a positive integer "
                         f"dividing the number of channels {C} (input {tuple(x.shape)})")
    _check_affine("group_norm", x, weight, (C,), "weight")
    _check_affine("group_norm", x, bias, (C,), "bias")
    return GroupNormFn.apply(x, *_params(weight, bias), num_groups=num_groups, eps=float(eps),
                           has_w=weight is not None, has_b=bias is not None)
