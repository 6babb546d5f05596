"""LBFGS against torch.optim.LBFGS on small problems, with and without the strong Wolfe search.

A least-squares fit with a quartic penalty (two parameters, so the flat vector spans
tensors) and the Rosenbrock function (ill-conditioned: it drives the line search
through extrapolation and zoom). Compared in float64, where the two take the same
path to rounding (the same iterations and evaluations), and in float32 on the
well-conditioned problem, where float32 rounding differs between machines (summation
orders in the BLAS): there the two float32 paths may part by an iteration and end at
different points of the flat valley around the optimum (PyTorch's float32 losses then
differ from its float64 ones by 2e-3 on one machine), so float32 checks the dtype and the
losses reached against PyTorch's float64 ones.
"""

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu
from groundup.optim import LBFGS


def least_squares(lib, dtype, seed=0):
    """Parameters (W, b) and a closure maker for mean((X W^T + b - Y)^2) + 0.01 sum(W^4)."""
    rng = np.random.default_rng(seed)
    X, Y = rng.standard_normal((16, 4)).astype(dtype), rng.standard_normal((16, 3)).astype(dtype)
    W, b = rng.standard_normal((3, 4)).astype(dtype), rng.standard_normal(3).astype(dtype)
    if lib == "gu":
        X, Y = gu.tensor(X, dtype=dtype), gu.tensor(Y, dtype=dtype)
        params = [gu.tensor(W, dtype=dtype, requires_grad=True),
                  gu.tensor(b, dtype=dtype, requires_grad=True)]
    else:
        torch = require_torch()
        X, Y = torch.tensor(X), torch.tensor(Y)
        params = [torch.tensor(W, requires_grad=True), torch.tensor(b, requires_grad=True)]

    def loss_fn():
        w, c = params
        r = X @ w.T + c - Y
        return (r * r).mean() + (w * w * w * w).sum() * 0.01
    return params, loss_fn


def rosenbrock(lib, dtype):
    x0 = np.array([-1.2, 1.0, -1.2, 1.0, 0.5], dtype=dtype)
    x = (gu.tensor(x0, dtype=dtype, requires_grad=True) if lib == "gu"
         else require_torch().tensor(x0, requires_grad=True))

    def loss_fn():
        a, b = x[:-1], x[1:]
        return (100 * (b - a * a) ** 2 + (1 - a) ** 2).sum()
    return [x], loss_fn


def run(problem, lib, dtype, steps, **kw):
    params, loss_fn = problem(lib, dtype)
    opt = (LBFGS if lib == "gu" else require_torch().optim.LBFGS)(params, **kw)

    def closure():
        opt.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss
    losses = [float(opt.step(closure).item()) for _ in range(steps)]
    return params, opt, losses


def numpy(params):
    return [p.detach().numpy() if hasattr(p, "detach") else p.numpy() for p in params]


def compare(problem, dtype, steps, rtol, **kw):
    gp, gopt, glosses = run(problem, "gu", dtype, steps, **kw)
    tp, topt, tlosses = run(problem, "torch", dtype, steps, **kw)
    for a, b in zip(numpy(gp), numpy(tp), strict=True):
        assert a.dtype == dtype
        np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol)
    np.testing.assert_allclose(glosses, tlosses, rtol=rtol)
    ours, theirs = gopt.state[gp[0]], topt.state[tp[0]]
    assert (ours["func_evals"], ours["n_iter"]) == (theirs["func_evals"], theirs["n_iter"])
    assert len(ours["old_dirs"]) == len(theirs["old_dirs"])
    return gp, gopt


OPTIONS = [
    dict(),
    dict(lr=0.5, max_iter=5, history_size=3),
    dict(line_search_fn="strong_wolfe"),
    dict(line_search_fn="strong_wolfe", max_iter=4, history_size=2),
    dict(lr=0.1, max_iter=7, max_eval=9, line_search_fn="strong_wolfe"),
]


@pytest.mark.parametrize("kw", OPTIONS)
def test_least_squares_matches_torch(kw):
    compare(least_squares, np.float64, 3, 1e-10, **kw)
    # float32: our losses against PyTorch's float64 ones (the float32 paths part)
    gp, _, glosses = run(least_squares, "gu", np.float32, 3, **kw)
    _, _, tlosses = run(least_squares, "torch", np.float64, 3, **kw)
    assert all(p.dtype == gu.float32 for p in gp)
    np.testing.assert_allclose(glosses, tlosses, rtol=1e-4)


