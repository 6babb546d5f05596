"""evaluate() and predict(): a model run over data in eval mode under no_grad; and how
fit and evaluate pick the metrics that fit a loss (metrics_for).
"""

from functools import partial

import numpy as np

from ..autograd import no_grad
from . import metrics as metrics_module
from .batches import _batch_size, _batches, _device_of, _host, _scalar, split_batch

__all__ = ["evaluate", "predict", "metrics_for", "DEFAULT_METRICS"]

DEFAULT_METRICS = ("accuracy",)
_REGRESSION_LOSSES = {"MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "mse_loss", "l1_loss",
                      "huber_loss", "smooth_l1_loss"}
_LOGIT_LOSSES = {"BCEWithLogitsLoss", "binary_cross_entropy_with_logits"}
_THRESHOLDED = (metrics_module.accuracy, metrics_module.precision, metrics_module.recall,
                metrics_module.f1)


def evaluate(model, loader, loss_fn=None, metrics=DEFAULT_METRICS, batch_size=256):
    """Loss (if loss_fn is given) and metrics of `model` over `loader`, in eval mode, no_grad.

    loader: a DataLoader (or any iterable of (inputs, targets) batches) or a tuple
    (X, y) of arrays/Tensors, cut into batches of batch_size. Returns a dict such as
    {"loss": 0.31, "accuracy": 0.91}; the loss is the sample-weighted mean.
    """
    metric_fns = metrics if _is_resolved(metrics) else metrics_for(metrics, loss_fn)
    device = _device_of(model)
    total_loss, seen, outputs, targets = 0.0, 0, [], []
    was_training = getattr(model, "training", True)
    model.eval()
    try:
        with no_grad():
            for batch in _batches(loader, batch_size, "evaluate"):
                inputs, target = split_batch(batch, "evaluate", device)
                output = model(*inputs)
                n = _batch_size(target, inputs)
                if loss_fn is not None:
                    total_loss += _scalar(loss_fn(output, target)) * n
                seen += n
                if metric_fns:
                    outputs.append(_host(output, "evaluate"))
                    targets.append(_host(target, "evaluate"))
    finally:
        model.train(was_training)
    if seen == 0:
        raise ValueError("evaluate: the loader produced no batches")
    logs = {"loss": total_loss / seen} if loss_fn is not None else {}
    logs.update(_compute_metrics(metric_fns, outputs, targets, "evaluate"))
    return logs


def predict(model, data, batch_size=256):
    """Model outputs as a NumPy array, in eval mode under no_grad.

    data: an array or Tensor of inputs (cut into batches of batch_size), or a
    loader whose batches are inputs, (inputs,) or (inputs..., targets) (targets
    are ignored).
    """
    device = _device_of(model)
    outputs = []
    was_training = getattr(model, "training", True)
    model.eval()
    try:
        with no_grad():
            for batch in _batches(data, batch_size, "predict"):
                inputs, _ = split_batch(batch, "predict", device)
                outputs.append(_host(model(*inputs), "predict"))
    finally:
        model.train(was_training)
    if not outputs:
        raise ValueError("predict: no inputs (an empty array or loader)")
    return np.concatenate(outputs)



# ------------------------------------------------------------------ helpers
def _loss_names(loss_fn):
    names = {c.__name__ for c in type(loss_fn).__mro__}
    func = loss_fn.func if isinstance(loss_fn, partial) else loss_fn
    name = getattr(func, "__name__", None)
    if isinstance(name, str):
        names.add(name)
    return names


def metrics_for(metrics, loss_fn):
    """[(name, fn)] for fit/evaluate, adapted to the loss (see fit's docstring)."""
    names = _loss_names(loss_fn) if loss_fn is not None else set()
    if metrics is DEFAULT_METRICS and names & _REGRESSION_LOSSES:
        return []
    resolved = metrics_module.resolve_metrics(metrics)
    if names & _LOGIT_LOSSES:
        resolved = [(n, partial(f, threshold=0.0) if f in _THRESHOLDED else f)
                    for n, f in resolved]
    return resolved


def _is_resolved(metrics):
    return isinstance(metrics, list) and all(
        isinstance(m, tuple) and len(m) == 2 and callable(m[1]) for m in metrics)


def _compute_metrics(metric_fns, outputs, targets, who, when=""):
    if not metric_fns or not outputs:
        return {}
    y_pred = np.concatenate(outputs) if len(outputs) > 1 else outputs[0]
    y_true = np.concatenate(targets) if len(targets) > 1 else targets[0]
    logs = {}
    for name, fn in metric_fns:
        try:
            logs[name] = float(fn(y_true, y_pred))
        except (ValueError, TypeError, IndexError) as e:
            hint = "" if "metrics=" in str(e) else "; choose metrics that fit the model (metrics=)"
            raise ValueError(
                f"{who}: metric {name!r} failed{when} (model outputs {y_pred.shape} "
                f"{y_pred.dtype}, targets {y_true.shape} {y_true.dtype}): {e}{hint}"
            ) from None
    return logs
