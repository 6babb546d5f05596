"""Initialisers: distributions checked statistically, reproducibility, PyTorch's gains/fans."""

import math

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu
from groundup import nn
from groundup.nn import init

torch = require_torch()


def big(*shape, dtype=gu.float32):
    return nn.Parameter(gu.zeros(*shape, dtype=dtype))


@pytest.mark.parametrize("name,param", [
    ("linear", None), ("conv2d", None), ("sigmoid", None), ("tanh", None), ("relu", None),
    ("leaky_relu", None), ("leaky_relu", 0.2), ("selu", None),
])
def test_calculate_gain_matches_torch(name, param):
    assert init.calculate_gain(name, param) == pytest.approx(
        torch.nn.init.calculate_gain(name, param))


def test_calculate_gain_errors():
    with pytest.raises(ValueError, match="unsupported nonlinearity"):
        init.calculate_gain("swish")
    with pytest.raises(ValueError, match="not a valid number"):
        init.calculate_gain("leaky_relu", "a")


@pytest.mark.parametrize("shape", [(3, 4), (8, 3, 5, 5), (2, 6, 7)])
def test_fans_match_torch(shape):
    got = init._calculate_fan_in_and_fan_out(gu.zeros(*shape))
    want = torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))
    assert got == want


def test_fans_need_two_dims():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init._calculate_fan_in_and_fan_out(gu.zeros(5))


def _check_uniform(t, bound):
    a = t.numpy().astype(np.float64)
    assert np.abs(a).max() <= bound * (1 + 1e-6)
    assert np.abs(a).max() > 0.98 * bound
    assert abs(a.mean()) < 0.02 * bound
    assert a.std() == pytest.approx(bound / math.sqrt(3), rel=0.03)


def _check_normal(t, std, mean=0.0):
    a = t.numpy().astype(np.float64)
    assert a.mean() == pytest.approx(mean, abs=0.03 * std)
    assert a.std() == pytest.approx(std, rel=0.03)


def test_uniform_and_normal():
    t = init.uniform_(big(200, 100), -2.0, 3.0)
    a = t.numpy()
    assert a.min() >= -2 and a.max() <= 3 and a.mean() == pytest.approx(0.5, abs=0.05)
    _check_normal(init.normal_(big(200, 100), 1.5, 0.5), 0.5, 1.5)


def test_constant_zeros_ones_eye():
    t = big(3, 4)
    assert (init.constant_(t, 2.5).numpy() == 2.5).all()
    assert (init.ones_(t).numpy() == 1).all()
    assert (init.zeros_(t).numpy() == 0).all()
    np.testing.assert_array_equal(init.eye_(t).numpy(), np.eye(3, 4))


def test_xavier():
    t = big(300, 200)
    _check_uniform(init.xavier_uniform_(t), math.sqrt(6 / 500))
    _check_normal(init.xavier_normal_(t, gain=2.0), 2 * math.sqrt(2 / 500))


@pytest.mark.parametrize("mode", ["fan_in", "fan_out"])
def test_kaiming(mode):
    t = big(200, 50, 3, 3)
    fan = 50 * 9 if mode == "fan_in" else 200 * 9
    init.kaiming_uniform_(t, mode=mode, nonlinearity="relu")
    _check_uniform(t, math.sqrt(2) * math.sqrt(3 / fan))
    init.kaiming_normal_(t, a=0.1, mode=mode)
    _check_normal(t, math.sqrt(2 / (1 + 0.01)) / math.sqrt(fan))
    with pytest.raises(ValueError, match="fan_in"):
        init.kaiming_uniform_(t, mode="fan_avg")


def test_kaiming_zero_element_warns():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(big(0, 3))


