"""The `groundup` command: train, evaluate and use zoo models on bundled or user data.

    groundup train MODEL [--data D] [--epochs N] [--lr LR] ... [--out DIR [--overwrite]]
    groundup train --config runs/mlp-001/config.json      (the settings of an earlier run)
    groundup train --resume DIR [--epochs N]               (continue the run in DIR)
    groundup eval DIR [--data D] [--checkpoint best|last]
    groundup predict DIR INPUT.(npy|csv) [--output FILE]
    groundup runs [DIR]
    groundup list
    groundup demo xor
    groundup --version

Mistakes in what the user asked (a CLIError: bad arguments, missing or broken
files, a folder holding another run) print one line on stderr and exit with
status 2. Anything else is a bug: its traceback is printed with a request to
report it (exit status 1). Ctrl-C / SIGTERM during training save the run and
exit with status 130 / 143.
"""

import argparse
import os
import sys
import traceback

from .cli_common import BEST, LAST, RUNS, CLIError


def _per_model(field):
    """'mlp 40, logreg 30': a recipe field's default for each zoo model."""
    from .models import recipes, registry

    values = []
    for name in registry.list_models():
        value = getattr(recipes.get(name), field)
        values.append(f"{name} {value:g}" if isinstance(value, float) else f"{name} {value}")
    return ", ".join(values)


def _train_parser(sub):
    from .data.spec import FILE_FORMS, NAMED
    from .models.recipes import OPTIMIZERS, SCHEDULES

    t = sub.add_parser(
        "train", help="train a zoo model (a new folder runs/MODEL-NNN, or --resume DIR)",
        description="Train a zoo model. Each run gets a folder of its own (runs/MODEL-001, "
                    "runs/MODEL-002, ...; runs/latest points at the newest) holding "
                    f"{LAST} (saved every epoch and on Ctrl-C: --resume continues it exactly), "
                    f"{BEST} (the model of the best epoch by the validation loss), "
                    "config.json (every setting: --config accepts it back), history.csv, "
                    "curves.png and confusion.png (and, for convolutional networks, filters.png, "
                    "feature_maps.png and errors.png). Settings left out take the model's recipe "
                    "(see `groundup list`).")
    t.add_argument("model", nargs="?", help="zoo model name (see `groundup list`)")
    data = ", ".join(list(NAMED) + list(FILE_FORMS))
    t.add_argument("--data", metavar="DATA",
                   help=f"{data} (default: the model's: {_per_model('data')})")
    g = t.add_argument_group("training (fixed for the life of a run)")
    g.add_argument("--epochs", type=int, metavar="N",
                   help=f"epochs to train; the schedule spans them (default: "
                        f"{_per_model('epochs')})")
    g.add_argument("--batch-size", type=int, metavar="B",
                   help=f"samples per step (default: {_per_model('batch_size')})")
    g.add_argument("--optimizer", choices=OPTIMIZERS,
                   help=f"(default: {_per_model('optimizer')})")
    g.add_argument("--lr", type=float, metavar="LR",
                   help=f"learning rate at the start (default: {_per_model('lr')})")
    g.add_argument("--weight-decay", type=float, metavar="WD",
                   help=f"decoupled for adamw, L2 for the others (default: "
                        f"{_per_model('weight_decay')})")
    g.add_argument("--schedule", choices=SCHEDULES,
                   help=f"learning-rate schedule over the epochs (default: "
                        f"{_per_model('schedule')})")
    g.add_argument("--label-smoothing", type=float, metavar="S",
                   help="label smoothing of the cross-entropy (default: 0, off)")
    g.add_argument("--grad-clip", type=float, metavar="NORM",
                   help="clip the total gradient norm to NORM (default: off)")
    g.add_argument("--val-split", type=float, metavar="F",
                   help="fraction of the training data held out for validation: early "
                        "stopping and the best model are chosen on it, the test split is "
                        "only reported; 0: none, the last model is kept (default: 0.1)")
    g.add_argument("--early-stopping", type=int, metavar="PATIENCE",
                   help="stop when the validation loss has not improved for PATIENCE epochs "
                        "(default: off)")
    g.add_argument("--seed", type=int, help="seed of the weights, the shuffling and the "
                                            "splits (default: 0)")
    g.add_argument("--hidden", metavar="W1,W2",
                   help="hidden widths of mlp, e.g. 256,128 (default: 256,128)")
    g.add_argument("--delimiter", metavar="C",
                   help="column separator of a CSV (default: detected among , ; tab |)")
    _task_options(t)
    r = t.add_argument_group("the run")
    r.add_argument("--config", metavar="FILE",
                   help="settings from a JSON file such as a run's config.json (the command "
                        "line overrides them)")
    r.add_argument("--out", metavar="DIR",
                   help=f"the run's folder (default: a new {RUNS}/MODEL-NNN); refused if it "
                        f"holds a run, unless --overwrite")
    r.add_argument("--overwrite", action="store_true",
                   help="let --out replace the run in DIR (its files are removed first)")
    r.add_argument("--resume", metavar="DIR",
                   help=f"continue the run in DIR, in DIR, from its {LAST} (--epochs N "
                        f"extends it)")
    r.add_argument("--save-every", type=int, metavar="N",
                   help="also save the run every N batches inside an epoch (default: off, "
                        "every epoch only)")
    r.add_argument("--threads", type=int, metavar="N",
                   help="compute on N threads (default: all the cores when training alone, "
                        "shared with other groundup processes)")
    r.add_argument("--no-progress", action="store_true",
                   help="no progress bar, only the per-epoch lines")
    r.add_argument("--nproc", type=int, metavar="N",
                   help="train on N processes, data-parallel over MPI (mpiexec; each takes "
                        "1/N of every batch and one thread unless --threads); needs "
                        'pip install "groundup[mpi]"')
    r.add_argument("--hostfile", metavar="FILE",
                   help="with --nproc: the machines to run on, passed to mpiexec -f")


