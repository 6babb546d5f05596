"""RMSprop against torch.optim.RMSprop: 10 steps for every option, state_dict round trip."""

import numpy as np
import pytest
from helpers import assert_params_match as assert_match
from helpers import assert_resume_matches, require_torch
from helpers import run_optimizer_pair as run_pair

import groundup as gu
from groundup.optim import RMSprop

CASES = [
    dict(),
    dict(lr=0.05, alpha=0.9),
    dict(lr=0.01, centered=True),
    dict(lr=0.01, momentum=0.9),
    dict(lr=0.01, centered=True, momentum=0.5),
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, maximize=True),
    dict(lr=0.01, centered=True, momentum=0.5, weight_decay=0.1, maximize=True, eps=1e-4),
    dict(lr=0.01, alpha=0.3),     # 1 - alpha > 0.5: PyTorch's other lerp form (centered)
]


@pytest.mark.parametrize("kw", CASES)
def test_rmsprop_matches_torch(kw):
    torch = require_torch()
    gp, tp, _, _ = run_pair(RMSprop, torch.optim.RMSprop, **kw)
    assert_match(gp, tp)


def test_centered_low_alpha():
    torch = require_torch()
    gp, tp, _, _ = run_pair(RMSprop, torch.optim.RMSprop, lr=0.01, alpha=0.3, centered=True)
    assert_match(gp, tp)


def test_float64():
    torch = require_torch()
    gp, tp, _, _ = run_pair(RMSprop, torch.optim.RMSprop, dtype=np.float64, lr=0.01,
                            centered=True, momentum=0.9)
    assert_match(gp, tp, np.float64)


def test_param_groups_with_different_lrs():
    torch = require_torch()
    groups = [dict(lr=0.02, centered=True), dict(lr=0.005, momentum=0.9)]
    gp, tp, _, _ = run_pair(RMSprop, torch.optim.RMSprop, group_kw=groups)
    assert_match(gp, tp)


def test_missing_gradients_and_state_names():
    torch = require_torch()
    gp, tp, opt, topt = run_pair(RMSprop, torch.optim.RMSprop, lr=0.01, centered=True,
                                 momentum=0.9, skip={(2, 0), (7, 1)})
    assert_match(gp, tp)
    assert set(opt.state_dict()["state"][0]) == set(topt.state_dict()["state"][0])


def test_state_dict_round_trip_continues_identically():
    assert_resume_matches(RMSprop, dict(lr=0.01, centered=True, momentum=0.9))


@pytest.mark.parametrize("kw, match", [
    (dict(lr=-0.1), "lr"), (dict(alpha=-0.5), "alpha"), (dict(eps=-1.0), "eps"),
    (dict(momentum=-0.1), "momentum"), (dict(weight_decay=-1), "weight_decay"),
])
def test_invalid_hyperparameters(kw, match):
    p = gu.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=match):
        RMSprop([p], **kw)
