"""Text generation with and without the key/value cache: time per generated token.

A GPT (width 128, 4 layers, 4 heads, context 256, 65 tokens: the `groundup train gpt`
model at context 256) writes tokens after a prompt that fills the context to the point
where generation starts; each token is timed while the text is 192 to 256 tokens long, so
every step attends over a long context. With the cache a step reads the new token alone
and attends over the cached keys and values; without it a step reruns the model over the
whole text. Both paths draw the same tokens (same seed); the ratio is the speed-up.

Target: the cached path at least 5x faster per token at context 256.

    python benchmarks/bench_generate.py                  # 1 thread, 3 repeats
    python benchmarks/bench_generate.py --threads 2 --repeats 5
"""

import argparse
import json
import os
import statistics
import subprocess
import sys

from harness import set_threads

CONTEXT, PROMPT, NEW = 256, 192, 64


def worker(use_cache, repeats):
    import time

    import numpy as np

    import groundup as gu
    from groundup.models.gpt import GPT, GPTConfig

    gu.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=65, context=CONTEXT, width=128, layers=4, heads=4))
    prompt = np.random.default_rng(0).integers(0, 65, PROMPT)
    model.generate(prompt, 4, use_cache=use_cache, generator=0)  # warm up
    times, tokens = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = model.generate(prompt, NEW, use_cache=use_cache, generator=0)
        times.append((time.perf_counter() - t0) / NEW)
        tokens = out.tolist()
    return {"ms_per_token": 1e3 * statistics.median(times), "tokens": tokens}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--worker", choices=["cache", "nocache"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker == "cache", args.repeats)))
        return
    set_threads(args.threads)
    results = {}
    for kind in ("cache", "nocache"):
        out = subprocess.run([sys.executable, __file__, "--worker", kind, "--repeats",
                              str(args.repeats)], check=True, capture_output=True, text=True,
                             env=dict(os.environ))
        results[kind] = json.loads(out.stdout)
    same = results["cache"]["tokens"] == results["nocache"]["tokens"]
    cached, full = results["cache"]["ms_per_token"], results["nocache"]["ms_per_token"]
    print(f"GPT width 128, 4 layers, 4 heads, context {CONTEXT}: {NEW} tokens after a "
          f"{PROMPT}-token prompt, {args.threads} thread(s), median of {args.repeats}")
    print(f"  with the key/value cache   {cached:8.2f} ms/token")
    print(f"  without (whole text)       {full:8.2f} ms/token")
    print(f"  speed-up                   {full / cached:8.1f}x   (same tokens: {same})")


if __name__ == "__main__":
    main()