def _task_options(t):
    """--NAME for each setting that only some kinds of model take (`--beta` for vae)."""
    from .commands import tasks

    found = tasks.all_options()
    if not found:
        return
    g = t.add_argument_group("settings of some kinds of model only")
    for key, (opt, users) in found.items():
        names = tasks.option_models(key)
        extra = {"choices": opt.choices} if opt.choices else {"metavar": key.upper()}
        if opt.type is bool:  # a flag: given, it is on; absent, the recipe decides
            extra = {"action": "store_const", "const": True, "default": None}
        else:
            extra["type"] = opt.type
        g.add_argument("--" + key.replace("_", "-"), **extra,
                       help=f"{opt.help} ({', '.join(names) or ' '.join(users)}; default: "
                            f"{opt.default})")


def _parser():
    from . import __version__

    p = argparse.ArgumentParser(
        prog="groundup", description="Train and use neural networks built from first principles.")
    p.add_argument("--version", action="version", version=f"groundup {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    _train_parser(sub)

    which = {"choices": ("best", "last"),
             "help": f"which model: best ({BEST}, the default when the run has one) or last "
                     f"({LAST})"}
    e = sub.add_parser("eval", help="evaluate a run on its test split or on --data")
    e.add_argument("dir", help="the run's folder, e.g. runs/latest")
    e.add_argument("--data", help="other data to evaluate on (default: the run's test split)")
    e.add_argument("--checkpoint", **which)

    pr = sub.add_parser("predict", help="predict classes for INPUT.npy or INPUT.csv",
                        description="Predict the class of each sample of INPUT: an .npy array "
                                    "(N samples, or one) or a CSV with one sample per row. "
                                    "Inputs are raw, in the units of the training data; the "
                                    "run's input scaling is applied to them.")
    pr.add_argument("dir", help="the run's folder, e.g. runs/latest")
    pr.add_argument("input")
    pr.add_argument("--output", help="where to write predictions (default: DIR/predictions.csv)")
    pr.add_argument("--checkpoint", **which)
    pr.add_argument("--delimiter", metavar="C", help="column separator of a CSV (default: "
                                                     "detected)")

    sa = sub.add_parser("sample", help="generate from a trained model: text from a language "
                                       "model, images from a generative one")
    sa.add_argument("dir", help="the run's folder, e.g. runs/latest")
    sa.add_argument("--checkpoint", **which)
    sa.add_argument("--out", metavar="PATH", help="where to write (default: in DIR; text is "
                                                  "printed)")
    sa.add_argument("--num", type=int, metavar="N", help="how many samples (images in the "
                                                         "grid, texts)")
    sa.add_argument("--length", type=int, metavar="N", help="characters or tokens to write "
                                                            "(text)")
    sa.add_argument("--prompt", help="the text to continue (text); the digits to transform "
                                     "(seq2seq)")
    sa.add_argument("--temperature", type=float, metavar="T",
                    help="divide the logits by T before sampling: below 1 is safer, above "
                         "is wilder (default: 1)")
    sa.add_argument("--top-k", type=int, metavar="K",
                    help="sample among the K likeliest tokens only (default: all)")
    sa.add_argument("--top-p", type=float, metavar="P",
                    help="sample among the fewest likeliest tokens whose probabilities sum "
                         "to P or more (nucleus sampling; default: 1, all)")
    sa.add_argument("--beam", type=int, metavar="K",
                    help="decode with a beam of K hypotheses (seq2seq; default: 1, greedy)")
    sa.add_argument("--digit", type=int, metavar="D",
                    help="the class to generate (a conditional model; default: every class "
                         "in turn)")
    sa.add_argument("--seed", type=int, default=0, help="(default: 0)")

    ru = sub.add_parser("runs", help=f"list the runs under {RUNS}/ (or DIR)")
    ru.add_argument("dir", nargs="?", default=RUNS, help=f"folder of runs (default: {RUNS})")

    sub.add_parser("list", help="list zoo models (with their default settings) and datasets")

    d = sub.add_parser("demo", help="small demonstrations")
    d.add_argument("name", choices=["xor"])
    d.add_argument("--out", default=None,
                   help="directory for the decision-boundary plot (default: runs/demo-xor)")
    d.add_argument("--epochs", type=int, default=2000, help="(default: 2000)")
    return p


def _error(command, message):
    """Print a user-facing error as exactly one line on stderr."""
    parts = [part.strip() for part in str(message).splitlines() if part.strip()]
    print(f"groundup {command}: error: {'; '.join(parts)}", file=sys.stderr)


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # train --nproc relaunches it
    if args.command is None:
        parser.print_help()
        return 2
    try:
        from . import commands

        return getattr(commands, f"cmd_{args.command}")(args) or 0
    except CLIError as e:
        if os.environ.get("GROUNDUP_DEBUG"):
            raise
        _error(args.command, e)
        return 2
    except KeyboardInterrupt:
        print(f"groundup {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # the reader of our output left (`groundup runs | head`)
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):
            pass
        return 141
    except Exception:  # not a mistake of the user's: a bug, shown in full
        traceback.print_exc()
        print(f"groundup {args.command}: this is a bug in groundup, not a mistake in your "
              f"command: please report it, with the command you ran and the traceback above",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
