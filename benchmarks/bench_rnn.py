"""The reference recurrent training steps, groundup against PyTorch CPU, each in its own process.

Input (32, 50, 32) float32 batch-first; a 1-layer LSTM (or GRU) with hidden size 128 and a
zero initial state; its last time step -> Linear 128->10; cross-entropy; Adam, lr 1e-3. Both
libraries start from the same weights and step on the same 8 batches, with the same number
of threads.

Each repeat starts one process per contestant (groundup, PyTorch, and the step's GEMMs
alone), in an order that alternates from repeat to repeat; each process warms up, then
reports the median samples/s of its timed blocks. The ratio printed is the median over the
repeats of groundup / PyTorch within a repeat, with its quartiles. The GEMM line is the
floor of any NumPy implementation of the same algorithm: groundup's GEMMs alone (the same
shapes and layouts as ops/recurrent_lstm.py and recurrent_gru.py use: one per step forward,
one per step for dh, one or two over all steps for the weight gradients; the GRU's input
side as one batched GEMM), run back to back.

Targets (issue 16): LSTM at least 1.0x PyTorch at 1 thread and 0.85x at 2 threads; GRU at
least 1.4x at 1 and 2 threads.

    python benchmarks/bench_rnn.py                       # LSTM and GRU, 1 and 2 threads
    python benchmarks/bench_rnn.py --cell gru --threads 1 --repeats 15
    python benchmarks/bench_rnn.py --cell lstm --threads 1 --profile
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

import harness

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "src")
B, T, I, H, CLASSES = 32, 50, 32, 128, 10
GATES = {"lstm": 4, "gru": 3}


def _data(np, cell):
    """PyTorch-layout weights (names of the Model below) and 8 batches, the same everywhere."""
    rng = np.random.default_rng(0)
    G, bound = GATES[cell] * H, 1 / H**0.5
    shapes = {"rnn.weight_ih_l0": (G, I), "rnn.weight_hh_l0": (G, H), "rnn.bias_ih_l0": (G,),
              "rnn.bias_hh_l0": (G,), "fc.weight": (CLASSES, H), "fc.bias": (CLASSES,)}
    weights = {k: rng.uniform(-bound, bound, s).astype(np.float32) for k, s in shapes.items()}
    batches = [(rng.standard_normal((B, T, I), dtype=np.float32),
                rng.integers(0, CLASSES, B)) for _ in range(8)]
    return weights, batches


def _make_step(lib, cell, threads):
    """One training step of `lib` on batch i (cycling through the 8 batches)."""
    import numpy as np

    if lib == "gemm":
        return _gemms_alone(np, cell)
    weights, batches = _data(np, cell)
    if lib == "torch":
        import torch as mod

        mod.set_num_threads(threads)
    else:
        sys.path.insert(0, SRC)
        import groundup as mod

        if not hasattr(mod.nn, "LSTM"):
            sys.exit("bench_rnn: groundup.nn.LSTM is not there yet")
    nn = mod.nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = (nn.LSTM if cell == "lstm" else nn.GRU)(I, H, batch_first=True)
            self.fc = nn.Linear(H, CLASSES)

        def forward(self, x):
            out, _ = self.rnn(x)
            return self.fc(out[:, -1])

    model = Model()
    model.load_state_dict({k: mod.tensor(v) for k, v in weights.items()})
    optimizer = mod.optim.Adam(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()
    data = [(mod.tensor(x), mod.tensor(y)) for x, y in batches]

    def step(i):
        x, y = data[i % len(data)]
        loss = loss_fn(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()

    return step


def _gemms_alone(np, cell):
    """The GEMMs of groundup's step, with its shapes and layouts, and nothing else."""
    rng = np.random.default_rng(1)

    def arr(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    K = H + I + 1
    Z = arr(K, T + 1, B)  # [h; x; 1] per step
    if cell == "lstm":  # one GEMM per step over [h; x; 1]; dW over all steps at once
        W, dA = arr(4 * H, K), arr(4 * H, T, B)
        step_w, step_in, dh_w, dh_rows = W, slice(0, K), W[:, :H].T, slice(0, 4 * H)
        after = [(dA.reshape(4 * H, T * B), Z[:, :T].reshape(K, T * B).T)]
    else:  # input side batched before the loop; W_hh per step; dW_ih and dW_hh after
        Wx, W_hh, dA = arr(3 * H, I + 1), arr(3 * H, H), arr(4 * H, T, B)
        step_w, step_in, dh_w, dh_rows = W_hh, slice(0, H), W_hh.T, slice(H, 4 * H)
        dA2 = dA.reshape(4 * H, T * B)
        after = [(dA2[:3 * H], Z[H:, :T].reshape(I + 1, T * B).T),
                 (dA2[H:], Z[:H, :T].reshape(H, T * B).T)]
    s = np.empty((step_w.shape[0], B), np.float32)
    dh = np.empty((H, B), np.float32)

    def step(i):
        if cell == "gru":
            np.matmul(Wx, Z[H:, :T].transpose(1, 0, 2))
        for k in range(T):
            np.matmul(step_w, Z[step_in, k], out=s)
        for k in range(T - 1):
            np.matmul(dh_w, dA[dh_rows, k], out=dh)
        for a, b in after:
            a @ b

    return step


# ------------------------------------------------------------- one process each
def worker(a):
    """Time one library in this process; print samples/s as JSON."""
    harness.set_threads(a.threads)
    step = _make_step(a.worker, a.cell, a.threads)
    rates = harness.time_blocks(step, B, a.warmup, a.blocks, a.steps)
    print(json.dumps({"samples_per_s": statistics.median(rates), "blocks": rates}))


def _spawn(lib, cell, threads, a):
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", lib, "--cell", cell,
           "--threads", str(threads), "--steps", str(a.steps), "--blocks", str(a.blocks),
           "--warmup", str(a.warmup)]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode:
        sys.exit(f"bench_rnn: the {lib} process failed:\n{out.stderr or out.stdout}")
    return json.loads(out.stdout.strip().splitlines()[-1])["samples_per_s"]


