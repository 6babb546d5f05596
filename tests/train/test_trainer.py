"""fit, evaluate, predict and Trainer on tiny synthetic problems (real gu.nn, gu.optim)."""

import math

import helpers
import numpy as np
import pytest

import groundup as gu
from groundup import nn
from groundup.train import Callback, Trainer, evaluate, fit, predict
from groundup.train import metrics as M
from groundup.train.trainer import metrics_for


def blobs(n=48, seed=0, classes=3):
    return helpers.blobs(n, seed, classes)


def loader(X, y, batch_size=16, shuffle=False, seed=0):
    return gu.data.DataLoader(gu.data.TensorDataset(X, y), batch_size=batch_size,
                              shuffle=shuffle, seed=seed)


def mlp(classes=3, seed=0):
    gu.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, classes))


def test_fit_reduces_loss_and_returns_history():
    X, y = blobs()
    Xv, yv = blobs(24, seed=1)
    model = mlp()
    opt = gu.optim.Adam(model.parameters(), lr=0.05)
    h = fit(model, loader(X, y, shuffle=True), nn.CrossEntropyLoss(), opt, epochs=6,
            val_loader=loader(Xv, yv), progress=False)
    assert list(h.keys()) == ["loss", "accuracy", "val_loss", "val_accuracy", "lr"]
    assert h.epochs == [1, 2, 3, 4, 5, 6]
    assert all(len(v) == 6 for v in h.history.values())
    assert h["loss"][-1] < 0.5 * h["loss"][0]
    assert h["val_accuracy"][-1] >= 0.9
    assert h["lr"] == [0.05] * 6
    assert h.stop_reason is None
    assert model.training  # fit leaves the model in training mode


def test_epoch_loss_is_sample_weighted_and_metrics_cover_the_whole_epoch():
    X, y = blobs(10)
    model = mlp()
    seen = []

    def count(y_true, y_pred):
        seen.append(len(y_true))
        return float(len(y_true))

    opt = gu.optim.SGD(model.parameters(), lr=0.0)  # weights stay fixed: compare with one pass
    h = fit(model, loader(X, y, batch_size=4), nn.CrossEntropyLoss(), opt, epochs=1,
            val_loader=loader(X, y, batch_size=3), metrics=["accuracy", count], progress=False)
    with gu.no_grad():
        out = model(gu.tensor(X))
        full_loss = nn.CrossEntropyLoss()(out, gu.tensor(y)).item()
    assert h["loss"][0] == pytest.approx(full_loss, rel=1e-6)      # batches of 4, 4, 2
    assert h["val_loss"][0] == pytest.approx(full_loss, rel=1e-6)  # batches of 3, 3, 3, 1
    assert h["count"] == [10.0] and h["val_count"] == [10.0]
    assert h["accuracy"][0] == pytest.approx(M.accuracy(y, out.numpy()))
    assert seen[0] == 4  # the first-batch check; then the whole epoch (10) twice
    assert seen[1:] == [10, 10]


def test_evaluate_and_predict():
    X, y = blobs(20)
    model = mlp()
    with gu.no_grad():
        expected = model(gu.tensor(X)).numpy()
    logs = evaluate(model, loader(X, y, batch_size=6), nn.CrossEntropyLoss(),
                    metrics=("accuracy", "f1"))
    assert set(logs) == {"loss", "accuracy", "f1"}
    assert logs["accuracy"] == pytest.approx(M.accuracy(y, expected))
    assert evaluate(model, (X, y), metrics=("accuracy",), batch_size=7) == {
        "accuracy": pytest.approx(M.accuracy(y, expected))}
    assert model.training
    model.eval()
    out = predict(model, X, batch_size=7)
    assert not model.training  # the previous mode is restored
    assert isinstance(out, np.ndarray) and out.shape == (20, 3)
    np.testing.assert_allclose(out, expected, rtol=1e-6)
    np.testing.assert_allclose(predict(model, loader(X, y, batch_size=8)), expected, rtol=1e-6)
    np.testing.assert_allclose(predict(model, gu.tensor(X)), expected, rtol=1e-6)


