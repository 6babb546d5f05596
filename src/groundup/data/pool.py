"""The worker processes of DataLoader(num_workers > 0), seen from the main process.

The main process decides every batch's indices (so the order is the one
num_workers=0 gives) and hands batch k to worker k % num_workers; the worker
(workers.py) reads and collates it and sends it back over its own pipe as raw
arrays. The main process reads batch k from worker k % num_workers, so the
batches come out in order. Workers are forked ('fork' start method): they
inherit the dataset, the collate function and worker_init_fn as they are;
nothing is serialised, and no pickle is ever read.
"""

import collections
import hashlib
import json
import multiprocessing
import time
import warnings

import numpy as np

from . import wire
from .workers import TASK, raise_worker_error, worker_loop


def base_seed(rng, salt):
    """A seed for this epoch's workers read from `rng`'s state, without drawing from it.

    Drawing would shift the shuffling, and the batches must not depend on num_workers.
    """
    text = json.dumps([rng.bit_generator.state, salt], sort_keys=True).encode("utf-8")
    return int.from_bytes(hashlib.sha256(text).digest()[:7], "little")


def fork_context(where="DataLoader"):
    if "fork" not in multiprocessing.get_all_start_methods():
        raise RuntimeError(f"{where}: num_workers > 0 needs the 'fork' start method, which this "
                           f"platform does not have; use num_workers=0")
    return multiprocessing.get_context("fork")


def _index_array(selection):
    """The indices of a batch as an int64 array, to send to a worker."""
    if isinstance(selection, slice):
        return np.arange(selection.start, selection.stop, dtype=np.int64)
    try:
        array = np.atleast_1d(np.asarray(selection))
        if array.ndim != 1 or (array.size and array.dtype.kind not in "iu"):
            raise TypeError
    except (TypeError, ValueError):
        raise TypeError(f"DataLoader: with num_workers > 0 the sampler must yield integer "
                        f"indices (or lists of them); got {selection!r:.80}") from None
    return array.astype(np.int64, copy=False)


