"""fit(): the training loop, and Trainer (evaluate() and predict() live in evaluation.py).

One epoch of `fit`:

    model.train()
    for inputs, targets in train_loader:
        the step (the default below, or your own: fit(..., step=...)):
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

Under mpiexec with gu.distributed initialised, the same fit trains data-parallel:
the logs are the figures of all ranks together, and only rank 0 prints and saves
(replicas.py).
"""

import math
import time
from functools import partial

import numpy as np

from ..tensor import Tensor
from .batches import _batch_size, _device_of, _host, _length, _scalar, split_batch
from .callbacks import HOOKS, Callback, LRSchedulerCallback, TrainState, is_per_batch_scheduler
from .evaluation import DEFAULT_METRICS, _compute_metrics, evaluate, metrics_for, predict
from .history import History
from .monitors import TrainingDiverged
from .progress import ProgressBar
from .replicas import Replicas, set_sampler_epoch
from .signals import TrainingInterrupted

__all__ = ["fit", "evaluate", "predict", "Trainer", "snapshot"]



def fit(model, train_loader, loss_fn, optimizer, epochs=1, val_loader=None,
        metrics=DEFAULT_METRICS, callbacks=(), scheduler=None, progress=True,
        clip_grad_norm=None, start_epoch=0, step=None, resume=None):
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

    step: a custom training step, the one hook for loops the default does not fit
    (a GAN's two optimizers, an auxiliary loss, hidden state carried across batches).
    fit calls ``step(state, inputs, target)`` for each batch in place of its own
    forward / loss / zero_grad / backward / optimizer.step; inputs is the tuple of
    the batch's input Tensors and target its last item (None when a batch has one
    item). The step returns the batch loss (a float or a 0-d Tensor) or a dict with
    "loss" and any other named values to log (each averaged over the epoch like the
    loss) plus, optionally, "output" (the Tensor the training metrics score against
    target). Everything else stays fit's: callbacks, schedulers, metrics, logs,
    checkpoints; on_backward_end is not called (the step does its own backward) and
    clip_grad_norm is the step's job. state.model/optimizer/loss_fn are at hand, and
    state.carry is free for what the step carries from one batch to the next (None
    at each epoch's start). Example, an auxiliary loss::

        def step(state, inputs, target):
            logits, aux = state.model(*inputs)
            main = state.loss_fn(logits, target)
            loss = main + 0.1 * aux
            state.optimizer.zero_grad()
            loss.backward()
            state.optimizer.step()
            return {"loss": loss, "main_loss": main, "output": logits}

    Several optimizers (a GAN's generator and discriminator): pass one
    gu.optim.NamedOptimizers(generator=..., discriminator=...) as the optimizer; the
    step updates one part at a time (state.optimizer["discriminator"].step()), while
    the schedulers (over all its param groups), the logged lr and the checkpoints
    (every optimizer's state, by name) see one optimizer.

    resume: where a ResumableCheckpoint stopped (its "fit" snapshot: the epochs done
    and, inside an epoch, the batches done and the epoch's running sums); training
    continues from there, with the loader restored to the same batch. It replaces
    start_epoch.

    Raises TrainingDiverged (from NaNGuard) and TrainingInterrupted (a callback set
    state.interrupted, e.g. GracefulInterrupt on Ctrl-C), each with .history attached.
    """
    if resume is not None:
        if start_epoch:
            raise ValueError("fit: pass start_epoch or resume, not both")
        start_epoch = int(resume.get("epoch") or 0)
    if int(epochs) < 0 or int(start_epoch) < 0:
        raise ValueError(f"fit: epochs and start_epoch must be >= 0, got {epochs}, {start_epoch}")
    if isinstance(train_loader, (tuple, np.ndarray, Tensor)):
        raise TypeError(
            "fit: train_loader must yield batches, e.g. gu.data.DataLoader(gu.data."
            "TensorDataset(X, y), batch_size=32, shuffle=True); got a "
            f"{type(train_loader).__name__}"
        )
    if step is not None and not callable(step):
        raise TypeError(f"fit: step must be a function step(state, inputs, target); got "
                        f"{type(step).__name__}")
    if step is not None and clip_grad_norm is not None:
        raise ValueError("fit: clip_grad_norm applies to the default step; a custom step clips "
                         "its own gradients (gu.nn.utils.clip_grad_norm_)")
    metric_fns = metrics_for(metrics, loss_fn)
    callbacks = [callbacks] if isinstance(callbacks, Callback) else list(callbacks)
    if scheduler is not None:
        per = "batch" if is_per_batch_scheduler(scheduler) else "epoch"
        callbacks.insert(0, LRSchedulerCallback(scheduler, per=per))
    if progress:
        callbacks.append(progress if isinstance(progress, ProgressBar) else ProgressBar())
    replicas = Replicas.current()  # None when training alone (see replicas.py)
    if replicas is not None:
        callbacks = replicas.callbacks(callbacks)
    history = History()
    state = TrainState(model=model, optimizer=optimizer, scheduler=scheduler, loss_fn=loss_fn,
                       train_loader=train_loader, val_loader=val_loader, epochs=int(epochs),
                       start_epoch=int(start_epoch), epoch=int(start_epoch), history=history,
                       metric_fns=metric_fns, callbacks=callbacks)
    hooks = _Hooks(callbacks)
    if step is None:
        step = partial(_default_step, hooks=hooks, clip=_clipper(model, clip_grad_norm))
    partial_epoch = resume if resume is not None and resume.get("batch") else None
    if replicas is not None:
        replicas.attach(model)
    try:
        hooks.call("on_train_begin", state)
        for epoch in range(int(start_epoch) + 1, int(epochs) + 1):
            _check_interrupt(state, history, replicas)
            state.epoch = epoch
            state.num_batches = _length(train_loader)
            set_sampler_epoch(train_loader, epoch)
            hooks.call("on_epoch_begin", state)
            logs = _train_epoch(state, hooks, step, partial_epoch, history, replicas)
            partial_epoch = None
            if val_loader is not None:
                val = evaluate(model, val_loader, loss_fn, metric_fns)
                logs.update({"val_" + k: v for k, v in val.items()})
            lr = _current_lr(optimizer)
            if lr is not None:
                logs["lr"] = lr
            if replicas is not None:  # every rank decides on rank 0's figures
                logs = replicas.same_logs(logs)
            state.logs = logs
            hooks.call("on_epoch_end", state)
            history.append(epoch, logs)
            if state.stop_training:
                break
            _check_interrupt(state, history, replicas)
        state.outcome = "stopped" if state.stop_training else "finished"
    except TrainingInterrupted:
        state.outcome = "interrupted"
        raise
    except TrainingDiverged as e:
        state.outcome = "failed"
        e.history = history
        history.stop_reason = str(e)
        raise
    except BaseException:
        state.outcome = "failed"
        raise
    finally:
        hooks.call("on_train_end", state)
        if replicas is not None:
            replicas.detach(state)
    history.stop_reason = state.stop_reason
    return history


def _check_interrupt(state, history, replicas=None):
    # several ranks: all stop at the same batch (any rank's interrupt, agreed by all)
    reason = state.interrupted if replicas is None else replicas.interrupted(state)
    if reason:
        where = (f"epoch {state.epoch}, batch {state.batch}" if state.in_epoch
                 else f"the end of epoch {state.epoch}")
        error = TrainingInterrupted(f"training interrupted ({reason}) at {where}",
                                    reason=reason, epoch=state.epoch,
                                    batch=state.batch if state.in_epoch else None)
        error.history = history
        history.stop_reason = str(error)
        raise error


def _clipper(model, clip_grad_norm):
    if clip_grad_norm is None:
        return None
    from ..nn.utils import clip_grad_norm_

    params = [p for p in model.parameters() if p.requires_grad]
    return partial(clip_grad_norm_, params, clip_grad_norm)


def _default_step(state, inputs, target, hooks, clip):
    """forward, loss, zero_grad, backward, clip, on_backward_end, optimizer.step.

    Returns None when a callback stopped training in on_backward_end (the step is skipped).
    """
    output = state.model(*inputs)
    loss = state.loss_fn(output, target)
    loss_value = _scalar(loss)
    state.batch_logs = {"loss": loss_value, "size": _batch_size(target, inputs)}
    state.optimizer.zero_grad()
    loss.backward()
    if clip is not None:
        state.grad_norm = float(clip())
    hooks.call("on_backward_end", state)
    if state.stop_training:
        return None
    state.optimizer.step()
    return {"loss": loss_value, "output": output}


def _step_result(result, who="fit: step"):
    """{"loss": float, other logged floats..., "output": Tensor or None} of a step's return."""
    if not isinstance(result, dict):
        result = {"loss": result}
    if "loss" not in result:
        raise ValueError(f"{who} must return the loss, or a dict with a 'loss' entry; got "
                         f"the keys {sorted(result)}")
    out = {"output": result.get("output")}
    for key, value in result.items():
        if key != "output":
            out[key] = value if isinstance(value, float) else _scalar(value)
    return out


def _train_epoch(state, hooks, step, resume, history, replicas=None):
    """One pass over the training loader; returns {"loss": ..., metric: ..., step logs}."""
    model = state.model
    model.train()
    device = _device_of(model)
    outputs, targets = [], []
    state.epoch_outputs, state.epoch_targets = outputs, targets  # host copies, for callbacks
    state.batch, state.epoch_loss_sum, state.epoch_seen, state.epoch_sums = 0, 0.0, 0, {}
    state.carry = None
    if resume is not None:  # continue an epoch a checkpoint stopped inside
        state.batch = int(resume["batch"])
        state.epoch_loss_sum, state.epoch_seen = float(resume["loss_sum"]), int(resume["seen"])
        state.epoch_sums = {k: float(v) for k, v in (resume.get("sums") or {}).items()}
        state.global_step = int(resume.get("global_step") or 0)
        if resume.get("outputs") is not None:
            outputs.append(np.asarray(resume["outputs"]))
            targets.append(np.asarray(resume["targets"]))
    state.in_epoch = True
    state.timed_samples = 0
    start = time.perf_counter()
    for batch in state.train_loader:
        state.batch += 1
        inputs, target = split_batch(batch, "fit", device)
        n = _batch_size(target, inputs)
        hooks.call("on_batch_begin", state)
        result = step(state, inputs, target)
        if result is None:  # stopped in on_backward_end: no optimizer step
            break
        result = _step_result(result)
        output = result.pop("output")
        hosts = None
        if replicas is not None:  # the batch of every rank: global means, sizes, outputs
            result, n, hosts = replicas.batch(state, result, n, output, target)
        state.batch_logs = dict(result, size=n)
        state.global_step += 1
        state.epoch_loss_sum += result.pop("loss") * n
        state.epoch_seen += n
        state.timed_samples += n
        for key, value in result.items():
            state.epoch_sums[key] = state.epoch_sums.get(key, 0.0) + value * n
        if state.metric_fns and output is not None and target is not None:
            out_host, target_host = hosts or (_host(output, "fit"), _host(target, "fit"))
            if not outputs:  # fail fast, not after a whole epoch
                _compute_metrics(state.metric_fns, [out_host], [target_host], "fit",
                                 when=" on the first batch")
            outputs.append(out_host)
            targets.append(target_host)
        state.batch_output, state.batch_target = output, target
        hooks.call("on_batch_end", state)
        _check_interrupt(state, history, replicas)
        if state.stop_training:
            break
    state.in_epoch = False
    state.train_seconds = time.perf_counter() - start
    state.epoch_samples = state.epoch_seen
    if state.batch == 0:
        raise ValueError(
            "fit: train_loader produced no batches (an empty dataset, or drop_last=True with "
            "fewer samples than batch_size?)"
        )
    seen = state.epoch_seen
    logs = {"loss": state.epoch_loss_sum / seen if seen else math.nan}
    logs.update({k: v / seen if seen else math.nan for k, v in state.epoch_sums.items()})
    logs.update(_compute_metrics(state.metric_fns, outputs, targets, "fit"))
    return logs


def snapshot(state):
    """Where training stands, for a checkpoint that `fit(..., resume=...)` continues from.

    Between epochs: {"epoch": epochs done}. Inside an epoch (between two batches): also
    "batch" (batches done), the epoch's running sums and, with metrics, the outputs and
    targets so far (so the epoch's logs come out exactly as in an uninterrupted run).
    """
    if not state.in_epoch:
        return {"epoch": int(state.epoch), "batch": 0}
    out = {"epoch": int(state.epoch) - 1, "batch": int(state.batch),
           "loss_sum": float(state.epoch_loss_sum), "seen": int(state.epoch_seen),
           "sums": dict(state.epoch_sums), "global_step": int(state.global_step),
           "outputs": None, "targets": None}
    if state.epoch_outputs:
        out["outputs"] = np.concatenate(state.epoch_outputs)
        out["targets"] = np.concatenate(state.epoch_targets)
    return out


class Trainer:
    """fit / evaluate / predict bound to one model, loss, optimizer and set of callbacks.

    Each call of `fit(train_loader, epochs)` trains `epochs` more epochs and extends
    `self.history`; `self.epoch` counts the epochs done. step: a custom training step
    (see `fit`).
    """

    def __init__(self, model, loss_fn, optimizer, metrics=DEFAULT_METRICS, callbacks=(),
                 scheduler=None, clip_grad_norm=None, progress=True, step=None):
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.metrics, self.callbacks, self.scheduler = metrics, list(callbacks), scheduler
        self.clip_grad_norm, self.progress, self.step = clip_grad_norm, progress, step
        self.history = History()
        self.epoch = 0

    def fit(self, train_loader, epochs=1, val_loader=None):
        history = fit(self.model, train_loader, self.loss_fn, self.optimizer,
                      epochs=self.epoch + int(epochs), val_loader=val_loader,
                      metrics=self.metrics, callbacks=self.callbacks, scheduler=self.scheduler,
                      progress=self.progress, clip_grad_norm=self.clip_grad_norm,
                      start_epoch=self.epoch, step=self.step)
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


def _current_lr(optimizer):
    groups = getattr(optimizer, "param_groups", None)
    if groups:
        lr = groups[0].get("lr") if isinstance(groups[0], dict) else None
        if isinstance(lr, (int, float)):
            return float(lr)
    return None
