"""Data-parallel training over MPI: the reference MLP and CNN on 1 process against 2 ranks.

Models: the MLP 784-512-256-10 (global batch --batch, default 128, SGD momentum, random
data) and the reference CNN of bench_cnn.py (Conv 1->16 5x5, pool, Conv 16->32 5x5,
pool, Linear 800->128->10; global batch 64, (N, 1, 28, 28)). Each configuration runs in
processes of its own (started by this script):

    1 process  x 1 thread     the baseline of the scaling efficiency
    1 process  x 2 threads    the same cores used by one process instead
    2 ranks    x 1 thread     mpiexec -n 2, DistributedDataParallel, per bucket size and
                              with or without sending large Linear weights' gradients in
                              blocks of rows (reducer.py; blocks 0 KiB = off)

The global batch is the same everywhere (half of it per rank on 2 ranks). Reported:
samples/s (median of --repeats timed blocks of --steps steps after 5 warm-up steps),
the scaling efficiency of 2 ranks (samples/s / (2 x the 1-process 1-thread figure)),
and for 2 ranks the time per step spent after backward waiting for the gradients'
all-reduces (in Work.wait; it includes waiting for the other rank to finish its
backward), against the time the same buckets' non-blocking all-reduces take alone (all
started, then waited for; median of 40): the part of the communication the overlap with
backward hides is 1 - wait / alone. On a machine shared with other work that wait is
mostly the other rank being descheduled, so "after both" is also printed: the time a
rank spends in Work.wait after the later of the two ranks' ends of backward (median
over steps and ranks; the clock is the machine's), and 1 - after both / alone.
Then the time of one all-reduce of 10 MiB of float32 on 2 ranks (median of 20).

    python benchmarks/bench_ddp.py                      # MLP and CNN, the default configurations
    python benchmarks/bench_ddp.py --model mlp --repeats 15 --configs 25:0,25:256,25:512

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


def _build(gu, kind):
    gu.manual_seed(0)
    if kind == "mlp":
        return gu.nn.Sequential(gu.nn.Linear(784, 512), gu.nn.ReLU(), gu.nn.Linear(512, 256),
                                gu.nn.ReLU(), gu.nn.Linear(256, 10)), (784,)
    return gu.nn.Sequential(
        gu.nn.Conv2d(1, 16, 5, padding=2), gu.nn.ReLU(), gu.nn.MaxPool2d(2),
        gu.nn.Conv2d(16, 32, 5), gu.nn.ReLU(), gu.nn.MaxPool2d(2),
        gu.nn.Flatten(), gu.nn.Linear(800, 128), gu.nn.ReLU(), gu.nn.Linear(128, 10)), \
        (1, 28, 28)


def worker(args):
    """One process (or one rank); on 2 ranks every configuration of --configs is trained
    in the same run, their timed blocks taking turns (so a change of load on the machine
    hits them all alike). Rank 0 prints a JSON line."""
    import numpy as np

    import groundup as gu
    import groundup.distributed as dist
    from groundup.nn.parallel import DistributedDataParallel

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    configs = [tuple(map(float, (c + ":1000").split(":")[:3])) for c in args.configs.split(",")]
    from groundup.nn.parallel.reducer import Reducer

    waits = [0.0]  # seconds spent in Work.wait (after backward, in the reducer's finish)
    wait, finish = dist.Work.wait, Reducer._finish
    ends = []  # per step: [backward's end on this rank, (start, end) of each Work.wait]

    def timed_wait(self, timeout=None):
        start = time.perf_counter()
        wait(self)
        end = time.perf_counter()
        waits[0] += end - start
        if ends:
            ends[-1].append((start, end))

    def timed_finish(self):
        ends.append([time.perf_counter()])
        finish(self)

    runs = []  # (net, optimizer) per configuration
    for cap, block, spin in configs if world > 1 else [(0, 0, 0)]:
        model, shape = _build(gu, args.model)
        net = model
        if world > 1:
            net = DistributedDataParallel(model, bucket_cap_mb=cap or None)  # 0: default
            net._reducer.block_bytes = int(block * 1024)
            net._reducer.spin_seconds = spin * 1e-6
        runs.append((net, gu.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)))
    per_rank = args.batch // world
    rng = np.random.default_rng(rank)
    xs = [gu.tensor(rng.standard_normal((per_rank,) + shape).astype(np.float32))
          for _ in range(4)]
    ys = [gu.tensor(rng.integers(0, 10, per_rank)) for _ in range(4)]
    loss_fn = gu.nn.CrossEntropyLoss()

    def steps(net, opt, n):
        for i in range(n):
            loss = loss_fn(net(xs[i % 4]), ys[i % 4])
            opt.zero_grad()
            loss.backward()
            opt.step()

    for net, opt in runs:
        steps(net, opt, 5)
    rates, waited, steps_ends = [[] for _ in runs], [[] for _ in runs], [[] for _ in runs]
    dist.Work.wait, Reducer._finish = timed_wait, timed_finish
    for _ in range(args.repeats):
        for k, (net, opt) in enumerate(runs):
            dist.barrier()
            waits[0] = 0.0
            ends.clear()
            start = time.perf_counter()
            steps(net, opt, args.steps)
            took = time.perf_counter() - start
            rates[k].append(args.batch * args.steps / took)
            waited[k].append(waits[0] / args.steps)
            steps_ends[k] += ends
    dist.Work.wait, Reducer._finish = wait, finish
    results = []
    for k, (net, _) in enumerate(runs):
        result = {"samples_s": statistics.median(rates[k])}
        if world > 1:
            buffers = [b.buffer.copy() for b in net._reducer.buckets]
            alone = []
            for _ in range(40):
                dist.barrier()
                start = time.perf_counter()
                works = [dist.all_reduce(buf, async_op=True) for buf in buffers]
                for work in works:  # the same non-blocking calls as in backward
                    work.wait()
                alone.append(time.perf_counter() - start)
            # the wait once both ranks have ended backward (the clock is the machine's):
            # what is left of the all-reduces, without waiting for the other rank
            every = [None] * world
            dist.all_gather_object(every, steps_ends[k])
            after = []
            for mine in every:
                for i, (_, *spans) in enumerate(mine):
                    later = max(e[i][0] for e in every)
                    after.append(sum(max(0.0, end - max(start, later)) for start, end in spans))
            result.update(buckets=len(buffers), wait_ms=1e3 * statistics.median(waited[k]),
                          after_both_ms=1e3 * statistics.median(after),
                          alone_ms=1e3 * statistics.median(alone))
        results.append(result)
    out = {"world": world, "runs": results}
    if world > 1:
        big = np.ones(10 * 2**20 // 4, np.float32)
        ten = []
        for _ in range(20):
            dist.barrier()
            start = time.perf_counter()
            dist.all_reduce(big)
            ten.append(time.perf_counter() - start)
        out["allreduce_10mib_ms"] = 1e3 * statistics.median(ten)
    if rank == 0:
        print(json.dumps(out), flush=True)


def run(command, threads):
    out = subprocess.run(command, capture_output=True, text=True, env=_env(threads),
                         timeout=600)
    if out.returncode != 0:
        sys.exit(f"{' '.join(command)} failed:\n{out.stdout}\n{out.stderr}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--model", default="mlp,cnn", help="mlp, cnn or both (comma-separated)")
    p.add_argument("--steps", type=int, default=20)
    p.add_argument("--repeats", type=int, default=15, help="timed blocks of --steps steps")
    p.add_argument("--batch", type=int, default=None,
                   help="global batch (default: 128 for the MLP, 64 for the CNN)")
    p.add_argument("--configs", default=None,
                   help="2-rank configurations, comma-separated BUCKET_MIB:BLOCK_KIB[:SPIN_US], "
                        "BUCKET_MIB 0 for DistributedDataParallel's default (default "
                        "0:0,25:0,25:512,0.5:512 for the MLP, 0:0,25:0,0.1:512 for the CNN)")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        return worker(args)
    import groundup as gu

    mpiexec = gu.distributed.mpiexec_path()
    if mpiexec is None or not gu.distributed.is_mpi_available():
        sys.exit('bench_ddp: needs mpi4py and mpiexec: pip install "groundup[mpi]"')
    print("load average before: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    ten = None
    for model in args.model.split(","):
        batch = args.batch or {"mlp": 128, "cnn": 64}[model]
        configs = args.configs or {"mlp": "0:0,25:0,25:512,0.5:512",
                                   "cnn": "0:0,25:0,0.1:512"}[model]
        me = [sys.executable, os.path.abspath(__file__), "--worker", "--model", model,
              "--steps", str(args.steps), "--repeats", str(args.repeats), "--batch", str(batch),
              "--configs", configs]
        one = run(me, 1)["runs"][0]
        two_threads = run(me, 2)["runs"][0]
        ranks = run([mpiexec, "-n", "2", *me], 1)
        title = {"mlp": "MLP 784-512-256-10", "cnn": "reference CNN (bench_cnn.py)"}[model]
        print(f"{title}, global batch {batch}, SGD momentum, float32")
        print(f"{'configuration':<56}{'samples/s':>10}{'efficiency':>11}{'wait ms':>9}"
              f"{'alone ms':>9}{'hidden':>7}{'after both':>11}{'hidden':>7}")
        print(f"{'1 process x 1 thread':<56}{one['samples_s']:>10,.0f}")
        print(f"{'1 process x 2 threads':<56}{two_threads['samples_s']:>10,.0f}")
        for config, r in zip(configs.split(","), ranks["runs"]):
            cap, block, spin = (float(v) for v in (config + ":1000").split(":")[:3])
            eff = r["samples_s"] / (2 * one["samples_s"])
            hidden = 1 - r["wait_ms"] / r["alone_ms"]
            hidden_both = 1 - r["after_both_ms"] / r["alone_ms"]
            size = f"{cap:g} MiB" if cap else "default"
            name = f"2 ranks x 1 thread, buckets {size} ({r['buckets']}), blocks {block:g} KiB"
            if spin != 1000:
                name += f", spin {spin:g} us"
            print(f"{name:<56}{r['samples_s']:>10,.0f}{eff:>10.0%}{r['wait_ms']:>9.3f}"
                  f"{r['alone_ms']:>9.3f}{hidden:>7.0%}{r['after_both_ms']:>11.3f}"
                  f"{hidden_both:>7.0%}")
        ten = ranks["allreduce_10mib_ms"]
    print(f"all-reduce of 10 MiB float32 on 2 ranks: {ten:.2f} ms "
          f"({10 / 1024 / (ten / 1e3):.2f} GiB/s of buffer)")
    print("load average after: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))


if __name__ == "__main__":
    main()
