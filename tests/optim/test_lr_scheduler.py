"""Learning-rate schedulers: each sequence over 30 steps equals torch.optim.lr_scheduler's."""

import json
import warnings

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu
from groundup.optim import SGD, Adam
from groundup.optim import lr_scheduler as L

STEPS = 30


def make_optimizers(kind="sgd"):
    """groundup and torch optimizers with two param groups (lr 0.1 and 0.05)."""
    torch = require_torch()
    gp = [gu.tensor(np.zeros(2), requires_grad=True) for _ in range(2)]
    tp = [torch.zeros(2, requires_grad=True) for _ in range(2)]
    if kind == "sgd":
        g = SGD([{"params": [gp[0]]}, {"params": [gp[1]], "lr": 0.05}], lr=0.1, momentum=0.9)
        t = torch.optim.SGD([{"params": [tp[0]]}, {"params": [tp[1]], "lr": 0.05}], lr=0.1,
                            momentum=0.9)
    else:
        g = Adam([{"params": [gp[0]]}, {"params": [gp[1]], "lr": 0.05}], lr=0.1)
        t = torch.optim.Adam([{"params": [tp[0]]}, {"params": [tp[1]], "lr": 0.05}], lr=0.1)
    return g, t


def compare(make_gu, make_torch, kind="sgd", metrics=None, steps=STEPS):
    """Step both schedulers and check lrs (and momentum / betas) at every step."""
    gopt, topt = make_optimizers(kind)
    gs, ts = make_gu(gopt), make_torch(topt)
    for k in range(steps + 1):
        np.testing.assert_allclose(gs.get_last_lr(), ts.get_last_lr(), rtol=1e-13, atol=0,
                                   err_msg=f"step {k}")
        for ga, ta in zip(gopt.param_groups, topt.param_groups, strict=True):
            assert ga["lr"] == pytest.approx(ta["lr"], rel=1e-13)
            for key in ("momentum", "betas"):
                if key in ga:
                    np.testing.assert_allclose(ga[key], ta[key], rtol=1e-13)
        if k == steps:
            break
        topt.step()
        if metrics is not None:
            gs.step(metrics[k])
            ts.step(metrics[k])
        else:
            gs.step()
            ts.step()
    return gs, gopt


def T():
    return require_torch().optim.lr_scheduler


CASES = {
    "step": (lambda o: L.StepLR(o, 7, gamma=0.5), lambda o: T().StepLR(o, 7, gamma=0.5)),
    "multistep": (lambda o: L.MultiStepLR(o, [5, 12, 12, 20], 0.3),
                  lambda o: T().MultiStepLR(o, [5, 12, 12, 20], 0.3)),
    "exponential": (lambda o: L.ExponentialLR(o, 0.9), lambda o: T().ExponentialLR(o, 0.9)),
    "cosine": (lambda o: L.CosineAnnealingLR(o, T_max=10, eta_min=1e-3),
               lambda o: T().CosineAnnealingLR(o, T_max=10, eta_min=1e-3)),
    "cosine_long": (lambda o: L.CosineAnnealingLR(o, T_max=40),
                    lambda o: T().CosineAnnealingLR(o, T_max=40)),
    "linear": (lambda o: L.LinearLR(o, 0.2, 0.9, 8), lambda o: T().LinearLR(o, 0.2, 0.9, 8)),
    "linear_default": (lambda o: L.LinearLR(o), lambda o: T().LinearLR(o)),
    "lambda": (lambda o: L.LambdaLR(o, lambda e: 0.95**e),
               lambda o: T().LambdaLR(o, lambda e: 0.95**e)),
    "lambda_list": (lambda o: L.LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9**e]),
                    lambda o: T().LambdaLR(o, [lambda e: 1 / (e + 1), lambda e: 0.9**e])),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    compare(*CASES[name])


def test_step_with_epoch_uses_the_closed_form_like_torch():
    gopt, topt = make_optimizers()
    gs = L.CosineAnnealingLR(gopt, T_max=10)
    ts = T().CosineAnnealingLR(topt, T_max=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (3, 7, 12):
            gs.step(epoch)
            ts.step(epoch)
            np.testing.assert_allclose(gs.get_last_lr(), ts.get_last_lr(), rtol=1e-13)


def test_scheduler_sets_initial_lr_and_base_lrs():
    gopt, _ = make_optimizers()
    s = L.StepLR(gopt, 2)
    assert [g["initial_lr"] for g in gopt.param_groups] == [0.1, 0.05]
    assert s.base_lrs == [0.1, 0.05] and s.last_epoch == 0


def run(make, opt, steps, metrics=None):
    s = make(opt)
    for k in range(steps):
        s.step(metrics[k]) if metrics else s.step()
    return s


RESUME = {
    "step": (lambda o: L.StepLR(o, 4, 0.5), None),
    "multistep": (lambda o: L.MultiStepLR(o, [3, 12, 12], 0.5), None),
    "cosine": (lambda o: L.CosineAnnealingLR(o, 8, 1e-3), None),
    "lambda": (lambda o: L.LambdaLR(o, lambda e: 0.9**e), None),
}


def check_round_trip(make, metrics=None):
    """Stepping 10 times, saving through JSON and resuming gives the straight run's lrs."""
    opt_a, _ = make_optimizers("adam")
    straight = run(make, opt_a, 0)
    lrs_straight = []
    for k in range(25):
        straight.step(metrics[k]) if metrics else straight.step()
        lrs_straight.append(straight.get_last_lr())
    opt_b, _ = make_optimizers("adam")
    first = run(make, opt_b, 10, metrics)
    saved = json.loads(json.dumps({"opt": _opt_groups(opt_b), "sched": first.state_dict()}))
    opt_c, _ = make_optimizers("adam")
    resumed = make(opt_c)
    for group, lr_state in zip(opt_c.param_groups, saved["opt"], strict=True):
        group.update(lr_state)
    resumed.load_state_dict(saved["sched"])
    lrs = []
    for k in range(10, 25):
        resumed.step(metrics[k]) if metrics else resumed.step()
        lrs.append(resumed.get_last_lr())
    np.testing.assert_allclose(lrs, lrs_straight[10:], rtol=1e-13)


@pytest.mark.parametrize("name", sorted(RESUME))
def test_state_dict_round_trip_through_json(name):
    check_round_trip(*RESUME[name])


def _opt_groups(opt):
    """The group hyperparameters (lr, betas, initial_lr ...) a checkpoint would hold."""
    return [{k: v for k, v in g.items() if k != "params"} for g in opt.param_groups]


def test_errors():
    gopt, _ = make_optimizers()
    with pytest.raises(TypeError, match="Optimizer"):
        L.StepLR(object(), 3)
    with pytest.raises(ValueError, match="start_factor"):
        L.LinearLR(gopt, start_factor=0.0)
    with pytest.raises(ValueError, match="step_size"):
        L.StepLR(gopt, 0)
    fresh, _ = make_optimizers()
    with pytest.raises(KeyError, match="initial_lr"):
        L.StepLR(fresh, 3, last_epoch=5)
