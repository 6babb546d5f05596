"""Callbacks: code that `fit` runs at fixed points of the loop.

The Callback base class, its hooks and the TrainState they receive are described
in train/callback_base.py. This module holds LambdaCallback, EarlyStopping,
ModelCheckpoint and LRSchedulerCallback, and re-exports the base and the monitors
(CSVLogger, NaNGuard, TerminateOnNaN, TrainingDiverged from train/monitors.py),
so every callback is importable from here.
"""

import math
import os

from .callback_base import HOOKS, Callback, TrainState
from .metrics import greater_is_better
from .monitors import CSVLogger, NaNGuard, TerminateOnNaN, TrainingDiverged

__all__ = [
    "Callback", "TrainState", "TrainingDiverged", "EarlyStopping", "ModelCheckpoint",
    "LRSchedulerCallback", "CSVLogger", "NaNGuard", "TerminateOnNaN", "LambdaCallback",
]


class LambdaCallback(Callback):
    """A callback from plain functions: ``LambdaCallback(on_epoch_end=lambda s: ...)``."""

    def __init__(self, **hooks):
        for name, fn in hooks.items():
            if name not in HOOKS:
                raise ValueError(f"LambdaCallback: unknown hook {name!r}; hooks are {HOOKS}")
            setattr(self, name, fn)


# ------------------------------------------------------------------ helpers
def _mode(mode, monitor, who):
    if mode == "auto":
        return "max" if greater_is_better(monitor) else "min"
    if mode not in ("min", "max"):
        raise ValueError(f"{who}: mode must be 'min', 'max' or 'auto', got {mode!r}")
    return mode


def _monitored(logs, monitor, who):
    if monitor not in logs:
        hint = " (val_* keys need fit(..., val_loader=...))" if monitor.startswith("val_") else ""
        raise KeyError(
            f"{who}: the logs have no {monitor!r}{hint}; available: {', '.join(logs)}"
        )
    return float(logs[monitor])


class _Monitor:
    """Tracks the best value of one log key under a mode and a minimum change."""

    def __init__(self, monitor, mode, min_delta, who):
        self.monitor = monitor
        self.mode = _mode(mode, monitor, who)
        self.min_delta = abs(float(min_delta))
        self.who = who
        self.reset()

    def reset(self):
        self.best = math.inf if self.mode == "min" else -math.inf
        self.best_epoch = None

    def improved(self, value):
        if self.mode == "min":
            return value < self.best - self.min_delta
        return value > self.best + self.min_delta


# ----------------------------------------------------------- early stopping
class EarlyStopping(Callback):
    """Stop when `monitor` has not improved for `patience` epochs in a row.

    patience=2 with a best epoch 3 stops after epoch 5 (as Keras and Lightning count).

    An epoch improves when its value beats the best so far by more than
    `min_delta` (lower for losses, higher for accuracy-like keys with mode "auto").
    With restore_best_weights the model gets the weights of the best epoch back at
    the end of training (copies of model.state_dict() are kept when it improves),
    also when training ends without stopping early or raises. Attributes after
    training: best, best_epoch, stopped_epoch (None if it never stopped),
    restored_epoch (None if nothing was restored). state_dict() / load_state_dict()
    carry best, best_epoch and the epochs waited over to a resumed run (a loaded
    state is applied when training begins).
    """

    def __init__(self, monitor="val_loss", patience=5, min_delta=0, mode="auto",
                 restore_best_weights=True, baseline=None):
        if patience < 0:
            raise ValueError(f"EarlyStopping: patience must be >= 0, got {patience}")
        self.tracker = _Monitor(monitor, mode, min_delta, "EarlyStopping")
        self.monitor = monitor
        self.patience = int(patience)
        self.restore_best_weights = restore_best_weights
        self.baseline = baseline
        self._restored = None
        self.on_train_begin(None)

    @property
    def best(self):
        return self.tracker.best

    @property
    def best_epoch(self):
        return self.tracker.best_epoch

    def on_train_begin(self, state):
        self.tracker.reset()
        if self.baseline is not None:
            self.tracker.best = float(self.baseline)
        self.wait = 0
        self.stopped_epoch = None
        self.restored_epoch = None
        self.best_weights = None
        if self._restored is not None and state is not None:
            saved, self._restored = self._restored, None
            if saved.get("best") is not None:
                self.tracker.best = float(saved["best"])
            self.tracker.best_epoch = saved.get("best_epoch")
            self.wait = int(saved.get("wait") or 0)

    def state_dict(self):
        return {"monitor": self.monitor, "best": self.best, "best_epoch": self.best_epoch,
                "wait": self.wait}

    def load_state_dict(self, state):
        self._restored = dict(state)

    def on_epoch_end(self, state):
        value = _monitored(state.logs, self.monitor, "EarlyStopping")
        if self.tracker.improved(value):
            self.tracker.best = value
            self.tracker.best_epoch = state.epoch
            self.wait = 0
            if self.restore_best_weights:
                self.best_weights = {k: _copy(v) for k, v in state.model.state_dict().items()}
            return
        self.wait += 1
        if self.wait >= self.patience:
            self.stopped_epoch = state.epoch
            state.stop_training = True
            best = (f"best {self.best:.6g} at epoch {self.best_epoch}"
                    if self.best_epoch is not None else "no epoch beat the baseline")
            state.stop_reason = (
                f"early stopping at epoch {state.epoch}: {self.monitor} did not improve for "
                f"{self.wait} epoch{'s' if self.wait != 1 else ''} ({best})"
            )

    def on_train_end(self, state):
        if not self.restore_best_weights or self.best_weights is None or state is None:
            return
        if self.best_epoch == state.epoch:
            return  # the last epoch was the best: the model already has its weights
        state.model.load_state_dict(self.best_weights)
        self.restored_epoch = self.best_epoch
        if state.stop_reason and "restored" not in state.stop_reason:
            state.stop_reason += f"; restored the weights of epoch {self.best_epoch}"


