"""NAdam against torch.optim.NAdam: several steps per option, groups, state_dict, errors."""

import numpy as np
import pytest
from helpers import assert_params_match as assert_match
from helpers import assert_resume_matches, require_torch
from helpers import run_optimizer_pair as run_pair

import groundup as gu
from groundup.optim import NAdam

CASES = [
    dict(),
    dict(lr=0.01, betas=(0.8, 0.99), momentum_decay=0.01),
    dict(lr=0.01, betas=(0.3, 0.9)),    # 1 - beta1 > 0.5: PyTorch's other lerp form
    dict(lr=0.01, weight_decay=0.1),
    dict(lr=0.01, weight_decay=0.1, decoupled_weight_decay=True),
    dict(lr=0.01, maximize=True),
    dict(lr=0.02, weight_decay=0.1, decoupled_weight_decay=True, maximize=True, eps=1e-4),
]


@pytest.mark.parametrize("kw", CASES)
def test_nadam_matches_torch(kw):
    torch = require_torch()
    gp, tp, _, _ = run_pair(NAdam, torch.optim.NAdam, **kw)
    assert_match(gp, tp)


def test_float64_and_mu_product_kept_as_pytorch_keeps_it():
    torch = require_torch()
    gp, tp, opt, topt = run_pair(NAdam, torch.optim.NAdam, dtype=np.float64, steps=20,
                                 lr=0.01, weight_decay=0.1)
    assert_match(gp, tp, np.float64)
    assert opt.state[gp[0]]["mu_product"] == topt.state[tp[0]]["mu_product"].item()


def test_param_groups_and_missing_gradients():
    torch = require_torch()
    groups = [dict(lr=0.02, decoupled_weight_decay=True, weight_decay=0.1), dict(lr=0.005)]
    gp, tp, opt, topt = run_pair(NAdam, torch.optim.NAdam, group_kw=groups,
                                 skip={(0, 1), (4, 0)})
    assert_match(gp, tp)
    assert set(opt.state_dict()["state"][0]) == set(topt.state_dict()["state"][0])


def test_defaults_are_pytorchs():
    torch = require_torch()
    p = gu.tensor(np.ones(2), requires_grad=True)
    ours = NAdam([p]).defaults
    theirs = torch.optim.NAdam([torch.ones(2, requires_grad=True)]).defaults
    assert all(ours[k] == theirs[k] for k in ours)


def test_state_dict_round_trip_continues_identically():
    assert_resume_matches(NAdam, dict(lr=0.01, weight_decay=0.1))


def test_loads_a_pytorch_state_dict_and_continues_like_pytorch():
    """PyTorch's 0-d tensors (step, mu_product) load as numbers; the next steps agree."""
    torch = require_torch()
    gp, tp, _, topt = run_pair(NAdam, torch.optim.NAdam, steps=4, lr=0.01)
    saved = topt.state_dict()
    state = {i: {k: v.numpy() for k, v in s.items()} for i, s in saved["state"].items()}
    opt = NAdam(gp, lr=0.01)
    opt.load_state_dict({"state": state, "param_groups": saved["param_groups"]})
    assert isinstance(opt.state[gp[0]]["mu_product"], float)
    rng = np.random.default_rng(5)
    for _ in range(3):
        for p, q in zip(gp, tp, strict=True):
            g = rng.standard_normal(p.shape).astype(np.float32)
            p.grad, q.grad = gu.tensor(g), torch.tensor(g)
        opt.step()
        topt.step()
    assert_match(gp, tp)


@pytest.mark.parametrize("kw, match", [
    (dict(lr=-0.1), "lr"), (dict(eps=-1.0), "eps"), (dict(betas=(0.9, 1.0)), "betas"),
    (dict(weight_decay=-1), "weight_decay"), (dict(momentum_decay=-0.5), "momentum_decay -0.5"),
])
def test_invalid_hyperparameters(kw, match):
    p = gu.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=f"NAdam: invalid {match}"):
        NAdam([p], **kw)
