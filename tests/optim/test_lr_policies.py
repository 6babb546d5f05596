"""Schedulers that run others, cycle or follow a metric: sequences equal torch.optim's.

SequentialLR, OneCycleLR, ReduceLROnPlateau and warmup (groundup.optim.lr_policies),
reached through their public module groundup.optim.lr_scheduler.
"""

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu
from groundup.optim import SGD, Adam
from groundup.optim import lr_scheduler as L

from .test_lr_scheduler import STEPS, T, check_round_trip, compare, make_optimizers

CASES = {
    "sequential": (
        lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.1, 1.0, 4), L.ExponentialLR(o, 0.9)], [5]),
        lambda o: T().SequentialLR(o, [T().LinearLR(o, 0.1, 1.0, 4), T().ExponentialLR(o, 0.9)],
                                   [5])),
    "sequential3": (
        lambda o: L.SequentialLR(o, [L.ExponentialLR(o, 0.9), L.CosineAnnealingLR(o, 5),
                                     L.StepLR(o, 3)], [6, 15]),
        lambda o: T().SequentialLR(o, [T().ExponentialLR(o, 0.9), T().CosineAnnealingLR(o, 5),
                                       T().StepLR(o, 3)], [6, 15])),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    compare(*CASES[name])


ONE_CYCLE = [dict(), dict(anneal_strategy="linear"), dict(three_phase=True),
             dict(three_phase=True, anneal_strategy="linear"),
             dict(pct_start=0.25, div_factor=10.0, final_div_factor=100.0,
                  base_momentum=0.8, max_momentum=0.9), dict(cycle_momentum=False)]


@pytest.mark.parametrize("kind", ["sgd", "adam"])
@pytest.mark.parametrize("kw", ONE_CYCLE)
def test_one_cycle_matches_torch_with_momentum_cycling(kw, kind):
    compare(lambda o: L.OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=STEPS, **kw),
            lambda o: T().OneCycleLR(o, max_lr=[1.0, 0.5], total_steps=STEPS, **kw), kind)


def test_one_cycle_epochs_form_and_overrun():
    gopt, _ = make_optimizers()
    s = L.OneCycleLR(gopt, max_lr=0.1, epochs=2, steps_per_epoch=3)
    assert s.total_steps == 6
    for _ in range(6):
        s.step()
    with pytest.raises(ValueError, match="total_steps"):
        s.step()


PLATEAU_METRICS = [1.0, 0.9, 0.9, 0.9, 0.9, 0.89, 0.95, 0.95, 0.95, 0.95, 0.7, 0.7, 0.71, 0.72,
                   0.69999, 0.6, 0.6, 0.6, 0.6, 0.6, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.4, 0.4,
                   0.4, 0.4]


@pytest.mark.parametrize("kw", [
    dict(patience=2, factor=0.5),
    dict(patience=1, factor=0.5, cooldown=2, min_lr=[0.01, 0.02]),
    dict(patience=0, factor=0.3, threshold_mode="abs", threshold=0.05),
    dict(mode="max", patience=2, factor=0.5),
    dict(mode="max", patience=1, threshold_mode="abs", threshold=0.01, min_lr=0.02),
])
def test_reduce_on_plateau_matches_torch(kw):
    metrics = PLATEAU_METRICS if kw.get("mode") != "max" else [-m for m in PLATEAU_METRICS]
    compare(lambda o: L.ReduceLROnPlateau(o, **kw), lambda o: T().ReduceLROnPlateau(o, **kw),
            metrics=metrics)


def test_reduce_on_plateau_accepts_a_tensor_metric():
    gopt, _ = make_optimizers()
    s = L.ReduceLROnPlateau(gopt, patience=0)
    s.step(gu.tensor(1.0))
    s.step(gu.tensor(2.0))
    assert s.get_last_lr() == pytest.approx([0.01, 0.005])


@pytest.mark.parametrize("W", [2, 5])
def test_warmup_equals_torch_linear_then_cosine(W):
    compare(lambda o: L.warmup(o, W, after=L.CosineAnnealingLR(o, T_max=20)),
            lambda o: T().SequentialLR(o, [T().LinearLR(o, 1 / W, 1.0, W - 1),
                                           T().CosineAnnealingLR(o, T_max=20)], [W]))


def test_warmup_then_sequential():
    W = 4
    compare(lambda o: L.warmup(o, W, after=L.SequentialLR(
                o, [L.ExponentialLR(o, 0.9), L.StepLR(o, 3)], [5])),
            lambda o: T().SequentialLR(o, [T().LinearLR(o, 1 / W, 1.0, W - 1),
                                           T().ExponentialLR(o, 0.9), T().StepLR(o, 3)],
                                       [W, W + 5]))


