"""Collectives over the process group, in place on Tensors and NumPy arrays (PyTorch's names).

    all_reduce(t, op)          every rank ends with the reduction (sum, avg, max, min, product)
    broadcast(t, src)          every rank ends with rank src's values
    all_gather(list, t)        list[i] becomes rank i's t          (all_gather_into_tensor)
    reduce_scatter(out, list)  out becomes the reduction of every rank's list[rank]
    reduce(t, dst, op)         rank dst ends with the reduction
    send / recv, isend / irecv point to point

With async_op=True a call starts the MPI operation (non-blocking: Iallreduce, ...) and
returns a Work; `work.wait()` finishes it (and averages, or copies back into a
non-contiguous tensor). MPI moves data only inside MPI calls, so a started operation
advances when any MPI call is made, `work.is_completed()` included. In a group of one,
every collective leaves its data as it is.
"""

import sys

import numpy as np

from ..autograd import mark_changed
from ..tensor import Tensor
from .process_group import world

__all__ = ["ReduceOp", "Work", "all_reduce", "broadcast", "all_gather", "all_gather_into_tensor",
           "reduce_scatter", "reduce_scatter_tensor", "reduce", "send", "recv", "isend", "irecv"]


class ReduceOp:
    """The reductions: ReduceOp.SUM, AVG (floating point only), PRODUCT, MIN, MAX."""

    SUM = "sum"
    AVG = "avg"
    PRODUCT = "product"
    MIN = "min"
    MAX = "max"


_OPS = {"sum": "SUM", "avg": "SUM", "product": "PROD", "min": "MIN", "max": "MAX"}


class Work:
    """A collective started with async_op=True: wait() finishes it, is_completed() asks."""

    def __init__(self, request=None, finish=None):
        self._request, self._finish = request, finish
        self._done = request is None
        if self._done:
            self._complete()

    def _complete(self):
        self._done = True
        finish, self._finish = self._finish, None
        if finish is not None:
            finish()

    def wait(self, timeout=None):
        """Block until the operation is done (its result is then in the tensor); True."""
        if not self._done:
            self._request.Wait()
            self._complete()
        return True

    def is_completed(self):
        """Whether it is done, without blocking (this call also lets MPI make progress)."""
        if not self._done and self._request.Test():
            self._complete()
        return self._done

    def is_success(self):
        return self.is_completed()

    def __repr__(self):
        return f"Work({'completed' if self._done else 'in progress'})"


def _mpi():
    return sys.modules["mpi4py.MPI"]  # loaded by init_process_group when there is a comm


def _array(x, fname, name="tensor"):
    """(the array of a Tensor or an ndarray, the Tensor or None), checked writeable."""
    if isinstance(x, Tensor):
        arr, t = x.array, x
    elif isinstance(x, np.ndarray):
        arr, t = x, None
    else:
        raise TypeError(f"{fname}: {name} must be a gu.Tensor or a NumPy array, got "
                        f"{type(x).__name__}")
    if not isinstance(arr, np.ndarray):
        raise TypeError(f"{fname}: {name} must live in host memory (a NumPy array); got "
                        f"{type(arr).__name__}")
    return arr, t


def _writable(arr, fname, name="tensor"):
    if not arr.flags.writeable:
        raise ValueError(f"{fname}: {name} is read-only (shape {arr.shape}); the result is "
                         f"written into it, so pass a writable array")
    return arr if arr.flags.c_contiguous else np.ascontiguousarray(arr)


def _written(arr, buf, t):
    """After an operation wrote `buf`: copy it into `arr` if it was a copy; tick the clock."""
    if buf is not arr:
        arr[...] = buf
    if t is not None:
        mark_changed(t)


def _op(op, arr, fname):
    key = str(getattr(op, "value", op)).lower().rpartition(".")[2]
    if key not in _OPS:
        raise ValueError(f"{fname}: op {op!r} is not supported; use ReduceOp.SUM, AVG, "
                         f"PRODUCT, MIN or MAX")
    if key == "avg" and arr.dtype.kind not in "fc":
        raise TypeError(f"{fname}: ReduceOp.AVG needs a floating-point tensor, got {arr.dtype}; "
                        f"use SUM and divide")
    return key


def _go(async_op, start, run, finish):
    """async_op: start the non-blocking operation, return its Work; else run the blocking
    one (MPI's blocking collectives have their own, faster algorithms) and finish now."""
    if async_op:
        return Work(start(), finish)
    run()
    finish()
    return None


