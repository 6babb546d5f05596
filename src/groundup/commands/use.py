"""`groundup eval` and `groundup predict`: a trained run on test data or on new inputs.

Both use the run's best model (best.safetensors) when it has one, else the last
(`--checkpoint last` picks the last), and say which. Inputs are raw, in the units
of the training data (digits pixels 0-16, your CSV's values): the input scaling
saved with the run is applied to them.
"""

import os
import sys

import numpy as np

from ..cli_common import CLIError
from . import tasks
from .runs import load_run

__all__ = ["cmd_eval", "cmd_predict"]


def _which(path, kind, meta):
    extra = meta.get("extra") or {}
    best = extra.get("best") or {}
    epoch = meta.get("epoch")
    if kind == "best":
        figure = f", {best['monitor']} {best['value']:.4f}" if best.get("value") is not None \
            else ""
        return f"the best model ({path}: epoch {epoch}{figure})"
    return f"the last model ({path}: epoch {epoch})"


def cmd_eval(args):
    from ..data import DataLoader, TensorDataset
    from ..data import spec as data_spec
    from ..train import evaluate

    loaded = load_run(args.dir, args.checkpoint)
    path, kind, meta, model, run = loaded
    task = tasks.for_model(meta["config"]["model"])
    if not task.classifies(run):
        return task.evaluate(args, loaded)
    s = run["settings"]
    name = args.data or s["data"]
    own = data_spec.same(name, s["data"])
    try:
        split = data_spec.load(name, seed=s["seed"], val_split=s["val_split"] if own else 0,
                               delimiter=s.get("delimiter") if own else None)
    except data_spec.USER_ERRORS as e:
        raise CLIError(str(e)) from None
    if own:  # the run's own data: its held-out test split
        X, y, what = split.X_test, split.y_test, "test split"
    else:  # other data: all of it
        parts = [p for p in (split.X_train, split.X_val, split.X_test) if p is not None]
        X = np.concatenate(parts)
        y = np.concatenate([p for p in (split.y_train, split.y_val, split.y_test)
                            if p is not None])
        what = "all samples"
    X = _shaped(X, run, path, name)
    y = _model_labels(name, path, y, split.class_names, run.get("class_names"))
    print(f"evaluating {_which(path, kind, meta)}")
    loader = DataLoader(TensorDataset(data_spec.apply_scaling(X, run["scaling"]), y),
                        batch_size=512)
    loss_name, loss_fn = task.eval_loss(s)  # the training loss: cross-entropy, margin, ...
    result = evaluate(model, loader, loss_fn, metrics=("accuracy", "f1"))
    print(f"{name} ({what}): accuracy {result['accuracy']:.4f}  macro-F1 {result['f1']:.4f}  "
          f"{loss_name} {result['loss']:.4f}  ({len(y)} samples)")
    return 0


def _shaped(X, run, path, name):
    shape = list(run["input_shape"])
    features = int(np.prod(shape))
    flat = X.reshape(len(X), -1)
    if flat.shape[1] != features:
        raise CLIError(f"{name}: {flat.shape[1]} features per sample, but the model in {path} "
                       f"expects {features}")
    return flat.reshape([len(X)] + shape)


def _model_labels(name, path, y, data_names, run_names):
    """Labels of the evaluation data as the model's class indices, matched by name (the
    label values) to the classes the model was trained on; unknown labels are refused."""
    known = {str(c): i for i, c in enumerate(run_names)}
    unknown = [c for c in data_names if str(c) not in known]
    if unknown:
        raise CLIError(f"{name}: labels the model in {path} does not know: "
                       f"{', '.join(map(repr, unknown))} (its classes: "
                       f"{', '.join(map(repr, known))})")
    return np.array([known[str(c)] for c in data_names], dtype=np.int64)[y]


def _check_output(out, *inputs):
    """Refuse an --output that would overwrite one of the files the command reads, or a
    folder."""
    if os.path.isdir(out):
        raise CLIError(f"--output {out}: is a directory; name a file such as "
                       f"{os.path.join(out, 'predictions.csv')}")
    if not os.path.exists(out):
        return
    for source in inputs:
        if os.path.exists(source) and os.path.samefile(out, source):
            raise CLIError(f"--output {out}: is the same file as {source}; refusing to "
                           f"overwrite it")


def cmd_predict(args):
    from ..data import spec as data_spec
    from ..io import atomic_open
    from ..train import predict

    path, kind, meta, model, run = load_run(args.dir, args.checkpoint)
    task = tasks.for_model(meta["config"]["model"])
    if not task.classifies(run):
        raise CLIError(f"groundup predict applies to classifiers; {meta['config']['model']} is "
                       f"a {task.name} model (see groundup sample)")
    out = args.output or os.path.join(args.dir, "predictions.csv")
    _check_output(out, path, args.input)
    names = run["class_names"]
    try:
        X = data_spec.read_inputs(args.input, run["input_shape"], names,
                                  delimiter=args.delimiter)
    except data_spec.USER_ERRORS as e:
        if isinstance(e, FileNotFoundError):
            raise CLIError(f"{args.input}: no such file") from None
        raise CLIError(str(e)) from None
    scaling = run["scaling"]
    warning = data_spec.input_warning(X, scaling)
    if warning:
        print(f"groundup predict: warning: {args.input}: {warning}", file=sys.stderr)
    print(f"predicting with {_which(path, kind, meta)}")
    logits = predict(model, data_spec.apply_scaling(X, scaling))
    if task.confidence is None:  # logits: a softmax over the classes
        z = logits - logits.max(axis=1, keepdims=True)
        prob = np.exp(z)
        prob /= prob.sum(axis=1, keepdims=True)
    else:  # scores that are probabilities each (a capsule's length), kept as they are
        prob = logits
    pred = prob.argmax(axis=1)
    try:
        with atomic_open(out, "w") as f:
            f.write("row,prediction,probability\n")
            for i, (c, p) in enumerate(zip(pred, prob.max(axis=1))):
                f.write(f"{i},{names[c]},{p:.6f}\n")
    except (FileNotFoundError, PermissionError) as e:
        raise CLIError(f"--output {out}: cannot write it ({e.strerror or e})") from None
    print(f"{len(pred)} predictions written to {out}")
    return 0
