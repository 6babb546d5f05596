"""Adamax against torch.optim.Adamax: several steps per option, groups, state_dict, errors."""

import numpy as np
import pytest
from helpers import assert_params_match as assert_match
from helpers import assert_resume_matches, require_torch
from helpers import run_optimizer_pair as run_pair

import groundup as gu
from groundup.optim import Adamax

CASES = [
    dict(),
    dict(lr=0.01, betas=(0.8, 0.99)),
    dict(lr=0.01, betas=(0.3, 0.9), eps=1e-3),    # 1 - beta1 > 0.5: PyTorch's other lerp form
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, maximize=True),
    dict(lr=0.02, weight_decay=0.1, maximize=True),
]


@pytest.mark.parametrize("kw", CASES)
def test_adamax_matches_torch(kw):
    torch = require_torch()
    gp, tp, _, _ = run_pair(Adamax, torch.optim.Adamax, **kw)
    assert_match(gp, tp)


def test_float64():
    torch = require_torch()
    gp, tp, _, _ = run_pair(Adamax, torch.optim.Adamax, dtype=np.float64, lr=0.01,
                            weight_decay=0.1)
    assert_match(gp, tp, np.float64)


def test_param_groups_and_missing_gradients():
    torch = require_torch()
    groups = [dict(lr=0.02), dict(lr=0.005, betas=(0.5, 0.9))]
    gp, tp, opt, topt = run_pair(Adamax, torch.optim.Adamax, group_kw=groups,
                                 skip={(1, 0), (6, 1)})
    assert_match(gp, tp)
    assert set(opt.state_dict()["state"][1]) == set(topt.state_dict()["state"][1])


def test_defaults_are_pytorchs():
    torch = require_torch()
    p = gu.tensor(np.ones(2), requires_grad=True)
    ours = Adamax([p]).defaults
    theirs = torch.optim.Adamax([torch.ones(2, requires_grad=True)]).defaults
    assert all(ours[k] == theirs[k] for k in ours)


def test_state_dict_round_trip_continues_identically():
    assert_resume_matches(Adamax, dict(lr=0.01, weight_decay=0.1))


@pytest.mark.parametrize("kw, match", [
    (dict(lr=-0.1), "lr"), (dict(eps=-1.0), "eps"), (dict(betas=(1.0, 0.9)), "betas"),
    (dict(betas=(0.9, -0.1)), "betas"), (dict(betas=0.9), "betas"),
    (dict(weight_decay=-1), "weight_decay"),
])
def test_invalid_hyperparameters(kw, match):
    p = gu.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=f"Adamax: invalid {match}"):
        Adamax([p], **kw)
