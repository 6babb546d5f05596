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
from . import launch, runs, settings, tasks

__all__ = ["cmd_train"]


def cmd_train(args):
    if launch.wanted(args):  # --nproc N: start N ranks under mpiexec, or be one of them
        return launch.train_ranks(args, lambda: _resume(args) if args.resume else _new_run(args))
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
    task = tasks.for_model(name)
    data = task.load_data(s)
    s["data"] = _resolved(s["data"])
    spec = models.get(name)
    gu.manual_seed(s["seed"])
    model = models.build(name, **task.model_config(spec, data, s))
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
    _header(f"training {name} on {s['data']} -> {out}", s, task, data, out, model)
    if note:
        print(f"  note       {note}")
    return _fit_run(out, s, task, data, model, args)


def _resolved(data):
    from ..data import spec as data_spec

    return data_spec.resolve(data)


def _set_threads(s):
    if s["threads"] is not None:
        gu.set_num_threads(s["threads"])


def _header(title, s, task, data, out, model):
    from ..models import registry

    threads = settings.show("threads", s["threads"])
    if s["threads"] is None:
        gu.threads.poll()
        threads += f" (now {gu.get_num_threads()})"
    own = [key for key in task.options if key in s]
    lines = [
        f"{title}  (groundup {gu.__version__})",
        *task.data_lines(data, s),
        f"  model      {_model_line(registry.get(s['model']), model)}",
        f"  training   {settings.describe(s, ['epochs', 'batch_size', 'optimizer', 'lr'])}",
        f"             {settings.describe(s, ['weight_decay', 'schedule', 'label_smoothing'])}",
        f"             {settings.describe(s, ['grad_clip', 'seed'])}",
        f"  {task.name:<10} {settings.describe(s, own)}" if own else None,
        f"  selection  {settings.describe(s, ['val_split', 'early_stopping'])}: "
        + (f"the best model by {task.monitor};" if s["val_split"] else "no validation part: "
           "the last model is kept;"),
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
    try:
        task = tasks.for_model(meta["config"]["model"])
    except (KeyError, TypeError) as e:
        raise CLIError(f"{path}: cannot rebuild its model: {e}") from None
    data = task.load_data(s)
    try:
        model = models.registry.from_metadata(meta.get("config"), path)
    except (ValueError, KeyError, TypeError) as e:
        raise CLIError(f"{path}: cannot rebuild its model: {e}") from None
    _set_threads(s)
    where = f" (inside epoch {done + 1}: {inside} batches done)" if inside else ""
    _header(f"resuming {meta['config']['model']} on {s['data']} from epoch {done} to "
            f"{s['epochs']}{where} in {out}", s, task, data, out, model)
    settings.write_config(out, s)
    return _fit_run(out, s, task, data, model, args,
                    resume_epochs=run["settings"]["epochs"])


# ------------------------------------------------------------------- training
def _fit_run(out, s, task, data, model, args, resume_epochs=None):
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

    loss_fn, optimizer, scheduler = _training(s, task, model)
    train_loader, val_loader, test_loader = task.loaders(data, s)
    train_loader = launch.shard(train_loader)  # several ranks: this rank's part of each batch
    has_val = val_loader is not None
    early = None
    if s["early_stopping"]:
        if not has_val:
            raise CLIError("--early-stopping needs a validation part (--val-split > 0)")
        early = EarlyStopping(monitor=task.monitor, patience=s["early_stopping"],
                              restore_best_weights=False)
    run_info = {"settings": s, "groundup": gu.__version__, **task.run_info(data)}
    ckpt = ResumableCheckpoint(os.path.join(out, LAST),
                               best_path=os.path.join(out, BEST) if has_val else None,
                               monitor=task.monitor if has_val else None,
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
    callbacks = list(task.callbacks(out, s, data, model))
    callbacks += [GracefulInterrupt(), CSVLogger(os.path.join(out, HISTORY),
                                                append=resume is not None), NaNGuard()]
    callbacks += ([early] if early else []) + [ckpt]
    try:
        step = task.step(s, model)
        fit(model, train_loader, loss_fn, optimizer, epochs=s["epochs"], val_loader=val_loader,
            metrics=task.metrics(s), scheduler=scheduler, callbacks=callbacks,
            progress=_progress(args), clip_grad_norm=None if step else s["grad_clip"],
            step=step, resume=resume)
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
    if launch.main_rank():  # several ranks: the test figures and pictures are rank 0's
        _report(out, s, task, data, model, ckpt, test_loader)
    return 0


def _training(s, task, model):
    """(loss, optimizer, scheduler) of a run, as its recipe builds them from the settings."""
    from ..models import recipes

    optimizer = task.optimizer(s, model) or recipes.optimizer(
        s["optimizer"], model.parameters(), s["lr"], s["weight_decay"])
    return task.loss(s), optimizer, recipes.scheduler(optimizer, s)


def _progress(args):
    """A bar on terminals plus one line per epoch; --no-progress keeps only the lines."""
    from ..train.progress import ProgressBar

    return ProgressBar(bar=False) if getattr(args, "no_progress", False) else True


def _report(out, s, task, data, model, ckpt, test_loader):
    """The task's test figures for the best and last models, then its pictures."""
    from .. import io

    best_model = model
    if ckpt.best_epoch is not None:
        best_model = gu.models.registry.from_metadata(ckpt.config)
        best_model.load_state_dict(io.load_checkpoint(ckpt.best_path, restore_rng=False)["model"])
    task.report(out, s, data, model, best_model, ckpt, test_loader)