def test_start_epoch_and_trainer_continues():
    X, y = blobs(16)
    model = mlp()
    opt = gu.optim.SGD(model.parameters(), lr=0.1)
    h = fit(model, loader(X, y), nn.CrossEntropyLoss(), opt, epochs=3, start_epoch=1,
            progress=False)
    assert h.epochs == [2, 3]
    assert len(fit(model, loader(X, y), nn.CrossEntropyLoss(), opt, epochs=3, start_epoch=3,
                   progress=False)) == 0
    with pytest.raises(ValueError, match=">= 0"):
        fit(model, loader(X, y), nn.CrossEntropyLoss(), opt, epochs=-1, progress=False)
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, progress=False)
    trainer.fit(loader(X, y), epochs=2)
    trainer.fit(loader(X, y), epochs=2)
    assert trainer.epoch == 4 and trainer.history.epochs == [1, 2, 3, 4]
    assert set(trainer.evaluate(loader(X, y))) == {"loss", "accuracy"}
    assert trainer.predict(X).shape == (16, 3)


def test_same_seed_same_history():
    X, y = blobs(24)

    def run():
        model = mlp(seed=3)
        opt = gu.optim.Adam(model.parameters(), lr=0.01)
        return fit(model, loader(X, y, batch_size=8, shuffle=True, seed=5),
                   nn.CrossEntropyLoss(), opt, epochs=2, progress=False).history

    assert run() == run()


def test_regression_drops_default_accuracy():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 2)).astype(np.float32)
    y = (X @ np.array([[1.5], [-2.0]], np.float32) + 0.3).astype(np.float32)
    gu.manual_seed(0)
    model = nn.Linear(2, 1)
    opt = gu.optim.SGD(model.parameters(), lr=0.1)
    h = fit(model, loader(X, y, batch_size=8), nn.MSELoss(), opt, epochs=8,
            val_loader=loader(X, y), progress=False)
    assert list(h.keys()) == ["loss", "val_loss", "lr"]
    assert h["loss"][-1] < 0.1 * h["loss"][0]
    h = fit(model, loader(X, y), nn.MSELoss(), opt, epochs=1, val_loader=loader(X, y),
            metrics=("mse", "r2"), progress=False)
    assert list(h.keys()) == ["loss", "mse", "r2", "val_loss", "val_mse", "val_r2", "lr"]
    assert h["val_mse"][0] == pytest.approx(h["val_loss"][0], rel=1e-5)
    assert h["val_r2"][0] > 0.9


def test_bce_with_logits_thresholds_accuracy_at_zero():
    (name, fn), = metrics_for(("accuracy",), nn.BCEWithLogitsLoss())
    assert name == "accuracy" and fn.keywords == {"threshold": 0.0}
    assert metrics_for(("accuracy",), nn.CrossEntropyLoss()) == [("accuracy", M.accuracy)]
    assert metrics_for(("accuracy",), nn.MSELoss()) == [("accuracy", M.accuracy)]  # explicit
    X, y = blobs(32, classes=2)
    gu.manual_seed(0)
    model = nn.Linear(2, 1)
    opt = gu.optim.Adam(model.parameters(), lr=0.1)
    yf = y.astype(np.float32)[:, None]
    h = fit(model, loader(X, yf, batch_size=8), nn.BCEWithLogitsLoss(), opt, epochs=6,
            progress=False)
    assert h["accuracy"][-1] >= 0.9


class CountCalls(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner
        self.calls = 0

    def forward(self, x):
        self.calls += 1
        return self.inner(x)


def test_a_metric_that_cannot_work_fails_on_the_first_batch():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 2)).astype(np.float32)
    y = rng.standard_normal((32, 1)).astype(np.float32)
    gu.manual_seed(0)
    model = CountCalls(nn.Linear(2, 1))
    opt = gu.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match=r"metric 'accuracy'.*first batch.*not class labels"):
        fit(model, loader(X, y, batch_size=8), nn.MSELoss(), opt, epochs=3,
            metrics=("accuracy",), progress=False)
    assert model.calls == 1


