"""DistributedDataParallel on 4 ranks against one process: a correctness check (not a timing).

Each of 4 ranks trains on its quarter of every batch (float64, 4 steps); rank 0 then
trains a fresh copy alone on the whole batches and compares the parameters and the
optimizer state. Models: the MLP 784-512-256-10 (its first weight's gradient sent in
blocks of rows, and once without blocks) and the reference CNN of bench_cnn.py, with
SGD (momentum) and Adam; and the CNN with its BatchNorm layers made SyncBatchNorm
against BatchNorm on the whole batch. Prints one PASS/FAIL line per case and exits
non-zero on any FAIL.

    python benchmarks/check_ddp_4ranks.py          # starts mpiexec -n 4 itself
    python benchmarks/check_ddp_4ranks.py --ranks 3

Needs the mpi extra (pip install "groundup[mpi]"); 4 ranks on fewer cores only run slower.
"""

import argparse
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "src")
STEPS = 4
BATCH = 16
TOL = 1e-9


def _mlp(gu):
    return gu.nn.Sequential(gu.nn.Linear(784, 512), gu.nn.ReLU(), gu.nn.Linear(512, 256),
                            gu.nn.ReLU(), gu.nn.Linear(256, 10))


def _cnn(gu, bn=False):
    norm = (lambda c: gu.nn.BatchNorm2d(c)) if bn else (lambda c: gu.nn.Identity())
    return gu.nn.Sequential(
        gu.nn.Conv2d(1, 16, 5, padding=2), norm(16), gu.nn.ReLU(), gu.nn.MaxPool2d(2),
        gu.nn.Conv2d(16, 32, 5), norm(32), gu.nn.ReLU(), gu.nn.MaxPool2d(2),
        gu.nn.Flatten(), gu.nn.Linear(800, 128), gu.nn.ReLU(), gu.nn.Linear(128, 10))


def worker():
    import numpy as np

    import groundup as gu
    import groundup.distributed as dist
    from groundup.nn.parallel import DistributedDataParallel as DDP

    dist.init_process_group("mpi")
    rank, world = dist.get_rank(), dist.get_world_size()
    rng = np.random.default_rng(0)
    data = {"mlp": rng.standard_normal((STEPS, BATCH, 784)),
            "cnn": rng.random((STEPS, BATCH, 1, 28, 28))}
    labels = rng.integers(0, 10, (STEPS, BATCH))
    optimizers = {"sgd": lambda ps: gu.optim.SGD(ps, lr=0.05, momentum=0.9),
                  "adam": lambda ps: gu.optim.Adam(ps, lr=1e-3)}

    def part(a):
        return a.reshape((world, -1) + a.shape[1:])[rank]

    def build(kind, seed, sync=False):
        gu.manual_seed(seed)
        model = (_mlp(gu) if kind == "mlp" else _cnn(gu, bn=kind == "cnn+bn")).double()
        return gu.nn.SyncBatchNorm.convert_sync_batchnorm(model) if sync else model

    def train(model, opt, kind, split):
        key = "mlp" if kind == "mlp" else "cnn"
        for s in range(STEPS):
            x, y = data[key][s], labels[s]
            if split:
                x, y = part(x), part(y)
            opt.zero_grad()
            loss = gu.nn.functional.cross_entropy(model(gu.tensor(x, dtype="float64")),
                                                  gu.tensor(y))
            loss.backward()
            opt.step()

    def diff(a, b):
        if isinstance(a, dict):
            return max([diff(a[k], b[k]) for k in a] or [0.0])
        if isinstance(a, (list, tuple)):
            return max([diff(x, y) for x, y in zip(a, b)] or [0.0])
        if isinstance(a, np.ndarray):
            return float(np.max(np.abs(a - b), initial=0.0))
        return 0.0 if a == b else float("inf")

    failed = 0
    cases = [("mlp", "sgd", 256), ("mlp", "adam", 256), ("mlp", "sgd", 0), ("cnn", "sgd", 256),
             ("cnn", "adam", 256), ("cnn+bn", "sgd", 256), ("cnn+bn", "adam", 256)]
    for kind, opt_name, block_kib in cases:
        model = build(kind, seed=rank, sync=kind == "cnn+bn")  # DDP starts from rank 0's
        ddp = DDP(model)
        ddp._reducer.block_bytes = block_kib * 1024
        opt = optimizers[opt_name](ddp.parameters())
        train(ddp, opt, kind, split=True)
        blocked = sum(b.rows > 0 for b in ddp._reducer.buckets)
        if rank == 0:
            ref = build(kind, seed=0)
            ref_opt = optimizers[opt_name](ref.parameters())
            train(ref, ref_opt, kind, split=False)
            d = max(diff(model.state_dict(), ref.state_dict()),
                    diff(opt.state_dict(), ref_opt.state_dict()))
            ok = d < TOL
            failed += not ok
            print(f"{'PASS' if ok else 'FAIL'}  {world} ranks, {kind:<6} {opt_name:<4} "
                  f"blocks {block_kib:>3} KiB ({blocked} weight(s) in blocks): largest "
                  f"difference {d:.1e} (tolerance {TOL:g})", flush=True)
    flag = [failed]
    dist.broadcast_object_list(flag, src=0)
    failed = flag[0]
    dist.destroy_process_group()
    return failed


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--ranks", type=int, default=4)
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.worker:
        sys.exit(1 if worker() else 0)
    sys.path.insert(0, SRC)
    import groundup as gu

    mpiexec = gu.distributed.mpiexec_path()
    if mpiexec is None or not gu.distributed.is_mpi_available():
        sys.exit('check_ddp_4ranks: needs mpi4py and mpiexec: pip install "groundup[mpi]"')
    env = dict(os.environ, PYTHONPATH=SRC + os.pathsep + os.environ.get("PYTHONPATH", ""))
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "GROUNDUP_NUM_THREADS"):
        env[var] = "1"
    command = [mpiexec, "-n", str(args.ranks), sys.executable, os.path.abspath(__file__),
               "--worker"]
    out = subprocess.run(command, env=env, timeout=900)
    print("PASS" if out.returncode == 0 else "FAIL", flush=True)
    sys.exit(out.returncode)


if __name__ == "__main__":
    main()
