"""A full MLP training step through gu.nn + gu.optim against PyTorch CPU, each in its own process.

MLP 784-512-256-10, batch 128, float32, softmax cross-entropy, Adam (lr 1e-3) or plain SGD
(lr 0.01), from the same weights on the same batches, with the same number of threads.

The reference figure times each library in a process of its own, as users run them: for
every cell (threads x optimizer), each repeat starts one process per contestant (groundup
with the compiled path, groundup without it, PyTorch, and for SGD two floors: the whole
step written by hand in NumPy, and the step's GEMMs alone; and the hand-written step with
the update folded into the weight-gradient GEMMs, which no `backward()`-then-`step()`
library can do: what that design change would gain),
in an order that rotates from repeat to repeat; each process warms up, then reports the
median samples/s of its timed blocks. The ratio printed is the median, over the repeats,
of groundup / PyTorch within the repeat (so drift in machine speed cancels), with its
quartiles. Eight cells: 1 and 2 threads x Adam and SGD x with and without the compiled
path (the `fast` extra; GROUNDUP_FAST=1 / 0), plus two floors against PyTorch's SGD step:
the SGD step by hand in NumPy (the same math with no framework, no checks and nothing
else: what any NumPy library's step can reach at most, and how much of it groundup
reaches), and the step's five GEMMs alone (what no NumPy step can pass).

Targets (issue 13): with the compiled path, at least 1.1x PyTorch in all four cells;
without it, at least min(1.0, 0.9 x floor) of the same thread count.

    python benchmarks/bench_train.py                         # the eight cells and the floor
    python benchmarks/bench_train.py --repeats 15 --threads 2 --opt adam
    python benchmarks/bench_train.py --in-process            # both libraries in one process
    python benchmarks/bench_train.py --digits-only           # `groundup train mlp`: one run
                                                             # alone and two started together

`--in-process` keeps the older figure: both libraries in one process, blocks alternating
with a pause before each (see README.md for why the two figures differ).
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "src")
B = 128
SIZES = (784, 512, 256, 10)


def _set_threads(n, fast=None):
    """Environment for a process about to import NumPy / PyTorch / groundup."""
    harness.set_threads(n)
    if fast is not None:
        os.environ["GROUNDUP_FAST"] = "1" if fast else "0"


def _data(np):
    """The weights (PyTorch's layout and names) and 8 batches, the same in every process."""
    rng = np.random.default_rng(0)
    weights = {}
    for i, (fan_in, fan_out) in enumerate(zip(SIZES[:-1], SIZES[1:], strict=True)):
        bound = 1 / fan_in**0.5
        weights[f"{2 * i}.weight"] = rng.uniform(-bound, bound, (fan_out, fan_in))
        weights[f"{2 * i}.bias"] = rng.uniform(-bound, bound, fan_out)
    weights = {k: v.astype(np.float32) for k, v in weights.items()}
    batches = [(rng.standard_normal((B, SIZES[0])).astype(np.float32),
                rng.integers(0, SIZES[-1], B)) for _ in range(8)]
    return weights, batches


def _stepper(model, optimizer, loss_fn, batches):
    """One training step on batch i (cycling through `batches`); same code for both libraries."""

    def step(i):
        x, y = batches[i % len(batches)]
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def _make_step(lib, opt, threads):
    """The training step of `lib`: "groundup", "torch", "gemm" (the five GEMMs alone),
    "numpy" (the whole SGD step written by hand in NumPy, no autograd) or "numpy-fold"
    (the same with the update folded into the weight-gradient GEMMs)."""
    import numpy as np

    weights, batches = _data(np)
    if lib == "gemm":
        return _gemm_only(np, weights, [x for x, _ in batches])
    if lib in ("numpy", "numpy-fold"):
        return _numpy_sgd(np, weights, batches, fold=lib == "numpy-fold")
    if lib == "torch":
        import torch as mod

        mod.set_num_threads(threads)
        nn = mod.nn
        tensor = mod.tensor
    else:
        sys.path.insert(0, SRC)
        import groundup as mod

        nn = mod.nn
        tensor = mod.tensor
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    model.load_state_dict({k: tensor(v) for k, v in weights.items()})
    if opt == "adam":
        optimizer = mod.optim.Adam(model.parameters(), lr=1e-3)
    else:
        optimizer = mod.optim.SGD(model.parameters(), lr=0.01)
    data = [(tensor(x), tensor(y)) for x, y in batches]
    return _stepper(model, optimizer, nn.CrossEntropyLoss(), data)


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


def _numpy_sgd(np, ws, batches, lr=0.01, fold=False):
    """The SGD step written out in NumPy with nothing but what the step must compute: the
    five GEMMs (outputs kept, as a step keeps them), bias adds, ReLU (np.clip against 0-d
    bounds: NumPy's fastest form) and its mask, softmax
    cross-entropy and its gradient, the bias gradients as GEMVs, and one BLAS axpy per
    parameter. No autograd, no checks: the most a NumPy library's SGD step can reach.

    fold=True: the weight-gradient GEMMs write the update into the weights themselves
    (BLAS gemm with alpha = -lr, beta = 1: W <- W - lr dy^T a), so the weight gradients
    are never stored and never read back. No library whose optimizer reads `.grad` after
    `backward()` can do this; it measures what such a design change would gain."""
    sys.path.insert(0, SRC)
    from groundup import blas  # only for its axpy (NumPy has none); imports NumPy alone
    from groundup.ops.conv_blas import gemm  # BLAS gemm with alpha and beta

    W1, b1, W2, b2, W3, b3 = (ws[k] for k in ("0.weight", "0.bias", "2.weight", "2.bias",
                                              "4.weight", "4.bias"))
    rows = np.arange(B)
    ones = np.ones(B, np.float32)
    zero, inf = np.zeros((), np.float32), np.asarray(np.inf, np.float32)  # clip's SIMD path

    def step(i):
        x, y = batches[i % len(batches)]
        z1 = x @ W1.T
        z1 += b1
        a1 = np.clip(z1, zero, inf)
        z2 = a1 @ W2.T
        z2 += b2
        a2 = np.clip(z2, zero, inf)
        o = a2 @ W3.T
        o += b3
        m = o.max(1, keepdims=True)
        e = np.exp(o - m)
        s = e.sum(1, keepdims=True)
        loss = np.mean(np.log(s[:, 0]) + m[:, 0] - o[rows, y])  # noqa: F841 (as a step has)
        g = e / s
        g[rows, y] -= 1
        g /= B
        if fold:  # each weight's update as soon as its input gradient is out
            d2 = g @ W3
            gemm(g.T, a2, W3, True, -lr)
            blas.axpy_(b3, -lr, ones @ g)
            d2 *= a2 != 0
            d1 = d2 @ W2
            gemm(d2.T, a1, W2, True, -lr)
            blas.axpy_(b2, -lr, ones @ d2)
            d1 *= a1 != 0
            gemm(d1.T, x, W1, True, -lr)
            blas.axpy_(b1, -lr, ones @ d1)
            return
        dW3, db3 = g.T @ a2, ones @ g
        d2 = g @ W3
        d2 *= a2 != 0
        dW2, db2 = d2.T @ a1, ones @ d2
        d1 = d2 @ W2
        d1 *= a1 != 0
        dW1, db1 = d1.T @ x, ones @ d1
        for p, dp in zip((W1, b1, W2, b2, W3, b3), (dW1, db1, dW2, db2, dW3, db3), strict=True):
            blas.axpy_(p, -lr, dp)

    return step


# ------------------------------------------------------------- one process each
def worker(a):
    """Time one contestant in this process; print its samples/s as one JSON line."""
    _set_threads(a.threads, None if a.worker != "groundup" else a.fast)
    step = _make_step(a.worker, a.opt, a.threads)
    for i in range(a.warmup):
        step(i)
    rates = []
    for _ in range(a.blocks):
        t0 = time.perf_counter()
        for i in range(a.steps):
            step(i)
        rates.append(B * a.steps / (time.perf_counter() - t0))
    print(json.dumps({"samples_per_s": statistics.median(rates), "blocks": rates}))


def _spawn(kind, threads, opt, a):
    lib, fast = kind
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", lib, "--threads", str(threads),
           "--opt", opt, "--steps", str(a.steps), "--blocks", str(a.blocks),
           "--warmup", str(a.warmup), "--fast", str(int(bool(fast)))]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["samples_per_s"]


