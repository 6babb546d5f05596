"""CosineAnnealingWarmRestarts and CyclicLR: lr (and momentum / beta1) sequences equal
torch.optim.lr_scheduler's over several restarts and cycles; state_dict; errors."""

import warnings

import numpy as np
import pytest

import groundup as gu
from groundup.optim import Adadelta
from groundup.optim import lr_scheduler as L

from .test_lr_scheduler import T, check_round_trip, compare, make_optimizers

CASES = {
    "restarts": (lambda o: L.CosineAnnealingWarmRestarts(o, T_0=5),
                 lambda o: T().CosineAnnealingWarmRestarts(o, T_0=5)),
    "restarts_mult": (lambda o: L.CosineAnnealingWarmRestarts(o, 3, T_mult=2, eta_min=0.01),
                      lambda o: T().CosineAnnealingWarmRestarts(o, 3, T_mult=2, eta_min=0.01)),
    "restarts_in_sequence": (
        lambda o: L.SequentialLR(o, [L.LinearLR(o, 0.1, 1.0, 4),
                                     L.CosineAnnealingWarmRestarts(o, 4, 2)], [5]),
        lambda o: T().SequentialLR(o, [T().LinearLR(o, 0.1, 1.0, 4),
                                       T().CosineAnnealingWarmRestarts(o, 4, 2)], [5])),
    "triangular": (lambda o: L.CyclicLR(o, 0.01, 0.1, step_size_up=4),
                   lambda o: T().CyclicLR(o, 0.01, 0.1, step_size_up=4)),
    "triangular2": (lambda o: L.CyclicLR(o, [0.01, 0.02], [0.1, 0.3], 3, 5, mode="triangular2"),
                    lambda o: T().CyclicLR(o, [0.01, 0.02], [0.1, 0.3], 3, 5,
                                           mode="triangular2")),
    "exp_range": (lambda o: L.CyclicLR(o, 0.01, 0.1, 3, mode="exp_range", gamma=0.95,
                                       base_momentum=0.7, max_momentum=[0.95, 0.9]),
                  lambda o: T().CyclicLR(o, 0.01, 0.1, 3, mode="exp_range", gamma=0.95,
                                         base_momentum=0.7, max_momentum=[0.95, 0.9])),
    "scale_fn": (lambda o: L.CyclicLR(o, 0.01, 0.1, 2, 4, scale_fn=lambda x: 0.9**x,
                                      scale_mode="iterations"),
                 lambda o: T().CyclicLR(o, 0.01, 0.1, 2, 4, scale_fn=lambda x: 0.9**x,
                                        scale_mode="iterations")),
    "no_momentum": (lambda o: L.CyclicLR(o, 0.01, 0.1, 5, 2, cycle_momentum=False),
                    lambda o: T().CyclicLR(o, 0.01, 0.1, 5, 2, cycle_momentum=False)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    compare(*CASES[name], steps=40)


@pytest.mark.parametrize("name", ["triangular2", "exp_range"])
def test_cyclic_cycles_adam_beta1(name):
    compare(*CASES[name], kind="adam", steps=20)


def test_warm_restarts_with_fractional_epochs():
    """step(epoch + i / iters) per batch, as PyTorch's docstring shows, then plain steps."""
    for T_mult in (1, 2):
        gopt, topt = make_optimizers()
        gs = L.CosineAnnealingWarmRestarts(gopt, T_0=3, T_mult=T_mult, eta_min=1e-3)
        ts = T().CosineAnnealingWarmRestarts(topt, T_0=3, T_mult=T_mult, eta_min=1e-3)
        epochs = [e + i / 4 for e in range(12) for i in range(4)] + [None] * 5 + [2.5, 7.25]
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for epoch in epochs:
                gs.step(epoch)
                ts.step(epoch)
                np.testing.assert_allclose(gs.get_last_lr(), ts.get_last_lr(), rtol=1e-12)
                assert (gs.last_epoch, gs.T_i) == (ts.last_epoch, ts.T_i)
                assert gs.T_cur == pytest.approx(ts.T_cur, rel=1e-12)


def test_cyclic_sets_base_lr_and_momentum_bounds_on_the_groups():
    gopt, _ = make_optimizers()
    s = L.CyclicLR(gopt, [0.01, 0.02], 0.1, step_size_up=2)
    assert [g["lr"] for g in gopt.param_groups] == [0.01, 0.02] == s.base_lrs
    assert [g["momentum"] for g in gopt.param_groups] == [0.9, 0.9]
    assert gopt.param_groups[0]["base_momentum"] == 0.8


@pytest.mark.parametrize("make", [
    lambda o: L.CosineAnnealingWarmRestarts(o, 3, 2, 1e-3),
    lambda o: L.CyclicLR(o, 0.01, 0.1, 3, 4, mode="triangular2"),
    lambda o: L.CyclicLR(o, 0.01, 0.1, 3, mode="exp_range", gamma=0.9),
])
def test_state_dict_round_trip_through_json(make):
    check_round_trip(make)


def test_custom_scale_fn_is_not_saved_and_survives_a_load():
    gopt, _ = make_optimizers()
    s = L.CyclicLR(gopt, 0.01, 0.1, 2, scale_fn=lambda x: 0.5)
    sd = s.state_dict()
    assert "_scale_fn_custom" not in sd
    s.load_state_dict({**sd, "_scale_fn_custom": None})
    s.step()
    assert s.scale_fn(3) == 0.5


def test_errors():
    gopt, _ = make_optimizers()
    with pytest.raises(ValueError, match="CosineAnnealingWarmRestarts: T_0 must be a positive"):
        L.CosineAnnealingWarmRestarts(gopt, T_0=0)
    with pytest.raises(ValueError, match="T_0 must be a positive int, got 2.5"):
        L.CosineAnnealingWarmRestarts(gopt, T_0=2.5)
    with pytest.raises(ValueError, match="T_mult must be an int >= 1"):
        L.CosineAnnealingWarmRestarts(gopt, T_0=2, T_mult=0)
    with pytest.raises(ValueError, match="eta_min"):
        L.CosineAnnealingWarmRestarts(gopt, T_0=2, eta_min="0")
    with pytest.raises(ValueError, match="epoch must be >= 0"):
        L.CosineAnnealingWarmRestarts(gopt, T_0=2).step(-1)
    with pytest.raises(ValueError, match="CyclicLR: mode must be one of"):
        L.CyclicLR(gopt, 0.01, 0.1, mode="triangle")
    with pytest.raises(ValueError, match="expected 2 values for max_lr"):
        L.CyclicLR(gopt, 0.01, [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="step_size_up must be > 0"):
        L.CyclicLR(gopt, 0.01, 0.1, step_size_up=0)
    with pytest.raises(ValueError, match="scale_mode"):
        L.CyclicLR(gopt, 0.01, 0.1, scale_fn=lambda x: 1.0, scale_mode="epoch")
    p = gu.tensor(np.zeros(2), requires_grad=True)
    with pytest.raises(ValueError, match="Adadelta has neither.*cycle_momentum=False"):
        L.CyclicLR(Adadelta([p]), 0.01, 0.1)
    L.CyclicLR(Adadelta([p]), 0.01, 0.1, cycle_momentum=False)
