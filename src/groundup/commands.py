"""The work behind each `groundup` sub-command (cli.py parses the arguments)."""

import math
import os

import numpy as np

import groundup as gu

from .cli_common import CHECKPOINT, CLIError


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
        from .viz import plot_decision_boundary
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
    from . import models
    from .data import datasets

    print("models:")
    for name in models.list_models():
        spec = models.get(name)
        print(f"  {name:10s} {spec.description} (default data: {models.recipes.get(name).data})")
    print("datasets:")
    for name, entry in sorted(datasets.DATASETS.items()):
        doc = (getattr(entry, "__doc__", None) or "").strip().splitlines()
        print(f"  {name:10s} {doc[0] if doc else ''}")
    print("  PATH.csv   your CSV file (features, label in the last column)")
    print("  PATH.npz   your NumPy archive (arrays x and y)")
    print("  mnist:DIR  MNIST-format IDX files in DIR")
    return 0


def _need_checkpoint(directory):
    path = os.path.join(directory, CHECKPOINT)
    if not os.path.isdir(directory):
        raise CLIError(f"{directory}: no such run directory")
    if not os.path.exists(path):
        raise CLIError(f"{path}: no checkpoint here "
                       f"(train first: groundup train ... --out {directory})")
    return path


# ------------------------------------------------------------------ training
def _training(hp, model):
    """(loss, optimizer, scheduler) of a run, as its model's recipe builds them from `hp`."""
    from .models import recipes

    optimizer = recipes.optimizer(hp["optimizer"], model.parameters(), hp["lr"],
                                  hp["weight_decay"])
    return recipes.loss(hp), optimizer, recipes.scheduler(optimizer, hp)


def _loaders(split, batch_size, seed):
    from .data import DataLoader, TensorDataset

    train = DataLoader(TensorDataset(split.X_train, split.y_train), batch_size=batch_size,
                       shuffle=True, seed=seed)
    test = DataLoader(TensorDataset(split.X_test, split.y_test), batch_size=512)
    return train, test


def _run_config(args, recipe):
    """The run's settings: the model's recipe, overridden by the command line."""
    hp = recipe.hparams()
    for key in ("epochs", "batch_size", "lr", "optimizer"):
        value = getattr(args, key)
        if value is not None:
            hp[key] = value
    if hp["epochs"] < 1:
        raise CLIError(f"--epochs must be >= 1; got {hp['epochs']}")
    if hp["batch_size"] < 1:
        raise CLIError(f"--batch-size must be >= 1; got {hp['batch_size']}")
    if not (math.isfinite(hp["lr"]) and hp["lr"] > 0):
        raise CLIError(f"--lr must be a finite number > 0; got {hp['lr']}")
    return hp


def _model_config(args, spec, split):
    config = {field: getattr(split, source) for field, source in spec.data_fields.items()}
    if args.hidden:
        if spec.name != "mlp":
            raise CLIError("--hidden applies to the mlp model only")
        try:
            config["hidden"] = [int(h) for h in args.hidden.split(",") if h]
        except ValueError:
            raise CLIError(f"--hidden: expected widths like 256,128; got {args.hidden!r}") from None
        if any(h < 1 for h in config["hidden"]):
            raise CLIError(f"--hidden: every width must be >= 1; got {args.hidden!r}")
    return config


def cmd_train(args):
    from . import models
    from .data import spec as data_spec
    from .train import CSVLogger, fit

    if args.resume:
        return _resume(args)
    if not args.model:
        raise CLIError("name a model to train (see `groundup list`), or --resume DIR")
    spec = models.get(args.model)
    recipe = models.recipes.get(spec.name)
    hp = _run_config(args, recipe)
    data_name = args.data or recipe.data
    split = data_spec.check_trainable(data_spec.load(data_name, seed=args.seed))
    gu.manual_seed(args.seed)
    model = models.build(spec.name, **_model_config(args, spec, split))
    loss_fn, optimizer, scheduler = _training(hp, model)
    train_loader, test_loader = _loaders(split, hp["batch_size"], args.seed)
    os.makedirs(args.out, exist_ok=True)
    csv_path = os.path.join(args.out, "history.csv")
    if os.path.exists(csv_path):
        os.remove(csv_path)
    print(f"training {spec.name} on {data_name}: {len(split.y_train)} train / "
          f"{len(split.y_test)} test samples, {split.features} features, {split.classes} "
          f"classes; {hp['epochs']} epochs, batch {hp['batch_size']}, {hp['optimizer']} "
          f"lr {hp['lr']:g}; val = the held-out test split")
    fit(model, train_loader, loss_fn, optimizer, epochs=hp["epochs"], val_loader=test_loader,
        scheduler=scheduler, callbacks=[CSVLogger(csv_path)], progress=_progress(args))
    run = {"data": data_spec.resolve(data_name), "seed": args.seed, "hparams": hp,
           "class_names": split.class_names, "preprocess": split.preprocess}
    _finish(args.out, model, optimizer, scheduler, train_loader, test_loader, split, run,
            hp["epochs"])
    return 0


