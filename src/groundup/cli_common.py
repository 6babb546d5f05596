"""Names shared by the `groundup` command's parser (cli.py) and its commands (commands/).

Both import this module and it imports nothing from the package, so the command
line stays one-way: cli parses the arguments, commands does the work.
"""

__all__ = ["CLIError", "LAST", "BEST", "CONFIG", "HISTORY", "RUN_FILES", "RUNS",
           "TRAINING_SETTINGS", "RUN_SETTINGS", "SETTINGS"]

# the files of a run folder
LAST = "last.safetensors"    # the whole training state, saved every epoch: --resume reads it
BEST = "best.safetensors"    # the model of the best epoch (by the validation loss)
CONFIG = "config.json"       # every setting of the run; `train --config` accepts it back
HISTORY = "history.csv"      # one row per epoch
RUN_FILES = (LAST, BEST, CONFIG, HISTORY, "curves.png", "confusion.png", "predictions.csv",
             "filters.png", "feature_maps.png", "errors.png")
RUNS = "runs"                # where new runs go: runs/NAME-001, ..., and runs/latest

# the settings of a run, in the order config files and run headers list them: those that
# decide what is trained (fixed for the life of a run) ...
TRAINING_SETTINGS = ("model", "data", "epochs", "batch_size", "optimizer", "lr", "weight_decay",
                     "schedule", "label_smoothing", "grad_clip", "val_split", "early_stopping",
                     "seed", "hidden", "delimiter")
# ... and those that only decide how it runs (a resumed run may change them; epochs too)
RUN_SETTINGS = ("save_every", "threads")
SETTINGS = TRAINING_SETTINGS + RUN_SETTINGS


class CLIError(Exception):
    """A user-facing error: printed as one line, exit status 2.

    The command raises it (or a subclass) on purpose, for mistakes in what the user
    asked: bad arguments, missing or broken files, a folder that holds another run.
    Any other exception is a bug and is reported with its traceback.
    """