def _fast_available():
    sys.path.insert(0, SRC)
    from groundup import kernels

    return kernels.available()


def separate(a):
    """The reference figure: every contestant in its own process, alternating."""
    fast_modes = (True, False) if _fast_available() else (False,)
    if len(fast_modes) == 1:
        print("numba is not installed: the cells with the compiled path are skipped "
              "(pip install 'groundup[fast]')")
    threads_list = [a.threads] if a.threads else [1, 2]
    opts = [a.opt] if a.opt else ["adam", "sgd"]
    print(f"MLP 784-512-256-10, batch {B}, float32: each library in its own process, "
          f"{a.repeats} repeats of {a.blocks} blocks x {a.steps} steps after {a.warmup} "
          f"warm-up steps")
    # compile / load the cached kernels once, outside the timing
    if True in fast_modes:
        _spawn(("groundup", True), 1, "adam", argparse.Namespace(steps=1, blocks=1, warmup=2))
    for threads in threads_list:
        for opt in opts:
            kinds = [("groundup", f) for f in fast_modes] + [("torch", None)]
            if opt == "sgd":
                kinds += [("numpy", None), ("numpy-fold", None), ("gemm", None)]
            got = {k: [] for k in kinds}
            for r in range(a.repeats):
                order = kinds[r % len(kinds):] + kinds[:r % len(kinds)]
                for kind in (order if r % 2 == 0 else order[::-1]):
                    got[kind].append(_spawn(kind, threads, opt, a))
            torch_sps = got[("torch", None)]
            for kind in kinds:
                if kind[0] in ("torch", "numpy", "numpy-fold", "gemm"):
                    continue
                ratios = [g / t for g, t in zip(got[kind], torch_sps, strict=True)]
                med, lo, hi = harness.quartiles(ratios)
                label = {("groundup", True): "groundup, compiled path",
                         ("groundup", False): "groundup, NumPy reference"}[kind]
                print(f"threads={threads} {opt:4s} {label:26s} "
                      f"{statistics.median(got[kind]):9.0f} samples/s  pytorch "
                      f"{statistics.median(torch_sps):9.0f}  ratio {med:.2f}x "
                      f"(quartiles {lo:.2f}-{hi:.2f})", flush=True)
            if opt == "sgd":
                ratios = [g / t for g, t in zip(got[("numpy", None)], torch_sps, strict=True)]
                med, lo, hi = harness.quartiles(ratios)
                mine = [g / n for g, n in zip(got[("groundup", fast_modes[0])],
                                              got[("numpy", None)], strict=True)]
                print(f"threads={threads} floor: the SGD step by hand in NumPy "
                      f"{statistics.median(got[('numpy', None)]):9.0f} samples/s against "
                      f"PyTorch's: {med:.2f}x (quartiles {lo:.2f}-{hi:.2f}); groundup reaches "
                      f"{harness.quartiles(mine)[0]:.0%} of it", flush=True)
                ratios = [g / t for g, t in zip(got[("numpy-fold", None)], torch_sps,
                                                strict=True)]
                med, lo, hi = harness.quartiles(ratios)
                print(f"threads={threads} the same with the update folded into the "
                      f"weight-gradient GEMMs {statistics.median(got[('numpy-fold', None)]):9.0f}"
                      f" samples/s: {med:.2f}x (quartiles {lo:.2f}-{hi:.2f})", flush=True)
                ratios = [g / t for g, t in zip(got[("gemm", None)], torch_sps, strict=True)]
                med, lo, hi = harness.quartiles(ratios)
                print(f"threads={threads} floor: the step's 5 GEMMs alone "
                      f"{statistics.median(got[('gemm', None)]):9.0f} samples/s against "
                      f"PyTorch's SGD step: {med:.2f}x (quartiles {lo:.2f}-{hi:.2f}); "
                      f"target without the compiled path: {min(1.0, 0.9 * med):.2f}x",
                      flush=True)