@pytest.mark.parametrize("kw", [dict(lr=0.1, max_iter=10),
                                dict(line_search_fn="strong_wolfe", max_iter=10),
                                dict(line_search_fn="strong_wolfe", max_iter=10, history_size=3)])
def test_rosenbrock_matches_torch(kw):
    compare(rosenbrock, np.float64, 4, 1e-8, **kw)


def test_converges_with_strong_wolfe():
    params, opt, losses = run(rosenbrock, "gu", np.float64, 10, line_search_fn="strong_wolfe")
    np.testing.assert_allclose(params[0].numpy(), np.ones(5), atol=1e-4)
    assert losses[-1] < 1e-6 < losses[0]


def test_stops_at_once_when_already_optimal():
    params, opt, _ = run(least_squares, "gu", np.float64, 1, tolerance_grad=1e9)
    assert opt.state[params[0]] == {"func_evals": 1, "n_iter": 0}


def test_state_dict_round_trip_continues_identically():
    straight, _, _ = run(least_squares, "gu", np.float64, 4, max_iter=3, history_size=2,
                         line_search_fn="strong_wolfe")
    first, opt, _ = run(least_squares, "gu", np.float64, 2, max_iter=3, history_size=2,
                        line_search_fn="strong_wolfe")
    saved = opt.state_dict()
    assert set(saved["state"]) == {0}                  # global state, under the first parameter
    params, loss_fn = least_squares("gu", np.float64)
    for p, q in zip(params, first, strict=True):
        p.array[...] = q.array
    fresh = LBFGS(params)
    fresh.load_state_dict(saved)
    assert fresh.param_groups[0]["history_size"] == 2

    def closure():
        fresh.zero_grad()
        loss = loss_fn()
        loss.backward()
        return loss
    for _ in range(2):
        fresh.step(closure)
    for a, b in zip(params, straight, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_state_dict_shape_is_checked():
    params, opt, _ = run(least_squares, "gu", np.float64, 1, max_iter=3)
    saved = opt.state_dict()
    saved["state"][0]["d"] = np.zeros(4)
    with pytest.raises(ValueError, match="flat vector of 15"):
        LBFGS(least_squares("gu", np.float64)[0]).load_state_dict(saved)


def test_step_needs_a_closure():
    p = gu.tensor(np.ones(3), requires_grad=True)
    opt = LBFGS([p])
    p.grad = gu.tensor(np.ones(3))
    with pytest.raises(TypeError, match="LBFGS.step: needs a closure"):
        opt.step()


def test_one_param_group_only():
    a, b = (gu.tensor(np.ones(2), requires_grad=True) for _ in range(2))
    with pytest.raises(ValueError, match="parameter groups"):
        LBFGS([{"params": [a]}, {"params": [b], "lr": 0.1}])
    opt = LBFGS([a])
    with pytest.raises(ValueError, match="parameter groups"):
        opt.add_param_group({"params": [b]})


def test_defaults_are_pytorchs():
    torch = require_torch()
    ours = LBFGS([gu.tensor(np.ones(2), requires_grad=True)], max_iter=8).defaults
    theirs = torch.optim.LBFGS([torch.ones(2, requires_grad=True)], max_iter=8).defaults
    assert ours == theirs


@pytest.mark.parametrize("kw, match", [
    (dict(lr=-1), "lr"), (dict(max_iter=0), "max_iter"), (dict(max_eval=2.5), "max_eval"),
    (dict(history_size=0), "history_size"), (dict(tolerance_grad=-1), "tolerance_grad"),
    (dict(tolerance_change=float("nan")), "tolerance_change"),
    (dict(line_search_fn="backtracking"), "line_search_fn 'backtracking'.*'strong_wolfe'"),
])
def test_invalid_hyperparameters(kw, match):
    p = gu.tensor(np.ones(2), requires_grad=True)
    with pytest.raises(ValueError, match=f"LBFGS: invalid {match}"):
        LBFGS([p], **kw)


def test_mixed_dtypes_refused():
    a = gu.tensor(np.ones(2), dtype=np.float32, requires_grad=True)
    b = gu.tensor(np.ones(2), dtype=np.float64, requires_grad=True)
    with pytest.raises(TypeError, match="one dtype"):
        LBFGS([a, b])
