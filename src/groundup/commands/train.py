"""`groundup train`: a new run in a folder of its own, or `--resume DIR` to continue one.

The run never loses its work: ResumableCheckpoint rewrites DIR/last.safetensors
atomically at the start, after every epoch (and every --save-every batches) and
when training ends; GracefulInterrupt turns Ctrl-C and SIGTERM into a last save
at the current batch, after which the command exits with status 130 or 143.
`--resume DIR` continues from that file bit for bit, in DIR itself.
"""

import os
import sys

import groundup as gu

from ..cli_common import BEST, HISTORY, LAST, CLIError
from . import runs, settings

__all__ = ["cmd_train"]


def cmd_train(args):
    if args.resume:
        return _resume(args)
    return _new_run(args)


# ------------------------------------------------------------------ new runs
def _new_run(args):
    from .. import models

    config = settings.read_config(args.config) if args.config else {}
    given = settings.given(args)
    name = given.get("model") or config.get("model")
    if not name:
        raise CLIError("name a model to train (see `groundup list`), or pass --config FILE or "
                       "--resume DIR")
    s = settings.resolve(name, config, given)
    if args.out:
        runs.prepare_out(args.out, args.overwrite)
    elif args.overwrite:
        raise CLIError("--overwrite goes with --out DIR (a new run gets a new folder anyway)")
    split = _load_data(s)
    s["data"] = _resolved(s["data"])
    spec = models.get(name)
    gu.manual_seed(s["seed"])
    model = models.build(name, **_model_config(spec, split, s))
    for option, field in spec.options.items():  # what is in effect, e.g. the default widths
        s[option] = getattr(model.config, field)
    if args.out:
        out = args.out
        runs._mkdir(out, exist_ok=True)
        runs.clear_run(out)  # --overwrite: nothing of the old run stays beside the new one
        note = None
    else:
        out = runs.new_run_dir(name)
        note = runs.point_latest(out)
    settings.write_config(out, s)
    _set_threads(s)
    _header(f"training {name} on {s['data']} -> {out}", s, split, out, model)
    if note:
        print(f"  note       {note}")
    return _fit_run(out, s, split, model, args)


def _resolved(data):
    from ..data import spec as data_spec

    return data_spec.resolve(data)


def _load_data(s):
    """The run's Split, with the user's data mistakes as one-line errors."""
    from ..data import spec as data_spec

    try:
        split = data_spec.load(s["data"], seed=s["seed"], val_split=s["val_split"],
                               delimiter=s["delimiter"])
        return data_spec.check_trainable(split)
    except data_spec.USER_ERRORS as e:
        raise CLIError(_file_message(e)) from None


def _file_message(e):
    if isinstance(e, OSError) and e.filename and not str(e).count(str(e.filename)):
        return f"{e.strerror or e}: {e.filename}"
    return str(e)


def _model_config(spec, split, s):
    config = {field: getattr(split, source) for field, source in spec.data_fields.items()}
    for option, field in spec.options.items():
        if s.get(option) is not None:
            config[field] = s[option]
    return config


def _set_threads(s):
    if s["threads"] is not None:
        gu.set_num_threads(s["threads"])


