"""RMSprop against torch.optim.RMSprop: 10 steps for every option, state_dict round trip."""

import numpy as np
import pytest
from helpers import OPTIM_SHAPES as SHAPES
from helpers import assert_params_match as assert_match
from helpers import require_torch
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
    rng = np.random.default_rng(1)
    init = [rng.standard_normal(s) for s in SHAPES]
    grads = [[rng.standard_normal(s) for s in SHAPES] for _ in range(10)]
    kw = dict(lr=0.01, centered=True, momentum=0.9)

    def steps(params, opt, ks):
        for k in ks:
            for p, g in zip(params, grads[k], strict=True):
                p.grad = gu.tensor(g)
            opt.step()

    straight = [gu.tensor(a, requires_grad=True) for a in init]
    steps(straight, RMSprop(straight, **kw), range(10))
    first = [gu.tensor(a, requires_grad=True) for a in init]
    opt = RMSprop(first, **kw)
    steps(first, opt, range(5))
    resumed = [gu.tensor(p.numpy(), requires_grad=True) for p in first]
    opt2 = RMSprop(resumed)
    opt2.load_state_dict(opt.state_dict())
    steps(resumed, opt2, range(5, 10))
    for a, b in zip(resumed, straight, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


@pytest.mark.parametrize("kw, match", [
    (dict(lr=-0.1), "lr"), (dict(alpha=-0.5), "alpha"), (dict(eps=-1.0), "eps"),
    (dict(momentum=-0.1), "momentum"), (dict(weight_decay=-1), "weight_decay"),
])
def test_invalid_hyperparameters(kw, match):
    p = gu.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=match):
        RMSprop([p], **kw)
