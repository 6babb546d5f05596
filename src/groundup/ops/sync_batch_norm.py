"""Synchronised batch normalisation: the batch statistics of every rank's batch together.

Each rank holds its own part of the batch; the mean and variance per channel are those
of the union of the parts (as if one process normalised the whole batch), at the cost of
one all-reduce of 3 * C numbers in forward and one of 2 * C in backward. The op takes
the all-reduce as a function (`all_reduce(a)`: `a` a float64 array, summed over the ranks
in place), so it knows nothing of how the ranks talk to each other (nn.SyncBatchNorm
passes the process group's).
"""

from ..autograd import Function
from .normalization import (
    _cdot,
    _check_affine,
    _check_input,
    _csum,
    _param_grads,
    _params,
    channel_grad,
    channel_setup,
    update_running,
)

__all__ = ["sync_batch_norm"]


class SyncBatchNormFn(Function):
    """Batch normalisation in training over the batches of all ranks, per channel c.

    Axes: x (N_r, C) or (N_r, C, *S) on rank r, viewed as (N_r, C, L); n_r = N_r * L
    values per channel on rank r, n = sum_r n_r over all ranks; sum_all = the sum of a
    per-rank (C,) sum over the ranks (an all-reduce).
    forward:   local:  s1_r = sum(x),  m_r = s1_r / n_r,  M2_r = sum((x - m_r)^2)
               all-reduce [s1_r, M2_r + n_r * m_r^2, n_r] (float64, (3, C)) -> [S1, S2, n]
               mu = S1 / n,   var = S2 / n - mu^2   (biased, of the whole batch)
               xc = x - mu,   rstd = 1 / sqrt(var + eps),   y = xc * k + b,   k = w * rstd
               running_mean = (1 - m) * running_mean + m * mu
               running_var  = (1 - m) * running_var + m * var * n / (n - 1)   (unbiased)
    backward:  local:  db_r = sum(dy),  sxy_r = sum(dy * xc)          (over N_r and L)
               all-reduce [db_r, sxy_r] (float64, (2, C)) -> [DB, SXY]
               dx = k * (dy - DB / n - xc * rstd^2 * SXY / n)
               the gradient of sum_r loss_r with respect to rank r's x (every rank's loss
               depends on every rank's x through mu and var), as in PyTorch
               dw = rstd * sxy_r,   db = db_r   (this rank's part: data-parallel training
               averages the parameter gradients over the ranks)
    saved:     xc, rstd, k, n
    """

    def forward(self, x, *params, running_mean, running_var, momentum, eps, has_w, has_b,
                all_reduce):
        xp = self.xp
        C, x3, bshape, w, b = channel_setup(self, x, params, has_w, has_b)
        self.all_reduce = all_reduce
        n_local = x3.size // C
        stats = xp.zeros((3, C), dtype="float64")
        if n_local:
            s1 = _csum(xp, x3)
            m = s1 * (1.0 / n_local)
            d = x3 - m.reshape(bshape)
            stats[0] = s1
            stats[1] = _cdot(xp, d, d) + n_local * m.astype("float64") ** 2
        stats[2] = n_local
        all_reduce(stats)
        n = float(stats[2, 0])
        if n <= 1:
            raise ValueError(f"SyncBatchNorm: expected more than 1 value per channel over all "
                             f"ranks when training, got {n:g} (input of shape "
                             f"{tuple(x.shape)} on this rank)")
        mu64 = stats[0] / n
        var64 = xp.maximum(stats[1] / n - mu64 * mu64, 0.0)
        mu = mu64.astype(x.dtype)
        var = var64.astype(x.dtype)
        xc = x3 - mu.reshape(bshape)
        rstd = (1.0 / xp.sqrt(var64 + eps)).astype(x.dtype)
        update_running(running_mean, running_var, mu, var, n, momentum)
        k = rstd * w if w is not None else rstd
        self.n = n
        self.save_for_backward(xc, rstd, k)
        y = xc * k.reshape(bshape)
        if b is not None:
            y += b.reshape(bshape)
        return y.reshape(x.shape)

    def backward(self, dy):
        xp = self.xp
        has_w, has_b = self.has
        bshape = self.bshape
        needs = self.needs_input_grad
        xc, rstd, k = self.saved
        dy3, db = channel_grad(self, dy)
        sxy = _cdot(xp, dy3, xc)
        dx = None
        if needs[0]:
            sums = xp.stack([db, sxy]).astype("float64")
            self.all_reduce(sums)
            DB, SXY = sums.astype(dy.dtype)
            inv_n = 1.0 / self.n
            dx = dy3 * k.reshape(bshape)
            dx -= xc * (k * rstd * rstd * SXY * inv_n).reshape(bshape)
            dx -= (k * DB * inv_n).reshape(bshape)
            dx = dx.reshape(self.xshape)
        dw = rstd * sxy if has_w else None
        return (dx, *_param_grads(needs, dw, db, has_w, has_b))


def sync_batch_norm(x, running_mean, running_var, weight, bias, momentum, eps, all_reduce):
    """Training-mode batch normalisation of x (N, C, *spatial) with the statistics of every
    rank's x (see SyncBatchNormFn); `all_reduce(a)` sums a float64 array over the ranks in
    place. running_mean / running_var: Tensors (C,) updated in place, or None."""
    _check_input("sync_batch_norm", x, min_ndim=2)
    C = x.shape[1]
    _check_affine("sync_batch_norm", x, weight, (C,), "weight")
    _check_affine("sync_batch_norm", x, bias, (C,), "bias")
    return SyncBatchNormFn.apply(
        x, *_params(weight, bias),
        running_mean=None if running_mean is None else running_mean.array,
        running_var=None if running_var is None else running_var.array,
        momentum=momentum, eps=eps, has_w=weight is not None, has_b=bias is not None,
        all_reduce=all_reduce)