def test_orthogonal():
    for shape in [(6, 4), (4, 6), (5, 2, 3)]:
        t = init.orthogonal_(big(*shape, dtype=gu.float64), gain=2.0)
        m = t.numpy().reshape(shape[0], -1)
        if m.shape[0] >= m.shape[1]:
            np.testing.assert_allclose(m.T @ m, 4 * np.eye(m.shape[1]), atol=1e-12)
        else:
            np.testing.assert_allclose(m @ m.T, 4 * np.eye(m.shape[0]), atol=1e-12)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.orthogonal_(big(3))


def test_trunc_normal():
    t = init.trunc_normal_(big(300, 200), mean=0.5, std=1.0, a=-1.0, b=1.5)
    a = t.numpy()
    assert a.min() >= -1.0 and a.max() <= 1.5
    assert a.min() < -0.99 and a.max() > 1.49
    # the mean of N(0.5, 1) truncated to [-1.5, 1] sigma around the mean
    lo, hi = -1.5, 1.0
    pdf = lambda z: math.exp(-z * z / 2) / math.sqrt(2 * math.pi)  # noqa: E731
    mass = 0.5 * (math.erf(hi / math.sqrt(2)) - math.erf(lo / math.sqrt(2)))
    want = 0.5 + (pdf(lo) - pdf(hi)) / mass
    assert a.mean() == pytest.approx(want, abs=0.01)
    with pytest.raises(ValueError, match="a < b"):
        init.trunc_normal_(big(2, 2), a=1, b=0)
    with pytest.raises(ValueError, match="nearer the mean"):
        init.trunc_normal_(big(2, 2), a=10, b=11)


def test_in_place_and_dtype_kept():
    t = big(20, 10, dtype=gu.float64)
    data = t.array
    out = init.kaiming_uniform_(t)
    assert out is t and t.array is data and t.dtype == gu.float64
    t32 = big(20, 10)
    init.normal_(t32)
    assert t32.dtype == gu.float32


def test_reproducible_with_manual_seed_and_generator():
    gu.manual_seed(3)
    a = init.xavier_uniform_(big(5, 4)).numpy().copy()
    gu.manual_seed(3)
    b = init.xavier_uniform_(big(5, 4)).numpy().copy()
    np.testing.assert_array_equal(a, b)
    c = init.normal_(big(5, 4), generator=np.random.default_rng(1)).numpy().copy()
    d = init.normal_(big(5, 4), generator=np.random.default_rng(1)).numpy().copy()
    np.testing.assert_array_equal(c, d)


def test_works_on_plain_tensor_requiring_grad():
    # initialisers write .data directly, so no in-place autograd error
    t = gu.zeros(3, 3, requires_grad=True)
    init.ones_(t)
    assert t.numpy().sum() == 9


# ------------------------------------------------------ layer default inits
def test_linear_default_init_distribution():
    gu.manual_seed(0)
    m = nn.Linear(400, 300)
    bound = 1 / math.sqrt(400)
    _check_uniform(m.weight, bound)
    b = m.bias.numpy()
    assert np.abs(b).max() <= bound and np.abs(b).max() > 0.9 * bound


def test_bilinear_default_init_distribution():
    m = nn.Bilinear(100, 30, 40)
    _check_uniform(m.weight, 1 / math.sqrt(100))
    assert np.abs(m.bias.numpy()).max() <= 1 / math.sqrt(100)


def test_embedding_and_norm_default_init():
    e = nn.Embedding(500, 64, padding_idx=3)
    w = e.weight.numpy()
    assert not w[3].any()
    _check_normal(gu.tensor(np.delete(w, 3, axis=0)), 1.0)
    for m in (nn.LayerNorm(5), nn.BatchNorm1d(5), nn.GroupNorm(1, 5)):
        assert (m.weight.numpy() == 1).all() and (m.bias.numpy() == 0).all()


def test_layer_init_is_reproducible():
    gu.manual_seed(11)
    a = nn.Linear(5, 3).state_dict()
    gu.manual_seed(11)
    b = nn.Linear(5, 3).state_dict()
    for k in a:
        np.testing.assert_array_equal(a[k], b[k])
