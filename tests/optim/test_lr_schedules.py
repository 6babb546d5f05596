"""PolynomialLR (added to the epoch schedules of lr_schedules) against torch's."""

import warnings

import numpy as np
import pytest

from groundup.optim import lr_scheduler as L

from .test_lr_scheduler import T, check_round_trip, compare, make_optimizers

CASES = {
    "default": (lambda o: L.PolynomialLR(o), lambda o: T().PolynomialLR(o)),
    "power": (lambda o: L.PolynomialLR(o, total_iters=12, power=0.9),
              lambda o: T().PolynomialLR(o, total_iters=12, power=0.9)),
    "square": (lambda o: L.PolynomialLR(o, total_iters=7, power=2.0),
               lambda o: T().PolynomialLR(o, total_iters=7, power=2.0)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    compare(*CASES[name])


def test_step_with_epoch_uses_the_closed_form_like_torch():
    gopt, topt = make_optimizers()
    gs, ts = L.PolynomialLR(gopt, 10, 1.5), T().PolynomialLR(topt, 10, 1.5)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for epoch in (3, 7, 12, 4):
            gs.step(epoch)
            ts.step(epoch)
            np.testing.assert_allclose(gs.get_last_lr(), ts.get_last_lr(), rtol=1e-13)


def test_state_dict_round_trip_through_json():
    check_round_trip(lambda o: L.PolynomialLR(o, total_iters=15, power=0.7))


def test_errors():
    gopt, _ = make_optimizers()
    with pytest.raises(ValueError, match="PolynomialLR: total_iters must be a positive int"):
        L.PolynomialLR(gopt, total_iters=0)
    with pytest.raises(ValueError, match="PolynomialLR: power must be a real number"):
        L.PolynomialLR(gopt, power="2")
