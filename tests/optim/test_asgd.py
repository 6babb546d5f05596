"""ASGD against torch.optim.ASGD: parameters, the averaged `ax`, eta and mu step for step."""

import numpy as np
import pytest
from helpers import assert_params_match as assert_match
from helpers import assert_resume_matches, require_torch
from helpers import run_optimizer_pair as run_pair

import groundup as gu
from groundup.optim import ASGD

CASES = [
    dict(),
    dict(lr=0.05, t0=3),                    # averaging starts within the run
    dict(lr=0.05, lambd=0.01, alpha=0.5, t0=0),
    dict(lr=0.05, t0=4, weight_decay=0.1),
    dict(lr=0.05, t0=2, maximize=True),
    dict(lr=0.02, lambd=0.1, t0=5, weight_decay=0.1, maximize=True),
]


@pytest.mark.parametrize("kw", CASES)
def test_asgd_matches_torch(kw):
    torch = require_torch()
    gp, tp, opt, topt = run_pair(ASGD, torch.optim.ASGD, **kw)
    assert_match(gp, tp)
    for p, q in zip(gp, tp, strict=True):
        ours, theirs = opt.state[p], topt.state[q]
        np.testing.assert_allclose(ours["ax"], theirs["ax"].numpy(), rtol=1e-6, atol=3e-7)
        assert ours["eta"] == theirs["eta"].item() and ours["mu"] == theirs["mu"].item()


def test_float64():
    torch = require_torch()
    gp, tp, opt, topt = run_pair(ASGD, torch.optim.ASGD, dtype=np.float64, lr=0.05, t0=3,
                                 weight_decay=0.1)
    assert_match(gp, tp, np.float64)
    np.testing.assert_allclose(opt.state[gp[0]]["ax"], topt.state[tp[0]]["ax"].numpy(),
                               rtol=1e-12, atol=1e-13)


def test_param_groups_and_missing_gradients():
    torch = require_torch()
    groups = [dict(lr=0.05, t0=2), dict(lr=0.01, lambd=0.01)]
    gp, tp, opt, topt = run_pair(ASGD, torch.optim.ASGD, group_kw=groups,
                                 skip={(2, 0), (8, 1)})
    assert_match(gp, tp)
    assert set(opt.state_dict()["state"][0]) == set(topt.state_dict()["state"][0])


def test_defaults_are_pytorchs():
    torch = require_torch()
    p = gu.tensor(np.ones(2), requires_grad=True)
    ours = ASGD([p]).defaults
    theirs = torch.optim.ASGD([torch.ones(2, requires_grad=True)]).defaults
    assert all(ours[k] == theirs[k] for k in ours)


def test_state_dict_round_trip_continues_identically():
    assert_resume_matches(ASGD, dict(lr=0.05, t0=3, weight_decay=0.1))


@pytest.mark.parametrize("kw, match", [
    (dict(lr=-0.1), "lr"), (dict(weight_decay=-1), "weight_decay"),
    (dict(lambd=float("nan")), "lambd"), (dict(alpha="x"), "alpha"), (dict(t0=None), "t0"),
])
def test_invalid_hyperparameters(kw, match):
    p = gu.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=f"ASGD: invalid {match}"):
        ASGD([p], **kw)
