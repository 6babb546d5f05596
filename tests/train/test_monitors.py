"""Monitors: CSVLogger rows and crashes, NaNGuard on the loss and on the gradient norm."""

import math
import os

import numpy as np
import pytest
from helpers import blob_loader, tanh_sgd_setup

from groundup import nn
from groundup.train import (
    Callback,
    CSVLogger,
    History,
    LambdaCallback,
    NaNGuard,
    TrainingDiverged,
    fit,
)

loader = blob_loader
setup = tanh_sgd_setup


class Snapshots(Callback):
    """The model's weights at the end of each epoch."""

    def __init__(self):
        self.weights = {}

    def on_epoch_end(self, state):
        self.weights[state.epoch] = state.model.state_dict()


def test_csv_logger_rows_and_crash_keeps_completed_rows(tmp_path):
    path = tmp_path / "log.csv"
    model, opt = setup()
    h = fit(model, loader(), nn.CrossEntropyLoss(), opt, epochs=3, val_loader=loader(),
            callbacks=[CSVLogger(path)], progress=False)
    lines = path.read_text().splitlines()
    assert lines[0] == "epoch,loss,accuracy,val_loss,val_accuracy,lr"
    assert len(lines) == 4 and lines[1].startswith("1,")
    back = History.from_csv(path)
    assert back.history == h.history and back.epochs == [1, 2, 3]

    def crash(state):
        if state.epoch == 3 and state.batch == 2:
            raise RuntimeError("power cut")

    with pytest.raises(RuntimeError, match="power cut"):
        fit(model, loader(), nn.CrossEntropyLoss(), opt, epochs=5,
            callbacks=[CSVLogger(path), LambdaCallback(on_batch_end=crash)], progress=False)
    assert History.from_csv(path).epochs == [1, 2]
    assert sorted(os.listdir(tmp_path)) == ["log.csv"]
    fit(model, loader(), nn.CrossEntropyLoss(), opt, epochs=4, start_epoch=2,
        callbacks=[CSVLogger(path, append=True)], progress=False)
    assert History.from_csv(path).epochs == [1, 2, 3, 4]


def nan_at(call, loss_fn):
    """loss_fn, except that its `call`-th call (from 1) returns nan."""
    count = [0]

    def loss(output, target):
        count[0] += 1
        value = loss_fn(output, target)
        return value * float("nan") if count[0] == call else value

    return loss


def test_nan_guard_names_epoch_and_batch_and_keeps_finite_weights():
    model, opt = setup()
    snaps = Snapshots()
    loss = nan_at(3 + 2, nn.CrossEntropyLoss())  # 3 batches per epoch: epoch 2, batch 2
    with pytest.raises(TrainingDiverged, match=r"epoch 2/4, batch 2/3: the loss is nan") as info:
        fit(model, loader(), loss, opt, epochs=4, callbacks=[snaps, NaNGuard()],
            progress=False)
    err = info.value
    assert (err.epoch, err.batch) == (2, 2) and math.isnan(err.value)
    assert "last finite loss" in str(err) and "learning rate" in str(err)
    assert err.history.epochs == [1]
    assert all(np.isfinite(v).all() for v in model.state_dict().values())


def test_nan_guard_without_raising_returns_marked_history():
    model, opt = setup()
    h = fit(model, loader(), nan_at(2, nn.CrossEntropyLoss()), opt, epochs=3,
            callbacks=[NaNGuard(raise_error=False)], progress=False)
    assert h.epochs == [1]
    assert h.stop_reason.startswith("training diverged at epoch 1/3, batch 2/3")
    assert all(np.isfinite(v).all() for v in model.state_dict().values())


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # the deliberate 1 / 0 in sqrt's backward
def test_nan_guard_checks_gradient_norm():
    model, opt = setup()

    def loss(output, target):  # finite value (0) whose gradient is inf * 0 = nan
        return nn.CrossEntropyLoss()(output, target) * 0.0 + (output.sum() * 0.0).sqrt()

    with pytest.raises(TrainingDiverged, match="batch 1/3: the gradient norm is nan"):
        fit(model, loader(), loss, opt, epochs=1, callbacks=[NaNGuard(check_grads=True)],
            progress=False)
    with pytest.raises(TrainingDiverged, match="gradient norm"):  # clipping supplies the norm
        fit(model, loader(), loss, opt, epochs=1, callbacks=[NaNGuard()], clip_grad_norm=1.0,
            progress=False)


def test_csv_logger_on_resume_drops_rows_past_the_checkpoint(tmp_path):
    """A crash between writing history.csv and the checkpoint leaves a row the resumed run
    trains again: the row is dropped (at once), so no epoch is listed twice."""
    path = tmp_path / "h.csv"
    path.write_text("epoch,loss\n1,0.5\n2,0.4\n3,0.3\n")
    model, opt = tanh_sgd_setup()
    stop = LambdaCallback(on_train_begin=lambda s: setattr(s, "interrupted", "test"))
    logger = CSVLogger(path, append=True)
    with pytest.raises(Exception, match="interrupted"):
        fit(model, blob_loader(), nn.CrossEntropyLoss(), opt, epochs=4, start_epoch=2,
            callbacks=[logger, stop], progress=False)
    assert History.from_csv(path).epochs == [1, 2]
    fit(model, blob_loader(), nn.CrossEntropyLoss(), opt, epochs=4, start_epoch=2,
        callbacks=[CSVLogger(path, append=True)], progress=False)
    assert History.from_csv(path).epochs == [1, 2, 3, 4]
