"""Inside a DataLoader worker process: the task loop, get_worker_info() and error reports.

A worker is forked by pool.py's WorkerPool. It reads tasks from its task
pipe (the indices of one batch, or "the next batch of your stream"), runs
`dataset[i]` and the collate function, and writes the batch to its result
pipe as raw arrays (wire.py; nothing is pickled either way). An exception
becomes a message that the main process re-raises, naming the worker.
"""

import builtins
import os
import queue
import random as _pyrandom
import signal
import struct
import threading
import traceback

import numpy as np

from ..random import manual_seed
from . import wire

__all__ = ["WorkerInfo", "get_worker_info"]

_worker_info = None
TASK = struct.Struct("<c7xqq")  # kind (b"T" indices follow, b"N" next of a stream), run, task


class WorkerInfo:
    """What `get_worker_info()` returns inside a worker: id, num_workers, seed, dataset."""

    def __init__(self, id, num_workers, seed, dataset):
        self.id, self.num_workers, self.seed, self.dataset = id, num_workers, seed, dataset

    def __repr__(self):
        return (f"WorkerInfo(id={self.id}, num_workers={self.num_workers}, seed={self.seed}, "
                f"dataset={type(self.dataset).__name__})")


def get_worker_info():
    """Inside a DataLoader worker process, its WorkerInfo; in the main process, None."""
    return _worker_info


# --------------------------------------------------------------- in the worker
def _read_tasks(conn, tasks, parent):
    """Move task messages from the pipe to `tasks` (so the pipe never fills); None ends."""
    try:
        while os.getppid() == parent:
            if conn.poll(0.5):
                message = conn.recv_bytes()
                if message == b"S":
                    break
                tasks.put(message)
    except (EOFError, OSError):
        pass
    tasks.put(None)


def worker_loop(worker_id, pool, fetch, stream):
    """Serve tasks until told to stop; every failure goes back to the main process as a message."""
    global _worker_info
    pool.closed = True  # this copy of the pool is the main process's to shut down
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the main process's to handle
    for i, (task_conn, result_conn) in enumerate(pool.connections):
        if i != worker_id:
            task_conn.close()
            result_conn.close()
    task_conn, result_conn = pool.connections[worker_id]
    pool.parent_ends[worker_id][0].close()
    pool.parent_ends[worker_id][1].close()
    seed = pool.seed + worker_id
    manual_seed(seed)
    _pyrandom.seed(seed)
    np.random.seed(seed % 2**32)
    _worker_info = WorkerInfo(worker_id, pool.num_workers, seed, pool.dataset)
    tasks = queue.Queue()
    threading.Thread(target=_read_tasks, args=(task_conn, tasks, os.getppid()),
                     daemon=True).start()
    try:
        if pool.worker_init_fn is not None:
            pool.worker_init_fn(worker_id)
    except Exception as e:  # noqa: BLE001 - reported to the main process
        _send_error(result_conn, -1, -1, worker_id, e, "in worker_init_fn")
        return
    run, batches = None, None
    while True:
        message = tasks.get()
        if message is None:
            return
        kind, task_run, task = TASK.unpack_from(message)
        try:
            if kind == b"N":
                if task_run != run:  # a new epoch: iterate the stream afresh
                    run, batches = task_run, stream()
                try:
                    batch = next(batches)
                except StopIteration:
                    wire.send(result_conn, {"run": task_run, "task": task, "end": True})
                    continue
            else:
                batch = fetch(np.frombuffer(message, np.int64, offset=TASK.size))
            wire.send(result_conn, {"run": task_run, "task": task}, batch)
        except (BrokenPipeError, EOFError):
            return
        except Exception as e:  # noqa: BLE001 - reported to the main process
            try:
                _send_error(result_conn, task_run, task, worker_id, e, "")
            except (BrokenPipeError, EOFError, OSError):
                return


def _send_error(conn, run, task, worker_id, error, context):
    wire.send(conn, {"run": run, "task": task, "error": {
        "type": type(error).__name__, "message": str(error), "context": context,
        "traceback": "".join(traceback.format_exception(error)), "worker": worker_id}})


class _Text(str):
    def __repr__(self):
        return str(self)


def raise_worker_error(info):
    """Re-raise a worker's exception in the main process: the same builtin type, or RuntimeError."""
    where = f" {info['context']}" if info["context"] else ""
    text = (f"Caught {info['type']} in DataLoader worker process {info['worker']}{where}: "
            f"{info['message']}\nOriginal traceback in the worker:\n{info['traceback']}")
    kind = getattr(builtins, info["type"], None)
    if kind is KeyError:  # KeyError's str() is the repr of its argument: keep the text readable
        raise KeyError(_Text(text))
    if isinstance(kind, type) and issubclass(kind, Exception):
        try:
            error = kind(text)
        except Exception:  # noqa: BLE001 - a builtin with an unusual constructor
            error = RuntimeError(text)
    else:
        error = RuntimeError(text)
    raise error
