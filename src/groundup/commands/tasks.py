"""What `groundup train` does for each kind of model: its Task.

A run is the same for every model: a folder of its own, the settings resolved and
saved, a checkpoint every epoch and on Ctrl-C, exact --resume, the best model kept.
What differs between a classifier, a language model, an autoencoder or a GAN is
gathered here, in a Task:

    load_data(s)                  the run's data (a Split for classifiers)
    model_config(spec, data, s)   the config fields the data decides (input size, classes)
    data_lines(data, s)           the header's lines about the data
    run_info(data)                what the checkpoint keeps about the data
    loaders(data, s)              (train, val or None, test) loaders
    loss(s), step(s, model), metrics(s)   what fit() is given
    report(out, s, data, model, best_model, ckpt, test_loader)   test figures, pictures
    evaluate(args, loaded)        `groundup eval DIR` (other than classification)
    sample(args, loaded)          `groundup sample DIR` (models that generate)

A zoo model names its task in its ModelSpec (`task="text"`; "classify" by default);
the task's module is imported only when a model of that kind is used (MODULES).
Settings that only one task's models take (`--beta` for a VAE) are its `options`:
the command line, config files and the run header pick them up from there.
"""

import importlib
import os
from dataclasses import dataclass

import groundup as gu

from ..cli_common import HISTORY, CLIError

__all__ = ["Option", "Task", "Classify", "MODULES", "get", "for_model", "all_options",
           "option_models"]


@dataclass(frozen=True)
class Option:
    """A setting that only one task's models take: `--NAME VALUE`, kept in config.json."""

    type: type                 # int, float, str or bool (a flag: --NAME turns it on)
    default: object            # the value when neither the recipe nor the user sets it
    help: str
    low: float = None          # int/float: the smallest value allowed
    high: float = None         # int/float: values must be below it
    choices: tuple = None      # str: the values allowed
    models: tuple = None       # the zoo models of the task that take it (None: all of them)

    def takes(self, model):
        """Whether zoo model `model` (one of the task's) takes this setting."""
        return self.models is None or model in self.models

    def check(self, value, where):
        """`value`, checked and converted; CLIError naming `where` otherwise."""
        if value is None:
            return None
        if self.type is bool:
            if not isinstance(value, bool):
                raise CLIError(f"{where} must be true or false; got {value!r}")
            return value
        if self.type is str:
            if not isinstance(value, str) or (self.choices and value not in self.choices):
                allowed = f"one of {', '.join(self.choices)}" if self.choices else "a string"
                raise CLIError(f"{where} must be {allowed}; got {value!r}")
            return value
        try:
            if isinstance(value, bool):
                raise ValueError
            number = self.type(value)
            if self.type is int and number != value:
                raise ValueError
        except (TypeError, ValueError):
            raise CLIError(f"{where} must be {'an integer' if self.type is int else 'a number'}"
                           f"; got {value!r}") from None
        if self.low is not None and number < self.low:
            raise CLIError(f"{where} must be >= {self.low:g}; got {number:g}")
        if self.high is not None and number >= self.high:
            raise CLIError(f"{where} must be < {self.high:g}; got {number:g}")
        return number


