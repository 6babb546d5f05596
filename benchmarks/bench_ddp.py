"""Data-parallel training over MPI: the MLP 784-512-256-10 on 1 process against 2 ranks.

Each configuration runs in processes of its own (started by this script):

    1 process  x 1 thread     the baseline of the scaling efficiency
    1 process  x 2 threads    the same cores used by one process instead
    2 ranks    x 1 thread     mpiexec -n 2, DistributedDataParallel, per bucket size

The global batch is the same everywhere (--batch, default 128: 64 per rank on 2
ranks); SGD with momentum on random data. Reported: samples/s (median of 3 timed
blocks of --steps steps after 5 warm-up steps), the scaling efficiency of 2 ranks
(samples/s / (2 x the 1-process 1-thread figure)), and for 2 ranks the time per
step spent after backward waiting for the gradients' all-reduce (in Work.wait; it
includes waiting for the other rank to finish its backward), against the time
the same non-blocking all-reduces take alone (all started, then waited for): the part of the
communication the overlap with backward hides is 1 - wait / alone. Then the time
of one all-reduce of 10 MiB of float32 on 2 ranks (median of 20).

    python benchmarks/bench_ddp.py                      # buckets of 25 MiB and 0.5 MiB
    python benchmarks/bench_ddp.py --steps 20 --bucket-mb 25,1,0.25

Needs the mpi extra (pip install "groundup[mpi]"). MPICH busy-polls while it waits,
so run it on an otherwise idle machine.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "src")


def _env(threads):
    env = dict(os.environ)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "GROUNDUP_NUM_THREADS"):
        env[var] = str(threads)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    return env


def worker(args):
    """One process (or one rank) of a configuration; rank 0 prints a JSON line."""
    import numpy as np

    import groundup as gu
    import groundup.distributed as dist
    from groundup.nn.parallel import DistributedDataParallel

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    gu.manual_seed(0)
    model = gu.nn.Sequential(gu.nn.Linear(784, 512), gu.nn.ReLU(), gu.nn.Linear(512, 256),
                             gu.nn.ReLU(), gu.nn.Linear(256, 10))
    waits = [0.0]  # seconds spent in Work.wait (after backward, in the reducer's finish)
    if world > 1:
        wait = dist.Work.wait

        def timed_wait(self, timeout=None):
            start = time.perf_counter()
            wait(self)
            waits[0] += time.perf_counter() - start

        dist.Work.wait = timed_wait
        net = DistributedDataParallel(model, bucket_cap_mb=args.bucket_mb)
    else:
        net = model
    opt = gu.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
    per_rank = args.batch // world
    rng = np.random.default_rng(rank)
    xs = [gu.tensor(rng.standard_normal((per_rank, 784)).astype(np.float32)) for _ in range(4)]
    ys = [gu.tensor(rng.integers(0, 10, per_rank)) for _ in range(4)]
    loss_fn = gu.nn.CrossEntropyLoss()

    def steps(n):
        for i in range(n):
            loss = loss_fn(net(xs[i % 4]), ys[i % 4])
            opt.zero_grad()
            loss.backward()
            opt.step()

    steps(5)
    rates, waited = [], []
    for _ in range(3):
        dist.barrier()
        waits[0] = 0.0
        start = time.perf_counter()
        steps(args.steps)
        took = time.perf_counter() - start
        rates.append(args.batch * args.steps / took)
        waited.append(waits[0] / args.steps)
    result = {"world": world, "samples_s": statistics.median(rates)}
    if world > 1:
        dist.Work.wait = wait
        buffers = [b.buffer.copy() for b in net._reducer.buckets]
        alone = []
        for _ in range(20):
            dist.barrier()
            start = time.perf_counter()
            works = [dist.all_reduce(buf, async_op=True) for buf in buffers]
            for work in works:  # the same non-blocking calls as in backward
                work.wait()
            alone.append(time.perf_counter() - start)
        big = np.ones(10 * 2**20 // 4, np.float32)
        ten = []
        for _ in range(20):
            dist.barrier()
            start = time.perf_counter()
            dist.all_reduce(big)
            ten.append(time.perf_counter() - start)
        result.update(buckets=len(buffers), wait_ms=1e3 * statistics.median(waited),
                      alone_ms=1e3 * statistics.median(alone),
                      allreduce_10mib_ms=1e3 * statistics.median(ten))
    if rank == 0:
        print(json.dumps(result), flush=True)


def run(command, threads):
    out = subprocess.run(command, capture_output=True, text=True, env=_env(threads),
                         timeout=600)
    if out.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--steps", type=int, default=30)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--bucket-mb", default="25,0.5",
                   help="bucket sizes to run 2 ranks with, comma-separated MiB")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        args.bucket_mb = float(args.bucket_mb.split(",")[0])
        return worker(args)
    import groundup as gu

    mpiexec = gu.distributed.mpiexec_path()
    if mpiexec is None or not gu.distributed.is_mpi_available():
        sys.exit('bench_ddp: needs mpi4py and mpiexec: pip install "groundup[mpi]"')
    me = [sys.executable, os.path.abspath(__file__), "--worker", "--steps", str(args.steps),
          "--batch", str(args.batch)]
    one = run(me, 1)
    two_threads = run(me, 2)
    print(f"MLP 784-512-256-10, global batch {args.batch}, SGD momentum, float32")
    print(f"{'configuration':<34}{'samples/s':>11}{'efficiency':>12}{'wait ms':>9}"
          f"{'alone ms':>10}{'hidden':>8}")
    print(f"{'1 process x 1 thread':<34}{one['samples_s']:>11,.0f}")
    print(f"{'1 process x 2 threads':<34}{two_threads['samples_s']:>11,.0f}")
    ten = None
    for cap in args.bucket_mb.split(","):
        r = run([mpiexec, "-n", "2", *me, "--bucket-mb", cap], 1)
        eff = r["samples_s"] / (2 * one["samples_s"])
        hidden = 1 - r["wait_ms"] / r["alone_ms"]
        name = f"2 ranks x 1 thread, buckets {float(cap):g} MiB ({r['buckets']})"
        print(f"{name:<34}{r['samples_s']:>11,.0f}{eff:>11.0%}{r['wait_ms']:>9.2f}"
              f"{r['alone_ms']:>10.2f}{hidden:>8.0%}")
        ten = r["allreduce_10mib_ms"]
    print(f"all-reduce of 10 MiB float32 on 2 ranks: {ten:.2f} ms "
          f"({10 / 1024 / (ten / 1e3):.2f} GiB/s of buffer)")


if __name__ == "__main__":
    main()
