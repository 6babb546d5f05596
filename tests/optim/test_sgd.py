"""SGD against torch.optim.SGD: 10 steps for every option, state_dict round trip."""

import numpy as np
import pytest
from helpers import assert_params_match as assert_match
from helpers import assert_resume_matches, require_torch
from helpers import run_optimizer_pair as run_pair

import groundup as gu
from groundup import kernels
from groundup.optim import SGD


@pytest.fixture(autouse=True, params=["reference", "blas", "compiled"])
def update_path(request, monkeypatch):
    """Run every test through each form of the update: the NumPy reference in sgd.py, the
    BLAS axpy that plain SGD uses without the compiled path, and the compiled kernel of
    groundup.kernels (with the `fast` extra), on every size."""
    if request.param == "reference":
        monkeypatch.setattr(kernels, "sgd_", lambda *args: False)
        yield request.param
    elif request.param == "compiled":
        if not kernels.available():
            pytest.skip("the compiled path needs numba (the `fast` extra)")
        monkeypatch.setattr(kernels.switch, "MIN_SIZE", 0)
        with kernels.use(True):
            yield request.param
    else:
        with kernels.use(False):
            yield request.param

CASES = [
    dict(lr=0.1),
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.1, momentum=0.9, dampening=0.5),
    dict(lr=0.1, momentum=0.9, nesterov=True),
    dict(lr=0.1, weight_decay=0.1),
    dict(lr=0.1, maximize=True),
    dict(lr=0.1, momentum=0.8, weight_decay=0.05, maximize=True),
    dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1, maximize=True),
    dict(lr=0.1, momentum=0.5, dampening=0.3, weight_decay=0.2),
]


@pytest.mark.parametrize("kw", CASES)
def test_sgd_matches_torch(kw):
    torch = require_torch()
    gp, tp, _, _ = run_pair(SGD, torch.optim.SGD, **kw)
    assert_match(gp, tp)


def test_default_lr():
    torch = require_torch()
    gp, tp, _, _ = run_pair(SGD, torch.optim.SGD)
    assert_match(gp, tp)


def test_float64():
    torch = require_torch()
    gp, tp, _, _ = run_pair(SGD, torch.optim.SGD, dtype=np.float64, lr=0.1, momentum=0.9,
                            nesterov=True, weight_decay=0.1)
    assert_match(gp, tp, np.float64)


def test_param_groups_with_different_lrs_and_momenta():
    torch = require_torch()
    groups = [dict(lr=0.2, momentum=0.9), dict(lr=0.01, momentum=0.0, weight_decay=0.1)]
    gp, tp, _, _ = run_pair(SGD, torch.optim.SGD, group_kw=groups, lr=0.05)
    assert_match(gp, tp)


def test_missing_gradients_are_skipped_like_torch():
    torch = require_torch()
    gp, tp, _, _ = run_pair(SGD, torch.optim.SGD, lr=0.1, momentum=0.9,
                            skip={(0, 0), (5, 1), (6, 1)})
    assert_match(gp, tp)


def test_momentum_buffer_is_a_copy_and_state_names_match_torch():
    torch = require_torch()
    gp, tp, opt, topt = run_pair(SGD, torch.optim.SGD, steps=1, lr=0.1, momentum=0.9)
    buf = opt.state[gp[0]]["momentum_buffer"]
    assert buf is not gp[0].grad.array
    np.testing.assert_array_equal(buf, gp[0].grad.numpy())
    assert set(opt.state_dict()["state"][0]) == set(topt.state_dict()["state"][0])
    _, _, plain, _ = run_pair(SGD, torch.optim.SGD, steps=1, lr=0.1)
    assert plain.state_dict()["state"] == {}


def test_state_dict_round_trip_continues_identically():
    assert_resume_matches(SGD, dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.01),
                          dict(lr=1.0, momentum=0.1, nesterov=True))


@pytest.mark.parametrize("kw, match", [
    (dict(lr=-0.1), "lr"),
    (dict(lr=0.1, momentum=-0.5), "momentum"),
    (dict(lr=0.1, weight_decay=-1), "weight_decay"),
    (dict(lr=0.1, nesterov=True), "Nesterov"),
    (dict(lr=0.1, momentum=0.9, dampening=0.1, nesterov=True), "Nesterov"),
])
def test_invalid_hyperparameters(kw, match):
    p = gu.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=match):
        SGD([p], **kw)


def test_no_params():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)