class Task:
    """The classification run (mlp, lenet, resnet, ...); other tasks subclass it."""

    name = "classify"
    monitor = "val_loss"       # the validation log the best model is chosen by (lower wins)
    confidence = None          # errors.png: None, outputs are logits (softmax); else the name
    #                            of the per-class scores in [0, 1] the outputs are
    options = {}               # {setting: Option} that only this task's models take

    # ---------------------------------------------------------------- data
    def load_data(self, s):
        """The run's Split, with the user's data mistakes as one-line errors."""
        from ..data import spec as data_spec

        try:
            split = data_spec.load(s["data"], seed=s["seed"], val_split=s["val_split"],
                                   delimiter=s["delimiter"])
            return data_spec.check_trainable(split)
        except data_spec.USER_ERRORS as e:
            raise CLIError(file_message(e)) from None

    def model_config(self, spec, data, s):
        config = {field: getattr(data, source) for field, source in spec.data_fields.items()}
        for option, field in spec.options.items():
            if s.get(option) is not None:
                config[field] = s[option]
        return config

    def data_lines(self, data, s):
        from ..data import spec as data_spec
        split = data
        delimiter = {None: "detected", "\t": "tab", " ": "space"}.get(s["delimiter"],
                                                                     repr(s["delimiter"]))
        sizes = f"{len(split.y_train)} train / " \
                f"{len(split.y_val) if split.y_val is not None else 0} val / " \
                f"{len(split.y_test)} test samples"
        shape = f" ({'x'.join(map(str, split.input_shape))})" if len(split.input_shape) > 1 \
            else ""
        return [
            f"  data       {sizes}, {split.features} features{shape}, {split.classes} classes",
            f"  source     {split.about}" if split.about else
            f"  source     {s['data']} (delimiter {delimiter}"
            f": for CSV files only)",
            f"  inputs     {data_spec.describe_scaling(split.scaling)}",
        ]

    def run_info(self, data):
        split = data
        return {"class_names": split.class_names, "scaling": split.scaling,
                "input_shape": split.input_shape,
                "samples": {"train": len(split.y_train), "test": len(split.y_test),
                            "val": len(split.y_val) if split.y_val is not None else 0}}

    def loaders(self, data, s):
        from ..data import DataLoader, TensorDataset

        split = data
        train = DataLoader(TensorDataset(split.scale(split.X_train), split.y_train),
                           batch_size=s["batch_size"], shuffle=True, seed=s["seed"])
        val = None
        if split.y_val is not None:
            val = DataLoader(TensorDataset(split.scale(split.X_val), split.y_val),
                             batch_size=512)
        test = DataLoader(TensorDataset(split.scale(split.X_test), split.y_test),
                          batch_size=512)
        return train, val, test

    # ------------------------------------------------------------ training
    def loss(self, s):
        from ..models import recipes

        return recipes.loss(s)

    def step(self, s, model):
        """A custom fit() step (see train.fit), or None for the default one."""
        return None

    def optimizer(self, s, model):
        """The run's optimizer, or None for the recipe's one over all parameters (a GAN:
        gu.optim.NamedOptimizers of the generator's and the discriminator's)."""
        return None

    def callbacks(self, out, s, data, model):
        """Callbacks run before the run's own (their on_epoch_end may add to the epoch's
        logs, which history.csv and the checkpoint then hold)."""
        return []

    def metrics(self, s):
        return ("accuracy",)

    # -------------------------------------------------------------- report
    def report(self, out, s, data, model, best_model, ckpt, test_loader):
        """Print the test figures of the best and last models, then draw the pictures."""
        from ..train import evaluate

        split = data
        ce = gu.nn.CrossEntropyLoss()
        last = evaluate(model, test_loader, ce, metrics=("accuracy",))
        if best_model is not model:
            chosen = evaluate(best_model, test_loader, ce, metrics=("accuracy",))
            logs = ckpt.best_logs or {}
            figures = ", ".join(f"{k} {logs[k]:.4f}" for k in ("val_loss", "val_accuracy")
                                if k in logs)
            print(f"best model: epoch {ckpt.best_epoch} ({figures}): {ckpt.best_path}")
            print(f"test accuracy {chosen['accuracy']:.4f} with the best model, "
                  f"{last['accuracy']:.4f} with the last ({len(split.y_test)} test samples: "
                  f"reported, never selected on)")
        else:
            print(f"test accuracy {last['accuracy']:.4f} with the last model "
                  f"({len(split.y_test)} test samples)")
        print(f"checkpoint: {ckpt.path}")
        self.plots(out, best_model, split, ckpt.best_epoch)

    def plots(self, out, model, data, best_epoch):
        print_plots(lambda: self.pictures(out, model, data, best_epoch))

    def pictures(self, out, model, split, best_epoch):
        """The classifier's pictures (curves, confusion matrix, and what its layers allow);
        their paths."""
        from .. import viz
        from ..train import confusion_matrix, predict

        curves = plot_curves(out, best_epoch)
        outputs = predict(model, split.scale(split.X_test))
        cm = confusion_matrix(split.y_test, outputs.argmax(axis=1),
                              num_classes=split.classes)
        confusion = viz.plot_confusion_matrix(cm, os.path.join(out, "confusion.png"),
                                              class_names=split.class_names)
        paths = [curves, confusion] + cnn_plots(out, model, split, outputs,
                                                confidence=self.confidence)
        attention = viz.plot_model_attention(  # models with attention layers (vit)
            model, gu.tensor(split.scale(split.X_test[:1])), os.path.join(out, "attention.png"),
            title="attention for the first test sample")
        paths += [attention] if attention else []
        paths += viz.plot_model_regions(  # MixtureOfExperts or RBF models (moe, rbfn)
            model, split.scale(split.X_test), split.y_test, out)
        return paths

    # ------------------------------------------------------ eval and sample
    def classifies(self, run):
        """Whether the run (its run info) is a classifier's, which `groundup eval` and
        `predict` handle themselves (commands/use.py); other runs go to evaluate()."""
        return self.name == "classify"

    def eval_data(self, args, run):
        """(settings, data) for `groundup eval`: the run's saved settings, with the data
        replaced by `--data D` when given, loaded as training loaded it."""
        s = dict(run["settings"])
        if getattr(args, "data", None):
            s["data"] = args.data
        return s, self.load_data(s)

    def eval_loss(self, s):
        """(name, loss function) that `groundup eval` reports for a classifier run with
        settings `s`: the cross-entropy of its outputs, unless the task trains another loss."""
        return "loss", gu.nn.CrossEntropyLoss()

    def evaluate(self, args, loaded):
        """`groundup eval DIR` for this task's models (loaded: what runs.load_run returns);
        classifiers are evaluated by commands/use.py itself."""
        raise CLIError(f"groundup eval does not apply to {self.name} models yet")

    def sample(self, args, loaded):
        """`groundup sample DIR`: what a generative model writes (loaded: what
        runs.load_run returns: path, kind, checkpoint, model, run info); returns the exit
        status. Classifiers generate nothing."""
        model = loaded[2]["config"]["model"]
        raise CLIError(f"{model} is a {self.name} model: it does not generate samples "
                       f"(groundup sample applies to models that generate: "
                       f"{', '.join(generative_models()) or 'none installed'})")