def _header(title, s, split, out, model):
    from ..data import spec as data_spec
    from ..models import registry

    threads = settings.show("threads", s["threads"])
    if s["threads"] is None:
        gu.threads.poll()
        threads += f" (now {gu.get_num_threads()})"
    sizes = f"{len(split.y_train)} train / {len(split.y_val) if split.y_val is not None else 0} " \
            f"val / {len(split.y_test)} test samples"
    shape = f" ({'x'.join(map(str, split.input_shape))})" if len(split.input_shape) > 1 else ""
    lines = [
        f"{title}  (groundup {gu.__version__})",
        f"  data       {sizes}, {split.features} features{shape}, {split.classes} classes",
        f"  source     {split.about}" if split.about else
        f"  source     {s['data']} (delimiter {settings.show('delimiter', s['delimiter'])}: "
        f"for CSV files only)",
        f"  inputs     {data_spec.describe_scaling(split.scaling)}",
        f"  model      {_model_line(registry.get(s['model']), model)}",
        f"  training   {settings.describe(s, ['epochs', 'batch_size', 'optimizer', 'lr'])}",
        f"             {settings.describe(s, ['weight_decay', 'schedule', 'label_smoothing'])}",
        f"             {settings.describe(s, ['grad_clip', 'seed'])}",
        f"  selection  {settings.describe(s, ['val_split', 'early_stopping'])}: "
        + ("the best model by val_loss;" if s["val_split"] else "no validation part: the last "
           "model is kept;"),
        "             the test split is only reported",
        f"  run        save_every {settings.show('save_every', s['save_every'])} (a checkpoint "
        f"every epoch{'' if s['save_every'] is None else ' and every N batches'}), threads "
        f"{threads}",
        f"  settings   {os.path.join(out, 'config.json')}",
    ]
    print("\n".join(line for line in lines if line is not None), flush=True)


def _model_line(spec, model):
    """The model's config, less what the data decides: "hidden 256,128, activation relu"."""
    import dataclasses

    fields = dataclasses.asdict(model.config)
    shown = [f"{k} {settings.show('hidden', v) if isinstance(v, list) else v}"
             for k, v in fields.items() if k not in spec.data_fields]
    return f"{spec.name}: " + (", ".join(shown) if shown else "no options")


# --------------------------------------------------------------------- resume
def _resume(args):
    from .. import io, models
    from ..data import spec as data_spec

    out = args.resume
    if args.out:
        raise CLIError("--out cannot go with --resume: a run continues in its own folder")
    if args.config:
        raise CLIError(f"--config cannot go with --resume: the run keeps its own settings "
                       f"({os.path.join(out, 'config.json')})")
    if not os.path.isdir(out):
        raise CLIError(f"--resume {out}: no such run directory")
    path = os.path.join(out, LAST)
    if not os.path.exists(path):
        raise CLIError(f"--resume {out}: no {LAST} here (the run stopped before its first save; "
                       f"start it again: groundup train --config {os.path.join(out, 'config.json')}"
                       f" --out {out} --overwrite)")
    runs.remove_leftovers(out)
    try:
        meta = io.load_metadata(path)
    except io.SafetensorsError as e:
        raise CLIError(str(e)) from None
    extra = meta.get("extra") if isinstance(meta, dict) else None
    run = (extra or {}).get("run") if isinstance(extra, dict) else None
    if not isinstance(run, dict) or not run.get("settings"):
        raise CLIError(f"--resume {out}: {path} is not a checkpoint of a `groundup train` run")
    s = dict(run["settings"])
    given = settings.given(args)
    for key, value in given.items():
        if key in ("epochs", "save_every", "threads"):
            s[key] = value
        elif key == "data" and data_spec.same(value, s["data"]):
            continue
        elif value != s.get(key):
            raise CLIError(f"{settings.option(key)} cannot change on --resume (the run uses "
                           f"{settings.show(key, s.get(key))})")
    done, status = int(meta.get("epoch") or 0), extra.get("status")
    position = extra.get("fit") or {}
    inside = int(position.get("batch") or 0)
    if status == "stopped" and "epochs" not in given:
        raise CLIError(f"--resume {out}: the run stopped early at epoch {done} (early stopping: "
                       f"the validation loss stopped improving); it is finished")
    if s["epochs"] < done or (s["epochs"] == done and not inside):
        what = "finished at" if status in ("finished", "stopped") else "at"
        raise CLIError(f"--resume {out}: the run is {what} epoch {done}; pass --epochs N "
                       f"with N > {done} to train on")
    split = _load_data(s)
    try:
        model = models.registry.from_metadata(meta.get("config"), path)
    except (ValueError, KeyError, TypeError) as e:
        raise CLIError(f"{path}: cannot rebuild its model: {e}") from None
    _set_threads(s)
    where = f" (inside epoch {done + 1}: {inside} batches done)" if inside else ""
    _header(f"resuming {meta['config']['model']} on {s['data']} from epoch {done} to "
            f"{s['epochs']}{where} in {out}", s, split, out, model)
    settings.write_config(out, s)
    return _fit_run(out, s, split, model, args, resume_epochs=run["settings"]["epochs"])


