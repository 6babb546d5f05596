"""The `groundup` command: train, evaluate and use zoo models on bundled or user data.

    groundup train mlp [--data digits] [--epochs N] [--batch-size B] [--lr LR] [--seed S]
                       [--out DIR]
    groundup train --resume DIR [--epochs N]
    groundup eval DIR [--data ...]
    groundup predict DIR INPUT.(npy|csv) [--output FILE]
    groundup list
    groundup demo xor

User mistakes (bad arguments, missing or broken files, a checkpoint that does not
fit the model) print one line on stderr and exit with status 2.
"""

import argparse
import os
import sys

from .cli_common import CHECKPOINT, CLIError
from .models.recipes import OPTIMIZERS


def _parser():
    p = argparse.ArgumentParser(
        prog="groundup", description="Train and use neural networks built from first principles."
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    t = sub.add_parser("train", help=f"train a zoo model (writes DIR/{CHECKPOINT}, "
                                     "history.csv, curves.png, confusion.png)")
    t.add_argument("model", nargs="?", help="zoo model name (see `groundup list`)")
    t.add_argument("--data", help="digits | iris | xor | spirals | moons | circles | PATH.csv | "
                                  "PATH.npz | mnist:DIR (default: the model's own)")
    t.add_argument("--epochs", type=int, help="total number of epochs")
    t.add_argument("--batch-size", type=int)
    t.add_argument("--lr", type=float, help="learning rate")
    t.add_argument("--optimizer", choices=OPTIMIZERS)
    t.add_argument("--hidden", help="hidden widths for mlp, e.g. 256,128")
    t.add_argument("--seed", type=int, default=0)
    t.add_argument("--out", default="runs/latest", help="output directory (default runs/latest)")
    t.add_argument("--resume", metavar="DIR", help="continue the run saved in DIR")
    t.add_argument("--no-progress", action="store_true", help="only the per-epoch lines")

    e = sub.add_parser("eval", help="evaluate a trained model on its test split or --data")
    e.add_argument("dir")
    e.add_argument("--data")

    pr = sub.add_parser("predict", help="predict classes for INPUT.npy or INPUT.csv")
    pr.add_argument("dir")
    pr.add_argument("input")
    pr.add_argument("--output", help="where to write predictions (default DIR/predictions.csv)")

    sub.add_parser("list", help="list zoo models and datasets")

    d = sub.add_parser("demo", help="small demonstrations")
    d.add_argument("name", choices=["xor"])
    d.add_argument("--out", default=None, help="directory for the decision-boundary plot")
    d.add_argument("--epochs", type=int, default=2000)
    return p


def _error(command, message):
    """Print a user-facing error as exactly one line on stderr."""
    parts = [part.strip() for part in str(message).splitlines() if part.strip()]
    print(f"groundup {command}: error: {'; '.join(parts)}", file=sys.stderr)


def main(argv=None):
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        from . import commands

        return getattr(commands, f"cmd_{args.command}")(args) or 0
    except CLIError as e:
        _error(args.command, e)
        return 2
    except (FileNotFoundError, IsADirectoryError, PermissionError) as e:
        name = e.filename if getattr(e, "filename", None) else ""
        _error(args.command, f"{e.strerror or e}: {name}".rstrip(": "))
        return 2
    except (ValueError, KeyError, TypeError, RuntimeError, OSError) as e:
        if os.environ.get("GROUNDUP_DEBUG"):
            raise
        _error(args.command, e.args[0] if isinstance(e, KeyError) and e.args else e)
        return 2
    except KeyboardInterrupt:
        print(f"groundup {args.command}: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