def _copy(value):
    copy = getattr(value, "copy", None)
    return copy() if copy is not None else value


# ------------------------------------------------------------- checkpoints
class ModelCheckpoint(Callback):
    """Save a checkpoint (model, optimizer, scheduler, epoch, logs) at the end of epochs.

    path may hold format fields filled from the epoch and the logs, e.g.
    "runs/ckpt-{epoch:03d}-{val_loss:.3f}.safetensors". With save_best_only (the
    default) it saves only when `monitor` improves; otherwise every `every` epochs.
    monitor=None saves every epoch. save_weights_only writes the model's state_dict
    alone (gu.save). Files go through a temporary file and a rename, so a crash
    never leaves half a checkpoint. Attributes: best, best_epoch, last_path, saved
    (the list of paths written).
    """

    rank_zero_only = True  # under several ranks only rank 0 runs it (fit, replicas.py)

    def __init__(self, path, monitor="val_loss", save_best_only=True, mode="auto",
                 min_delta=0, save_weights_only=False, every=1):
        self.path = os.fspath(path)
        self.monitor = monitor
        self.save_best_only = bool(save_best_only) and monitor is not None
        self.tracker = _Monitor(monitor or "loss", mode, min_delta, "ModelCheckpoint")
        self.save_weights_only = save_weights_only
        self.every = max(int(every), 1)
        self.last_path = None
        self.saved = []

    @property
    def best(self):
        return self.tracker.best

    @property
    def best_epoch(self):
        return self.tracker.best_epoch

    def on_train_begin(self, state):
        self.tracker.reset()

    def on_epoch_end(self, state):
        logs = state.logs
        if self.monitor is not None:
            value = _monitored(logs, self.monitor, "ModelCheckpoint")
            if self.tracker.improved(value):
                self.tracker.best = value
                self.tracker.best_epoch = state.epoch
            elif self.save_best_only:
                return
        if not self.save_best_only and state.epoch % self.every:
            return
        self._save(state, self._format(state.epoch, logs))

    def _format(self, epoch, logs):
        if "{" not in self.path:
            return self.path
        try:
            return self.path.format(epoch=epoch, **logs)
        except (KeyError, IndexError, ValueError) as e:
            raise ValueError(
                f"ModelCheckpoint: cannot fill the path {self.path!r} from epoch and the logs "
                f"({', '.join(logs)}): {e!r}"
            ) from None

    def _save(self, state, path):
        from .. import io  # io's writes are atomic: temporary file, fsync, rename

        os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
        logs = {k: float(v) for k, v in state.logs.items()}
        if self.save_weights_only:
            io.save(state.model.state_dict(), path, metadata={"epoch": state.epoch, "logs": logs})
        else:
            extra = {"logs": logs, "monitor": self.monitor}
            if self.monitor is not None:
                extra["best"] = self.best
            loader = state.train_loader
            loader = loader if callable(getattr(loader, "state_dict", None)) else None
            io.save_checkpoint(path, state.model, optimizer=state.optimizer,
                               scheduler=state.scheduler, epoch=state.epoch, extra=extra,
                               loader=loader)
        self.last_path = path
        if path not in self.saved:
            self.saved.append(path)


# ---------------------------------------------------------------- schedulers
def _kind(scheduler, *names):
    return any(c.__name__ in names for c in type(scheduler).__mro__)


def is_per_batch_scheduler(scheduler):
    """Schedulers defined per optimizer step (OneCycleLR, CyclicLR) rather than per epoch."""
    return _kind(scheduler, "OneCycleLR", "CyclicLR")


class LRSchedulerCallback(Callback):
    """Step an lr scheduler after every batch (per="batch") or every epoch (per="epoch").

    ReduceLROnPlateau is stepped with the epoch's `monitor` value ("val_loss",
    falling back to "loss" when there is no validation set).
    """

    def __init__(self, scheduler, per="epoch", monitor="val_loss"):
        if per not in ("epoch", "batch"):
            raise ValueError(f"LRSchedulerCallback: per must be 'epoch' or 'batch', got {per!r}")
        self.plateau = _kind(scheduler, "ReduceLROnPlateau")
        if self.plateau and per == "batch":
            raise ValueError("LRSchedulerCallback: ReduceLROnPlateau steps per epoch, not batch")
        self.scheduler = scheduler
        self.per = per
        self.monitor = monitor

    def on_batch_end(self, state):
        if self.per == "batch":
            self.scheduler.step()

    def on_epoch_end(self, state):
        if self.per != "epoch":
            return
        if self.plateau:
            key = self.monitor if self.monitor in state.logs else "loss"
            self.scheduler.step(_monitored(state.logs, key, "LRSchedulerCallback"))
        else:
            self.scheduler.step()