def separate(a):
    cells = [a.cell] if a.cell else ["lstm", "gru"]
    threads_list = [a.threads] if a.threads else [1, 2]
    print(f"reference recurrent step: input ({B}, {T}, {I}) batch-first, hidden {H}, last step "
          f"-> Linear {H}->{CLASSES}, cross-entropy, Adam; each library in its own process, "
          f"{a.repeats} repeats of {a.blocks} blocks x {a.steps} steps after {a.warmup} warm-up "
          f"steps")
    for cell in cells:
        for threads in threads_list:
            libs = ["groundup", "torch", "gemm"]
            sps = {lib: [] for lib in libs}
            for r in range(a.repeats):
                for lib in (libs if r % 2 == 0 else libs[::-1]):
                    sps[lib].append(_spawn(lib, cell, threads, a))
            med, lo, hi = harness.quartiles([g / t for g, t in zip(sps["groundup"], sps["torch"],
                                                           strict=True)])
            gu_sps, th_sps, gemm_sps = (statistics.median(sps[lib]) for lib in libs)
            print(f"{cell} threads={threads} groundup {gu_sps:7.0f} samples/s "
                  f"({B / gu_sps * 1e3:.2f} ms/step)  pytorch {th_sps:7.0f} "
                  f"({B / th_sps * 1e3:.2f} ms)  ratio {med:.2f}x "
                  f"(quartiles {lo:.2f}-{hi:.2f})", flush=True)
            print(f"{cell} threads={threads} the step's GEMMs alone: {B / gemm_sps * 1e3:.2f} ms "
                  f"({gu_sps / gemm_sps:.0%} of groundup's step; a NumPy step of this algorithm "
                  f"reaches at most {gemm_sps / th_sps:.2f}x PyTorch)", flush=True)


def profile(a):
    """cProfile of groundup's step: the functions with the largest own time."""
    harness.set_threads(a.threads or 1)
    step = _make_step("groundup", a.cell or "lstm", a.threads or 1)
    harness.profile_step(step, a.warmup, a.steps)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--cell", choices=("lstm", "gru"), help="one cell (default: both)")
    ap.add_argument("--threads", type=int, help="one thread count (default: 1 and 2)")
    ap.add_argument("--steps", type=int, default=10, help="steps per timed block (10)")
    ap.add_argument("--blocks", type=int, default=5, help="timed blocks per process (5)")
    ap.add_argument("--warmup", type=int, default=5, help="warm-up steps per process (5)")
    ap.add_argument("--repeats", type=int, default=7, help="processes per library (7)")
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
