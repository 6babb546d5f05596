"""The reference CNN's training step, groundup against PyTorch CPU, each in its own process.

Input (64, 1, 28, 28) float32; Conv2d 1->16 5x5 padding 2, ReLU, MaxPool2d 2; Conv2d
16->32 5x5, ReLU, MaxPool2d 2; Flatten; Linear 800->128, ReLU; Linear 128->10;
cross-entropy; SGD momentum 0.9, lr 0.01. Both libraries start from the same weights and
step on the same 8 batches, with the same number of threads.

Each repeat starts one process per library (the order alternates from repeat to repeat);
each process warms up, then reports the median samples/s of its timed blocks and the
growth of its peak resident memory over the resident memory just before the first step.
The ratio printed is the median over the repeats of groundup / PyTorch within a repeat,
with its quartiles. Then, for groundup:

- the GEMM share: the step's GEMMs alone (same shapes and layouts as groundup's
  convolutions and linear layers use, run back to back in NumPy, cache-warm) over the
  step's time, and the GFLOP/s of the step (its GEMM flops / its time) and of the GEMMs
  alone;
- with --profile, the 25 functions with the largest own time in a cProfile of the step.

Target (issue 15): at least 1.3x PyTorch at 1 and at 2 threads; memory growth at most
1.5x PyTorch's.

    python benchmarks/bench_cnn.py                      # 1 and 2 threads, 7 repeats
    python benchmarks/bench_cnn.py --threads 1 --repeats 15
    python benchmarks/bench_cnn.py --threads 1 --profile
"""

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "src")
B = 64
# GEMM flops of one step: forward, every weight gradient, and the input gradients of all
# layers but the first (conv1 16x25 per output pixel, conv2 32x400, fc1 128x800, fc2 10x128)
_FWD = 2 * B * (16 * 25 * 28 * 28 + 32 * 400 * 10 * 10 + 128 * 800 + 10 * 128)
_DX = 2 * B * (32 * 400 * 10 * 10 + 128 * 800 + 10 * 128)
FLOPS = 2 * _FWD + _DX


def _data(np):
    """PyTorch-layout weights (Sequential names) and 8 batches, the same in every process."""
    rng = np.random.default_rng(0)
    shapes = {"0": (16, 1, 5, 5), "3": (32, 16, 5, 5), "7": (128, 800), "9": (10, 128)}
    weights = {}
    for name, shape in shapes.items():
        bound = 1 / np.sqrt(np.prod(shape[1:]))
        weights[f"{name}.weight"] = rng.uniform(-bound, bound, shape).astype(np.float32)
        weights[f"{name}.bias"] = rng.uniform(-bound, bound, shape[0]).astype(np.float32)
    batches = [(rng.random((B, 1, 28, 28), dtype=np.float32), rng.integers(0, 10, B))
               for _ in range(8)]
    return weights, batches


