"""Callbacks: hook order, EarlyStopping, ModelCheckpoint, LR schedules, resuming."""

import os

import numpy as np
import pytest
from helpers import blob_loader, blobs, tanh_sgd_setup

import groundup as gu
from groundup import nn
from groundup.train import (
    Callback,
    EarlyStopping,
    LambdaCallback,
    LRSchedulerCallback,
    ModelCheckpoint,
    fit,
)

loader = blob_loader
setup = tanh_sgd_setup


def inject(key, values):
    """A callback that puts values[epoch - 1] into the logs under `key` (a scripted monitor)."""
    return LambdaCallback(on_epoch_end=lambda s: s.logs.__setitem__(key, values[s.epoch - 1]))


class Snapshots(Callback):
    """The model's weights at the end of each epoch."""

    def __init__(self):
        self.weights = {}

    def on_epoch_end(self, state):
        self.weights[state.epoch] = state.model.state_dict()


def same_weights(a, b):
    return a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)


def test_hooks_run_in_order():
    events = []

    class Recorder(Callback):
        def on_train_begin(self, s):
            events.append("train_begin")

        def on_epoch_begin(self, s):
            events.append(f"epoch_begin {s.epoch}")

        def on_batch_begin(self, s):
            events.append(f"batch_begin {s.batch}")

        def on_backward_end(self, s):
            events.append("backward_end")

        def on_batch_end(self, s):
            events.append(f"batch_end {s.batch} {s.batch_logs['size']}")

        def on_epoch_end(self, s):
            events.append(f"epoch_end {s.epoch} {sorted(s.logs)}")

        def on_train_end(self, s):
            events.append("train_end")

    model, opt = setup()
    fit(model, loader(batch_size=16), nn.CrossEntropyLoss(), opt, epochs=2,
        callbacks=[Recorder()], progress=False)
    epoch = ["batch_begin 1", "backward_end", "batch_end 1 16",
             "batch_begin 2", "backward_end", "batch_end 2 8"]
    logs = "['accuracy', 'loss', 'lr']"
    assert events == (["train_begin", "epoch_begin 1"] + epoch + [f"epoch_end 1 {logs}",
                      "epoch_begin 2"] + epoch + [f"epoch_end 2 {logs}", "train_end"])


def test_early_stopping_stops_and_restores_best_weights():
    scores = [3.0, 2.0, 1.0, 1.5, 1.2, 0.1, 0.1]  # best at epoch 3; epochs 4, 5 do not improve
    snaps = Snapshots()
    stopper = EarlyStopping(monitor="my_loss", patience=2)
    model, opt = setup()
    h = fit(model, loader(), nn.CrossEntropyLoss(), opt, epochs=7,
            callbacks=[inject("my_loss", scores), snaps, stopper], progress=False)
    assert h.epochs == [1, 2, 3, 4, 5]
    assert stopper.stopped_epoch == 5 and stopper.best_epoch == 3 and stopper.best == 1.0
    assert stopper.restored_epoch == 3
    assert not same_weights(snaps.weights[5], snaps.weights[3])
    assert same_weights(model.state_dict(), snaps.weights[3])
    assert "early stopping at epoch 5: my_loss did not improve for 2 epochs" in h.stop_reason
    assert "restored the weights of epoch 3" in h.stop_reason


def test_early_stopping_modes_min_delta_and_no_restore():
    model, opt = setup()
    stopper = EarlyStopping(monitor="acc_like", patience=1, min_delta=0.05,
                            restore_best_weights=False)
    snaps = Snapshots()
    h = fit(model, loader(), nn.CrossEntropyLoss(), opt, epochs=5,
            callbacks=[inject("acc_like", [0.5, 0.7, 0.73, 0.9, 0.95]), snaps, stopper],
            progress=False)
    # auto mode maximises accuracy-like keys; +0.03 < min_delta is no improvement
    assert h.epochs == [1, 2, 3] and stopper.best_epoch == 2
    assert same_weights(model.state_dict(), snaps.weights[3])  # not restored


def test_early_stopping_restores_even_without_stopping():
    model, opt = setup()
    snaps = Snapshots()
    fit(model, loader(), nn.CrossEntropyLoss(), opt, epochs=3,
        callbacks=[inject("val_loss", [1.0, 0.5, 0.7]), snaps, EarlyStopping(patience=5)],
        progress=False)
    assert same_weights(model.state_dict(), snaps.weights[2])


def test_early_stopping_on_real_val_loss_and_missing_key():
    model, opt = setup(lr=0.0)  # constant val_loss: never improves after epoch 1
    stopper = EarlyStopping(patience=2)
    h = fit(model, loader(), nn.CrossEntropyLoss(), opt, epochs=10, val_loader=loader(),
            callbacks=[stopper], progress=False)
    assert h.epochs == [1, 2, 3] and stopper.best_epoch == 1
    with pytest.raises(KeyError, match=r"no 'val_loss'.*val_loader.*loss, accuracy, lr"):
        fit(model, loader(), nn.CrossEntropyLoss(), opt, epochs=2,
            callbacks=[EarlyStopping()], progress=False)
    with pytest.raises(ValueError, match="mode"):
        EarlyStopping(mode="up")


