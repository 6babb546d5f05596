"""Monitors: callbacks that watch a run. CSVLogger writes each epoch's logs as a CSV
row; NaNGuard stops training when the loss or the gradient norm becomes nan or inf.

NaNGuard raises TrainingDiverged (unless raise_error=False), which fit passes on
with the History of the completed epochs attached.
"""

import math
import os

from .callback_base import Callback
from .history import atomic_write_text, csv_text

__all__ = ["CSVLogger", "NaNGuard", "TerminateOnNaN", "TrainingDiverged"]


# ------------------------------------------------------------------ logging
class CSVLogger(Callback):
    """Write one CSV row per epoch: "epoch" then every log key.

    The file is rewritten through a temporary file and a rename after each epoch, so
    a crash mid-run keeps every completed row and never leaves a torn one; a key
    that appears in a later epoch gets its own column (empty in earlier rows). With
    append=True the rows already in the file are kept (for resumed runs), up to the
    epoch training resumes from: rows of later epochs (written before a crash that
    the checkpoint did not see) are dropped, as those epochs are trained again.
    """

    rank_zero_only = True  # under several ranks only rank 0 runs it (fit, replicas.py)

    def __init__(self, path, append=False):
        self.path = os.fspath(path)
        self.append = append
        self.rows = []
        self.keys = []

    def on_train_begin(self, state):
        self.rows, self.keys = [], []
        if self.append and os.path.exists(self.path):
            from .history import History

            old = History.from_csv(self.path)
            self.keys = list(old.keys())
            last = getattr(state, "start_epoch", None)
            self.rows = [dict(old.row(i), epoch=e) for i, e in enumerate(old.epochs)
                         if last is None or e <= last]
            if len(self.rows) < len(old.epochs):
                atomic_write_text(self.path, csv_text(self.rows, self.keys))

    def on_epoch_end(self, state):
        row = {"epoch": state.epoch}
        for key, value in state.logs.items():
            row[key] = value
            if key not in self.keys:
                self.keys.append(key)
        self.rows.append(row)
        atomic_write_text(self.path, csv_text(self.rows, self.keys))


# --------------------------------------------------------------- divergence
class TrainingDiverged(RuntimeError):
    """The loss (or the gradient norm) became nan or inf; the message names epoch and batch.

    Attributes: epoch, batch, value, and history (the epochs completed before it).
    """

    def __init__(self, message, epoch=None, batch=None, value=None):
        super().__init__(message)
        self.epoch, self.batch, self.value = epoch, batch, value
        self.history = None


class NaNGuard(Callback):
    """Stop training when the loss (or the gradient norm) becomes nan or inf.

    Checked after backward and before the optimizer step, so the weights keep the
    last finite values. The error names the epoch and the batch:

        TrainingDiverged: training diverged at epoch 3/10, batch 17/50: the loss is
        nan (last finite loss 2.31). Try a lower learning rate, gradient clipping
        (fit(..., clip_grad_norm=1.0)), or look for nan/inf in the data.

    raise_error=True (default) raises TrainingDiverged from fit (the error carries
    .history); False stops training and fit returns its History with
    history.stop_reason set to the message. check_grads=True also computes the
    gradient norm every batch (fit's clipping provides it for free when used).
    """

    def __init__(self, raise_error=True, check_grads=False):
        self.raise_error = raise_error
        self.check_grads = check_grads
        self.last_finite = None

    def on_train_begin(self, state):
        self.last_finite = None

    def on_backward_end(self, state):
        loss = state.batch_logs.get("loss")
        what, value = None, loss
        if loss is not None and not math.isfinite(loss):
            what = "the loss"
        else:
            norm = state.grad_norm
            if norm is None and self.check_grads:
                norm = _grad_norm(state.model)
            if norm is not None and not math.isfinite(norm):
                what, value = "the gradient norm", norm
        if what is None:
            self.last_finite = loss
            return
        epochs = f"/{state.epochs}" if state.epochs else ""
        batches = f"/{state.num_batches}" if state.num_batches else ""
        last = f" (last finite loss {self.last_finite:.6g})" if self.last_finite is not None else ""
        message = (
            f"training diverged at epoch {state.epoch}{epochs}, batch {state.batch}{batches}: "
            f"{what} is {value}{last}. Try a lower learning rate, gradient clipping "
            f"(fit(..., clip_grad_norm=1.0)), or look for nan/inf in the data."
        )
        if self.raise_error:
            raise TrainingDiverged(message, epoch=state.epoch, batch=state.batch, value=value)
        state.stop_training = True
        state.stop_reason = message


TerminateOnNaN = NaNGuard


def _grad_norm(model):
    total = 0.0
    for p in model.parameters():
        if p.grad is not None:
            g = p.grad.array
            total += float((g * g).sum())
    return math.sqrt(total) if math.isfinite(total) else total