# ------------------------------------------------------------- one process for both
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
    pairs = sorted(t / g for g, t in zip(*times, strict=True))
    n = len(pairs)
    return med, pairs[n // 2], pairs[n // 4], pairs[(3 * n) // 4]


def in_process(threads, a):
    """The older figure: both libraries in this process, blocks alternating."""
    _set_threads(threads, a.fast)
    opts = [a.opt] if a.opt else ["adam", "sgd"]
    for opt in opts:
        steps = {lib: _make_step(lib, opt, threads) for lib in ("groundup", "torch")}
        med, ratio, lo, hi = _compare(steps["groundup"], steps["torch"], a.steps, a.repeats,
                                      a.cooldown)
        print(f"in-process threads={threads} {opt:4s} compiled={'on' if a.fast else 'off'} "
              f"groundup {B / med[0]:9.0f} samples/s  pytorch {B / med[1]:9.0f} samples/s  "
              f"ratio {ratio:.2f}x (quartiles {lo:.2f}-{hi:.2f})", flush=True)
        if opt == "sgd" and a.floor:
            med, ratio, lo, hi = _compare(_make_step("gemm", opt, threads), steps["torch"],
                                          a.steps, a.repeats, a.cooldown)
            print(f"in-process threads={threads} floor: the step's 5 GEMMs alone "
                  f"{B / med[0]:9.0f} samples/s: PyTorch's SGD step / GEMMs alone = "
                  f"{ratio:.2f}x (quartiles {lo:.2f}-{hi:.2f})", flush=True)


# ------------------------------------------------------------- groundup train mlp
def _train_mlp(out, env):
    cmd = [sys.executable, "-m", "groundup", "train", "mlp", "--out", out, "--no-progress"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env,
                            cwd=os.path.join(HERE, ".."))


def time_digits(repeats=3):
    """`groundup train mlp` alone, and two of them started together (default threads)."""
    env = dict(os.environ, PYTHONPATH=SRC)
    for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
                "GROUNDUP_NUM_THREADS"):
        env.pop(var, None)
    alone, together = [], []
    for r in range(repeats):
        t0 = time.perf_counter()
        _train_mlp(f"/tmp/bench-digits-{r}", env).wait()
        alone.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        procs = [_train_mlp(f"/tmp/bench-digits-{r}-{k}", env) for k in range(2)]
        ends = []
        for p in procs:
            p.wait()
            ends.append(time.perf_counter() - t0)
        together.append(max(ends))
    a, t = statistics.median(alone), statistics.median(together)
    print(f"groundup train mlp (digits): {a:.2f} s alone; two started together: {t:.2f} s "
          f"({t / a:.2f}x; target <= 1.5x)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, help="one thread count (default: 1 and 2)")
    ap.add_argument("--opt", choices=("adam", "sgd"), help="one optimizer (default: both)")
    ap.add_argument("--steps", type=int, default=30, help="steps per timed block (30)")
    ap.add_argument("--blocks", type=int, default=5, help="timed blocks per process (5)")
    ap.add_argument("--warmup", type=int, default=20, help="warm-up steps per process (20)")
    ap.add_argument("--repeats", type=int, default=9,
                    help="processes per contestant and cell (9); in-process: block pairs")
    ap.add_argument("--in-process", action="store_true",
                    help="both libraries in one process (the older figure)")
    ap.add_argument("--fast", type=int, choices=(0, 1), default=1,
                    help="in-process / worker: groundup's compiled path on (1) or off (0)")
    ap.add_argument("--floor", action="store_true", help="in-process: also the GEMMs alone")
    ap.add_argument("--cooldown", type=float, default=0.25,
                    help="in-process: seconds of sleep before each timed block (0.25)")
    ap.add_argument("--digits", action="store_true",
                    help="also time `groundup train mlp` alone and two runs together")
    ap.add_argument("--digits-only", action="store_true",
                    help="only time `groundup train mlp` alone and two runs together")
    ap.add_argument("--worker", choices=("groundup", "torch", "gemm", "numpy", "numpy-fold"),
                    help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.digits_only:
        time_digits(max(1, min(a.repeats, 5)))
        return
    if a.worker:
        worker(a)
    elif a.in_process and a.threads:
        in_process(a.threads, a)
    elif a.in_process:  # each thread count in a fresh process (thread pools start once)
        for n in (1, 2):
            subprocess.run([sys.executable, os.path.abspath(__file__), "--in-process",
                            "--threads", str(n), "--steps", str(a.steps), "--repeats",
                            str(a.repeats), "--cooldown", str(a.cooldown), "--fast",
                            str(a.fast)] + (["--floor"] if a.floor else [])
                           + (["--opt", a.opt] if a.opt else []), check=True)
    else:
        separate(a)
    if a.digits:
        time_digits()


if __name__ == "__main__":
    main()