def _progress(args):
    """A bar on terminals plus one line per epoch; --no-progress keeps only the lines."""
    from .train.progress import ProgressBar

    return ProgressBar(bar=False) if getattr(args, "no_progress", False) else True


def _finish(out, model, optimizer, scheduler, train_loader, test_loader, split, run, epoch):
    from . import io, models
    from .train import evaluate

    path = os.path.join(out, CHECKPOINT)
    result = evaluate(model, test_loader, gu.nn.CrossEntropyLoss(), metrics=("accuracy",))
    run = dict(run, test_accuracy=float(result["accuracy"]), test_loss=float(result["loss"]))
    io.save_checkpoint(path, model, optimizer, scheduler, epoch=epoch,
                       config=models.registry.model_metadata(model), loader=train_loader,
                       extra=run)
    print(f"test accuracy {result['accuracy']:.4f}  (cross-entropy {result['loss']:.4f} "
          f"without label smoothing, {len(split.y_test)} samples)")
    print(f"checkpoint: {path}")
    _plots(out, model, test_loader, split)


def _plots(out, model, test_loader, split):
    from .train import History, confusion_matrix, predict

    try:
        from . import viz

        history = History.from_csv(os.path.join(out, "history.csv"))
        curves = viz.plot_history(history, os.path.join(out, "curves.png"))
        pred = predict(model, split.X_test).argmax(axis=1)
        cm = confusion_matrix(split.y_test, pred, num_classes=split.classes)
        confusion = viz.plot_confusion_matrix(cm, os.path.join(out, "confusion.png"),
                                              class_names=split.class_names)
        print(f"plots: {curves}, {confusion}")
    except ImportError:
        print("plots skipped: matplotlib is not installed (pip install 'groundup[plot]')")


def _load_run(directory):
    """(metadata, model) of a saved run, the model rebuilt from its config with no code run."""
    from . import io, models

    path = _need_checkpoint(directory)
    meta = io.load_checkpoint(path, restore_rng=False)
    model = models.registry.from_metadata(meta.get("config"), path)
    try:
        model.load_state_dict(meta["model"])
    except (KeyError, ValueError, RuntimeError) as e:
        raise CLIError(f"{path}: the weights do not fit the model {meta['config']['model']}: "
                       f"{e}") from None
    return path, meta, model


def _resume(args):
    from . import io
    from .data import spec as data_spec
    from .train import CSVLogger, fit

    path, meta, model = _load_run(args.resume)
    run = meta.get("extra") or {}
    hp = dict(run["hparams"])
    if args.epochs is not None:
        hp["epochs"] = args.epochs
    for key in ("batch_size", "lr", "optimizer"):
        if getattr(args, key) is not None and getattr(args, key) != hp[key]:
            raise CLIError(f"--{key.replace('_', '-')} cannot change on --resume "
                           f"(the run uses {hp[key]})")
    if args.data and not data_spec.same(args.data, run["data"]):
        raise CLIError(f"--data cannot change on --resume (the run uses {run['data']})")
    split = data_spec.load(run["data"], seed=run["seed"])
    loss_fn, optimizer, scheduler = _training(hp, model)
    train_loader, test_loader = _loaders(split, hp["batch_size"], run["seed"])
    io.load_checkpoint(path, model, optimizer, scheduler, loader=train_loader)
    done = int(meta.get("epoch") or 0)
    if hp["epochs"] <= done:
        raise CLIError(f"{args.resume} already has {done} epochs; pass --epochs N with N > {done}")
    print(f"resuming {meta['config']['model']} on {run['data']} from epoch {done} to "
          f"{hp['epochs']}")
    csv_path = os.path.join(args.resume, "history.csv")
    fit(model, train_loader, loss_fn, optimizer, epochs=hp["epochs"], start_epoch=done,
        val_loader=test_loader, scheduler=scheduler,
        callbacks=[CSVLogger(csv_path, append=True)], progress=_progress(args))
    run["hparams"] = hp
    _finish(args.resume, model, optimizer, scheduler, train_loader, test_loader, split, run,
            hp["epochs"])
    return 0


