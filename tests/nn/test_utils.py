"""Gradient clipping and parameter vectors against torch.nn.utils."""

import math

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu
from groundup.nn.utils import (
    clip_grad_norm_,
    clip_grad_value_,
    get_total_norm,
    parameters_to_vector,
    vector_to_parameters,
)

SHAPES = [(3, 4), (5,), (2, 1, 3)]


def pair(dtype=np.float32, scale=1.0, seed=0, none=()):
    """groundup and torch leaves with the same values and gradients."""
    torch = require_torch()
    rng = np.random.default_rng(seed)
    gp, tp = [], []
    for i, s in enumerate(SHAPES):
        a = rng.standard_normal(s).astype(dtype)
        g = (scale * rng.standard_normal(s)).astype(dtype)
        p, q = gu.tensor(a, dtype=dtype, requires_grad=True), torch.tensor(a, requires_grad=True)
        if i not in none:
            p.grad, q.grad = gu.tensor(g, dtype=dtype), torch.tensor(g)
        gp.append(p)
        tp.append(q)
    return gp, tp


def assert_grads_match(gp, tp, rtol=1e-6):
    for p, q in zip(gp, tp, strict=True):
        if q.grad is None:
            assert p.grad is None
            continue
        assert p.grad.numpy().dtype == q.grad.numpy().dtype
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=rtol, atol=1e-7)


@pytest.mark.parametrize("norm_type", [2.0, 1.0, 3.0, 0.5, math.inf, -math.inf, "inf"])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_matches_torch(norm_type, max_norm):
    torch = require_torch()
    gp, tp = pair()
    got = clip_grad_norm_(gp, max_norm, norm_type=norm_type)
    want = torch.nn.utils.clip_grad_norm_(tp, max_norm, norm_type=norm_type)
    assert isinstance(got, gu.Tensor) and got.dtype == np.float32 and got.shape == ()
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-5)
    assert_grads_match(gp, tp, rtol=1e-5)


def test_clip_grad_norm_zero_norm_type_follows_torch():
    torch = require_torch()
    gp, tp = pair()
    gp[1].grad.array[:] = 0
    tp[1].grad.zero_()
    got = clip_grad_norm_(gp, 1.0, norm_type=0)
    want = torch.nn.utils.clip_grad_norm_(tp, 1.0, norm_type=0)
    assert got.item() == want.item()
    assert_grads_match(gp, tp)


def test_clip_grad_norm_skips_missing_grads_and_accepts_one_tensor():
    torch = require_torch()
    gp, tp = pair(none=(1,))
    np.testing.assert_allclose(clip_grad_norm_(iter(gp), 0.1).item(),
                               torch.nn.utils.clip_grad_norm_(iter(tp), 0.1).item(), rtol=1e-6)
    assert_grads_match(gp, tp)
    gp, tp = pair()
    clip_grad_norm_(gp[0], 0.2)
    torch.nn.utils.clip_grad_norm_(tp[0], 0.2)
    assert_grads_match(gp, tp)


def test_clip_grad_norm_float64():
    torch = require_torch()
    gp, tp = pair(dtype=np.float64, scale=10.0)
    got = clip_grad_norm_(gp, 1.0)
    want = torch.nn.utils.clip_grad_norm_(tp, 1.0)
    assert got.dtype == np.float64
    np.testing.assert_allclose(got.item(), want.item(), rtol=1e-12)
    assert_grads_match(gp, tp, rtol=1e-12)


def test_clip_grad_norm_scales_in_place():
    gp, _ = pair(scale=10.0)
    arrays = [p.grad.array for p in gp]
    clip_grad_norm_(gp, 1.0)
    assert all(p.grad.array is a for p, a in zip(gp, arrays, strict=True))
    assert get_total_norm([p.grad for p in gp]).item() == pytest.approx(1.0, rel=1e-5)


def test_clip_grad_norm_no_grads():
    gp, _ = pair(none=(0, 1, 2))
    total = clip_grad_norm_(gp, 1.0)
    assert total.item() == 0.0
    assert clip_grad_norm_([], 1.0).item() == 0.0


@pytest.mark.filterwarnings("ignore:invalid value")
def test_nonfinite_norm():
    torch = require_torch()
    gp, tp = pair()
    gp[0].grad.array[0, 0] = np.inf
    tp[0].grad[0, 0] = math.inf
    with pytest.raises(RuntimeError, match="non-finite"):
        clip_grad_norm_(gp, 1.0, error_if_nonfinite=True)
    got = clip_grad_norm_(gp, 1.0)
    want = torch.nn.utils.clip_grad_norm_(tp, 1.0)
    assert math.isinf(got.item()) and math.isinf(want.item())
    for p, q in zip(gp, tp, strict=True):
        np.testing.assert_array_equal(np.isnan(p.grad.numpy()), np.isnan(q.grad.numpy()))


@pytest.mark.parametrize("clip", [0.0, 0.3, 5.0])
def test_clip_grad_value_matches_torch(clip):
    torch = require_torch()
    gp, tp = pair(none=(2,))
    clip_grad_value_(gp, clip)
    torch.nn.utils.clip_grad_value_(tp, clip)
    assert_grads_match(gp, tp)


def test_clip_grad_value_negative_is_an_error():
    gp, _ = pair()
    with pytest.raises(ValueError, match="clip_value"):
        clip_grad_value_(gp, -1.0)


def test_parameters_to_vector_matches_torch_and_is_differentiable():
    torch = require_torch()
    gp, tp = pair(none=(0, 1, 2))
    vec = parameters_to_vector(gp)
    want = torch.nn.utils.parameters_to_vector(tp)
    np.testing.assert_array_equal(vec.numpy(), want.detach().numpy())
    assert vec.dtype == np.float32 and vec.requires_grad
    w = np.arange(vec.shape[0], dtype=np.float32)
    vec.backward(gu.tensor(w))
    want.backward(torch.tensor(w))
    assert_grads_match(gp, tp)


def test_vector_to_parameters_round_trip_in_place():
    torch = require_torch()
    gp, tp = pair()
    data = [p.array for p in gp]
    total = sum(p.array.size for p in gp)
    vec = np.linspace(-1, 1, total)
    vector_to_parameters(gu.tensor(vec), gp)
    torch.nn.utils.vector_to_parameters(torch.tensor(vec, dtype=torch.float32), tp)
    for p, q, d in zip(gp, tp, data, strict=True):
        assert p.array is d and p.dtype == np.float32
        np.testing.assert_array_equal(p.numpy(), q.detach().numpy())
    np.testing.assert_allclose(parameters_to_vector(gp).numpy(), vec, rtol=1e-6)


def test_vector_errors():
    gp, _ = pair()
    with pytest.raises(TypeError, match="Tensor"):
        vector_to_parameters(np.zeros(20), gp)
    with pytest.raises(ValueError, match="20 elements but the parameters have 23"):
        vector_to_parameters(gu.tensor(np.zeros(20)), gp)
    with pytest.raises(ValueError, match="1-d"):
        vector_to_parameters(gu.tensor(np.zeros((23, 1))), gp)
    with pytest.raises(TypeError, match="one dtype"):
        parameters_to_vector([gp[0], gu.tensor(np.zeros(2), dtype=np.float64)])
    with pytest.raises(TypeError, match="expected Tensors"):
        parameters_to_vector([np.zeros(2)])
