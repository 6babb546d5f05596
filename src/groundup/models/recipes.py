"""Training recipes: how `groundup train` trains each zoo model.

The registry (registry.py) lists the models and builds them; a recipe says how one
is trained by default: its data, the number of epochs, the batch size, the
optimizer, its learning rate and weight decay, the learning-rate schedule, the
label smoothing of the loss and gradient clipping. Every field can be overridden
on the command line (`--epochs`, `--lr`, ...) or in a `--config` file; the
settings in effect are saved with the run, and `optimizer`, `scheduler` and `loss`
rebuild the training objects from them on --resume.

Registering a new model's recipe is one entry, next to its registry entry:

    RECIPES["lenet"] = Recipe(data="digits", epochs=20, batch_size=64, lr=1e-3,
                              optimizer="adam", schedule="cosine")

(or `register("lenet", Recipe(...))`). Every zoo model has one.
"""

import dataclasses
import math
from dataclasses import dataclass, field

from .. import nn, optim

__all__ = ["Recipe", "RECIPES", "OPTIMIZERS", "SCHEDULES", "get", "register", "optimizer",
           "scheduler", "schedule_factor", "loss"]

OPTIMIZERS = ("adam", "adamw", "sgd", "rmsprop")
SCHEDULES = ("constant", "cosine", "linear", "step")


@dataclass(frozen=True)
class Recipe:
    """How a model is trained; every field but `data` is a training setting (hparams)."""

    data: str = "digits"            # default dataset
    epochs: int = 10
    batch_size: int = 32
    lr: float = 1e-3
    optimizer: str = "adam"         # one of OPTIMIZERS
    weight_decay: float = 0.0       # exactly as given (AdamW: decoupled; others: L2)
    schedule: str = "cosine"        # one of SCHEDULES, spanning the run's epochs
    label_smoothing: float = 0.0    # of the cross-entropy; off unless asked for
    grad_clip: float = None         # max total gradient norm, None: no clipping
    # the model's values of its task's own settings ({"beta": 4.0} for a beta-VAE); the
    # others take the task's defaults (commands/tasks.py)
    options: dict = field(default_factory=dict)

    def hparams(self):
        """The training settings as a plain dict (what a run saves), less the task's."""
        return {k: v for k, v in dataclasses.asdict(self).items()
                if k not in ("data", "options")}


RECIPES = {
    # digits, val split 0.1 (1,293 train images), seeds 0-4: 96.4-97.2% test accuracy
    # (the last model; --label-smoothing 0.1 gives 97.4-98.3%)
    "mlp": Recipe(data="digits", epochs=40, batch_size=32, lr=2e-3, optimizer="adamw",
                  weight_decay=1e-2, schedule="cosine"),
    "logreg": Recipe(data="digits", epochs=30, batch_size=32, lr=1e-2, optimizer="adam",
                     weight_decay=0.0, schedule="constant"),
    # digits (val split 0.1), seeds 0-4: 98.6-99.2% test accuracy with the best model (98.3-98.9%
    # with the last), about 15 s (the mlp's settings, 30 epochs at lr 2e-3, weight decay 0.01
    # and no label smoothing, give 95-97%). Also the MNIST default: `--data mnist:DIR --epochs 3`
    # is ~2,800 steps of batch 64, and the schedule spans the 3 epochs.
    "lenet": Recipe(data="digits", epochs=200, batch_size=64, lr=5e-3, optimizer="adamw",
                    weight_decay=0.2, schedule="cosine", label_smoothing=0.2),
    # digits, seeds 0-2: 98.9-99.2% test accuracy (best and last model), about 15-20 s
    # (lr 5e-3: 98.3-99.2% on digits, but a slow, unsteady start on 32x32x3 images)
    "cnn": Recipe(data="digits", epochs=40, batch_size=64, lr=2e-3, optimizer="adamw",
                  weight_decay=0.2, schedule="cosine", label_smoothing=0.2),
    # digits, seeds 0-2: 99.2-99.4% test accuracy (best and last model), about 75 s
    "resnet": Recipe(data="digits", epochs=40, batch_size=64, lr=5e-3, optimizer="adamw",
                     weight_decay=0.2, schedule="cosine", label_smoothing=0.2),
    # shakespeare (844 k training characters, 63 distinct), seed 0, about 80 s on 2 cores:
    # val_loss 1.72 nats/char (windows of 64, state reset per window), test 1.68 nats/char
    # = 2.42 bits/char (state carried); samples show words, names and punctuation
    "charrnn": Recipe(data="shakespeare", epochs=4, batch_size=32, lr=3e-3, optimizer="adam",
                      schedule="cosine", grad_clip=1.0,
                      options={"seq_len": 64, "cell": "lstm", "width": 256, "layers": 1,
                               "embed": 64}),
    # digits, seed 0, about 3 s: test BCE 16.7 nats per image, MSE 0.013 per pixel (0.18 of
    # the training mean image's 0.074)
    "autoencoder": Recipe(data="digits", epochs=100, batch_size=64, lr=3e-3, optimizer="adam",
                          schedule="cosine"),
    # digits, seed 0, about 7 s: test BCE 19.3 + KL 3.1 = negative ELBO 22.4 nats per image,
    # MSE 0.026 per pixel (0.36 of the mean image's)
    "vae": Recipe(data="digits", epochs=150, batch_size=64, lr=3e-3, optimizer="adam",
                  schedule="cosine"),
    # moons, seeds 0-4: 98.3-99.2% test accuracy (best and last model), about 1 s;
    # spirals (--data spirals), seeds 0-2: 100%; digits: 85% (64 centres from 64-d noise)
    "rbfn": Recipe(data="moons", epochs=30, batch_size=32, lr=1e-2, optimizer="adam",
                   schedule="cosine"),
}


