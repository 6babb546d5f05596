"""Run folders: one run per folder, found again by eval, predict, --resume and `groundup runs`.

A new run gets a new folder, runs/NAME-001, runs/NAME-002, ... (NAME: the model),
claimed with an exclusive mkdir, so two runs started together never share one;
runs/latest is a relative symlink to the newest. `--out DIR` names the folder
instead, and is refused when DIR already holds a run unless --overwrite is given
(which removes that run's files first). A run folder holds:

    last.safetensors   the whole training state, saved every epoch (--resume reads it)
    best.safetensors   the model of the best epoch by the validation loss
    config.json        every setting (groundup train --config accepts it back)
    history.csv        one row per epoch; curves.png, confusion.png: plots
"""

import glob
import os

from ..cli_common import BEST, CONFIG, HISTORY, LAST, RUN_FILES, RUNS, CLIError
from ..data import spec

__all__ = ["holds_run", "new_run_dir", "prepare_out", "clear_run", "point_latest",
           "checkpoint_path", "load_run", "run_summary", "cmd_runs"]


def holds_run(directory):
    """Whether `directory` holds (part of) a run."""
    return any(os.path.exists(os.path.join(directory, name)) for name in (LAST, BEST, CONFIG,
                                                                          HISTORY))


def _describe(directory):
    info = run_summary(directory)
    if info is None:
        return "a run"
    return f"a run of {info['model']} on {info['data']}, {info['epochs']} epochs"


def prepare_out(directory, overwrite):
    """Check that a new run may use `directory` (before anything is computed or written)."""
    if os.path.exists(directory) and not os.path.isdir(directory):
        raise CLIError(f"--out {directory}: is a file, not a directory")
    if holds_run(directory) and not overwrite:
        raise CLIError(f"--out {directory}: holds {_describe(directory)}; pass --overwrite to "
                       f"replace it, --resume {directory} to continue it, or leave out --out "
                       f"for a new folder under {RUNS}/")


def _mkdir(directory, exist_ok):
    try:
        os.makedirs(directory, exist_ok=exist_ok)
    except FileExistsError:
        raise
    except OSError as e:
        raise CLIError(f"cannot create the run folder {directory}: {e.strerror}") from None


def new_run_dir(name, root=RUNS):
    """Create and return a new folder root/NAME-NNN, numbered after the highest one there."""
    _mkdir(root, exist_ok=True)
    taken = []
    for path in glob.glob(os.path.join(glob.escape(root), f"{glob.escape(name)}-*")):
        suffix = os.path.basename(path)[len(name) + 1:]
        if suffix.isdigit():
            taken.append(int(suffix))
    number = max(taken, default=0) + 1
    while True:
        path = os.path.join(root, f"{name}-{number:03d}")
        try:
            _mkdir(path, exist_ok=False)  # exclusive: a run started at the same time skips it
            return path
        except FileExistsError:
            number += 1


def clear_run(directory):
    """Remove the files of the run in `directory` (and half-written temporary files)."""
    for name in RUN_FILES:
        path = os.path.join(directory, name)
        if os.path.isfile(path) or os.path.islink(path):
            os.remove(path)
    remove_leftovers(directory)


def remove_leftovers(directory):
    """Delete the temporary files an atomic write killed halfway leaves (.NAME.xxxx.tmp)."""
    for name in RUN_FILES:
        pattern = os.path.join(glob.escape(directory), f".{glob.escape(name)}.*.tmp")
        for path in glob.glob(pattern):
            try:
                os.remove(path)
            except OSError:
                pass


def point_latest(directory, root=RUNS):
    """Make root/latest a relative symlink to `directory` (atomically). Returns None, or a
    note when it cannot (a real folder named latest, a system without symlinks)."""
    latest = os.path.join(root, "latest")
    if os.path.exists(latest) and not os.path.islink(latest):
        return f"{latest} is a folder of its own; it was left as it is"
    tmp = os.path.join(root, f".latest.{os.getpid()}.tmp")
    try:
        if os.path.lexists(tmp):
            os.remove(tmp)
        os.symlink(os.path.basename(os.path.normpath(directory)), tmp)
        os.replace(tmp, latest)
    except OSError as e:
        return f"could not point {latest} at {directory}: {e.strerror}"
    return None


