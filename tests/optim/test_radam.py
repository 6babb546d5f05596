"""RAdam against torch.optim.RAdam: several steps per option (through the rectification
switch-on at step 6 with the default betas), groups, state_dict, errors."""

import numpy as np
import pytest
from helpers import assert_params_match as assert_match
from helpers import assert_resume_matches, require_torch
from helpers import run_optimizer_pair as run_pair

import groundup as gu
from groundup.optim import RAdam

CASES = [
    dict(),
    dict(lr=0.01, betas=(0.8, 0.99)),
    dict(lr=0.01, betas=(0.3, 0.9)),    # 1 - beta1 > 0.5: PyTorch's other lerp form
    dict(lr=0.01, betas=(0.9, 0.5)),    # rho_inf = 3: never rectified
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
    dict(lr=0.01, maximize=True),
    dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True, maximize=True, eps=1e-4),
]


@pytest.mark.parametrize("kw", CASES)
def test_radam_matches_torch(kw):
    torch = require_torch()
    gp, tp, _, _ = run_pair(RAdam, torch.optim.RAdam, **kw)
    assert_match(gp, tp)


def test_float64():
    torch = require_torch()
    gp, tp, _, _ = run_pair(RAdam, torch.optim.RAdam, dtype=np.float64, steps=15, lr=0.01,
                            weight_decay=0.1)
    assert_match(gp, tp, np.float64)


def test_param_groups_and_missing_gradients():
    torch = require_torch()
    groups = [dict(lr=0.02), dict(lr=0.005, weight_decay=0.1, decoupled_weight_decay=True)]
    gp, tp, opt, topt = run_pair(RAdam, torch.optim.RAdam, group_kw=groups,
                                 skip={(3, 0), (7, 1)})
    assert_match(gp, tp)
    assert set(opt.state_dict()["state"][0]) == set(topt.state_dict()["state"][0])


def test_defaults_are_pytorchs():
    torch = require_torch()
    p = gu.tensor(np.ones(2), requires_grad=True)
    ours = RAdam([p]).defaults
    theirs = torch.optim.RAdam([torch.ones(2, requires_grad=True)]).defaults
    assert all(ours[k] == theirs[k] for k in ours)


def test_state_dict_round_trip_continues_identically():
    assert_resume_matches(RAdam, dict(lr=0.01, weight_decay=0.1))


@pytest.mark.parametrize("kw, match", [
    (dict(lr=-0.1), "lr"), (dict(eps=-1.0), "eps"), (dict(betas=(-0.1, 0.9)), "betas"),
    (dict(weight_decay=-1), "weight_decay"),
])
def test_invalid_hyperparameters(kw, match):
    p = gu.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=f"RAdam: invalid {match}"):
        RAdam([p], **kw)