def test_warmup_alone_and_its_formula():
    gopt, _ = make_optimizers()
    s = L.warmup(gopt, 4)
    lrs = [s.get_last_lr()[0]]
    for _ in range(7):
        s.step()
        lrs.append(s.get_last_lr()[0])
    np.testing.assert_allclose(lrs, [0.025, 0.05, 0.075, 0.1, 0.1, 0.1, 0.1, 0.1], rtol=1e-13)
    assert gopt.param_groups[1]["lr"] == pytest.approx(0.05)


def test_warmup_then_plateau():
    gopt, _ = make_optimizers()
    s = L.warmup(gopt, 3, after=L.ReduceLROnPlateau(gopt, patience=0, factor=0.5))
    seen = [s.get_last_lr()[0]]
    for m in [5.0, 4.0, 3.0, 1.0, 2.0, 2.0, 0.5]:
        s.step(m)
        seen.append(s.get_last_lr()[0])
    # warmup ignores the metric; then 1.0 is the best, 2.0 twice halves twice, 0.5 improves
    np.testing.assert_allclose(seen, [0.1 / 3, 0.2 / 3, 0.1, 0.1, 0.1, 0.05, 0.025, 0.025],
                               rtol=1e-13)


RESUME = {
    "one_cycle": (lambda o: L.OneCycleLR(o, max_lr=1.0, total_steps=STEPS, three_phase=True),
                  None),
    "plateau": (lambda o: L.ReduceLROnPlateau(o, patience=1, cooldown=1), PLATEAU_METRICS),
    "sequential": (lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.1, 1.0, 4),
                                                L.CosineAnnealingLR(o, 10)], [5]), None),
    "warmup": (lambda o: L.warmup(o, 5, after=L.ExponentialLR(o, 0.8)), None),
}


@pytest.mark.parametrize("name", sorted(RESUME))
def test_state_dict_round_trip_through_json(name):
    check_round_trip(*RESUME[name])


def test_errors():
    gopt, _ = make_optimizers()
    with pytest.raises(ValueError, match="total_steps"):
        L.OneCycleLR(gopt, max_lr=0.1)
    with pytest.raises(ValueError, match="anneal_strategy"):
        L.OneCycleLR(gopt, max_lr=0.1, total_steps=10, anneal_strategy="exp")
    with pytest.raises(ValueError, match="max_lr"):
        L.OneCycleLR(gopt, max_lr=[0.1, 0.2, 0.3], total_steps=10)
    with pytest.raises(ValueError, match="factor"):
        L.ReduceLROnPlateau(gopt, factor=1.5)
    with pytest.raises(ValueError, match="mode"):
        L.ReduceLROnPlateau(gopt, mode="lowest")
    with pytest.raises(ValueError, match="threshold_mode"):
        L.ReduceLROnPlateau(gopt, threshold_mode="pct")
    with pytest.raises(ValueError, match="milestone"):
        L.SequentialLR(gopt, [L.StepLR(gopt, 2), L.StepLR(gopt, 3)], milestones=[])
    with pytest.raises(ValueError, match="ReduceLROnPlateau"):
        L.SequentialLR(gopt, [L.StepLR(gopt, 2), L.ReduceLROnPlateau(gopt)], milestones=[3])
    with pytest.raises(ValueError, match="warmup_steps"):
        L.warmup(gopt, 0)
    other, _ = make_optimizers()
    with pytest.raises(ValueError, match="different optimizer"):
        L.warmup(gopt, 3, after=L.StepLR(other, 2))
    no_momentum = Adam([gu.tensor(np.zeros(1), requires_grad=True)])
    no_momentum.defaults.pop("betas")
    with pytest.raises(ValueError, match="cycle_momentum"):
        L.OneCycleLR(no_momentum, max_lr=0.1, total_steps=10)


@pytest.mark.parametrize("kind", ["sgd", "adam"])
def test_training_loop_with_one_cycle_matches_torch(kind):
    """Optimizer and scheduler together (lr and momentum/beta1 cycling) for 10 steps."""
    torch = require_torch()
    rng = np.random.default_rng(0)
    init = rng.standard_normal((3, 4)).astype(np.float32)
    grads = [rng.standard_normal((3, 4)).astype(np.float32) for _ in range(10)]
    p = gu.tensor(init, requires_grad=True)
    q = torch.tensor(init, requires_grad=True)
    if kind == "sgd":
        gopt, topt = SGD([p], lr=0.1, momentum=0.9), torch.optim.SGD([q], lr=0.1, momentum=0.9)
    else:
        gopt, topt = Adam([p], lr=0.1), torch.optim.Adam([q], lr=0.1)
    gs = L.OneCycleLR(gopt, max_lr=0.5, total_steps=10)
    ts = torch.optim.lr_scheduler.OneCycleLR(topt, max_lr=0.5, total_steps=10)
    for g in grads:
        p.grad, q.grad = gu.tensor(g), torch.tensor(g)
        gopt.step()
        topt.step()
        gs.step()
        ts.step()
    np.testing.assert_allclose(p.numpy(), q.detach().numpy(), rtol=1e-6, atol=3e-7)
