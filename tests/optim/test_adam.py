"""Adam and AdamW against torch.optim: 10 steps, every option, state_dict round trip."""

import numpy as np
import pytest
from helpers import assert_params_match as assert_match
from helpers import assert_resume_matches, require_torch
from helpers import run_optimizer_pair as run_pair

import groundup as gu
from groundup import kernels
from groundup.optim import Adam, AdamW


@pytest.fixture(autouse=True, params=["reference", "compiled"])
def update_path(request, monkeypatch):
    """Run every test through both forms of the update: the NumPy reference in adam.py, and
    the compiled kernel of groundup.kernels (with the `fast` extra), on every size."""
    if request.param == "compiled":
        if not kernels.available():
            pytest.skip("the compiled path needs numba (the `fast` extra)")
        monkeypatch.setattr(kernels.switch, "MIN_SIZE", 0)
        with kernels.use(True):
            yield request.param
    else:
        with kernels.use(False):
            yield request.param


ADAM_CASES = [
    dict(),
    dict(lr=0.1),
    dict(lr=0.1, amsgrad=True),
    dict(lr=0.1, weight_decay=0.1),
    dict(lr=0.1, maximize=True),
    dict(lr=0.1, amsgrad=True, weight_decay=0.05, maximize=True),
    dict(lr=0.1, betas=(0.5, 0.9)),       # lerp weight 0.5: PyTorch's other lerp form
    dict(lr=0.1, betas=(0.0, 0.99)),      # beta1 = 0: m is the gradient exactly
    dict(lr=0.05, eps=1e-3),
]


@pytest.mark.parametrize("kw", ADAM_CASES)
def test_adam_matches_torch(kw):
    torch = require_torch()
    gp, tp, _, _ = run_pair(Adam, torch.optim.Adam, **kw)
    assert_match(gp, tp)


@pytest.mark.parametrize("kw", [dict(), dict(lr=0.1), dict(lr=0.1, weight_decay=0.3),
                                dict(lr=0.1, amsgrad=True, maximize=True)])
def test_adamw_matches_torch(kw):
    torch = require_torch()
    gp, tp, _, _ = run_pair(AdamW, torch.optim.AdamW, **kw)
    assert_match(gp, tp)


def test_adamw_default_weight_decay():
    (p,) = [gu.tensor(np.ones(2), requires_grad=True)]
    assert AdamW([p]).param_groups[0]["weight_decay"] == 1e-2
    assert Adam([p]).param_groups[0]["weight_decay"] == 0


def test_float64_matches_tightly():
    torch = require_torch()
    gp, tp, opt, _ = run_pair(Adam, torch.optim.Adam, dtype=np.float64, lr=0.1, amsgrad=True)
    assert_match(gp, tp, np.float64)
    assert all(v.dtype == np.float64 for v in opt.state[gp[0]].values() if hasattr(v, "dtype"))


def test_param_groups_with_different_hyperparameters():
    torch = require_torch()
    groups = [dict(lr=0.1, betas=(0.8, 0.99)), dict(lr=0.01, amsgrad=True, weight_decay=0.1)]
    gp, tp, _, _ = run_pair(Adam, torch.optim.Adam, group_kw=groups, lr=0.05)
    assert_match(gp, tp)


def test_missing_gradients_are_skipped_like_torch():
    torch = require_torch()
    gp, tp, opt, topt = run_pair(Adam, torch.optim.Adam, lr=0.1, skip={(0, 1), (3, 0), (4, 0)})
    assert_match(gp, tp)
    assert opt.state[gp[1]]["step"] == 9 and opt.state[gp[0]]["step"] == 8


def test_state_names_match_torch():
    torch = require_torch()
    gp, tp, opt, topt = run_pair(Adam, torch.optim.Adam, steps=2, amsgrad=True)
    ours, theirs = opt.state_dict(), topt.state_dict()
    assert set(ours["state"][0]) == set(theirs["state"][0])
    assert set(ours["param_groups"][0]) <= set(theirs["param_groups"][0])


@pytest.mark.parametrize("cls, kw", [(Adam, dict(lr=0.1, amsgrad=True)),
                                     (AdamW, dict(lr=0.1, weight_decay=0.1))])
def test_state_dict_round_trip_continues_identically(cls, kw):
    assert_resume_matches(cls, kw, dict(lr=1.0))


@pytest.mark.parametrize("kw, match", [
    (dict(lr=-0.1), "lr"),
    (dict(betas=(1.0, 0.999)), "betas"),
    (dict(betas=(0.9, -0.1)), "betas"),
    (dict(betas=(0.9,)), "betas"),
    (dict(betas=0.9), "betas"),
    (dict(eps=-1e-8), "eps"),
    (dict(weight_decay=-1.0), "weight_decay"),
    (dict(lr="fast"), "lr"),
])
def test_invalid_hyperparameters(kw, match):
    p = gu.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=match):
        Adam([p], **kw)


def test_no_params():
    with pytest.raises(ValueError, match="empty parameter list"):
        AdamW([])
