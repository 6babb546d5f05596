"""The reference Transformer training step, groundup against PyTorch CPU, each in its own process.

Input (32, 64, 128) float32 batch-first; nn.TransformerEncoder of 2 pre-LayerNorm encoder
layers (d_model 128, 4 heads, feed-forward 512, ReLU, dropout 0) with a final LayerNorm; the
mean over the sequence; Linear 128->10; cross-entropy; Adam, lr 1e-3. Both libraries start
from the same weights (PyTorch's state-dict names) and step on the same 8 batches, with the
same number of threads.

Each repeat starts one process per contestant (groundup, PyTorch, and the step's GEMMs
alone), in an order that alternates from repeat to repeat; each process warms up, then
reports the median samples/s of its timed blocks. The ratio printed is the median over the
repeats of groundup / PyTorch within a repeat, with its quartiles. The GEMM line is a floor
for any NumPy implementation of the same algorithm: the step's GEMMs alone (the four
projections of each layer forward, their weight and input gradients, and the per-head
attention products on strided views as ops/attention.py runs them), back to back.

Target (issue 17): at least 1.0x PyTorch's nn.TransformerEncoder at 1 and at 2 threads.

    python benchmarks/bench_transformer.py                    # 1 and 2 threads, 7 repeats
    python benchmarks/bench_transformer.py --threads 1 --repeats 15
    python benchmarks/bench_transformer.py --threads 1 --profile
    python benchmarks/bench_transformer.py --threads 2 --halves 1   # attention over batch halves
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
B, T, D, HEADS, FF, LAYERS, CLASSES = 32, 64, 128, 4, 512, 2, 10


def _shapes():
    """The model's parameters: PyTorch's names and shapes."""
    shapes = {}
    for i in range(LAYERS):
        p = f"encoder.layers.{i}."
        shapes.update({p + "self_attn.in_proj_weight": (3 * D, D),
                       p + "self_attn.in_proj_bias": (3 * D,),
                       p + "self_attn.out_proj.weight": (D, D),
                       p + "self_attn.out_proj.bias": (D,),
                       p + "linear1.weight": (FF, D), p + "linear1.bias": (FF,),
                       p + "linear2.weight": (D, FF), p + "linear2.bias": (D,),
                       p + "norm1.weight": (D,), p + "norm1.bias": (D,),
                       p + "norm2.weight": (D,), p + "norm2.bias": (D,)})
    shapes.update({"encoder.norm.weight": (D,), "encoder.norm.bias": (D,),
                   "head.weight": (CLASSES, D), "head.bias": (CLASSES,)})
    return shapes


def _data(np):
    """Weights and 8 batches, the same in every process."""
    rng = np.random.default_rng(0)
    weights = {}
    for name, shape in _shapes().items():
        if name.endswith(("norm1.weight", "norm2.weight", "norm.weight")):
            weights[name] = np.ones(shape, np.float32)
        elif len(shape) == 1:
            weights[name] = np.zeros(shape, np.float32)
        else:
            bound = (6 / sum(shape)) ** 0.5
            weights[name] = rng.uniform(-bound, bound, shape).astype(np.float32)
    batches = [(rng.standard_normal((B, T, D), dtype=np.float32),
                rng.integers(0, CLASSES, B)) for _ in range(8)]
    return weights, batches


def _make_step(lib, threads):
    """One training step of `lib` on batch i (cycling through the 8 batches)."""
    import numpy as np

    if lib == "gemm":
        return _gemms_alone(np)
    weights, batches = _data(np)
    if lib == "torch":
        import torch as mod

        mod.set_num_threads(threads)
    else:
        sys.path.insert(0, SRC)
        import groundup as mod
    nn = mod.nn

    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            layer = nn.TransformerEncoderLayer(D, HEADS, FF, dropout=0.0, batch_first=True,
                                               norm_first=True)
            self.encoder = nn.TransformerEncoder(layer, LAYERS, norm=nn.LayerNorm(D),
                                                 enable_nested_tensor=False)
            self.head = nn.Linear(D, CLASSES)

        def forward(self, x):
            return self.head(self.encoder(x).mean(dim=1))

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


def _gemms_alone(np):
    """The step's GEMMs with groundup's shapes and layouts, and nothing else."""
    rng = np.random.default_rng(1)

    def arr(*shape):
        return rng.standard_normal(shape).astype(np.float32)

    N, dh = B * T, D // HEADS
    calls = []  # (a, b) pairs: a @ b
    for _ in range(LAYERS):
        for fan_in, fan_out in ((D, 3 * D), (D, D), (D, FF), (FF, D)):
            x, w, dy = arr(N, fan_in), arr(fan_out, fan_in), arr(N, fan_out)
            calls += [(x, w.T), (dy.T, x), (dy, w)]  # forward, weight and input gradients
        qkv = arr(B, T, 3, HEADS, dh)
        q, k, v = (qkv[:, :, j].transpose(0, 2, 1, 3) for j in range(3))
        p, do = arr(B, HEADS, T, T), arr(B, HEADS, T, dh)
        calls += [(q, k.swapaxes(-1, -2)), (p, v), (p.swapaxes(-1, -2), do),
                  (do, v.swapaxes(-1, -2)), (p, k), (p.swapaxes(-1, -2), q)]
    x, w = arr(B, D), arr(CLASSES, D)
    calls += [(x, w.T), (arr(CLASSES, B), x), (arr(B, CLASSES), w)]

    def step(i):
        for a, b in calls:
            np.matmul(a, b)

    return step


# ------------------------------------------------------------- one process each
def worker(a):
    """Time one library in this process; print its samples/s as JSON."""
    harness.set_threads(a.threads)
    step = _make_step(a.worker, a.threads)
    rates = harness.time_blocks(step, B, a.warmup, a.blocks, a.steps)
    print(json.dumps({"samples_per_s": statistics.median(rates), "blocks": rates}))


def _spawn(lib, threads, a):
    env = dict(os.environ)
    if a.fast is not None:
        env["GROUNDUP_FAST"] = str(a.fast)
    if a.halves is not None:
        env["GROUNDUP_ATTENTION_HALVES"] = str(a.halves)
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", lib, "--threads", str(threads),
           "--steps", str(a.steps), "--blocks", str(a.blocks), "--warmup", str(a.warmup)]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if out.returncode:
        sys.exit(f"bench_transformer: the {lib} process failed:\n{out.stderr or out.stdout}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def separate(a):
    threads_list = [a.threads] if a.threads else [1, 2]
    print(f"reference Transformer encoder, batch {B}, seq {T}, d_model {D}, {HEADS} heads, "
          f"ff {FF}, {LAYERS} pre-norm layers, float32, Adam: each library in its own process, "
          f"{a.repeats} repeats of {a.blocks} blocks x {a.steps} steps after {a.warmup} "
          f"warm-up steps")
    for threads in threads_list:
        libs = ["groundup", "torch", "gemm"]
        got = {lib: [] for lib in libs}
        for r in range(a.repeats):
            for lib in (libs if r % 2 == 0 else libs[::-1]):
                got[lib].append(_spawn(lib, threads, a)["samples_per_s"])
        med, lo, hi = harness.quartiles([g / t for g, t in zip(got["groundup"], got["torch"],
                                                       strict=True)])
        gu_sps, th_sps, gemm_sps = (statistics.median(got[lib]) for lib in libs)
        print(f"threads={threads} groundup {gu_sps:7.0f} samples/s  pytorch {th_sps:7.0f}  "
              f"ratio {med:.2f}x (quartiles {lo:.2f}-{hi:.2f})", flush=True)
        step_s, gemm_s = B / gu_sps, B / gemm_sps
        print(f"threads={threads} groundup step {step_s * 1e3:.1f} ms: GEMMs alone "
              f"{gemm_s * 1e3:.1f} ms ({gemm_s / step_s:.0%} of the step)", flush=True)


def profile(a):
    """cProfile of groundup's step: the functions with the largest own time."""
    harness.set_threads(a.threads or 1)
    harness.profile_step(_make_step("groundup", a.threads or 1), a.warmup, a.steps)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--threads", type=int, help="one thread count (default: 1 and 2)")
    ap.add_argument("--steps", type=int, default=10, help="steps per timed block (10)")
    ap.add_argument("--blocks", type=int, default=5, help="timed blocks per process (5)")
    ap.add_argument("--warmup", type=int, default=5, help="warm-up steps per process (5)")
    ap.add_argument("--repeats", type=int, default=7, help="processes per library (7)")
    ap.add_argument("--fast", type=int, choices=(0, 1),
                    help="groundup's compiled path (the `fast` extra: numba) on or off "
                         "(default: on when installed)")
    ap.add_argument("--halves", type=int, choices=(0, 1),
                    help="at 2+ threads, attention over batch halves in two threads (1) or "
                         "the whole batch in one (0, the default)")
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