def test_clip_grad_norm_bounds_the_gradient():
    X, y = blobs(16)
    model = mlp()
    norms = []

    class Probe(Callback):
        def on_backward_end(self, state):
            total = sum(float((p.grad.numpy().astype(np.float64) ** 2).sum())
                        for p in state.model.parameters() if p.grad is not None)
            norms.append((math.sqrt(total), state.grad_norm))

    opt = gu.optim.SGD(model.parameters(), lr=0.1)
    fit(model, loader(X, y, batch_size=8), nn.CrossEntropyLoss(), opt, epochs=1,
        callbacks=[Probe()], clip_grad_norm=0.01, progress=False)
    assert len(norms) == 2
    for after, before in norms:
        assert before > 0.01 and after <= 0.01 * (1 + 1e-4)


def test_schedulers_step_per_epoch_per_batch_and_on_plateau():
    X, y = blobs(16)
    model = mlp()
    opt = gu.optim.SGD(model.parameters(), lr=0.1)
    sched = gu.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)
    h = fit(model, loader(X, y), nn.CrossEntropyLoss(), opt, epochs=3, scheduler=sched,
            progress=False)
    assert h["lr"] == pytest.approx([0.1, 0.05, 0.025])

    opt = gu.optim.SGD(model.parameters(), lr=0.1)
    one = gu.optim.lr_scheduler.OneCycleLR(opt, max_lr=0.5, total_steps=3 * 4)
    lrs = []

    class Lr(Callback):
        def on_batch_begin(self, state):
            lrs.append(state.optimizer.param_groups[0]["lr"])

    fit(model, loader(X, y, batch_size=4), nn.CrossEntropyLoss(), opt, epochs=3, scheduler=one,
        callbacks=[Lr()], progress=False)
    assert len(set(lrs)) > 6  # a new lr for (almost) every batch
    assert 0.4 < max(lrs) <= 0.5 and lrs[0] == pytest.approx(0.5 / 25)  # div_factor 25

    class Spy(gu.optim.lr_scheduler.ReduceLROnPlateau):
        seen = []

        def step(self, metrics):
            self.seen.append(metrics)
            super().step(metrics)

    opt = gu.optim.SGD(model.parameters(), lr=0.0)
    spy = Spy(opt, patience=0)
    h = fit(model, loader(X, y), nn.CrossEntropyLoss(), opt, epochs=3, val_loader=loader(X, y),
            scheduler=spy, progress=False)
    assert spy.seen == pytest.approx(h["val_loss"])
    spy.seen.clear()
    fit(model, loader(X, y), nn.CrossEntropyLoss(), opt, epochs=2, scheduler=spy, progress=False)
    assert len(spy.seen) == 2  # no val_loader: the training loss


# ---------------------------------------------------------------- custom steps
def test_a_custom_step_with_an_auxiliary_loss_logs_each_part():
    X, y = blobs(32)
    model = mlp()
    opt = gu.optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()

    def step(state, inputs, target):
        logits = state.model(*inputs)
        main = state.loss_fn(logits, target)
        aux = 1e-3 * sum((p * p).sum() for p in state.model.parameters())
        loss = main + aux
        state.optimizer.zero_grad()
        loss.backward()
        state.optimizer.step()
        return {"loss": loss, "main_loss": main, "aux_loss": aux, "output": logits}

    h = fit(model, loader(X, y, batch_size=8), loss_fn, opt, epochs=4, step=step,
            val_loader=loader(X, y), progress=False)
    assert list(h.keys()) == ["loss", "main_loss", "aux_loss", "accuracy", "val_loss",
                              "val_accuracy", "lr"]
    for i in range(4):
        assert h["loss"][i] == pytest.approx(h["main_loss"][i] + h["aux_loss"][i], rel=1e-5)
    assert h["main_loss"][-1] < h["main_loss"][0] and h["accuracy"][-1] > 0.8


def test_the_default_step_written_as_a_custom_step_gives_the_same_weights():
    X, y = blobs(24)

    def plain(state, inputs, target):
        out = state.model(*inputs)
        loss = state.loss_fn(out, target)
        state.optimizer.zero_grad()
        loss.backward()
        state.optimizer.step()
        return {"loss": loss, "output": out}

    results = []
    for step in (None, plain):
        model = mlp()
        opt = gu.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
        h = fit(model, loader(X, y, batch_size=8, shuffle=True), nn.CrossEntropyLoss(), opt,
                epochs=3, step=step, progress=False)
        results.append((h.history, [p.numpy().copy() for p in model.parameters()]))
    assert results[0][0] == results[1][0]
    for a, b in zip(results[0][1], results[1][1]):
        np.testing.assert_array_equal(a, b)