Classify = Task

# task name -> module holding its Task subclass (as TASK); imported on first use
MODULES = {"classify": None, "text": ".task_text", "reconstruct": ".task_reconstruct",
           "seq2seq": ".task_seq2seq", "forecast": ".task_forecast",
           "capsule": ".task_capsule", "regress": ".task_regress", "rbf": ".task_rbf",
           "gan": ".task_gan"}
_LOADED = {"classify": Task()}


def get(name):
    """The Task called `name`."""
    if name not in _LOADED:
        if name not in MODULES:
            raise KeyError(f"unknown task {name!r}; tasks: {', '.join(sorted(MODULES))}")
        _LOADED[name] = importlib.import_module(MODULES[name], __package__).TASK
    return _LOADED[name]


def for_model(model_name):
    """The Task of zoo model `model_name` (its ModelSpec's `task`)."""
    from ..models import registry

    return get(getattr(registry.get(model_name), "task", "classify"))


def all_options():
    """{setting: (Option, [task names])} over every task, in a stable order."""
    found = {}
    for name in sorted(MODULES):
        for key, opt in get(name).options.items():
            found.setdefault(key, (opt, []))[1].append(name)
    return found


def option_models(key):
    """The zoo models that take task setting `key` (`--conditional`: vae, gan, dcgan)."""
    from ..models import registry

    return [m for m in registry.list_models()
            if key in (opt := get(getattr(registry.get(m), "task", "classify")).options)
            and opt[key].takes(m)]


def generative_models():
    from ..models import registry

    return [m for m in registry.list_models()
            if type(get(getattr(registry.get(m), "task", "classify"))).sample
            is not Task.sample]


# ------------------------------------------------------------- shared pieces
def file_message(e):
    """An OSError or data error as one line that names the file."""
    if isinstance(e, OSError) and e.filename and not str(e).count(str(e.filename)):
        return f"{e.strerror or e}: {e.filename}"
    return str(e)


def write_sample(target, write):
    """write() the picture `groundup sample` makes at `target`, its failures a user can
    fix (no Pillow, a folder that is not there) as CLIErrors."""
    try:
        write()
    except ImportError as e:
        raise CLIError(f"groundup sample needs Pillow to write images ({e})") from None
    except OSError as e:
        raise CLIError(f"--out {target}: {e.strerror or e}") from None


def print_plots(draw):
    """Print the paths of the pictures `draw()` writes (a list), or that they were skipped
    when matplotlib is not installed."""
    try:
        paths = draw()
    except ImportError:
        print("plots skipped: matplotlib is not installed (pip install 'groundup[plot]')")
        return
    print(f"plots: {', '.join(paths)}")


def plot_curves(out, best_epoch):
    """curves.png from the run's history.csv; returns its path (ImportError without
    matplotlib)."""
    from .. import viz
    from ..train import History

    history = History.from_csv(os.path.join(out, HISTORY))
    return viz.plot_history(history, os.path.join(out, "curves.png"), best_epoch=best_epoch)


def cnn_plots(out, model, split, outputs=None, confidence=None):
    """For a model with a convolution trained on images (N, C, H, W): the first layer's
    filters, the feature maps of the first test image and the worst test errors, as
    filters.png, feature_maps.png and errors.png in `out`; [] for other models or data.
    outputs: the model's outputs on the scaled test inputs, if computed already;
    confidence: what they are, for errors.png (see viz.plot_worst_errors)."""
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
                                  class_names=split.class_names, confidence=confidence)]
