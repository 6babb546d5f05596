"""The Optimizer base: param groups, zero_grad, step loop, state_dict, errors."""

import json

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu
from groundup.optim import SGD, Adam, Optimizer


def leaves(*shapes, dtype=np.float32, seed=0):
    rng = np.random.default_rng(seed)
    return [gu.tensor(rng.standard_normal(s), dtype=dtype, requires_grad=True) for s in shapes]


def set_grads(params, seed):
    rng = np.random.default_rng(seed)
    for p in params:
        p.grad = gu.tensor(rng.standard_normal(p.shape), dtype=p.dtype)


def plain_leaves(obj):
    """Every leaf value of a state dict (to check it is safetensors/JSON friendly)."""
    if isinstance(obj, dict):
        for v in obj.values():
            yield from plain_leaves(v)
    elif isinstance(obj, (list, tuple)):
        for v in obj:
            yield from plain_leaves(v)
    else:
        yield obj


# ------------------------------------------------------------------ construction
def test_empty_parameter_list_is_an_error():
    with pytest.raises(ValueError, match="empty parameter list"):
        SGD([], lr=0.1)


def test_single_tensor_and_set_are_errors():
    (p,) = leaves((2,))
    with pytest.raises(TypeError, match="single Tensor"):
        SGD(p, lr=0.1)
    with pytest.raises(TypeError, match="set"):
        SGD({p}, lr=0.1)


def test_non_tensor_non_leaf_and_integer_params_are_errors():
    (p,) = leaves((2,))
    with pytest.raises(TypeError, match="only optimize Tensors.*ndarray"):
        SGD([np.zeros(2)], lr=0.1)
    with pytest.raises(ValueError, match="non-leaf"):
        SGD([p * 2.0], lr=0.1)
    with pytest.raises(TypeError, match="floating-point"):
        SGD([gu.tensor(np.arange(3))], lr=0.1)


def test_duplicate_parameters_are_errors():
    p, q = leaves((2,), (3,))
    with pytest.raises(ValueError, match="twice"):
        SGD([p, p], lr=0.1)
    with pytest.raises(ValueError, match="more than one parameter group"):
        SGD([{"params": [p, q]}, {"params": [q]}], lr=0.1)
    opt = SGD([p], lr=0.1)
    with pytest.raises(ValueError, match="more than one"):
        opt.add_param_group({"params": [p]})


def test_bad_param_group():
    (p,) = leaves((2,))
    opt = SGD([p], lr=0.1)
    with pytest.raises(TypeError, match="must be a dict"):
        opt.add_param_group([p])
    with pytest.raises(ValueError, match="'params'"):
        opt.add_param_group({"lr": 0.1})


def test_param_groups_take_defaults_and_overrides():
    p, q, r = leaves((2,), (3,), (4,))
    opt = SGD([{"params": [p]}, {"params": q, "lr": 0.5}], lr=0.1, momentum=0.9)
    assert len(opt.param_groups) == 2
    assert opt.param_groups[0]["lr"] == 0.1 and opt.param_groups[1]["lr"] == 0.5
    assert len(opt.param_groups[1]["params"]) == 1 and opt.param_groups[1]["params"][0] is q
    assert all(g["momentum"] == 0.9 for g in opt.param_groups)
    opt.add_param_group({"params": [r], "momentum": 0.0})
    assert opt.param_groups[2]["lr"] == 0.1 and opt.param_groups[2]["momentum"] == 0.0
    with pytest.raises(ValueError, match="lr"):
        opt.add_param_group({"params": [leaves((1,))[0]], "lr": -1.0})


def test_named_parameters_are_accepted():
    p, q = leaves((2,), (3,))
    opt = SGD([("a", p), ("b", q)], lr=0.1)
    assert opt.param_groups[0]["params"][0] is p and opt.param_groups[0]["params"][1] is q


# ------------------------------------------------------------------ stepping
def test_zero_grad():
    p, q = leaves((2,), (3,))
    opt = SGD([p, q], lr=0.1)
    set_grads([p, q], 0)
    opt.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(p.grad.numpy(), 0)
    opt.zero_grad()
    assert p.grad is None and q.grad is None


def test_params_without_grad_are_skipped_and_get_no_state():
    p, q = leaves((2,), (3,))
    before = q.numpy().copy()
    opt = Adam([p, q], lr=0.1)
    set_grads([p], 0)
    opt.step()
    np.testing.assert_array_equal(q.numpy(), before)
    assert q not in opt.state or not opt.state[q]
    assert opt.state[p]["step"] == 1


