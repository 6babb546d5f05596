"""Build the judge of generated digits: src/groundup/models/files/judge_digits.safetensors.

A LeNet (the zoo's, 8x8 input) trained on the bundled digits' training split (1,438
images) with a fixed seed, no label smoothing (its confidence is a reported figure) and
small random shifts of the images (one pixel at most, so slightly misplaced strokes of a
generated digit still read as that digit). Deterministic: the same file on every run on
the same machine. Prints the test accuracy (359 digits).

    python tools/build_judge.py [--out PATH] [--epochs N]
"""

import argparse
import os
import sys

import numpy as np

import groundup as gu
from groundup.data.datasets import load_digits
from groundup.models.judge import JUDGE_PATH
from groundup.models.lenet import LeNet, LeNetConfig


def shifted(X, rng):
    """Each image moved by -1, 0 or 1 pixel in each direction (zeros fill in)."""
    out = np.zeros_like(X)
    for i, (dy, dx) in enumerate(rng.integers(-1, 2, size=(len(X), 2))):
        src = X[i, 0, max(0, -dy):8 - max(0, dy), max(0, -dx):8 - max(0, dx)]
        out[i, 0, max(0, dy):max(0, dy) + src.shape[0], max(0, dx):max(0, dx) + src.shape[1]] \
            = src
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=JUDGE_PATH)
    parser.add_argument("--epochs", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    gu.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    X, y = load_digits(split="train", as_images=True)
    Xt, yt = load_digits(split="test", as_images=True)
    model = LeNet(LeNetConfig(input_shape=[1, 8, 8], num_classes=10))
    opt = gu.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=0.2)
    sched = gu.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)
    loss_fn = gu.nn.CrossEntropyLoss()
    for _ in range(args.epochs):
        model.train()
        order = rng.permutation(len(X))
        Xs = shifted(X, rng)
        for i in range(0, len(X), 64):
            idx = order[i:i + 64]
            loss = loss_fn(model(gu.tensor(Xs[idx])), gu.tensor(y[idx]))
            opt.zero_grad()
            loss.backward()
            opt.step()
        sched.step()
    model.eval()
    with gu.no_grad():
        acc = float((model(gu.tensor(Xt)).numpy().argmax(1) == yt).mean())
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    gu.save(model.state_dict(), args.out,
            metadata={"about": "judge of generated digits: LeNet on the bundled 8x8 digits",
                      "test_accuracy": round(acc, 4), "seed": args.seed,
                      "epochs": args.epochs})
    print(f"test accuracy {acc:.4f} ({len(yt)} digits) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
