"""fit(): the training loop, plus evaluate() and predict().

One epoch of `fit`:

    model.train()
    for inputs, targets in train_loader:
        output = model(inputs); loss = loss_fn(output, targets)
        optimizer.zero_grad(); loss.backward()
        clip the gradient norm (clip_grad_norm=...), then optimizer.step()
        per-batch schedulers (OneCycleLR) step here
    evaluate on val_loader under no_grad with model.eval()
    epoch-level scheduler step (ReduceLROnPlateau gets the val loss)

The epoch's loss is the sample-weighted mean of the batch losses; metrics are
computed once over the predictions and targets of the whole epoch, not averaged
over batches. A batch is (inputs, targets) or (input1, input2, ..., targets):
the model is called as model(input1, input2, ...) (train/batches.py turns loader
output into Tensors and model outputs into NumPy arrays).
"""

import math
import time
from functools import partial

import numpy as np

from ..autograd import no_grad
from ..tensor import Tensor
from . import metrics as metrics_module
from .batches import _batch_size, _batches, _device_of, _host, _length, _scalar, split_batch
from .callbacks import HOOKS, Callback, LRSchedulerCallback, TrainState, is_per_batch_scheduler
from .history import History
from .monitors import TrainingDiverged
from .progress import ProgressBar

__all__ = ["fit", "evaluate", "predict", "Trainer"]

DEFAULT_METRICS = ("accuracy",)
_REGRESSION_LOSSES = {"MSELoss", "L1Loss", "HuberLoss", "SmoothL1Loss", "mse_loss", "l1_loss",
                      "huber_loss", "smooth_l1_loss"}
_LOGIT_LOSSES = {"BCEWithLogitsLoss", "binary_cross_entropy_with_logits"}
_THRESHOLDED = (metrics_module.accuracy, metrics_module.precision, metrics_module.recall,
                metrics_module.f1)


def fit(model, train_loader, loss_fn, optimizer, epochs=1, val_loader=None,
        metrics=DEFAULT_METRICS, callbacks=(), scheduler=None, progress=True,
        clip_grad_norm=None, start_epoch=0):
    """Train `model` and return a History of per-epoch logs.

    epochs is the number of the last epoch: training runs epochs start_epoch+1 ..
    epochs (so a run resumed from a checkpoint of epoch 5 with epochs=10 trains 5
    more). metrics: names ("accuracy", "f1", "top5", "mse", ...), functions
    f(y_true, y_pred), or {name: fn}; the default "accuracy" is dropped for
    regression losses (MSELoss, L1Loss, HuberLoss, SmoothL1Loss) and thresholds
    logits at 0 for BCEWithLogitsLoss. Logs per epoch: "loss", each metric, "val_loss"
    and "val_<metric>" with a val_loader, and "lr". scheduler: stepped per batch
    for OneCycleLR/CyclicLR, per epoch otherwise (ReduceLROnPlateau with val_loss, or
    loss without a val_loader); for other per-batch schedules pass
    LRSchedulerCallback(scheduler, per="batch") in callbacks. clip_grad_norm: the
    max total gradient norm (gu.nn.utils.clip_grad_norm_). progress: True for a tqdm
    bar on terminals and one summary line per epoch on stdout, False for silence, or
    a configured ProgressBar.
    Raises TrainingDiverged (from NaNGuard) with .history attached.
    """
    if int(epochs) < 0 or int(start_epoch) < 0:
        raise ValueError(f"fit: epochs and start_epoch must be >= 0, got {epochs}, {start_epoch}")
    if isinstance(train_loader, (tuple, np.ndarray, Tensor)):
        raise TypeError(
            "fit: train_loader must yield batches, e.g. gu.data.DataLoader(gu.data."
            "TensorDataset(X, y), batch_size=32, shuffle=True); got a "
            f"{type(train_loader).__name__}"
        )
    metric_fns = metrics_for(metrics, loss_fn)
    callbacks = [callbacks] if isinstance(callbacks, Callback) else list(callbacks)
    if scheduler is not None:
        per = "batch" if is_per_batch_scheduler(scheduler) else "epoch"
        callbacks.insert(0, LRSchedulerCallback(scheduler, per=per))
    if progress:
        callbacks.append(progress if isinstance(progress, ProgressBar) else ProgressBar())
    history = History()
    state = TrainState(model=model, optimizer=optimizer, scheduler=scheduler, loss_fn=loss_fn,
                       train_loader=train_loader, val_loader=val_loader, epochs=int(epochs),
                       start_epoch=int(start_epoch), history=history, metric_fns=metric_fns)
    hooks = _Hooks(callbacks)
    clip = None
    if clip_grad_norm is not None:
        from ..nn.utils import clip_grad_norm_

        params = [p for p in model.parameters() if p.requires_grad]
        clip = partial(clip_grad_norm_, params, clip_grad_norm)
    try:
        hooks.call("on_train_begin", state)
        for epoch in range(int(start_epoch) + 1, int(epochs) + 1):
            state.epoch = epoch
            state.num_batches = _length(train_loader)
            hooks.call("on_epoch_begin", state)
            logs = _train_epoch(state, hooks, clip)
            if val_loader is not None:
                val = evaluate(model, val_loader, loss_fn, metric_fns)
                logs.update({"val_" + k: v for k, v in val.items()})
            lr = _current_lr(optimizer)
            if lr is not None:
                logs["lr"] = lr
            state.logs = logs
            hooks.call("on_epoch_end", state)
            history.append(epoch, logs)
            if state.stop_training:
                break
    except TrainingDiverged as e:
        e.history = history
        history.stop_reason = str(e)
        raise
    finally:
        hooks.call("on_train_end", state)
    history.stop_reason = state.stop_reason
    return history