def test_step_is_in_place_and_leaves_grad_alone():
    (p,) = leaves((3, 4))
    data = p.array
    opt = Adam([p], lr=0.1, weight_decay=0.1, maximize=True)
    set_grads([p], 1)
    grad = p.grad.numpy().copy()
    grad_array = p.grad.array
    for _ in range(3):
        opt.step()
    assert p.array is data
    assert p.grad.array is grad_array
    np.testing.assert_array_equal(p.grad.numpy(), grad)
    assert p.dtype == np.float32
    assert all(v.dtype == np.float32 for v in opt.state[p].values() if hasattr(v, "dtype"))


def test_numpy_float64_hyperparameters_do_not_upcast():
    (p,) = leaves((3,))
    opt = Adam([p], lr=np.float64(0.1), betas=(np.float64(0.9), np.float64(0.99)))
    set_grads([p], 0)
    opt.step()
    assert p.array.dtype == np.float32
    assert opt.state[p]["exp_avg"].dtype == np.float32


def test_grad_shape_mismatch_is_a_clear_error_and_dtype_is_cast():
    (p,) = leaves((3,))
    opt = SGD([p], lr=0.1)
    p.grad = gu.tensor(np.ones(4))
    with pytest.raises(ValueError, match=r"shape \(3,\).*\(4,\)"):
        opt.step()
    p.grad = gu.tensor(np.ones(3), dtype=np.float64)
    before = p.numpy().copy()
    opt.step()
    assert p.array.dtype == np.float32
    np.testing.assert_allclose(p.numpy(), before - 0.1, rtol=1e-6)


def test_closure_runs_with_grad_enabled_and_loss_is_returned():
    (p,) = leaves((2,))
    opt = SGD([p], lr=0.1)
    seen = []

    def closure():
        seen.append(gu.is_grad_enabled())
        p.grad = gu.tensor(np.ones(2))
        return 1.5

    with gu.no_grad():
        assert opt.step(closure) == 1.5
    assert seen == [True]


def test_repr_lists_groups():
    (p,) = leaves((2,))
    text = repr(SGD([p], lr=0.1, momentum=0.9))
    assert "SGD" in text and "Parameter Group 0" in text and "momentum: 0.9" in text


# ------------------------------------------------------------------ state_dict
def adam_after(steps, params=None, **kw):
    params = params or leaves((3, 4), (5,))
    opt = Adam([{"params": params[:1]}, {"params": params[1:], "lr": 0.05}], lr=0.1, **kw)
    for k in range(steps):
        set_grads(params, k)
        opt.step()
    return params, opt


def test_state_dict_layout_is_pytorchs_and_plain():
    _, opt = adam_after(2, amsgrad=True)
    sd = opt.state_dict()
    assert set(sd) == {"state", "param_groups"}
    assert list(sd["state"]) == [0, 1]
    assert set(sd["state"][0]) == {"step", "exp_avg", "exp_avg_sq", "max_exp_avg_sq"}
    assert sd["state"][0]["step"] == 2 and isinstance(sd["state"][0]["step"], int)
    assert [g["params"] for g in sd["param_groups"]] == [[0], [1]]
    assert sd["param_groups"][1]["lr"] == 0.05 and sd["param_groups"][0]["betas"] == (0.9, 0.999)
    for leaf in plain_leaves(sd):
        assert isinstance(leaf, (np.ndarray, int, float, bool, str)) or leaf is None, type(leaf)
    json.dumps({"param_groups": sd["param_groups"]})


def test_state_dict_copies_arrays():
    params, opt = adam_after(1)
    sd = opt.state_dict()
    sd["state"][0]["exp_avg"][...] = 123.0
    assert not np.any(opt.state[params[0]]["exp_avg"] == 123.0)
    set_grads(params, 5)
    opt.step()
    assert not np.any(sd["state"][0]["exp_avg_sq"] == opt.state[params[0]]["exp_avg_sq"])