class WorkerPool:
    """num_workers forked processes, each with a task pipe and a result pipe."""

    def __init__(self, num_workers, dataset, fetch, stream, worker_init_fn, seed, timeout):
        ctx = fork_context()
        self.num_workers, self.dataset = num_workers, dataset
        self.worker_init_fn, self.seed, self.timeout = worker_init_fn, seed, timeout
        self.closed = False
        pipes = [(ctx.Pipe(duplex=False), ctx.Pipe(duplex=False)) for _ in range(num_workers)]
        # worker side: (read tasks, write results); main side: (write tasks, read results)
        self.connections = [(task[0], result[1]) for task, result in pipes]
        self.parent_ends = [(task[1], result[0]) for task, result in pipes]
        self.processes = []
        with warnings.catch_warnings():  # Python >= 3.12 warns on fork in threaded processes
            warnings.filterwarnings("ignore", message=".*fork.*", category=DeprecationWarning)
            for i in range(num_workers):
                p = ctx.Process(target=worker_loop, args=(i, self, fetch, stream),
                                name=f"DataLoaderWorker-{i}", daemon=True)
                p.start()
                self.processes.append(p)
        for task_conn, result_conn in self.connections:
            task_conn.close()
            result_conn.close()

    def put(self, worker, run, task, indices=None):
        """Give `worker` a task: the batch at `indices`, or (None) the next batch of its stream."""
        if indices is None:
            message = TASK.pack(b"N", run, task)
        else:
            message = TASK.pack(b"T", run, task) + np.asarray(indices, np.int64).tobytes()
        try:
            self.parent_ends[worker][0].send_bytes(message)
        except OSError:  # the worker is gone: report what it said before it went
            conn = self.parent_ends[worker][1]
            try:
                while conn.poll(0.5):
                    meta, _ = wire.receive(conn)
                    if "error" in meta:
                        raise_worker_error(meta["error"])
            except (EOFError, OSError):
                pass
            self._check_alive(worker)
            raise

    def get(self, worker, run, task):
        """The result of `task` from `worker`: (batch, ended); raises the worker's error."""
        conn = self.parent_ends[worker][1]
        while True:
            self._wait(worker, conn)
            try:
                meta, batch = wire.receive(conn)
            except (EOFError, OSError):
                self.processes[worker].join(timeout=1.0)  # it is ending: wait for its exit code
                self._check_alive(worker)
                raise RuntimeError(f"DataLoader worker {worker} closed its pipe") from None
            if "error" in meta and meta["run"] in (run, -1):
                raise_worker_error(meta["error"])
            if meta["run"] == run and meta["task"] == task:
                return batch, meta.get("end", False)
            # else: a result from an abandoned epoch of persistent workers; drop it

    def _wait(self, worker, conn):
        deadline = time.monotonic() + self.timeout if self.timeout else None
        while not conn.poll(0.2 if deadline is None else
                            max(0.0, min(0.2, deadline - time.monotonic()))):
            self._check_alive(worker)
            if deadline is not None and time.monotonic() >= deadline:
                raise RuntimeError(f"DataLoader timed out after {self.timeout} seconds waiting "
                                   f"for a batch from worker {worker}")

    def _check_alive(self, worker):
        p = self.processes[worker]
        if not p.is_alive():
            raise RuntimeError(f"DataLoader worker {worker} (pid {p.pid}) exited unexpectedly "
                               f"with exit code {p.exitcode}")

    def batches(self, selections, run, ahead, is_current):
        """The batches of one epoch, in order, keeping `ahead` tasks in flight.

        selections: an iterator of index selections (batch k goes to worker
        k % num_workers), or None for a stream: then the workers are asked in
        turn for their next batch, skipping those whose stream has ended
        (PyTorch's order for an IterableDataset). is_current() is False once a
        newer epoch has taken over these (persistent) workers.
        """
        workers = self.num_workers
        pending = collections.deque()
        active = [True] * workers
        state = {"task": 0, "cursor": 0}

        def dispatch():
            task = state["task"]
            if selections is not None:
                selection = next(selections, None)
                if selection is None:
                    return
                worker = task % workers
                self.put(worker, run, task, _index_array(selection))
            else:
                live = [w for w in range(state["cursor"], state["cursor"] + workers)
                        if active[w % workers]]
                if not live:
                    return
                worker, state["cursor"] = live[0] % workers, live[0] + 1
                self.put(worker, run, task)
            pending.append((task, worker))
            state["task"] = task + 1

        for _ in range(ahead):
            dispatch()
        while pending:
            if not is_current():
                raise RuntimeError("DataLoader: this iterator was replaced by a newer iter() "
                                   "over the same loader (persistent_workers=True)")
            task, worker = pending.popleft()
            batch, ended = self.get(worker, run, task)
            dispatch()
            if ended:
                active[worker] = False
            else:
                yield batch

    def shutdown(self):
        """Stop the workers: close their pipes, ask them to stop, then end any that linger."""
        if self.closed:
            return
        self.closed = True
        for task_conn, result_conn in self.parent_ends:
            try:
                task_conn.send_bytes(b"S")
            except (OSError, ValueError):
                pass
            result_conn.close()  # a worker blocked writing a batch gets a broken pipe
        deadline = time.monotonic() + 1.0  # idle workers stop at once; busy ones get a second
        for p in self.processes:
            p.join(timeout=max(0.0, deadline - time.monotonic()))
        for p in self.processes:
            if p.is_alive():
                p.terminate()
                p.join(timeout=1.0)
        for task_conn, _ in self.parent_ends:
            task_conn.close()

    def __del__(self):
        try:
            self.shutdown()
        except Exception:  # noqa: BLE001 - interpreter teardown
            pass
