"""Core benchmark: groundup against PyTorch CPU, same process, same thread count, float32.

(a) per-op overhead: forward + backward of a chain of N alternating add and mul
    ops on a 1-element tensor, in microseconds per op (what the engine, Tensor
    and Function.apply cost when the arithmetic itself is free);
(b) MLP 784-512-256-10, batch 128, softmax cross-entropy written with raw tensor
    ops (matmul, add, relu, log_softmax, integer-array indexing, mean), forward +
    backward only (no optimizer), in samples/s.

Each number is the median of several repeats after a warm-up; the two libraries
alternate repeats, so background load hits both alike.

    python benchmarks/bench_core.py                 # 1 thread
    python benchmarks/bench_core.py --threads 2
    python benchmarks/bench_core.py --part overhead --chain 1000 --repeats 15
"""

import argparse
import os
import sys


def _parse():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--threads", type=int, default=1, help="BLAS/OpenMP threads for both (1)")
    p.add_argument("--part", choices=("all", "overhead", "mlp"), default="all")
    p.add_argument("--chain", type=int, default=1000, help="ops in the overhead chain (1000)")
    p.add_argument("--batch", type=int, default=128, help="MLP batch size (128)")
    p.add_argument("--repeats", type=int, default=9, help="timed repeats per library (9)")
    p.add_argument("--steps", type=int, default=10, help="MLP steps per repeat (10)")
    p.add_argument("--cooldown", type=float, default=0.25,
                   help="seconds of sleep before each timed repeat (0.25)")
    p.add_argument("--profile", action="store_true",
                   help="cProfile the groundup side of the chosen part instead of comparing")
    return p.parse_args()


ARGS = _parse()
# thread counts must be fixed before NumPy / PyTorch load their BLAS
for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
            "VECLIB_MAXIMUM_THREADS", "NUMEXPR_NUM_THREADS"):
    os.environ[var] = str(ARGS.threads)

import time  # noqa: E402

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
import groundup as gu  # noqa: E402

try:
    import torch  # noqa: E402
except ImportError:  # pragma: no cover - the benchmark needs the reference
    sys.exit("bench_core.py compares against PyTorch: pip install torch")

torch.set_num_threads(ARGS.threads)


def _median_alternating(fns, repeats, warmup=2):
    """Median seconds of each callable, alternating them (and their order) so load affects
    all alike."""
    for fn in fns:
        for _ in range(warmup):
            fn()
    times = [[] for _ in fns]
    for r in range(repeats):
        for k in range(len(fns))[:: 1 if r % 2 else -1]:
            fn = fns[k]
            # Let the other library's thread pool go idle first: OpenBLAS's workers spin
            # for tens of ms after a threaded GEMM and would steal a core from PyTorch's.
            time.sleep(ARGS.cooldown)
            t0 = time.perf_counter()
            fn()
            times[k].append(time.perf_counter() - t0)
    return [float(np.median(t)) for t in times]


# ------------------------------------------------------------ (a) overhead
def _chain_runner(lib, n):
    x = lib.tensor([1.0], requires_grad=True)
    c = lib.tensor([1.0001])

    def run():
        x.grad = None
        y = x
        for i in range(n):
            y = y * c if i & 1 else y + c
        y.backward()

    return run


def bench_overhead(n, repeats):
    g, t = _median_alternating([_chain_runner(gu, n), _chain_runner(torch, n)], repeats)
    g_us, t_us = g / n * 1e6, t / n * 1e6
    print(f"(a) per-op overhead, chain of {n} add/mul on a 1-element tensor, forward+backward")
    print(f"    groundup {g_us:7.2f} us/op   pytorch {t_us:7.2f} us/op   "
          f"speed ratio torch_us/groundup_us = {t_us / g_us:.2f} (>1: groundup faster; "
          f"target >= 1.0, i.e. at most PyTorch's overhead)")
    return g_us, t_us


# ----------------------------------------------------------------- (b) MLP
SIZES = (784, 512, 256, 10)


def _mlp_params(seed=0):
    rng = np.random.default_rng(seed)
    params = []
    for fan_in, fan_out in zip(SIZES[:-1], SIZES[1:], strict=True):
        bound = 1 / np.sqrt(fan_in)
        params.append(rng.uniform(-bound, bound, (fan_in, fan_out)).astype(np.float32))
        params.append(rng.uniform(-bound, bound, (fan_out,)).astype(np.float32))
    return params


def _mlp_runner(lib, batch, steps):
    rng = np.random.default_rng(1)
    x_np = rng.standard_normal((batch, SIZES[0])).astype(np.float32)
    y_np = rng.integers(0, SIZES[-1], batch)
    if lib is gu:
        params = [gu.tensor(p, requires_grad=True) for p in _mlp_params()]
        x, y, rows = gu.tensor(x_np), gu.tensor(y_np), gu.arange(batch)
    else:
        params = [torch.tensor(p, requires_grad=True) for p in _mlp_params()]
        x, y, rows = torch.tensor(x_np), torch.tensor(y_np), torch.arange(batch)
    w1, b1, w2, b2, w3, b3 = params

    def step():
        for p in params:
            p.grad = None
        h = (x @ w1 + b1).relu()
        h = (h @ w2 + b2).relu()
        logp = (h @ w3 + b3).log_softmax(-1)
        loss = -logp[rows, y].mean()
        loss.backward()
        return loss

    def run():
        for _ in range(steps):
            step()

    return run, step, params


def check_mlp_agrees(batch):
    """Same loss and gradients from both (so the timing compares the same work)."""
    _, g_step, g_params = _mlp_runner(gu, batch, 1)
    _, t_step, t_params = _mlp_runner(torch, batch, 1)
    gl, tl = g_step().item(), t_step().item()
    assert abs(gl - tl) < 1e-4 * max(1.0, abs(tl)), (gl, tl)
    for gp, tp in zip(g_params, t_params, strict=True):
        np.testing.assert_allclose(gp.grad.numpy(), tp.grad.numpy(), rtol=1e-3, atol=1e-5)


def bench_mlp(batch, steps, repeats):
    check_mlp_agrees(batch)
    g_run = _mlp_runner(gu, batch, steps)[0]
    t_run = _mlp_runner(torch, batch, steps)[0]
    g, t = _median_alternating([g_run, t_run], repeats)
    g_sps, t_sps = batch * steps / g, batch * steps / t
    print(f"(b) MLP 784-512-256-10, batch {batch}, forward+backward (no optimizer)")
    print(f"    groundup {g_sps:9.0f} samples/s   pytorch {t_sps:9.0f} samples/s   "
          f"ratio groundup/torch = {g_sps / t_sps:.2f} (target >= 1.0)")
    return g_sps, t_sps


def profile(part):
    import cProfile
    import pstats

    if part in ("all", "overhead"):
        run = _chain_runner(gu, ARGS.chain)
    else:
        run = _mlp_runner(gu, ARGS.batch, ARGS.steps)[0]
    run()
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(ARGS.repeats):
        run()
    prof.disable()
    pstats.Stats(prof).sort_stats("tottime").print_stats(20)


def main():
    print(f"groundup {gu.__version__}, numpy {np.__version__}, torch {torch.__version__}, "
          f"threads {ARGS.threads}, float32")
    if ARGS.profile:
        profile(ARGS.part)
        return
    if ARGS.part in ("all", "overhead"):
        bench_overhead(ARGS.chain, ARGS.repeats)
    if ARGS.part in ("all", "mlp"):
        bench_mlp(ARGS.batch, ARGS.steps, ARGS.repeats)


if __name__ == "__main__":
    main()