def _make_step(lib, threads):
    """One training step of `lib` on batch i (cycling through the 8 batches)."""
    import numpy as np

    weights, batches = _data(np)
    if lib == "gemm":
        return _gemms_alone(np)
    if lib == "torch":
        import torch as mod

        mod.set_num_threads(threads)
    else:
        sys.path.insert(0, SRC)
        import groundup as mod

        if not hasattr(mod.nn, "MaxPool2d"):
            sys.exit("bench_cnn: groundup.nn.MaxPool2d is not there yet (pooling layers)")
    nn = mod.nn
    model = nn.Sequential(
        nn.Conv2d(1, 16, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 5), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(800, 128), nn.ReLU(), nn.Linear(128, 10))
    model.load_state_dict({k: mod.tensor(v) for k, v in weights.items()})
    optimizer = mod.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    data = [(mod.tensor(x), mod.tensor(y)) for x, y in batches]

    def step(i):
        x, y = data[i % len(data)]
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def _gemms_alone(np):
    """The GEMMs of groundup's step, with the shapes and layouts its convolutions use (the
    lowering plan of ops/conv_tuned.py) and the linear layers' GEMMs, and nothing else."""
    sys.path.insert(0, SRC)
    from groundup.ops import conv_tuned
    from groundup.ops.conv_args import conv_geometry

    rng = np.random.default_rng(1)

    def arr(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    calls = []  # (a, b) pairs: a @ b
    for xs, ws, pad, first in (((B, 1, 28, 28), (16, 1, 5, 5), 2, True),
                               ((B, 16, 14, 14), (32, 16, 5, 5), 0, False)):
        geo = conv_geometry("conv2d", xs, ws, (1, 1), ((pad, pad), (pad, pad)), (1, 1), 1)
        plan = conv_tuned.Plan(geo, conv_tuned.ROW_SHIFT_MIN_K)
        K = geo.C * geo.kw * (geo.kh // len(plan.starts))
        L = plan.L
        X, dy = arr(K + 1, plan.count * geo.Wo * B), arr(geo.O, L)
        dyT = dy.T if len(plan.starts) == 1 else np.ascontiguousarray(dy.T)
        for start in plan.starts:
            calls.append((arr(geo.O, K + 1), X[:, start:start + L]))  # forward
            calls.append((X[:, start:start + L], dyT))  # weight gradient (X_i @ dy^T)
        if not first:
            plan = conv_tuned.Plan(geo, conv_tuned.ROW_SHIFT_MIN_K_INPUT_GRAD)
            K = geo.C * geo.kw * (geo.kh // len(plan.starts))
            calls += [(arr(geo.O, K).T, dy)] * len(plan.starts)  # input gradient
    x1, x2, d1, d2 = arr(B, 800), arr(B, 128), arr(B, 128), arr(B, 10)
    w1, w2 = arr(128, 800), arr(10, 128)
    calls += [(x1, w1.T), (x2, w2.T), (d2.T, x2), (d2, w2), (d1.T, x1), (d1, w1)]

    def step(i):
        for a, b in calls:
            a @ b

    return step


# ------------------------------------------------------------- one process each
def _rss_bytes():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def worker(a):
    """Time one library in this process; print samples/s and memory growth as JSON."""
    harness.set_threads(a.threads)
    step = _make_step(a.worker, a.threads)
    before = _rss_bytes() if os.path.exists("/proc/self/statm") else 0
    rates = harness.time_blocks(step, B, a.warmup, a.blocks, a.steps)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: KiB
    print(json.dumps({"samples_per_s": statistics.median(rates), "blocks": rates,
                      "memory_growth": max(peak - before, 0)}))


def _spawn(lib, threads, a):
    env = dict(os.environ)
    if a.fast is not None:
        env["GROUNDUP_FAST"] = str(a.fast)
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", lib, "--threads", str(threads),
           "--steps", str(a.steps), "--blocks", str(a.blocks), "--warmup", str(a.warmup)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode:
        sys.exit(f"bench_cnn: the {lib} process failed:\n{out.stderr or out.stdout}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def separate(a):
    threads_list = [a.threads] if a.threads else [1, 2]
    print(f"reference CNN, batch {B}, float32, SGD momentum 0.9: each library in its own "
          f"process, {a.repeats} repeats of {a.blocks} blocks x {a.steps} steps after "
          f"{a.warmup} warm-up steps; {FLOPS / 1e6:.0f} MFLOP of GEMMs a step")
    for threads in threads_list:
        libs = ["groundup", "torch", "gemm"]
        got = {lib: [] for lib in libs}
        for r in range(a.repeats):
            for lib in (libs if r % 2 == 0 else libs[::-1]):
                got[lib].append(_spawn(lib, threads, a))
        sps = {lib: [g["samples_per_s"] for g in got[lib]] for lib in libs}
        med, lo, hi = harness.quartiles([g / t for g, t in zip(sps["groundup"], sps["torch"],
                                                       strict=True)])
        gu_sps, th_sps, gemm_sps = (statistics.median(sps[lib]) for lib in libs)
        print(f"threads={threads} groundup {gu_sps:8.0f} samples/s  pytorch {th_sps:8.0f}  "
              f"ratio {med:.2f}x (quartiles {lo:.2f}-{hi:.2f})", flush=True)
        step_s, gemm_s = B / gu_sps, B / gemm_sps
        print(f"threads={threads} groundup step {step_s * 1e3:.2f} ms: GEMMs alone "
              f"{gemm_s * 1e3:.2f} ms ({gemm_s / step_s:.0%} of the step); "
              f"{FLOPS / step_s / 1e9:.1f} GFLOP/s over the step, "
              f"{FLOPS / gemm_s / 1e9:.1f} GFLOP/s in the GEMMs alone", flush=True)
        mem = {lib: statistics.median(g["memory_growth"] for g in got[lib])
               for lib in ("groundup", "torch")}
        ratio = mem["groundup"] / mem["torch"] if mem["torch"] else float("nan")
        print(f"threads={threads} peak memory growth: groundup {mem['groundup'] / 2**20:.1f} "
              f"MiB, pytorch {mem['torch'] / 2**20:.1f} MiB ({ratio:.2f}x)", flush=True)


def profile(a):
    """cProfile of groundup's step: the functions with the largest own time."""
    harness.set_threads(a.threads or 1)
    harness.profile_step(_make_step("groundup", a.threads or 1), a.warmup, a.steps)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, help="one thread count (default: 1 and 2)")
    ap.add_argument("--steps", type=int, default=20, help="steps per timed block (20)")
    ap.add_argument("--blocks", type=int, default=5, help="timed blocks per process (5)")
    ap.add_argument("--warmup", type=int, default=10, help="warm-up steps per process (10)")
    ap.add_argument("--repeats", type=int, default=7, help="processes per library (7)")
    ap.add_argument("--fast", type=int, choices=(0, 1),
                    help="groundup's compiled path (the `fast` extra: numba) on or off "
                         "(default: on when installed); numba's import counts in the memory")
    ap.add_argument("--profile", action="store_true", help="cProfile groundup's step")
    ap.add_argument("--worker", choices=("groundup", "torch", "gemm"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.worker:
        worker(a)
    elif a.profile:
        profile(a)
    else:
        separate(a)


if __name__ == "__main__":
    main()
