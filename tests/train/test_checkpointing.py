"""ResumableCheckpoint: the whole training state saved atomically, resumed bit for bit."""

import os

import numpy as np
import pytest

import groundup as gu
from groundup import nn
from groundup.train import (
    Callback,
    EarlyStopping,
    ResumableCheckpoint,
    TrainingInterrupted,
    fit,
)

X, Y = gu.data.datasets.blobs(n=120, centers=3, seed=0)
VAL = gu.data.DataLoader(gu.data.TensorDataset(X[:40], Y[:40]), batch_size=64)


def make():
    gu.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Dropout(0.2), nn.Linear(16, 3))
    opt = gu.optim.Adam(model.parameters(), lr=0.01)
    sched = gu.optim.lr_scheduler.StepLR(opt, 1, 0.9)
    loader = gu.data.DataLoader(gu.data.TensorDataset(X, Y), batch_size=16, shuffle=True,
                                seed=1)
    return model, opt, sched, loader


class StopAt(Callback):
    """Ask to stop after batch `batch` of epoch `epoch` (as GracefulInterrupt does on Ctrl-C)."""

    def __init__(self, epoch, batch):
        self.epoch, self.batch = epoch, batch

    def on_batch_end(self, state):
        if (state.epoch, state.batch) == (self.epoch, self.batch):
            state.interrupted = "test"


def run(path, epochs=5, stop=None, resume=False, every=None):
    model, opt, sched, loader = make()
    early = EarlyStopping(patience=10, restore_best_weights=False)
    ckpt = ResumableCheckpoint(path, best_path=str(path) + ".best", every_batches=every,
                               extra={"note": "kept"}, track={"early": early})
    position = ckpt.restore(model, opt, sched, loader)["resume"] if resume else None
    callbacks = [early, ckpt] + ([stop] if stop else [])
    history = fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=epochs, val_loader=VAL,
                  scheduler=sched, callbacks=callbacks, progress=False, resume=position,
                  metrics=("accuracy", "f1"))
    return model, history, ckpt, early


@pytest.mark.parametrize("epoch, batch", [(3, 5), (2, 8), (1, 1)])
def test_interrupted_inside_an_epoch_resumes_bit_for_bit(tmp_path, epoch, batch):
    straight, full, _, _ = run(tmp_path / "a.safetensors")
    path = tmp_path / "b.safetensors"
    with pytest.raises(TrainingInterrupted) as info:
        run(path, stop=StopAt(epoch, batch))
    assert (info.value.epoch, info.value.batch, info.value.exit_status) == (epoch, batch, 1)
    assert info.value.history.epochs == list(range(1, epoch))
    meta = gu.io.load_metadata(path)
    assert meta["extra"]["status"] == "interrupted" and meta["epoch"] == epoch - 1
    assert meta["extra"]["fit"]["batch"] == batch and meta["extra"]["run"] == {"note": "kept"}
    model, rest, ckpt, early = run(path, resume=True)
    for a, b in zip(model.state_dict().values(), straight.state_dict().values()):
        np.testing.assert_array_equal(a, b)
    assert rest.epochs == list(range(epoch, 6))
    assert rest.history == {k: v[epoch - 1:] for k, v in full.history.items()}  # exact logs
    assert ckpt.best_epoch == full.best("val_loss").epoch == early.best_epoch
    assert gu.io.load_metadata(path)["extra"]["status"] == "finished"


def test_saved_at_start_every_epoch_every_n_batches_and_the_best(tmp_path):
    path = tmp_path / "c.safetensors"
    _, history, ckpt, _ = run(path, epochs=3, every=3)
    # 8 batches per epoch: at the start, batches 3 and 6 and the end of each epoch, at the end
    assert ckpt.saves == 1 + 3 * 3 + 1
    best = gu.io.load_checkpoint(str(path) + ".best", restore_rng=False)
    assert best["epoch"] == history.best("val_loss").epoch
    assert best["optimizer"] is None and best["extra"]["status"] == "best"
    assert not [n for n in os.listdir(tmp_path) if n.endswith(".tmp")]


class StopAtEpochEnd(Callback):
    def on_epoch_end(self, state):
        if state.epoch == 2:
            state.interrupted = "test"


def test_interrupted_between_epochs_resumes_bit_for_bit(tmp_path):
    straight, _, _, _ = run(tmp_path / "a.safetensors")
    path = tmp_path / "b.safetensors"
    with pytest.raises(TrainingInterrupted, match="at the end of epoch 2"):
        run(path, stop=StopAtEpochEnd())
    assert gu.io.load_metadata(path)["extra"]["fit"] == {"epoch": 2, "batch": 0}
    model, rest, _, _ = run(path, resume=True)
    assert rest.epochs == [3, 4, 5]
    for a, b in zip(model.state_dict().values(), straight.state_dict().values()):
        np.testing.assert_array_equal(a, b)


def test_every_batches_must_be_positive():
    with pytest.raises(ValueError, match="every_batches must be >= 1"):
        ResumableCheckpoint("x", every_batches=0)
