"""DistributedDataParallel: one replica of the model per process, gradients averaged over MPI.

Each process (rank) runs the same script on its own part of the data (a
DistributedSampler gives each rank its shard); the wrapper keeps the replicas
identical: rank 0's parameters and buffers are broadcast at construction, the
gradients are averaged across ranks during backward (reducer.py: buckets
all-reduced while backward is still running), and with broadcast_buffers (the
default, as in PyTorch) rank 0's buffers (BatchNorm's running statistics) are
broadcast at the start of every training forward.

    dist.init_process_group("mpi")
    model = gu.nn.parallel.DistributedDataParallel(model)
    loss_fn(model(x), y).backward()      # .grad: the average over the ranks
    optimizer.step()                     # the same step on every rank

Run it with `mpiexec -n 4 python train.py`.
"""

import contextlib
import hashlib

import numpy as np

from ... import distributed as dist
from ...autograd import is_grad_enabled, mark_changed
from ..module import Module
from .reducer import Reducer

__all__ = ["DistributedDataParallel"]


def _broadcast_arrays(tensors):
    """Give every rank rank 0's values of `tensors`, all in one message (their bytes)."""
    tensors = [t for t in tensors if t.array.size]
    if not tensors or dist.get_world_size() == 1:
        return
    flat = np.concatenate([np.ascontiguousarray(t.array).reshape(-1).view(np.uint8)
                           for t in tensors])
    dist.broadcast(flat, src=0)
    if dist.get_rank() != 0:
        lo = 0
        for t in tensors:
            a = t.array
            a[...] = flat[lo:lo + a.nbytes].view(a.dtype).reshape(a.shape)
            lo += a.nbytes
            mark_changed(t)


def _check_same_model(module):
    """Every rank must hold the same parameters (names, shapes, dtypes): say which differ."""
    layout = [(name, list(p.array.shape), str(p.array.dtype), bool(p.requires_grad))
              for name, p in module.named_parameters()]
    layout += [(name, list(b.array.shape), str(b.array.dtype)) for name, b in
               module.named_buffers()]
    digest = hashlib.sha256(repr(layout).encode()).hexdigest()
    digests = [None] * dist.get_world_size()
    dist.all_gather_object(digests, digest)
    differ = [r for r, d in enumerate(digests) if d != digests[0]]
    if differ:
        raise RuntimeError(f"DistributedDataParallel: rank(s) {differ} hold a model whose "
                           f"parameters or buffers (names, shapes, dtypes) differ from rank 0's; "
                           f"build the same model on every rank")


_CAP, _CAP_MIN = 25 * 2**20, 64 * 2**10  # bytes: PyTorch's default bucket, the smallest


