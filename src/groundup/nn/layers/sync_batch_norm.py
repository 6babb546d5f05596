"""SyncBatchNorm: batch normalisation whose training statistics span every rank's batch."""

from ... import distributed as dist
from ...ops.sync_batch_norm import sync_batch_norm
from ...tensor import Tensor
from .norm import _BatchNorm, _InstanceNorm

__all__ = ["SyncBatchNorm"]


def _sum_over_ranks(a):
    dist.all_reduce(a)


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation over the whole data-parallel batch (PyTorch's SyncBatchNorm).

    In training, on several ranks, the mean and the variance of each channel are those
    of all the ranks' batches together (one all-reduce of the per-channel sum, sum of
    squares and count in forward, one of the two sums the input gradient needs in
    backward; ops/sync_batch_norm.py), so each rank normalises as one process would
    the whole batch; the running statistics are updated with them, the same on every
    rank. In eval mode, without a process group, or in a group of one it is BatchNorm.

    Args: as BatchNorm1d, and process_group (None or the world group).
    Shape: (N, C, *) -> the same, any number of trailing dimensions.
    Example:
        model = SyncBatchNorm.convert_sync_batchnorm(model)   # before wrapping in DDP
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats,
                         device=device, dtype=dtype)
        if process_group is not None:
            dist.process_group.world(process_group, "SyncBatchNorm")
        self.process_group = process_group

    def forward(self, x):
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if x.ndim < 2:
            raise ValueError(f"{self!r}: expected an input of at least 2 dimensions (N, C, *), "
                             f"got shape {tuple(x.shape)}")
        if x.shape[1] != self.num_features:
            raise ValueError(f"{self!r}: expected {self.num_features} channels in dimension 1, "
                             f"got input of shape {tuple(x.shape)}")
        if not self.training or not dist.is_initialized() or \
                dist.get_world_size(self.process_group) == 1:
            return self._local(x)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats:
            self.num_batches_tracked.array += 1
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.array)
        track = self.track_running_stats
        return sync_batch_norm(x, self.running_mean if track else None,
                               self.running_var if track else None, self.weight, self.bias,
                               factor, self.eps, _sum_over_ranks)

    def _local(self, x):
        """BatchNorm's forward (any rank of input from 2 dimensions on)."""
        saved, self._ndims = self._ndims, (x.ndim,)
        try:
            return super().forward(x)
        finally:
            self._ndims = saved

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """`module` with every BatchNorm1d/2d/3d in it replaced by a SyncBatchNorm that
        shares its parameters and buffers (a BatchNorm `module` itself is returned
        replaced); the others are changed in place."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, (cls, _InstanceNorm)):
            like = module.weight if module.affine else module.running_mean
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group,
                      dtype=None if like is None else like.array.dtype)
            if module.affine:
                out.weight = module.weight
                out.bias = module.bias
            if module.track_running_stats:
                out.running_mean = module.running_mean
                out.running_var = module.running_var
                out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in list(module.named_children()):
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out
