"""Full training step of an MLP through gu.nn + gu.optim, against PyTorch CPU in the same process.

MLP 784-512-256-10, batch 128, float32, softmax cross-entropy, Adam (lr 1e-3) and plain
SGD (lr 0.01). Both libraries start from the same weights and see the same batches, with
the same number of threads. Prints samples/s and the groundup/PyTorch ratio (> 1 means
groundup is faster), as the median and quartiles of the ratios of adjacent timed blocks.
Target (issue): ratio >= 1.3 at 1 and 2 threads, for Adam and SGD.

    python benchmarks/bench_train.py                 # 1 and 2 threads, each in a subprocess
    python benchmarks/bench_train.py --threads 2     # one thread count, in this process
    python benchmarks/bench_train.py --floor         # also: the step's GEMMs alone vs PyTorch
    python benchmarks/bench_train.py --digits        # also time `groundup train mlp`
"""

import argparse
import os
import subprocess
import sys
import time


def _set_threads(n):
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[var] = str(n)


def _stepper(model, optimizer, loss_fn, batches):
    """One training step on batch i (cycling through `batches`); same code for both libraries."""

    def step(i):
        x, y = batches[i % len(batches)]
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def _compare(gu_step, torch_step, steps, repeats, cooldown):
    """Median seconds per step of each, and the median and quartiles of the per-pair ratio
    torch / groundup over `repeats` adjacent pairs of `steps`-step blocks."""
    for fn in (gu_step, torch_step):  # warm-up
        for i in range(10):
            fn(i)
    times = ([], [])
    for r in range(repeats):  # interleave so both see the same machine state
        for k in (0, 1)[:: 1 if r % 2 else -1]:
            fn = (gu_step, torch_step)[k]
            # Let the other library's thread pool go idle first: OpenBLAS's workers spin
            # for tens of ms after a threaded GEMM and would steal a core from PyTorch's.
            time.sleep(cooldown)
            t0 = time.perf_counter()
            for i in range(steps):
                fn(i)
            times[k].append((time.perf_counter() - t0) / steps)
    med = [sorted(t)[len(t) // 2] for t in times]
    # the ratio of each adjacent pair of blocks, so that drift in machine speed cancels
    pairs = sorted(t / g for g, t in zip(*times, strict=True))
    n = len(pairs)
    return med, pairs[n // 2], pairs[n // 4], pairs[(3 * n) // 4]


def _gemm_only(np, ws, xs):
    """The five GEMMs of the step (forward, weight gradients, input gradients but the
    first layer's) on the model's weights, and nothing else: a lower bound on any NumPy
    version of the step."""
    W1, W2, W3 = ws["0.weight"], ws["2.weight"], ws["4.weight"]
    g3 = np.full((xs[0].shape[0], W3.shape[0]), 1e-3, np.float32)

    def step(i):
        x = xs[i % len(xs)]
        h1 = x @ W1.T
        h2 = h1 @ W2.T
        h2 @ W3.T
        g3.T @ h2
        d2 = g3 @ W3
        d2.T @ h1
        d1 = d2 @ W2
        d1.T @ x

    return step


def run(threads, steps, repeats, cooldown=0.25, floor=False):
    _set_threads(threads)
    import numpy as np
    import torch

    import groundup as gu
    from groundup import nn

    torch.set_num_threads(threads)
    B = 128
    rng = np.random.default_rng(0)
    batches = [(rng.standard_normal((B, 784)).astype(np.float32),
                rng.integers(0, 10, B)) for _ in range(8)]

    def gu_model():
        gu.manual_seed(0)
        return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                             nn.Linear(256, 10))

    def torch_model(src):
        m = torch.nn.Sequential(torch.nn.Linear(784, 512), torch.nn.ReLU(),
                                torch.nn.Linear(512, 256), torch.nn.ReLU(),
                                torch.nn.Linear(256, 10))
        m.load_state_dict({k: torch.tensor(v) for k, v in src.state_dict().items()})
        return m

    results = {}
    for opt_name in ("adam", "sgd"):
        g = gu_model()
        t = torch_model(g)
        if opt_name == "adam":
            gopt = gu.optim.Adam(g.parameters(), lr=1e-3)
            topt = torch.optim.Adam(t.parameters(), lr=1e-3)
        else:
            gopt = gu.optim.SGD(g.parameters(), lr=0.01)
            topt = torch.optim.SGD(t.parameters(), lr=0.01)
        gu_step = _stepper(g, gopt, nn.CrossEntropyLoss(),
                           [(gu.tensor(x), gu.tensor(y)) for x, y in batches])
        torch_step = _stepper(t, topt, torch.nn.CrossEntropyLoss(),
                              [(torch.tensor(x), torch.tensor(y)) for x, y in batches])

        med, ratio, lo, hi = _compare(gu_step, torch_step, steps, repeats, cooldown)
        results[opt_name] = (B / med[0], B / med[1])
        print(f"threads={threads} {opt_name:4s}  groundup {B / med[0]:9.0f} samples/s  "
              f"pytorch {B / med[1]:9.0f} samples/s  ratio {ratio:.2f}x "
              f"(quartiles {lo:.2f}-{hi:.2f})", flush=True)
        if opt_name == "sgd" and floor:
            ws = {k: v.copy() for k, v in g.state_dict().items()}
            gemms = _gemm_only(np, ws, [x for x, _ in batches])
            med, ratio, lo, hi = _compare(gemms, torch_step, steps, repeats, cooldown)
            print(f"threads={threads} floor the step's 5 GEMMs alone (NumPy, no other work) "
                  f"{B / med[0]:9.0f} samples/s: PyTorch's SGD step / GEMMs alone = "
                  f"{ratio:.2f}x (quartiles {lo:.2f}-{hi:.2f}), the most any NumPy step "
                  f"could reach", flush=True)
    return results


def time_digits():
    t0 = time.perf_counter()
    cmd = [sys.executable, "-m", "groundup", "train", "mlp", "--out", "/tmp/bench-digits",
           "--no-progress"]
    out = subprocess.run(cmd, capture_output=True, text=True)
    wall = time.perf_counter() - t0
    last = [line for line in out.stdout.splitlines() if "test" in line.lower()]
    print(f"groundup train mlp (digits): {wall:.1f} s wall; {last[-1] if last else out.stderr}")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int)
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--cooldown", type=float, default=0.25,
                    help="seconds of sleep before each timed block (default 0.25)")
    ap.add_argument("--floor", action="store_true",
                    help="also time the step's GEMMs alone against PyTorch's SGD step")
    ap.add_argument("--digits", action="store_true")
    a = ap.parse_args()
    if a.threads:
        run(a.threads, a.steps, a.repeats, a.cooldown, a.floor)
    else:
        for n in (1, 2):
            subprocess.run([sys.executable, __file__, "--threads", str(n), "--steps", str(a.steps),
                            "--repeats", str(a.repeats), "--cooldown", str(a.cooldown)]
                           + (["--floor"] if a.floor else []),
                           check=True)
    if a.digits:
        time_digits()


if __name__ == "__main__":
    main()
