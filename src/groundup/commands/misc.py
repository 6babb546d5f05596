"""`groundup list` (models, their recipes and every dataset) and `groundup demo xor`."""

import os

import numpy as np

import groundup as gu

from ..cli_common import CLIError

__all__ = ["cmd_list", "cmd_demo", "train_xor"]


def train_xor(hidden=8, epochs=2000, lr=0.5, seed=0, log_every=None, log=print):
    """Train a 2-hidden-1 network on XOR with raw tensor ops; hidden=0 means no hidden layer.

    Returns (params, predictions, final_loss). With no hidden layer the model is
    linear in its inputs and cannot separate XOR: the loss stays near log 2 = 0.693.
    """
    X = gu.tensor([[0, 0], [0, 1], [1, 0], [1, 1]], dtype="float32")
    y = gu.tensor([[0], [1], [1], [0]], dtype="float32")
    gu.manual_seed(seed)
    if hidden:
        params = [gu.randn(2, hidden, requires_grad=True), gu.zeros(hidden, requires_grad=True),
                  gu.randn(hidden, 1, requires_grad=True), gu.zeros(1, requires_grad=True)]
    else:
        params = [gu.randn(2, 1, requires_grad=True), gu.zeros(1, requires_grad=True)]

    def predict(x):
        if hidden:
            w1, b1, w2, b2 = params
            x = (x @ w1 + b1).tanh()
        else:
            w2, b2 = params
        return (x @ w2 + b2).sigmoid()

    for step in range(epochs + 1):
        p = predict(X)
        loss = -(y * p.log() + (1 - y) * (1 - p).log()).mean()
        for w in params:
            w.grad = None
        loss.backward()
        with gu.no_grad():
            for w in params:
                w.sub_(lr * w.grad)
        if log_every and step % log_every == 0:
            log(f"  step {step:5d}  loss {loss.item():.4f}")
    with gu.no_grad():
        p = predict(X)
    return params, predict, p.numpy().ravel(), loss.item()


def cmd_demo(args):
    if args.epochs < 1:
        raise CLIError(f"--epochs must be >= 1; got {args.epochs}")
    inputs = [(0, 0), (0, 1), (1, 0), (1, 1)]
    every = max(args.epochs // 5, 1)
    print("XOR with no hidden layer (a linear model: XOR is not linearly separable):")
    _, _, p0, loss0 = train_xor(hidden=0, epochs=args.epochs, log_every=every)
    for (a, b), q in zip(inputs, p0):
        print(f"  {a} xor {b} -> {q:.3f}   (target {a ^ b})")
    print(f"  final loss {loss0:.4f}: stuck near log 2 = 0.693, it cannot learn XOR\n")
    print("XOR with a hidden layer of 8 tanh units:")
    _, predict, p1, loss1 = train_xor(hidden=8, epochs=args.epochs, log_every=every)
    for (a, b), q in zip(inputs, p1):
        print(f"  {a} xor {b} -> {q:.3f}   (target {a ^ b})")
    solved = all((q > 0.5) == bool(a ^ b) for (a, b), q in zip(inputs, p1))
    print(f"  final loss {loss1:.4f}: {'solved' if solved else 'not solved'}")
    out = args.out or os.path.join("runs", "demo-xor")
    try:
        from ..viz import plot_decision_boundary
    except ImportError:
        return 0
    try:
        os.makedirs(out, exist_ok=True)
        X = np.array(inputs, dtype=np.float32)
        path = plot_decision_boundary(
            lambda x: predict(gu.tensor(x)).numpy(), X, np.array([0, 1, 1, 0]),
            os.path.join(out, "xor_boundary.png"),
        )
        print(f"decision boundary: {path}")
    except ImportError:
        pass
    return 0


def cmd_list(args):
    from .. import models
    from ..data import spec as data_spec

    print("models (default settings; `groundup train --help` lists every option):")
    for name in models.list_models():
        spec, recipe = models.get(name), models.recipes.get(name)
        print(f"  {name:11s} {spec.description}")
        print(f"  {'':11s}   data {recipe.data}, epochs {recipe.epochs}, batch_size "
              f"{recipe.batch_size}, {recipe.optimizer} lr {recipe.lr:g}, weight_decay "
              f"{recipe.weight_decay:g}, schedule {recipe.schedule}")
    print("datasets (--data):")
    for name, about in data_spec.NAMED.items():
        print(f"  {name:11s} {about}")
    for form, about in data_spec.FILE_FORMS.items():
        print(f"  {form:11s} {about}")
    return 0