def _default_cap(params):
    """25 MiB, but at most a quarter of the gradients' bytes and at least 64 KiB."""
    total = sum(p.array.nbytes for p in params)
    return int(min(_CAP, max(_CAP_MIN, total // 4)))


class DistributedDataParallel(Module):
    """Data-parallel training over the process group (see the module docstring).

    Args:
        module: the model (a gu.nn.Module); it is `.module`, so state_dict keys get the
            prefix "module." as in PyTorch (save `model.module.state_dict()` to load
            into the bare model).
        broadcast_buffers: broadcast rank 0's buffers at each training forward.
        bucket_cap_mb: the size of a gradient bucket, in MiB; smaller buckets start
            communicating earlier in backward, larger ones send fewer messages. Default
            (None): 25, as PyTorch, but at most a quarter of the model's gradient bytes
            (and at least 64 KiB), so that a model under 100 MiB also gets several
            buckets and its first all-reduces run during backward (the reference CNN's
            460 KiB in one bucket hid 42% of its all-reduce time on 2 ranks, in three
            77%; with 25 MiB it has one bucket, in PyTorch too).
        gradient_as_bucket_view: make each .grad a view of its bucket (saves a copy per
            step; the .grad array is then overwritten by the next backward).
        device_ids, output_device, dim, process_group, find_unused_parameters,
        check_reduction, static_graph: PyTorch's; accepted (the CPU is the one device,
            the world the one group; a parameter no gradient reached on a rank counts as
            a zero gradient there, so unused parameters always work).

    `no_sync()` keeps gradients local (they accumulate) for the forward/backward
    passes inside it; the first backward after it averages the accumulated sum.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0,
                 broadcast_buffers=True, process_group=None, bucket_cap_mb=None,
                 find_unused_parameters=False, check_reduction=False,
                 gradient_as_bucket_view=False, static_graph=False):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DistributedDataParallel: module must be a gu.nn.Module, got "
                            f"{type(module).__name__}")
        if not dist.is_initialized():
            raise ValueError("DistributedDataParallel: Default process group has not been "
                             "initialized; call gu.distributed.init_process_group() first")
        dist.process_group.world(process_group, "DistributedDataParallel")
        if bucket_cap_mb is not None and (not isinstance(bucket_cap_mb, (int, float))
                                          or isinstance(bucket_cap_mb, bool)
                                          or bucket_cap_mb <= 0):
            raise ValueError(f"DistributedDataParallel: bucket_cap_mb must be a positive "
                             f"number of MiB, got {bucket_cap_mb!r}")
        self.module = module
        self.device_ids = []
        self.output_device = None
        self.dim = dim
        self.broadcast_buffers = bool(broadcast_buffers)
        self.require_backward_grad_sync = True
        if dist.get_world_size() > 1:
            _check_same_model(module)
            _broadcast_arrays(list(module.parameters()) + list(module.buffers()))
        params = [p for p in module.parameters() if p.requires_grad]
        self.bucket_bytes_cap = (_default_cap(params) if bucket_cap_mb is None
                                 else int(bucket_cap_mb * 1024 * 1024))
        self.gradient_as_bucket_view = bool(gradient_as_bucket_view)
        self._reducer = Reducer(params, self.bucket_bytes_cap, dist.get_world_size(),
                                as_view=self.gradient_as_bucket_view)

    def forward(self, *inputs, **kwargs):
        self._pre_forward()
        return self.module(*inputs, **kwargs)

    def _pre_forward(self):
        """Before a forward: decide whether its backward averages, broadcast the buffers."""
        if not is_grad_enabled():
            return
        self._reducer.enabled = self.require_backward_grad_sync
        if self.broadcast_buffers and self.require_backward_grad_sync:
            _broadcast_arrays(list(self.module.buffers()))

    @contextlib.contextmanager
    def no_sync(self):
        """Inside: backward passes leave their gradients local, to accumulate (no all-reduce)."""
        old = self.require_backward_grad_sync
        self.require_backward_grad_sync = False
        self._reducer.enabled = False
        try:
            yield
        finally:
            self.require_backward_grad_sync = old
            self._reducer.enabled = old

    def _remove(self):
        """Unhook the reducer from the module's parameters."""
        self._reducer.remove()

    @classmethod
    @contextlib.contextmanager
    def attached(cls, module, **kwargs):
        """Keep the replicas of `module` in step while the block runs, without wrapping it.

        Parameters and buffers are broadcast from rank 0 on entry, gradients averaged in
        every backward, buffers broadcast before every training forward (a forward
        pre-hook); the module is called and saved as it is (no "module." prefix).
        On exit the module is left alone again. gu.train.fit uses this.
        """
        ddp = cls(module, **kwargs)
        handle = module.register_forward_pre_hook(lambda m, args: ddp._pre_forward())
        try:
            yield ddp
        finally:
            handle.remove()
            ddp._remove()

    def extra_repr(self):
        return (f"world_size={dist.get_world_size()}, bucket_cap_mb="
                f"{self.bucket_bytes_cap / 2**20:g}, buckets={len(self._reducer.buckets)}")
