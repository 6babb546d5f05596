"""The settings of a training run: where each comes from, how it is checked and shown.

A setting's value is, from the weakest to the strongest: the model's recipe
(models/recipes.py) or the defaults below, a `--config FILE` (the config.json
of an earlier run, or one written by hand), then the command line. Every
setting in effect is printed in the run's header and saved as DIR/config.json,
which `groundup train --config` accepts back.
"""

import json
import math
import numbers
import os

from ..cli_common import CONFIG, RUN_SETTINGS, SETTINGS, TRAINING_SETTINGS, CLIError

__all__ = ["DEFAULTS", "given", "read_config", "write_config", "resolve", "check", "option",
           "show", "describe"]

# the defaults of settings that no recipe sets
DEFAULTS = {"val_split": 0.1, "early_stopping": None, "seed": 0, "hidden": None,
            "delimiter": None, "save_every": None, "threads": None}
_DELIMITERS = {"tab": "\t", "\\t": "\t", "space": " ", "comma": ",", "semicolon": ";"}


def option(key):
    """The command-line spelling of a setting: batch_size -> --batch-size."""
    return "--" + key.replace("_", "-")


def _fail(where, message):
    raise CLIError(f"{where} {message}")


def _int(value, where, low=None, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        if isinstance(value, float) and value.is_integer():
            value = int(value)
        else:
            _fail(where, f"must be an integer; got {value!r}")
    if low is not None and value < low:
        _fail(where, f"must be >= {low}; got {value}")
    return int(value)


def _float(value, where, low=None, high=None, positive=False, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        _fail(where, f"must be a number; got {value!r}")
    value = float(value)
    if positive and not (math.isfinite(value) and value > 0):
        _fail(where, f"must be a finite number > 0; got {value}")
    if not math.isfinite(value):
        _fail(where, f"must be a finite number; got {value}")
    if low is not None and value < low:
        _fail(where, f"must be >= {low:g}; got {value:g}")
    if high is not None and value >= high:
        _fail(where, f"must be < {high:g}; got {value:g}")
    return value


def _hidden(value, where):
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = [int(h) for h in value.split(",") if h.strip()]
        except ValueError:
            _fail(where, f"expects widths like 256,128; got {value!r}")
    if not isinstance(value, (list, tuple)) or not value:
        _fail(where, f"expects widths like 256,128; got {value!r}")
    widths = [_int(h, where) for h in value]
    if any(h < 1 for h in widths):
        _fail(where, f"every width must be >= 1; got {','.join(map(str, widths))}")
    return widths


def _delimiter(value, where):
    if value is None:
        return None
    if not isinstance(value, str):
        _fail(where, f"must be one character; got {value!r}")
    value = _DELIMITERS.get(value.lower(), value)
    if len(value) != 1 or value in "\"\n\r":
        _fail(where, f"must be one character (or tab, space); got {value!r}")
    return value


def check(key, value, where=None):
    """`value` of setting `key`, checked and normalised; CLIError names `where` (the option)."""
    from ..models import recipes, registry
    from . import tasks

    where = where or option(key)
    if key == "model":
        if value not in registry.MODELS:
            _fail(where, f"names an unknown model {value!r}; available: "
                         f"{', '.join(registry.list_models())}")
        return value
    if key == "data":
        if not isinstance(value, str) or not value:
            _fail(where, f"must name a dataset; got {value!r}")
        return value
    if key in ("epochs", "batch_size"):
        return _int(value, where, low=1)
    if key in ("save_every", "threads", "early_stopping"):
        return _int(value, where, low=1, allow_none=True)
    if key == "seed":
        return _int(value, where, low=0)
    if key == "lr":
        return _float(value, where, positive=True)
    if key == "weight_decay":
        return _float(value, where, low=0.0)
    if key == "label_smoothing":
        return _float(value, where, low=0.0, high=1.0)
    if key == "val_split":
        return _float(value, where, low=0.0, high=1.0)
    if key == "grad_clip":
        return _float(value, where, positive=True, allow_none=True)
    if key in ("optimizer", "schedule"):
        choices = recipes.OPTIMIZERS if key == "optimizer" else recipes.SCHEDULES
        if value not in choices:
            _fail(where, f"must be one of {', '.join(choices)}; got {value!r}")
        return value
    if key == "hidden":
        return _hidden(value, where)
    if key == "delimiter":
        return _delimiter(value, where)
    extra = tasks.all_options()
    if key in extra:
        return extra[key][0].check(value, where)
    raise CLIError(f"unknown setting {key!r}")  # pragma: no cover - SETTINGS lists them


def given(args):
    """{setting: value} of the settings given on the command line, each checked."""
    from . import tasks

    out = {}
    for key in SETTINGS + tuple(tasks.all_options()):
        value = getattr(args, key, None)
        if value is not None:
            out[key] = check(key, value)
    return out


def read_config(path):
    """The checked settings of a config file (JSON: {setting: value})."""
    try:
        with open(path, encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise CLIError(f"--config {path}: no such file") from None
    except IsADirectoryError:
        raise CLIError(f"--config {path}: is a directory; pass its {CONFIG}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise CLIError(f"--config {path}: not a JSON config file ({e})") from None
    if not isinstance(data, dict):
        raise CLIError(f"--config {path}: expected a JSON object {{setting: value}}; got a "
                       f"{type(data).__name__}")
    from . import tasks

    unknown = sorted(set(data) - set(SETTINGS) - set(tasks.all_options()))
    if unknown:
        raise CLIError(f"--config {path}: unknown settings {', '.join(unknown)}; the settings "
                       f"are {', '.join(SETTINGS)}")
    return {key: check(key, value, f"--config {path}: {key}") for key, value in data.items()}


def write_config(directory, settings):
    """Write DIR/config.json (atomically); returns its path."""
    from ..io import atomic_open

    path = os.path.join(directory, CONFIG)
    with atomic_open(path, "w") as f:
        json.dump({key: settings.get(key) for key in SETTINGS + _task_keys(settings)}, f,
                  indent=2)
        f.write("\n")
    return path


def _task_keys(settings):
    """The task options a run's settings hold (they follow SETTINGS in config.json)."""
    from . import tasks

    return tuple(key for key in tasks.all_options() if key in settings)


def resolve(model, *sources):
    """Every setting of a new run of `model`: its recipe and DEFAULTS (and its task's
    options: their defaults, then the recipe's), then each source ({setting: value},
    checked) in turn."""
    from ..models import recipes, registry
    from . import tasks

    recipe = recipes.get(model)
    task = tasks.for_model(model)
    own = {key: opt.default for key, opt in task.options.items() if opt.takes(model)}
    own.update(recipe.options)
    settings = dict(DEFAULTS, model=model, data=recipe.data, **recipe.hparams(), **own)
    for source in sources:
        for key, value in source.items():
            if key in task.options and key not in own:  # a setting of other models of the task
                if value in (None, task.options[key].default):
                    continue  # e.g. conditional false in a config.json: nothing asked for
                raise CLIError(f"{option(key)} applies to "
                               f"{', '.join(tasks.option_models(key))}; {model} does not "
                               f"take it")
            if key in tasks.all_options() and key not in own:
                users = tasks.all_options()[key][1]
                raise CLIError(f"{option(key)} applies to {' and '.join(users)} models; "
                               f"{model} is a {task.name} model")
            if key != "model":
                settings[key] = value
    spec = registry.get(model)
    if settings["hidden"] is not None and "hidden" not in spec.options:
        raise CLIError(hidden_error(model, own))
    return {key: settings[key] for key in SETTINGS + tuple(own)}


def hidden_error(model, own):
    """Why --hidden does not apply to `model`, and which of its own settings does the job
    (own: its task's settings, such as a language model's --width)."""
    message = f"--hidden applies to models with hidden layers (such as mlp); {model} has none"
    if "width" in own:
        return (f"--hidden does not apply to {model}: its width is set with --width "
                f"(e.g. --width 64)" + (", its depth with --layers" if "layers" in own else ""))
    if own:
        return f"{message}; its own settings: {', '.join(option(key) for key in own)}"
    return message


def show(key, value):
    """A setting's value as the header prints it."""
    if value is None:
        return {"early_stopping": "off", "grad_clip": "off", "save_every": "off",
                "hidden": "the model's default", "delimiter": "detected",
                "threads": "auto"}.get(key, "none")
    if key == "hidden":
        return ",".join(map(str, value))
    if key == "delimiter":
        return {"\t": "tab", " ": "space"}.get(value, repr(value))
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def describe(settings, keys):
    """"key value, key value, ..." for the header."""
    return ", ".join(f"{key} {show(key, settings.get(key))}" for key in keys)


TRAINING = tuple(k for k in TRAINING_SETTINGS if k not in ("model", "data"))
RUN = RUN_SETTINGS
