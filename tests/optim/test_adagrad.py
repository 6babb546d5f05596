"""Adagrad against torch.optim.Adagrad: 10 steps for every option, state_dict round trip."""

import numpy as np
import pytest
from helpers import assert_params_match as assert_match
from helpers import assert_resume_matches, require_torch
from helpers import run_optimizer_pair as run_pair

import groundup as gu
from groundup.optim import Adagrad

CASES = [
    dict(),
    dict(lr=0.1),
    dict(lr=0.1, lr_decay=0.1),
    dict(lr=0.1, initial_accumulator_value=0.5),
    dict(lr=0.1, weight_decay=0.1),
    dict(lr=0.1, eps=1e-3),
    dict(lr=0.1, maximize=True),
    dict(lr=0.1, lr_decay=0.05, weight_decay=0.1, initial_accumulator_value=0.1, maximize=True),
]


@pytest.mark.parametrize("kw", CASES)
def test_adagrad_matches_torch(kw):
    torch = require_torch()
    gp, tp, _, _ = run_pair(Adagrad, torch.optim.Adagrad, **kw)
    assert_match(gp, tp)


def test_float64():
    torch = require_torch()
    gp, tp, _, _ = run_pair(Adagrad, torch.optim.Adagrad, dtype=np.float64, lr=0.1,
                            lr_decay=0.1, weight_decay=0.1)
    assert_match(gp, tp, np.float64)


def test_param_groups_with_different_lrs():
    torch = require_torch()
    groups = [dict(lr=0.2, lr_decay=0.1), dict(lr=0.02, weight_decay=0.1)]
    gp, tp, _, _ = run_pair(Adagrad, torch.optim.Adagrad, group_kw=groups,
                            initial_accumulator_value=0.3)
    assert_match(gp, tp)


def test_group_initial_accumulator_value_is_used():
    # PyTorch fills every "sum" from the constructor's value; a group's own value is used here
    p, q = gu.tensor(np.ones(2), requires_grad=True), gu.tensor(np.ones(2), requires_grad=True)
    opt = Adagrad([{"params": [p]}, {"params": [q], "initial_accumulator_value": 3.0}], lr=0.1)
    p.grad = q.grad = gu.tensor(np.ones(2))
    opt.step()
    np.testing.assert_allclose(opt.state[p]["sum"], 1.0)
    np.testing.assert_allclose(opt.state[q]["sum"], 4.0)


def test_missing_gradients_and_state_names():
    torch = require_torch()
    gp, tp, opt, topt = run_pair(Adagrad, torch.optim.Adagrad, lr=0.1, lr_decay=0.1,
                                 skip={(0, 1), (4, 0)})
    assert_match(gp, tp)
    assert set(opt.state_dict()["state"][0]) == set(topt.state_dict()["state"][0])
    assert opt.state[gp[0]]["step"] == 9


def test_state_dict_round_trip_continues_identically():
    assert_resume_matches(Adagrad, dict(lr=0.1, lr_decay=0.1, initial_accumulator_value=0.2))


@pytest.mark.parametrize("kw, match", [
    (dict(lr=-0.1), "lr"), (dict(lr_decay=-0.5), "lr_decay"), (dict(eps=-1.0), "eps"),
    (dict(initial_accumulator_value=-1), "initial_accumulator_value"),
    (dict(weight_decay=-1), "weight_decay"),
])
def test_invalid_hyperparameters(kw, match):
    p = gu.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=match):
        Adagrad([p], **kw)