def register(name, recipe):
    """Add (or replace) the recipe of zoo model `name`."""
    if not isinstance(recipe, Recipe):
        raise TypeError(f"recipes.register: expected a Recipe, got {type(recipe).__name__}")
    RECIPES[name] = recipe
    return recipe


def get(name):
    """The Recipe for zoo model `name`, with a clear error for models that have none."""
    try:
        return RECIPES[name]
    except KeyError:
        raise KeyError(f"no training recipe for model {name!r}; recipes exist for: "
                       f"{', '.join(sorted(RECIPES))}") from None


def optimizer(name, params, lr, weight_decay=0.0):
    """The optimizer `name` (one of OPTIMIZERS) over `params`, with exactly this weight decay."""
    if name == "adam":
        return optim.Adam(params, lr=lr, weight_decay=weight_decay)
    if name == "adamw":
        return optim.AdamW(params, lr=lr, weight_decay=weight_decay)
    if name == "sgd":
        return optim.SGD(params, lr=lr, momentum=0.9, weight_decay=weight_decay)
    if name == "rmsprop":
        return optim.RMSprop(params, lr=lr, weight_decay=weight_decay)
    raise ValueError(f"unknown optimizer {name!r}; expected one of {', '.join(OPTIMIZERS)}")


def schedule_factor(name, epoch, epochs):
    """The learning-rate multiplier after `epoch` of `epochs` epochs under schedule `name`.

    constant: 1. cosine: (1 + cos(pi t)) / 2 with t = epoch / epochs (from 1 down to 0
    over the run). linear: 1 - t. step: 1, then 0.1 from half the run, 0.01 from three
    quarters. The schedule spans the run's epochs, whatever their number.
    """
    t = min(max(epoch / max(epochs, 1), 0.0), 1.0)
    if name == "constant":
        return 1.0
    if name == "cosine":
        return 0.5 * (1.0 + math.cos(math.pi * t))
    if name == "linear":
        return 1.0 - t
    if name == "step":
        return 0.1 ** ((t >= 0.5) + (t >= 0.75))
    raise ValueError(f"unknown schedule {name!r}; expected one of {', '.join(SCHEDULES)}")


def scheduler(opt, hp):
    """A per-epoch LambdaLR for the run's schedule over its `epochs` (closed form, so a
    resumed run follows the same learning rates, and a run extended with more epochs
    follows the schedule of its new length)."""
    name, epochs = hp.get("schedule", "constant"), int(hp["epochs"])
    schedule_factor(name, 0, epochs)  # an unknown name fails here, not at the first epoch
    return optim.lr_scheduler.LambdaLR(opt, lambda epoch: schedule_factor(name, epoch, epochs))


def loss(hp):
    """Cross-entropy with the run's label smoothing (0: none)."""
    return nn.CrossEntropyLoss(label_smoothing=float(hp.get("label_smoothing") or 0.0))
