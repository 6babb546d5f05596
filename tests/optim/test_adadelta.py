"""Adadelta against torch.optim.Adadelta: several steps per option, groups, state_dict, errors."""

import numpy as np
import pytest
from helpers import assert_params_match as assert_match
from helpers import assert_resume_matches, require_torch
from helpers import run_optimizer_pair as run_pair

import groundup as gu
from groundup.optim import Adadelta

CASES = [
    dict(),
    dict(lr=0.5, rho=0.8),
    dict(lr=1.0, rho=0.3, eps=1e-3),
    dict(weight_decay=0.1),
    dict(maximize=True),
    dict(lr=0.7, rho=0.95, weight_decay=0.05, maximize=True),
]


@pytest.mark.parametrize("kw", CASES)
def test_adadelta_matches_torch(kw):
    torch = require_torch()
    gp, tp, _, _ = run_pair(Adadelta, torch.optim.Adadelta, **kw)
    assert_match(gp, tp)


def test_float64():
    torch = require_torch()
    gp, tp, _, _ = run_pair(Adadelta, torch.optim.Adadelta, dtype=np.float64, rho=0.8,
                            weight_decay=0.1)
    assert_match(gp, tp, np.float64)


def test_param_groups_and_missing_gradients():
    torch = require_torch()
    groups = [dict(lr=0.5), dict(rho=0.7, maximize=True)]
    gp, tp, opt, topt = run_pair(Adadelta, torch.optim.Adadelta, group_kw=groups,
                                 skip={(2, 0), (5, 1)})
    assert_match(gp, tp)
    assert set(opt.state_dict()["state"][0]) == set(topt.state_dict()["state"][0])
    assert opt.state_dict()["state"][0]["step"] == 9


def test_defaults_are_pytorchs():
    torch = require_torch()
    p = gu.tensor(np.ones(2), requires_grad=True)
    ours = Adadelta([p]).defaults
    theirs = torch.optim.Adadelta([torch.ones(2, requires_grad=True)]).defaults
    assert all(ours[k] == theirs[k] for k in ours)


def test_state_dict_round_trip_continues_identically():
    assert_resume_matches(Adadelta, dict(lr=0.5, rho=0.8, weight_decay=0.1))


@pytest.mark.parametrize("kw, match", [
    (dict(lr=-0.1), "lr -0.1"), (dict(rho=1.5), "rho 1.5"), (dict(rho=-0.1), "rho"),
    (dict(eps=-1.0), "eps"), (dict(weight_decay=-1), "weight_decay"),
])
def test_invalid_hyperparameters(kw, match):
    p = gu.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=f"Adadelta: invalid {match}"):
        Adadelta([p], **kw)