def checkpoint_path(directory, which=None):
    """(path, "best" or "last") of the checkpoint eval/predict use: best when there is one
    (which=None), else last; or the one `which` names."""
    if not os.path.isdir(directory):
        raise CLIError(f"{directory}: no such run directory")
    choices = (which,) if which else ("best", "last")
    for kind in choices:
        path = os.path.join(directory, BEST if kind == "best" else LAST)
        if os.path.exists(path):
            return path, kind
    if which:
        raise CLIError(f"{directory}: no {which} checkpoint here "
                       f"({BEST if which == 'best' else LAST})")
    if os.path.exists(os.path.join(directory, "model.safetensors")):
        raise CLIError(f"{directory}: a run of an older groundup (model.safetensors); load it "
                       f"with gu.models.load, or train it again")
    raise CLIError(f"{directory}: no checkpoint here (train first: groundup train MODEL "
                   f"--out {directory})")


def load_run(directory, which=None):
    """(path, kind, checkpoint dict, model, run info) of a saved run: the model rebuilt from
    its JSON config (no code run), with the weights of the best or last checkpoint."""
    from .. import io, models

    path, kind = checkpoint_path(directory, which)
    try:
        meta = io.load_checkpoint(path, restore_rng=False)
    except io.SafetensorsError as e:
        raise CLIError(str(e)) from None
    try:
        model = models.registry.from_metadata(meta.get("config"), path)
    except (ValueError, KeyError, TypeError) as e:
        raise CLIError(f"{path}: cannot rebuild its model: {e}") from None
    try:
        model.load_state_dict(meta["model"])
    except (KeyError, ValueError, RuntimeError) as e:
        raise CLIError(f"{path}: the weights do not fit the model {meta['config']['model']}: "
                       f"{e}") from None
    model.eval()
    run = (meta.get("extra") or {}).get("run") or {}
    if not run.get("settings"):
        raise CLIError(f"{path}: not a checkpoint of a `groundup train` run (no run settings)")
    return path, kind, meta, model, run


def run_summary(directory):
    """What `groundup runs` shows of a run, read from its checkpoint's header only; None when
    the folder holds no readable checkpoint."""
    from .. import io

    path = os.path.join(directory, LAST)
    try:
        meta = io.load_metadata(path)
    except (OSError, ValueError):
        return None
    extra = meta.get("extra") if isinstance(meta, dict) else None
    if not isinstance(extra, dict) or not isinstance(extra.get("run"), dict):
        return None
    settings = extra["run"].get("settings") or {}
    best = extra.get("best") or {}
    return {"model": settings.get("model", "?"), "data": settings.get("data", "?"),
            "epochs": f"{meta.get('epoch') or 0}/{settings.get('epochs', '?')}",
            "status": extra.get("status", "?"), "best": best}


def cmd_runs(args):
    root = args.dir
    if not os.path.isdir(root):
        raise CLIError(f"{root}: no such folder (runs go to {RUNS}/ of the folder you train in)")
    latest = os.path.join(root, "latest")
    latest_name = os.path.basename(os.path.realpath(latest)) if os.path.islink(latest) else None
    rows = []
    for name in sorted(os.listdir(root)):
        path = os.path.join(root, name)
        if name.startswith(".") or os.path.islink(path) or not os.path.isdir(path):
            continue
        info = run_summary(path)
        if info is None:
            if holds_run(path):
                rows.append((name, "?", "?", "?", "no readable checkpoint", ""))
            continue
        best = info["best"]
        figure = "-"
        if best.get("epoch") is not None:
            figure = f"{best['monitor']} {best['value']:.4f}"
            accuracy = (best.get("logs") or {}).get("val_accuracy")
            if accuracy is not None:
                figure += f", val_accuracy {accuracy:.4f}"
            figure += f" (epoch {best['epoch']})"
        mark = " *" if name == latest_name else ""
        rows.append((name + mark, info["model"], _short(info["data"]), info["epochs"],
                     info["status"], figure))
    if not rows:
        print(f"no runs in {root}")
        return 0
    header = ("run", "model", "data", "epochs", "status", "best validation")
    widths = [max(len(str(r[i])) for r in rows + [header]) for i in range(len(header))]
    for row in [header] + rows:
        print("  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip())
    if latest_name:
        print(f"* {latest} -> {latest_name}")
    return 0


def _short(data):
    """A data spec as the table shows it: files by their name."""
    for prefix in spec.DIR_PREFIXES:
        if data.startswith(prefix):
            return prefix + os.path.basename(os.path.normpath(data[len(prefix):]))
    return os.path.basename(data) if os.sep in data else data