def _train_epoch(state, hooks, clip):
    """One pass over the training loader; returns {"loss": ..., metric: ...}."""
    model, loss_fn, optimizer = state.model, state.loss_fn, state.optimizer
    model.train()
    device = _device_of(model)
    total_loss, seen = 0.0, 0
    outputs, targets = [], []
    state.epoch_outputs, state.epoch_targets = outputs, targets  # host copies, for callbacks
    state.batch = 0
    start = time.perf_counter()
    for index, batch in enumerate(state.train_loader, 1):
        state.batch = index
        inputs, target = split_batch(batch, "fit", device)
        hooks.call("on_batch_begin", state)
        output = model(*inputs)
        loss = loss_fn(output, target)
        loss_value = _scalar(loss)
        n = _batch_size(target, inputs)
        state.batch_logs = {"loss": loss_value, "size": n}
        optimizer.zero_grad()
        loss.backward()
        if clip is not None:
            state.grad_norm = float(clip())
        hooks.call("on_backward_end", state)
        if state.stop_training:
            break
        optimizer.step()
        state.global_step += 1
        total_loss += loss_value * n
        seen += n
        if state.metric_fns:
            out_host, target_host = _host(output, "fit"), _host(target, "fit")
            if state.global_step == 1:  # fail fast, not after a whole epoch
                _compute_metrics(state.metric_fns, [out_host], [target_host], "fit",
                                 when=" on the first batch")
            outputs.append(out_host)
            targets.append(target_host)
        state.batch_output, state.batch_target = output, target
        hooks.call("on_batch_end", state)
        if state.stop_training:
            break
    state.train_seconds = time.perf_counter() - start
    state.epoch_samples = seen
    if state.batch == 0:
        raise ValueError(
            "fit: train_loader produced no batches (an empty dataset, or drop_last=True with "
            "fewer samples than batch_size?)"
        )
    logs = {"loss": total_loss / seen if seen else math.nan}
    logs.update(_compute_metrics(state.metric_fns, outputs, targets, "fit"))
    return logs


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


class Trainer:
    """fit / evaluate / predict bound to one model, loss, optimizer and set of callbacks.

    Each call of `fit(train_loader, epochs)` trains `epochs` more epochs and extends
    `self.history`; `self.epoch` counts the epochs done.
    """

    def __init__(self, model, loss_fn, optimizer, metrics=DEFAULT_METRICS, callbacks=(),
                 scheduler=None, clip_grad_norm=None, progress=True):
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.metrics, self.callbacks, self.scheduler = metrics, list(callbacks), scheduler
        self.clip_grad_norm, self.progress = clip_grad_norm, progress
        self.history = History()
        self.epoch = 0

    def fit(self, train_loader, epochs=1, val_loader=None):
        history = fit(self.model, train_loader, self.loss_fn, self.optimizer,
                      epochs=self.epoch + int(epochs), val_loader=val_loader,
                      metrics=self.metrics, callbacks=self.callbacks, scheduler=self.scheduler,
                      progress=self.progress, clip_grad_norm=self.clip_grad_norm,
                      start_epoch=self.epoch)
        self.history.extend(history)
        self.epoch = history.epochs[-1] if history.epochs else self.epoch
        return history

    def evaluate(self, loader, metrics=None):
        return evaluate(self.model, loader, self.loss_fn,
                        self.metrics if metrics is None else metrics)

    def predict(self, data, batch_size=256):
        return predict(self.model, data, batch_size)


# ------------------------------------------------------------------ helpers
class _Hooks:
    """For each hook, the bound methods of the callbacks that override it."""

    def __init__(self, callbacks):
        self.table = {hook: [getattr(cb, hook) for cb in callbacks if _overrides(cb, hook)]
                      for hook in HOOKS}

    def call(self, hook, state):
        for fn in self.table[hook]:
            fn(state)


def _overrides(callback, hook):
    if hook in getattr(callback, "__dict__", {}):
        return True
    impl = getattr(type(callback), hook, None)
    return impl is not None and impl is not getattr(Callback, hook)


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


def _current_lr(optimizer):
    groups = getattr(optimizer, "param_groups", None)
    if groups:
        lr = groups[0].get("lr") if isinstance(groups[0], dict) else None
        if isinstance(lr, (int, float)):
            return float(lr)
    return None