# ------------------------------------------------------------------- training
def _fit_run(out, s, split, model, args, resume_epochs=None):
    """Train (or continue) the run in `out`; returns the exit status."""
    from .. import models
    from ..train import (
        CSVLogger,
        EarlyStopping,
        GracefulInterrupt,
        NaNGuard,
        ResumableCheckpoint,
        TrainingDiverged,
        TrainingInterrupted,
        fit,
    )

    loss_fn, optimizer, scheduler = _training(s, model)
    train_loader, val_loader, test_loader = _loaders(split, s)
    has_val = val_loader is not None
    early = None
    if s["early_stopping"]:
        if not has_val:
            raise CLIError("--early-stopping needs a validation part (--val-split > 0)")
        early = EarlyStopping(monitor="val_loss", patience=s["early_stopping"],
                              restore_best_weights=False)
    run_info = {"settings": s, "class_names": split.class_names, "scaling": split.scaling,
                "input_shape": split.input_shape, "groundup": gu.__version__,
                "samples": {"train": len(split.y_train), "test": len(split.y_test),
                            "val": len(split.y_val) if has_val else 0}}
    ckpt = ResumableCheckpoint(os.path.join(out, LAST),
                               best_path=os.path.join(out, BEST) if has_val else None,
                               monitor="val_loss" if has_val else None,
                               every_batches=s["save_every"],
                               config=models.registry.model_metadata(model), extra=run_info,
                               track={"early_stopping": early} if early else None)
    resume = None
    if resume_epochs is not None:
        try:
            resume = ckpt.restore(model, optimizer, scheduler, loader=train_loader)["resume"]
        except ValueError as e:
            raise CLIError(f"{ckpt.path}: cannot continue this run: {e}") from None
        if resume_epochs != s["epochs"]:  # the schedule now spans the new number of epochs
            scheduler.step(scheduler.last_epoch)
            print(f"  note       --epochs {s['epochs']} (was {resume_epochs}): the "
                  f"{s['schedule']} schedule now spans {s['epochs']} epochs")
    callbacks = [GracefulInterrupt(), CSVLogger(os.path.join(out, HISTORY),
                                                append=resume is not None), NaNGuard()]
    callbacks += ([early] if early else []) + [ckpt]
    try:
        fit(model, train_loader, loss_fn, optimizer, epochs=s["epochs"], val_loader=val_loader,
            scheduler=scheduler, callbacks=callbacks, progress=_progress(args),
            clip_grad_norm=s["grad_clip"], resume=resume)
    except TrainingInterrupted as e:
        where = f"epoch {e.epoch}, batch {e.batch}" if e.batch else f"the end of epoch {e.epoch}"
        print(f"groundup train: interrupted ({e.reason}) at {where}: saved "
              f"{os.path.join(out, LAST)}; continue with: groundup train --resume {out}",
              file=sys.stderr, flush=True)
        return e.exit_status
    except TrainingDiverged as e:
        raise CLIError(f"training diverged at epoch {e.epoch}, batch {e.batch}: the loss is "
                       f"{e.value}; try a lower --lr (it is {s['lr']:g}) or --grad-clip 1.0 "
                       f"(the run in {out} keeps the epochs before)") from None
    _report(out, s, split, model, ckpt, test_loader)
    return 0


def _training(s, model):
    """(loss, optimizer, scheduler) of a run, as its recipe builds them from the settings."""
    from ..models import recipes

    optimizer = recipes.optimizer(s["optimizer"], model.parameters(), s["lr"], s["weight_decay"])
    return recipes.loss(s), optimizer, recipes.scheduler(optimizer, s)


