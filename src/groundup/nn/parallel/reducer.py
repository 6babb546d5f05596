"""The gradient reducer of DistributedDataParallel: buckets, hooks, overlapped all-reduce.

    construction  the parameters that require grad are cut into buckets of about
                  `cap_bytes`, one dtype per bucket, in reverse order of
                  module.parameters(): roughly the order backward produces their
                  gradients (the last layer's first)
    backward      each parameter's post-accumulate-grad hook fires once its .grad
                  is final for the pass; the gradient is copied into its bucket and,
                  once every gradient of a bucket is in, a non-blocking all-reduce
                  (MPI Iallreduce) of the bucket starts while backward goes on
                  computing the earlier layers. Buckets start in index order, the
                  same on every rank (MPI needs the same order of collectives
                  everywhere). Each later hook tests the started ones: MPI moves data
                  only inside MPI calls, so these calls drive the transfers on.
    end of pass   a callback queued by the pass's first hook (autograd's
                  queue_callback) starts the buckets not started yet (a parameter no
                  gradient reached counts as zeros), waits for all, and writes
                  sum / world_size back into every .grad

So when loss.backward() returns, every rank holds the same averaged gradients and
any optimizer, gradient clipping or scheduler works unchanged.
"""

import numpy as np

from ...autograd.engine import queue_callback
from ...distributed import ReduceOp, all_reduce
from ...tensor import Tensor

__all__ = ["Reducer"]


class _Bucket:
    """Gradients of several parameters, flat in one array, all-reduced as one message."""

    __slots__ = ("params", "offsets", "buffer", "left", "work")

    def __init__(self, params, dtype):
        self.params = params
        sizes = [p.array.size for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
        self.buffer = np.zeros(self.offsets[-1], dtype)
        self.left = len(params)  # gradients still to come in this pass
        self.work = None


def _buckets(params, cap_bytes):
    """Cut `params` (already in reverse order) into buckets of about cap_bytes, per dtype."""
    open_, done = {}, []  # dtype -> (params, bytes) of the bucket being filled
    for p in params:
        dtype = p.array.dtype
        members, size = open_.get(dtype, ([], 0))
        if members and size + p.array.nbytes > cap_bytes:
            done.append(_Bucket(members, dtype))
            members, size = [], 0
        members.append(p)
        open_[dtype] = (members, size + p.array.nbytes)
    done += [_Bucket(members, dtype) for dtype, (members, _) in open_.items() if members]
    return done


class Reducer:
    """Averages the gradients of `params` over the process group during each backward."""

    def __init__(self, params, cap_bytes, world_size, as_view=False):
        self.world_size = world_size
        self.as_view = as_view  # .grad becomes a view of its bucket (no copy back)
        self.buckets = _buckets(list(reversed(params)), cap_bytes)
        self.where = {}  # id(param) -> (bucket, its index in the bucket)
        for bucket in self.buckets:
            for i, p in enumerate(bucket.params):
                self.where[id(p)] = (bucket, i)
        self.enabled = True  # False under no_sync: gradients stay local and accumulate
        self.started = 0  # buckets started in this pass (they start in order)
        self.in_pass = False
        self.arrived = set()
        self.log = None  # a list to record ("start", bucket index) / ("done",) in, for tests
        self.handles = [p.register_post_accumulate_grad_hook(self._on_grad) for p in params]

    def remove(self):
        """Unhook from the parameters (the module trains alone again)."""
        for handle in self.handles:
            handle.remove()
        self.handles = []

    # ------------------------------------------------------------- in backward
    def _on_grad(self, param):
        if not self.enabled:
            return
        if not self.in_pass:
            self.in_pass = True
            queue_callback(self._finish)
        bucket, i = self.where[id(param)]
        lo, hi = bucket.offsets[i], bucket.offsets[i + 1]
        grad = param.grad.array
        if grad.base is not bucket.buffer:  # (a view of the bucket is in place already)
            bucket.buffer[lo:hi] = grad.reshape(-1)
        self.arrived.add(id(param))
        bucket.left -= 1
        if bucket.left == 0:
            self._start_ready()
        else:
            self._progress()

    def _start_ready(self):
        """Start every bucket, in order, from the first not started, that is complete."""
        buckets = self.buckets
        while self.started < len(buckets) and buckets[self.started].left == 0:
            bucket = buckets[self.started]
            if self.log is not None:
                self.log.append(("start", self.started))
            bucket.work = all_reduce(bucket.buffer, ReduceOp.SUM, async_op=True)
            self.started += 1
        self._progress()

    def _progress(self):
        """Let MPI move the started all-reduces on (one test drives them all)."""
        for bucket in self.buckets[:self.started]:
            if not bucket.work.is_completed():
                return

    def _finish(self):
        """End of the pass: start what is left, wait, write the averages into .grad."""
        try:
            for bucket in self.buckets[self.started:]:
                if bucket.left:  # parameters no gradient reached in this pass: zeros
                    for i, p in enumerate(bucket.params):
                        if id(p) not in self.arrived:
                            bucket.buffer[bucket.offsets[i]:bucket.offsets[i + 1]] = 0
                    bucket.left = 0
            self._start_ready()
            scale = 1.0 / self.world_size
            for bucket in self.buckets:
                bucket.work.wait()
                if self.as_view and self.world_size > 1:
                    np.multiply(bucket.buffer, scale, out=bucket.buffer)
                for i, p in enumerate(bucket.params):
                    part = bucket.buffer[bucket.offsets[i]:bucket.offsets[i + 1]]
                    part = part.reshape(p.array.shape)
                    if self.as_view:
                        if p.grad is None or p.grad.array.base is not bucket.buffer:
                            p.grad = Tensor._wrap(part)
                    elif p.grad is None:
                        p.grad = Tensor._wrap(part * scale)
                    else:  # the average, written in one pass
                        np.multiply(part, scale, out=p.grad.array)
            if self.log is not None:
                self.log.append(("done",))
        finally:
            self._reset()

    def _reset(self):
        for bucket in self.buckets:
            bucket.left = len(bucket.params)
            bucket.work = None
        self.started = 0
        self.in_pass = False
        self.arrived = set()