def test_state_dict_round_trip_through_safetensors_style_split():
    """Arrays one way, the rest as JSON (as a checkpoint stores it), then load and go on."""
    straight, _ = adam_after(10)
    params, opt = adam_after(5)
    sd = opt.state_dict()
    arrays = {f"{i}.{k}": v for i, s in sd["state"].items() for k, v in s.items()
              if isinstance(v, np.ndarray)}
    rest = json.loads(json.dumps({
        "param_groups": sd["param_groups"],
        "state": {i: {k: v for k, v in s.items() if not isinstance(v, np.ndarray)}
                  for i, s in sd["state"].items()},
    }))
    for name, arr in arrays.items():
        i, k = name.split(".")
        rest["state"][i][k] = arr.copy()
    fresh = [gu.tensor(p.numpy(), requires_grad=True) for p in params]
    _, opt2 = adam_after(0, params=fresh)
    opt2.load_state_dict(rest)
    assert isinstance(opt2.param_groups[0]["betas"], tuple)
    for k in range(5, 10):
        set_grads(fresh, k)
        opt2.step()
    for a, b in zip(fresh, straight, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_load_state_dict_casts_and_keeps_device_dtype():
    params, opt = adam_after(2)
    sd = opt.state_dict()
    for s in sd["state"].values():
        s["exp_avg"] = s["exp_avg"].astype(np.float64)
    opt.load_state_dict(sd)
    assert opt.state[params[0]]["exp_avg"].dtype == np.float32


@pytest.mark.parametrize("mutate, match", [
    (lambda sd: sd["param_groups"].pop(), "parameter group"),
    (lambda sd: sd["param_groups"][1]["params"].append(7), "group 1 has 2 parameter"),
    (lambda sd: sd["state"][0].__setitem__("exp_avg", np.zeros((4, 3))), r"shape \(4, 3\)"),
    (lambda sd: sd["state"].__setitem__(9, {"step": 1}), "parameter 9"),
    (lambda sd: sd["param_groups"][0].__setitem__("lr", -1.0), "lr"),
])
def test_load_state_dict_mismatch_is_clear_and_leaves_optimizer_unchanged(mutate, match):
    params, opt = adam_after(2)
    sd = opt.state_dict()
    before = {k: v.copy() for k, v in opt.state[params[0]].items() if hasattr(v, "copy")}
    groups_before = [dict(g) for g in opt.param_groups]
    mutate(sd)
    with pytest.raises(ValueError, match=match):
        opt.load_state_dict(sd)
    for k, v in before.items():
        np.testing.assert_array_equal(opt.state[params[0]][k], v)
    assert [g["lr"] for g in opt.param_groups] == [g["lr"] for g in groups_before]


def test_load_state_dict_rejects_non_dicts():
    _, opt = adam_after(0)
    with pytest.raises(ValueError, match="param_groups"):
        opt.load_state_dict([1, 2])


def test_loads_a_pytorch_state_dict_and_continues_like_pytorch():
    torch = require_torch()
    rng = np.random.default_rng(0)
    init = rng.standard_normal((3, 4)).astype(np.float32)
    grads = [rng.standard_normal((3, 4)).astype(np.float32) for _ in range(8)]
    tp = torch.tensor(init, requires_grad=True)
    topt = torch.optim.Adam([tp], lr=0.1, amsgrad=True)
    for g in grads[:4]:
        tp.grad = torch.tensor(g)
        topt.step()
    tsd = topt.state_dict()
    sd = {"param_groups": tsd["param_groups"],
          "state": {i: {k: v.numpy() for k, v in s.items()} for i, s in tsd["state"].items()}}
    p = gu.tensor(tp.detach().numpy(), requires_grad=True)
    opt = Adam([p], lr=0.5)
    opt.load_state_dict(sd)
    assert opt.param_groups[0]["lr"] == 0.1 and opt.state[p]["step"] == 4
    for g in grads[4:]:
        tp.grad = torch.tensor(g)
        topt.step()
        p.grad = gu.tensor(g)
        opt.step()
    np.testing.assert_allclose(p.numpy(), tp.detach().numpy(), rtol=1e-6, atol=3e-7)


def test_subclass_needs_only_update():
    class SignSGD(Optimizer):
        def __init__(self, params, lr=0.1):
            super().__init__(params, dict(lr=lr))

        def _update(self, p, grad, state, group):
            p -= group["lr"] * np.sign(grad)

    (p,) = leaves((3,))
    before = p.numpy().copy()
    opt = SignSGD([p])
    set_grads([p], 0)
    opt.step()
    np.testing.assert_allclose(p.numpy(), before - 0.1 * np.sign(p.grad.numpy()), rtol=1e-6)