def test_model_checkpoint_saves_best_and_loads(tmp_path):
    scores = [1.0, 0.5, 0.8, 0.4, 0.9]
    snaps = Snapshots()
    ckpt = ModelCheckpoint(tmp_path / "best.safetensors", monitor="my_loss")
    model, opt = setup()
    fit(model, loader(), nn.CrossEntropyLoss(), opt, epochs=5,
        callbacks=[inject("my_loss", scores), snaps, ckpt], progress=False)
    assert ckpt.best_epoch == 4 and ckpt.best == 0.4
    assert os.listdir(tmp_path) == ["best.safetensors"]  # no temporary files left behind
    fresh, fresh_opt = setup(seed=1)
    meta = gu.io.load_checkpoint(tmp_path / "best.safetensors", fresh, optimizer=fresh_opt)
    assert meta["epoch"] == 4
    assert same_weights(fresh.state_dict(), snaps.weights[4])


def test_model_checkpoint_every_epoch_with_formatted_names(tmp_path):
    model, opt = setup()
    ckpt = ModelCheckpoint(str(tmp_path / "ckpt-{epoch:02d}-{loss:.2f}.safetensors"),
                           monitor=None)
    fit(model, loader(), nn.CrossEntropyLoss(), opt, epochs=3, callbacks=[ckpt], progress=False)
    names = sorted(os.listdir(tmp_path))
    assert len(names) == 3 and names[0].startswith("ckpt-01-") and names[2].startswith("ckpt-03-")
    assert ckpt.saved == [str(tmp_path / n) for n in names]
    weights = ModelCheckpoint(tmp_path / "w.safetensors", monitor="loss", save_weights_only=True)
    fit(model, loader(), nn.CrossEntropyLoss(), opt, epochs=1, callbacks=[weights],
        progress=False)
    assert set(gu.load(tmp_path / "w.safetensors")) == set(model.state_dict())
    bad = ModelCheckpoint(str(tmp_path / "{nope}.safetensors"), monitor=None)
    with pytest.raises(ValueError, match="cannot fill the path"):
        fit(model, loader(), nn.CrossEntropyLoss(), opt, epochs=1, callbacks=[bad],
            progress=False)


def test_lr_scheduler_callback_per_batch_and_errors():
    model, opt = setup(lr=1.0)
    sched = gu.optim.lr_scheduler.ExponentialLR(opt, gamma=0.5)
    fit(model, loader(), nn.CrossEntropyLoss(), opt, epochs=2,
        callbacks=[LRSchedulerCallback(sched, per="batch")], progress=False)
    assert opt.param_groups[0]["lr"] == pytest.approx(0.5 ** 6)  # 2 epochs x 3 batches
    plateau = gu.optim.lr_scheduler.ReduceLROnPlateau(opt)
    with pytest.raises(ValueError, match="per epoch"):
        LRSchedulerCallback(plateau, per="batch")
    with pytest.raises(ValueError, match="per must be"):
        LRSchedulerCallback(sched, per="step")
    with pytest.raises(ValueError, match="unknown hook"):
        LambdaCallback(on_step=print)


def test_resume_from_checkpoint_matches_an_uninterrupted_run(tmp_path):
    X, y = blobs(24)

    def parts(seed=0):
        gu.manual_seed(seed)
        model = nn.Sequential(nn.Linear(2, 8), nn.Dropout(0.3), nn.Linear(8, 3))
        opt = gu.optim.Adam(model.parameters(), lr=0.02)
        data = gu.data.DataLoader(gu.data.TensorDataset(X, y), batch_size=8, shuffle=True,
                                  seed=7)
        return model, opt, data

    model, opt, data = parts()
    straight = fit(model, data, nn.CrossEntropyLoss(), opt, epochs=4, progress=False)
    model_a = model.state_dict()

    model, opt, data = parts()
    path = tmp_path / "last.safetensors"
    fit(model, data, nn.CrossEntropyLoss(), opt, epochs=2, progress=False,
        callbacks=[ModelCheckpoint(path, monitor=None)])
    model, opt, data = parts(seed=123)  # different init, fresh loader: all comes from the file
    meta = gu.io.load_checkpoint(path, model, optimizer=opt, loader=data)
    resumed = fit(model, data, nn.CrossEntropyLoss(), opt, epochs=4, start_epoch=meta["epoch"],
                  progress=False)
    assert resumed.epochs == [3, 4]
    assert resumed["loss"] == straight["loss"][2:]
    assert same_weights(model.state_dict(), model_a)


def test_early_stopping_state_carries_over_to_a_resumed_run():
    def logs(values):
        return [{"val_loss": v} for v in values]

    class State:
        def __init__(self, epoch, logs):
            self.epoch, self.logs, self.stop_training, self.stop_reason = epoch, logs, False, None

    straight = EarlyStopping(patience=2, restore_best_weights=False)
    straight.on_train_begin(State(0, {}))
    for e, l in enumerate(logs([1.0, 0.5, 0.6, 0.7]), 1):
        straight.on_epoch_end(State(e, l))
    assert straight.stopped_epoch == 4
    first = EarlyStopping(patience=2, restore_best_weights=False)
    first.on_train_begin(State(0, {}))
    for e, l in enumerate(logs([1.0, 0.5, 0.6]), 1):
        first.on_epoch_end(State(e, l))
    saved = first.state_dict()
    assert saved == {"monitor": "val_loss", "best": 0.5, "best_epoch": 2, "wait": 1}
    resumed = EarlyStopping(patience=2, restore_best_weights=False)
    resumed.load_state_dict(saved)
    resumed.on_train_begin(State(3, {}))  # the loaded state survives the reset
    state = State(4, {"val_loss": 0.7})
    resumed.on_epoch_end(state)
    assert state.stop_training and resumed.stopped_epoch == 4 and resumed.best_epoch == 2