def test_a_gan_step_with_two_optimizers():
    """A generator and a discriminator, each with its own optimizer, in one step."""
    rng = np.random.default_rng(0)
    real = (rng.normal(size=(64, 2)) * 0.1 + [2.0, -1.0]).astype(np.float32)
    gu.manual_seed(0)
    gen = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
    disc = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 1))
    both = nn.ModuleList([gen, disc])
    opt_g = gu.optim.Adam(gen.parameters(), lr=0.01)
    opt_d = gu.optim.Adam(disc.parameters(), lr=0.01)
    bce = nn.BCEWithLogitsLoss()

    def gan_step(state, inputs, target):
        (x,) = inputs
        n = x.shape[0]
        fake = gen(gu.randn(n, 4))
        d_loss = bce(disc(x), gu.ones(n, 1)) + bce(disc(fake.detach()), gu.zeros(n, 1))
        opt_d.zero_grad()
        d_loss.backward()
        opt_d.step()
        g_loss = bce(disc(fake), gu.ones(n, 1))
        opt_g.zero_grad()
        g_loss.backward()
        opt_g.step()
        return {"loss": d_loss + g_loss, "d_loss": d_loss, "g_loss": g_loss}

    data = gu.data.DataLoader(gu.data.TensorDataset(real), batch_size=16, shuffle=True, seed=0)
    target = np.array([2.0, -1.0])
    with gu.no_grad():
        before = np.linalg.norm(gen(gu.randn(256, 4)).numpy().mean(0) - target)
    h = fit(both, data, None, opt_g, epochs=40, step=gan_step, progress=False, metrics=())
    assert set(h.keys()) == {"loss", "d_loss", "g_loss", "lr"}
    with gu.no_grad():
        samples = gen(gu.randn(256, 4)).numpy()
    after = np.linalg.norm(samples.mean(0) - target)
    assert after < 0.5 * before  # the generator moved towards the data


def test_a_step_carries_hidden_state_across_the_batches_of_an_epoch():
    """state.carry keeps what one batch hands to the next; it is None at each epoch's start."""
    X, y = blobs(32)
    model = mlp()
    opt = gu.optim.SGD(model.parameters(), lr=0.01)
    seen = []

    def step(state, inputs, target):
        seen.append((state.epoch, state.batch, state.carry))
        out = state.model(*inputs)
        loss = state.loss_fn(out, target)
        state.optimizer.zero_grad()
        loss.backward()
        state.optimizer.step()
        state.carry = out.detach()  # e.g. an RNN's last hidden state, detached
        return loss

    fit(model, loader(X, y, batch_size=8), nn.CrossEntropyLoss(), opt, epochs=2, step=step,
        progress=False)
    assert [(e, b, c is None) for e, b, c in seen] == [
        (1, 1, True), (1, 2, False), (1, 3, False), (1, 4, False),
        (2, 1, True), (2, 2, False), (2, 3, False), (2, 4, False)]


def test_custom_step_errors_are_clear():
    X, y = blobs(8)
    model = mlp()
    opt = gu.optim.SGD(model.parameters(), lr=0.1)
    with pytest.raises(ValueError, match="must return the loss, or a dict with a 'loss'"):
        fit(model, loader(X, y), nn.CrossEntropyLoss(), opt, step=lambda s, i, t: {"x": 1.0},
            progress=False)
    with pytest.raises(ValueError, match="a custom step clips its own gradients"):
        fit(model, loader(X, y), nn.CrossEntropyLoss(), opt, step=lambda s, i, t: 0.0,
            clip_grad_norm=1.0, progress=False)
    with pytest.raises(TypeError, match="step must be a function"):
        fit(model, loader(X, y), nn.CrossEntropyLoss(), opt, step=3, progress=False)
    trainer = Trainer(model, nn.CrossEntropyLoss(), opt, progress=False,
                      step=lambda s, i, t: 0.5)
    assert trainer.fit(loader(X, y), epochs=1)["loss"] == [0.5]
