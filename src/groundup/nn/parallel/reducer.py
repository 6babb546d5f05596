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
    after pass 1  the buckets are cut again in the order the gradients arrived in
                  (rank 0's order, broadcast, so every rank starts the same
                  all-reduces in the same order). A Linear weight of at least twice
                  `block_bytes` gets a bucket of its own, in blocks of rows: its
                  backward computes dW a block at a time (LinearFn's weight-gradient
                  sink) and each block's all-reduce starts as soon as it is written.
                  After each block the started all-reduces are tested until only
                  the newest is in flight (for at most spin_seconds a pass in all, so
                  a rank whose peer is late soon stops waiting): MPI moves data only
                  inside MPI calls, and both ranks reach the same block at about the
                  same time. The first layer's weight, the largest gradient of an MLP
                  and the last one backward computes, then leaves only its last
                  block's all-reduce for after backward instead of all of it. (On
                  cores that the ranks' computation keeps busy, this moves the
                  exchange into backward, between blocks, rather than beside it.)
                  A gradient that does not come from one LinearFn into an empty .grad
                  (a weight used twice, accumulation, a hook changing it) is sent
                  whole at its hook, after the blocks already sent are waited for.

So when loss.backward() returns, every rank holds the same averaged gradients and
any optimizer, gradient clipping or scheduler works unchanged.
"""

import os
import time
import weakref

import numpy as np

from ...autograd.engine import queue_callback
from ...distributed import ReduceOp, all_reduce, broadcast
from ...ops.linalg import set_weight_grad_sink
from ...tensor import Tensor

__all__ = ["Reducer"]


# The size of one all-reduce of a weight gradient sent in blocks; 0 (the default): every
# gradient goes whole. Blocks hide 92-96% of the all-reduce time of the 2-rank MLP on a
# 2-core machine, but cost 12% of its samples/s there (both cores compute, so the exchange
# runs between blocks, not beside them); 512 * 1024 turns them on.
BLOCK_BYTES = 0
SPIN_SECONDS = 1e-3  # the most a pass's blocks wait, in all, for the earlier all-reduces


class _Bucket:
    """Gradients of several parameters, flat in one array, all-reduced as one message
    (or, for a bucket of one weight cut in blocks of `rows` rows, one message a block)."""

    __slots__ = ("params", "offsets", "buffer", "left", "works", "rows", "blocks", "base")

    def __init__(self, params, dtype, rows=0):
        self.params = params
        sizes = [p.array.size for p in params]
        self.offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(int).tolist()
        self.buffer = np.zeros(self.offsets[-1], dtype)
        self.left = len(params)  # gradients still to come in this pass
        self.works = []  # the all-reduces started (one, or one per block)
        self.rows = rows  # > 0: one 2-D weight whose gradient comes in blocks of rows
        self.blocks = []  # (lo, hi) element ranges of the blocks written, not started yet
        self.base = None  # the gradient array the blocks were cut from


def _buckets(params, cap_bytes, block_bytes=0):
    """Cut `params` (in the order their gradients come) into buckets of about cap_bytes,
    per dtype; with block_bytes, a 2-D parameter of at least twice that gets a bucket of
    its own, sent in blocks of rows."""
    open_, done = {}, []  # dtype -> (params, bytes) of the bucket being filled
    for p in params:
        dtype = p.array.dtype
        members, size = open_.get(dtype, ([], 0))
        if block_bytes and p.array.ndim == 2 and p.array.nbytes >= 2 * block_bytes:
            if members:
                done.append(_Bucket(members, dtype))
            open_[dtype] = ([], 0)
            row_bytes = p.array.nbytes // max(1, p.array.shape[0])
            done.append(_Bucket([p], dtype, rows=max(1, block_bytes // max(1, row_bytes))))
            continue
        if members and size + p.array.nbytes > cap_bytes:
            done.append(_Bucket(members, dtype))
            members, size = [], 0
        members.append(p)
        open_[dtype] = (members, size + p.array.nbytes)
    done += [_Bucket(members, dtype) for dtype, (members, _) in open_.items() if members]
    return done


def _unhook(handles, sinks):
    """Remove the gradient hooks and the weight-gradient sinks (both lists emptied)."""
    for handle in handles:
        handle.remove()
    handles.clear()
    for p in sinks:
        set_weight_grad_sink(p, None, 0)
    sinks.clear()


class Reducer:
    """Averages the gradients of `params` over the process group during each backward."""

    def __init__(self, params, cap_bytes, world_size, as_view=False, block_bytes=None):
        self.world_size = world_size
        self.as_view = as_view  # .grad becomes a view of its bucket (no copy back)
        self.params = list(params)
        self.cap_bytes = cap_bytes
        # 0: no weight is sent in blocks (reducer.BLOCK_BYTES, read when DDP is built)
        self.block_bytes = BLOCK_BYTES if block_bytes is None else block_bytes
        self.spin_seconds = SPIN_SECONDS
        self.spin_left = SPIN_SECONDS  # of this pass
        self.in_flight = 1  # all-reduces a new block may leave running (see _progress)
        self.yield_cpu = hasattr(os, "sched_yield")
        self.rebuilt = False  # buckets cut again in arrival order (after the first pass)
        self.enabled = True  # False under no_sync: gradients stay local and accumulate
        self.started = 0  # buckets started in this pass (they start in order)
        self.in_pass = False
        self.arrived = {}  # id(param) -> param, in the order the gradients came
        self.log = None  # a list to record ("start", bucket index) / ("done",) in, for tests
        self.sinks = []  # weights with a gradient sink (one list, changed in place)
        self._set_buckets(_buckets(list(reversed(self.params)), cap_bytes))
        reducer = weakref.ref(self)  # the hooks must not keep the reducer alive

        def on_grad(param):
            self = reducer()
            if self is not None:
                self._on_grad(param)

        self.handles = [p.register_post_accumulate_grad_hook(on_grad) for p in self.params]
        # unhooked by remove(), or when the reducer goes (its DistributedDataParallel dropped,
        # as PyTorch's does): the module's backward then stops all-reducing for it
        self._unhook = weakref.finalize(self, _unhook, self.handles, self.sinks)

    def _set_buckets(self, buckets):
        for p in self.sinks:
            set_weight_grad_sink(p, None, 0)
        self.buckets = buckets
        self.where = {}  # id(param) -> (bucket, its index in the bucket)
        self.sinks.clear()
        for k, bucket in enumerate(buckets):
            for i, p in enumerate(bucket.params):
                self.where[id(p)] = (bucket, i)
            if bucket.rows:
                p = bucket.params[0]
                set_weight_grad_sink(p, self._block_sink(k), bucket.rows)
                self.sinks.append(p)

    def remove(self):
        """Unhook from the parameters (the module trains alone again)."""
        self._unhook()

    # ------------------------------------------------------------- in backward
    def _begin(self):
        if not self.in_pass:
            self.in_pass = True
            queue_callback(self._finish)

    def _block_sink(self, k):
        reducer = weakref.ref(self)  # (the sink table must not keep the model alive)

        def sink(lo, hi, block):
            """Rows lo:hi of the weight's gradient are written: copy them, maybe start."""
            self = reducer()
            if self is None:
                return
            bucket = self.buckets[k]
            param = bucket.params[0]
            if not self.enabled or param.grad is not None:
                return  # (a gradient that accumulates goes whole, at its hook)
            base = block.base if block.base is not None else block
            if bucket.base is not None and base is not bucket.base:
                return  # a second use of the weight: its summed gradient goes whole
            if not self.in_pass:  # no gradient hook has run: not a backward() (autograd.grad
                return            # stores no .grad), or this weight's comes first: whole
            bucket.base = base
            n = block.shape[1]
            bucket.buffer[lo * n:hi * n] = block.reshape(-1)
            bucket.blocks.append((lo * n, hi * n))
            if self.started == k:
                self._start_blocks(bucket)
            self._progress(keep=self.in_flight)
        return sink

    def _start_blocks(self, bucket):
        for lo, hi in bucket.blocks:
            if self.log is not None:
                self.log.append(("start", self.started, lo, hi))
            bucket.works.append(all_reduce(bucket.buffer[lo:hi], ReduceOp.SUM, async_op=True))
        bucket.blocks = []

    def _on_grad(self, param):
        if not self.enabled:
            return
        self._begin()
        bucket, i = self.where[id(param)]
        lo, hi = bucket.offsets[i], bucket.offsets[i + 1]
        grad = param.grad.array
        if bucket.rows and bucket.base is not None and grad is bucket.base:
            pass  # every block is in the bucket already
        else:
            if bucket.rows:  # no blocks came (or not of this gradient): send it whole
                for work in bucket.works:
                    work.wait()
                bucket.works, bucket.blocks, bucket.base = [], [], None
            if grad.base is not bucket.buffer:  # (a view of the bucket is in place already)
                bucket.buffer[lo:hi] = grad.reshape(-1)
        self.arrived[id(param)] = param
        bucket.left -= 1
        if bucket.left == 0:
            self._start_ready()
        else:
            self._progress()

    def _start_ready(self):
        """Start every bucket, in order, from the first not started, that is complete."""
        buckets = self.buckets
        while self.started < len(buckets):
            bucket = buckets[self.started]
            if bucket.blocks or bucket.base is not None:
                self._start_blocks(bucket)  # the blocks written while earlier ones waited
            if bucket.left:
                break
            if not bucket.works:
                if self.log is not None:
                    self.log.append(("start", self.started))
                bucket.works = [all_reduce(bucket.buffer, ReduceOp.SUM, async_op=True)]
            self.started += 1
        self._progress()

    def _progress(self, keep=None):
        """Let MPI move the started all-reduces on: test each one not done (a test is one
        turn of MPI's progress engine). With `keep`, go on testing, until no more than
        `keep` of them are still in flight, for at most what is left of spin_seconds in
        this pass (a rank whose peer is late or descheduled stops waiting soon)."""
        works = [w for b in self.buckets for w in b.works if not w.is_completed()]
        if keep is None or len(works) <= keep or self.spin_left <= 0:
            return
        start = time.perf_counter()
        deadline = start + self.spin_left
        while len(works) > keep and time.perf_counter() < deadline:
            if self.yield_cpu:
                os.sched_yield()  # a core shared with other work is not held while polling
            works = [w for w in works if not w.is_completed()]
        self.spin_left -= time.perf_counter() - start

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
                for work in bucket.works:
                    work.wait()
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
            if not self.rebuilt:
                self._rebuild()
        finally:
            self._reset()

    def _rebuild(self):
        """After the first pass: buckets in the order the gradients came (rank 0's)."""
        self.rebuilt = True
        index = {id(p): k for k, p in enumerate(self.params)}
        order = [index[key] for key in self.arrived]
        came = set(order)
        order += [k for k in reversed(range(len(self.params))) if k not in came]
        if self.world_size > 1:
            order = np.asarray(order, np.int64)
            broadcast(order, src=0)
            order = order.tolist()
        buckets = _buckets([self.params[k] for k in order], self.cap_bytes, self.block_bytes)
        def layout(bs):
            return [([id(p) for p in b.params], b.rows) for b in bs]

        if layout(buckets) == layout(self.buckets):
            return
        self._set_buckets(buckets)
        if self.as_view:  # the gradients move into the new buckets
            for p in self.params:
                if p.grad is not None:
                    bucket, i = self.where[id(p)]
                    part = bucket.buffer[bucket.offsets[i]:bucket.offsets[i + 1]]
                    part[...] = p.grad.array.reshape(-1)
                    p.grad = Tensor._wrap(part.reshape(p.array.shape))

    def _reset(self):
        for bucket in self.buckets:
            bucket.left = len(bucket.params)
            bucket.works = []
            bucket.blocks = []
            bucket.base = None
        self.started = 0
        self.in_pass = False
        self.arrived = {}
        self.spin_left = self.spin_seconds