def _loaders(split, s):
    from ..data import DataLoader, TensorDataset

    train = DataLoader(TensorDataset(split.scale(split.X_train), split.y_train),
                       batch_size=s["batch_size"], shuffle=True, seed=s["seed"])
    val = None
    if split.y_val is not None:
        val = DataLoader(TensorDataset(split.scale(split.X_val), split.y_val), batch_size=512)
    test = DataLoader(TensorDataset(split.scale(split.X_test), split.y_test), batch_size=512)
    return train, val, test


def _progress(args):
    """A bar on terminals plus one line per epoch; --no-progress keeps only the lines."""
    from ..train.progress import ProgressBar

    return ProgressBar(bar=False) if getattr(args, "no_progress", False) else True


def _report(out, s, split, model, ckpt, test_loader):
    """The test figures of the best and last models, then the plots."""
    from .. import io
    from ..train import evaluate

    ce = gu.nn.CrossEntropyLoss()
    last = evaluate(model, test_loader, ce, metrics=("accuracy",))
    chosen, best_model = last, model
    if ckpt.best_epoch is not None:
        best_model = gu.models.registry.from_metadata(ckpt.config)
        best_model.load_state_dict(io.load_checkpoint(ckpt.best_path, restore_rng=False)["model"])
        chosen = evaluate(best_model, test_loader, ce, metrics=("accuracy",))
        logs = ckpt.best_logs or {}
        figures = ", ".join(f"{k} {logs[k]:.4f}" for k in ("val_loss", "val_accuracy")
                            if k in logs)
        print(f"best model: epoch {ckpt.best_epoch} ({figures}): {ckpt.best_path}")
        print(f"test accuracy {chosen['accuracy']:.4f} with the best model, {last['accuracy']:.4f} "
              f"with the last ({len(split.y_test)} test samples: reported, never selected on)")
    else:
        print(f"test accuracy {last['accuracy']:.4f} with the last model "
              f"({len(split.y_test)} test samples)")
    print(f"checkpoint: {ckpt.path}")
    _plots(out, best_model, split, ckpt.best_epoch)


def _plots(out, model, split, best_epoch):
    from ..train import History, confusion_matrix, predict

    try:
        from .. import viz

        history = History.from_csv(os.path.join(out, HISTORY))
        curves = viz.plot_history(history, os.path.join(out, "curves.png"), best_epoch=best_epoch)
        outputs = predict(model, split.scale(split.X_test))
        cm = confusion_matrix(split.y_test, outputs.argmax(axis=1), num_classes=split.classes)
        confusion = viz.plot_confusion_matrix(cm, os.path.join(out, "confusion.png"),
                                              class_names=split.class_names)
        print(f"plots: {', '.join([curves, confusion] + cnn_plots(out, model, split, outputs))}")
    except ImportError:
        print("plots skipped: matplotlib is not installed (pip install 'groundup[plot]')")


def cnn_plots(out, model, split, outputs=None):
    """For a model with a convolution trained on images (N, C, H, W): the first layer's
    filters, the feature maps of the first test image and the worst test errors, as
    filters.png, feature_maps.png and errors.png in `out`; [] for other models or data.
    outputs: the model's outputs on the scaled test inputs, if computed already."""
    from .. import viz
    from ..train import predict

    convs = [m for _, m in viz.conv_layers(model)
             if isinstance(m, (gu.nn.Conv1d, gu.nn.Conv2d))]
    if not convs or split.X_test.ndim != 4 or not len(split.X_test):
        return []
    X = split.scale(split.X_test)
    if outputs is None:
        outputs = predict(model, X)
    return [viz.plot_filters(convs[0].weight, os.path.join(out, "filters.png")),
            viz.plot_feature_maps(model, X[0], os.path.join(out, "feature_maps.png")),
            viz.plot_worst_errors(X, split.y_test, outputs, os.path.join(out, "errors.png"),
                                  class_names=split.class_names)]