def _check_rank(value, size, fname, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or \
            not 0 <= value < size:
        raise ValueError(f"{fname}: {name} must be a rank in 0..{size - 1}, got {value!r}")
    return int(value)


def all_reduce(tensor, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce `tensor` over all ranks, in place: every rank ends with the result."""
    w = world(group, "all_reduce")
    arr, t = _array(tensor, "all_reduce")
    key = _op(op, arr, "all_reduce")
    buf = _writable(arr, "all_reduce")
    if w.comm is None:
        return Work() if async_op else None
    scale = 1.0 / w.size()

    def finish():
        if key == "avg":
            np.multiply(buf, scale, out=buf)
        _written(arr, buf, t)

    MPI = _mpi()
    mop = getattr(MPI, _OPS[key])
    return _go(async_op, lambda: w.comm.Iallreduce(MPI.IN_PLACE, buf, mop),
               lambda: w.comm.Allreduce(MPI.IN_PLACE, buf, mop), finish)


def broadcast(tensor, src=0, group=None, async_op=False):
    """Give every rank rank `src`'s values of `tensor`, in place."""
    w = world(group, "broadcast")
    src = _check_rank(src, w.size(), "broadcast", "src")
    arr, t = _array(tensor, "broadcast")
    buf = _writable(arr, "broadcast")
    if w.comm is None:
        return Work() if async_op else None
    return _go(async_op, lambda: w.comm.Ibcast(buf, root=src),
               lambda: w.comm.Bcast(buf, root=src), lambda: _written(arr, buf, t))


def _same_layout(items, arr, fname, name):
    for i, x in enumerate(items):
        a, _ = _array(x, fname, f"{name}[{i}]")
        if a.shape != arr.shape or a.dtype != arr.dtype:
            raise ValueError(f"{fname}: {name}[{i}] has shape {a.shape} and dtype {a.dtype}; "
                             f"expected shape {arr.shape} and dtype {arr.dtype} (the tensor's)")


def all_gather(tensor_list, tensor, group=None, async_op=False):
    """tensor_list[i] (one per rank, each shaped like `tensor`) becomes rank i's `tensor`."""
    w = world(group, "all_gather")
    arr, _ = _array(tensor, "all_gather")
    if not isinstance(tensor_list, list) or len(tensor_list) != w.size():
        raise ValueError(f"all_gather: tensor_list must be a list of world_size={w.size()} "
                         f"tensors, got {type(tensor_list).__name__} of "
                         f"{len(tensor_list) if hasattr(tensor_list, '__len__') else '?'}")
    _same_layout(tensor_list, arr, "all_gather", "tensor_list")
    gathered = np.empty((w.size(),) + arr.shape, arr.dtype)

    def finish():
        for x, part in zip(tensor_list, gathered):
            out, t = _array(x, "all_gather")
            out[...] = part
            if t is not None:
                mark_changed(t)

    if w.comm is None:
        gathered[0] = arr
        return Work(None, finish) if async_op else finish()
    send = np.ascontiguousarray(arr)
    return _go(async_op, lambda: w.comm.Iallgather(send, gathered),
               lambda: w.comm.Allgather(send, gathered), finish)


def all_gather_into_tensor(output_tensor, input_tensor, group=None, async_op=False):
    """output_tensor (world_size times input's size: (W * n, ...) or (W, n, ...)) gets every
    rank's input_tensor, in rank order."""
    w = world(group, "all_gather_into_tensor")
    src, _ = _array(input_tensor, "all_gather_into_tensor", "input_tensor")
    arr, t = _array(output_tensor, "all_gather_into_tensor", "output_tensor")
    if arr.size != src.size * w.size() or arr.dtype != src.dtype:
        raise ValueError(f"all_gather_into_tensor: output_tensor has {arr.size} elements of "
                         f"{arr.dtype}; expected world_size x input = {w.size() * src.size} of "
                         f"{src.dtype}")
    buf = _writable(arr, "all_gather_into_tensor", "output_tensor")
    if w.comm is None:
        buf.reshape(-1)[...] = src.reshape(-1)
        _written(arr, buf, t)
        return Work() if async_op else None
    send = np.ascontiguousarray(src)
    return _go(async_op, lambda: w.comm.Iallgather(send, buf),
               lambda: w.comm.Allgather(send, buf), lambda: _written(arr, buf, t))


def reduce_scatter(output, input_list, op=ReduceOp.SUM, group=None, async_op=False):
    """`output` becomes the reduction over ranks of each rank's input_list[rank]."""
    w = world(group, "reduce_scatter")
    arr, t = _array(output, "reduce_scatter", "output")
    key = _op(op, arr, "reduce_scatter")
    if not isinstance(input_list, list) or len(input_list) != w.size():
        raise ValueError(f"reduce_scatter: input_list must be a list of world_size={w.size()} "
                         f"tensors")
    _same_layout(input_list, arr, "reduce_scatter", "input_list")
    send = np.stack([_array(x, "reduce_scatter")[0] for x in input_list])
    return _reduce_scatter(w, send, arr, t, key, async_op)


def reduce_scatter_tensor(output, input, op=ReduceOp.SUM, group=None, async_op=False):
    """`output` becomes the reduction over ranks of this rank's block of `input` (its
    world_size equal blocks, in rank order)."""
    w = world(group, "reduce_scatter_tensor")
    arr, t = _array(output, "reduce_scatter_tensor", "output")
    src, _ = _array(input, "reduce_scatter_tensor", "input")
    key = _op(op, arr, "reduce_scatter_tensor")
    if src.size != arr.size * w.size() or src.dtype != arr.dtype:
        raise ValueError(f"reduce_scatter_tensor: input has {src.size} elements of {src.dtype}; "
                         f"expected world_size x output = {w.size() * arr.size} of {arr.dtype}")
    return _reduce_scatter(w, np.ascontiguousarray(src), arr, t, key, async_op)


def _reduce_scatter(w, send, arr, t, key, async_op):
    buf = _writable(arr, "reduce_scatter", "output")
    scale = 1.0 / w.size()

    def finish():
        if key == "avg":
            np.multiply(buf, scale, out=buf)
        _written(arr, buf, t)

    if w.comm is None:
        buf.reshape(-1)[...] = send.reshape(-1)
        finish()
        return Work() if async_op else None
    mop = getattr(_mpi(), _OPS[key])
    return _go(async_op, lambda: w.comm.Ireduce_scatter_block(send, buf, mop),
               lambda: w.comm.Reduce_scatter_block(send, buf, mop), finish)


def reduce(tensor, dst=0, op=ReduceOp.SUM, group=None, async_op=False):
    """Reduce `tensor` over all ranks into rank `dst`'s tensor (the others keep theirs)."""
    w = world(group, "reduce")
    dst = _check_rank(dst, w.size(), "reduce", "dst")
    arr, t = _array(tensor, "reduce")
    key = _op(op, arr, "reduce")
    buf = _writable(arr, "reduce")
    if w.comm is None:
        return Work() if async_op else None
    MPI = _mpi()
    root = w.rank() == dst
    scale = 1.0 / w.size()

    def finish():
        if root:
            if key == "avg":
                np.multiply(buf, scale, out=buf)
            _written(arr, buf, t)

    send, recv_ = (MPI.IN_PLACE, buf) if root else (buf, None)
    mop = getattr(MPI, _OPS[key])
    return _go(async_op, lambda: w.comm.Ireduce(send, recv_, mop, root=dst),
               lambda: w.comm.Reduce(send, recv_, mop, root=dst), finish)


def _peer(w, rank, fname, name):
    if w.comm is None:
        raise RuntimeError(f"{fname}: this process is alone in its group (world_size 1); "
                           f"there is no rank to exchange with")
    rank = _check_rank(rank, w.size(), fname, name)
    if rank == w.rank():
        raise ValueError(f"{fname}: {name}={rank} is this process's own rank")
    return rank


def isend(tensor, dst, group=None, tag=0):
    """Start sending `tensor` to rank `dst`; returns a Work."""
    w = world(group, "isend")
    dst = _peer(w, dst, "isend", "dst")
    arr, _ = _array(tensor, "isend")
    buf = np.ascontiguousarray(arr)
    return Work(w.comm.Isend(buf, dest=dst, tag=int(tag)), None)


def send(tensor, dst, group=None, tag=0):
    """Send `tensor` to rank `dst` (returns once it may be reused)."""
    isend(tensor, dst, group, tag).wait()


def irecv(tensor, src=None, group=None, tag=0):
    """Start receiving into `tensor` from rank `src` (None: any rank); returns a Work."""
    w = world(group, "irecv")
    MPI = _mpi() if w.comm is not None else None
    source = MPI.ANY_SOURCE if src is None and MPI is not None else _peer(w, src, "irecv", "src")
    arr, t = _array(tensor, "irecv")
    buf = _writable(arr, "irecv")
    return Work(w.comm.Irecv(buf, source=source, tag=int(tag)), lambda: _written(arr, buf, t))


def recv(tensor, src=None, group=None, tag=0):
    """Receive into `tensor` from rank `src` (None: any rank); returns the sender's rank."""
    w = world(group, "recv")
    if w.comm is None:
        _peer(w, src, "recv", "src")
    MPI = _mpi()
    source = MPI.ANY_SOURCE if src is None else _peer(w, src, "recv", "src")
    arr, t = _array(tensor, "recv")
    buf = _writable(arr, "recv")
    status = MPI.Status()
    w.comm.Recv(buf, source=source, tag=int(tag), status=status)
    _written(arr, buf, t)
    return status.Get_source()