def cmd_eval(args):
    from .data import spec as data_spec
    from .train import evaluate

    path, meta, model = _load_run(args.dir)
    run = meta.get("extra") or {}
    name = args.data or run.get("data")
    split = data_spec.load(name, seed=run.get("seed", 0))
    data_names = split.class_names
    if run.get("data") and data_spec.same(name, run["data"]):
        X, y = split.X_test, split.y_test
        if not run.get("class_names"):  # a run saved without the names of its classes
            data_names = None
    else:  # another dataset: use all of it, with the run's own standardisation
        X = np.concatenate([split.X_train, split.X_test])
        y = np.concatenate([split.y_train, split.y_test])
        if split.preprocess:  # undo the new data's own standardisation
            X = X * np.asarray(split.preprocess["std"], np.float32) + np.asarray(
                split.preprocess["mean"], np.float32)
        X = data_spec.standardize(X, run.get("preprocess"))
    features = model.config.in_features
    if X.reshape(len(X), -1).shape[1] != features:
        raise CLIError(f"{name}: {X.reshape(len(X), -1).shape[1]} features per sample, but the "
                       f"model in {path} expects {features}")
    y = _model_labels(name, path, model, y, data_names, run.get("class_names"))
    from .data import DataLoader, TensorDataset

    loader = DataLoader(TensorDataset(X, y), batch_size=512)
    result = evaluate(model, loader, gu.nn.CrossEntropyLoss(), metrics=("accuracy", "f1"))
    print(f"{name}: accuracy {result['accuracy']:.4f}  macro-F1 {result['f1']:.4f}  "
          f"loss {result['loss']:.4f}  ({len(y)} samples)")
    return 0


def _model_labels(name, path, model, y, data_names, run_names):
    """Labels of the evaluation data as the model's class indices.

    Labels with names (text labels, digits) are matched by name to the classes the model
    was trained on (run_names; a run without names has classes "0", "1", ...); numeric
    labels are class indices already. Unknown names and indices past the model's class
    count are refused."""
    classes = model.config.out_features
    if data_names:
        known = {str(c): i for i, c in enumerate(run_names or range(classes))}
        unknown = [c for c in data_names if str(c) not in known]
        if unknown:
            raise CLIError(f"{name}: labels the model in {path} does not know: "
                           f"{', '.join(map(repr, unknown))} (its classes: "
                           f"{', '.join(map(repr, known))})")
        y = np.array([known[str(c)] for c in data_names], dtype=np.int64)[y]
    if len(y) and y.max() >= classes:
        raise CLIError(f"{name}: labels go up to {int(y.max())}, but the model in {path} has "
                       f"{classes} classes (0..{classes - 1})")
    return y


def _check_output(out, *inputs):
    """Refuse an --output that would overwrite one of the files the command reads."""
    if not os.path.exists(out):
        return
    for source in inputs:
        if os.path.exists(source) and os.path.samefile(out, source):
            raise CLIError(f"--output {out}: is the same file as {source}; refusing to "
                           f"overwrite it")


def cmd_predict(args):
    from .data import spec as data_spec
    from .io import atomic_open
    from .train import predict

    path, meta, model = _load_run(args.dir)
    run = meta.get("extra") or {}
    out = args.output or os.path.join(args.dir, "predictions.csv")
    _check_output(out, path, args.input)
    names = run.get("class_names")
    X = data_spec.read_inputs(args.input, model.config.in_features, model.config.out_features,
                              names)
    X = data_spec.standardize(X, run.get("preprocess"))
    logits = predict(model, X)
    z = logits - logits.max(axis=1, keepdims=True)
    prob = np.exp(z)
    prob /= prob.sum(axis=1, keepdims=True)
    pred = prob.argmax(axis=1)
    with atomic_open(out, "w") as f:
        f.write("row,prediction,probability\n")
        for i, (c, p) in enumerate(zip(pred, prob.max(axis=1))):
            label = names[c] if names else str(int(c))
            f.write(f"{i},{label},{p:.6f}\n")
    print(f"{len(pred)} predictions written to {out}")
    return 0
