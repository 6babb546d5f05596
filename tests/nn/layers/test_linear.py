"""Linear, Bilinear, Identity, Flatten, Unflatten against PyTorch."""

import numpy as np
import pytest
from helpers import check_layer, randn, require_torch

import groundup as gu
from groundup import nn

torch = require_torch()


@pytest.mark.parametrize("shape", [(5, 4), (2, 3, 4), (4,)])
@pytest.mark.parametrize("bias", [True, False])
def test_linear_matches_torch(shape, bias):
    g, t = nn.Linear(4, 3, bias=bias), torch.nn.Linear(4, 3, bias=bias)
    check_layer(g, t, randn(*shape))
    assert list(g.state_dict()) == list(t.state_dict())
    assert repr(g) == repr(t)


def test_linear_parameter_shapes_and_dtype():
    m = nn.Linear(6, 2, dtype=gu.float64)
    assert m.weight.shape == (2, 6) and m.bias.shape == (2,)
    assert m.weight.dtype == gu.float64 and m(gu.randn(3, 6, dtype=gu.float64)).dtype == gu.float64
    assert nn.Linear(6, 2, bias=False).bias is None


def test_linear_errors():
    m = nn.Linear(4, 3)
    with pytest.raises(ValueError) as e:
        m(gu.randn(2, 5))
    assert str(e.value) == ("Linear(in_features=4, out_features=3): expected input (..., 4), "
                            "got (2, 5)")
    with pytest.raises(TypeError, match="float64 does not match the weight dtype float32"):
        m(gu.randn(2, 4, dtype=gu.float64))


def test_linear_accepts_arrays():
    m = nn.Linear(4, 3)
    y = m(np.ones((2, 4)))
    assert y.shape == (2, 3) and y.dtype == gu.float32
    y.sum().backward()
    assert m.weight.grad.shape == (3, 4)


@pytest.mark.parametrize("lead", [(5,), (2, 3)])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(lead, bias):
    g, t = nn.Bilinear(3, 2, 4, bias=bias), torch.nn.Bilinear(3, 2, 4, bias=bias)
    check_layer(g, t, randn(*lead, 3, seed=1), randn(*lead, 2, seed=2))
    assert repr(g) == repr(t)


def test_bilinear_errors():
    with pytest.raises(ValueError, match=r"Bilinear\(in1_features=3.*\(5, 2\) and \(5, 2\)"):
        nn.Bilinear(3, 2, 4)(gu.randn(5, 2), gu.randn(5, 2))


def test_identity():
    x = gu.randn(2, 2)
    assert nn.Identity(54, unused="x")(x) is x
    assert repr(nn.Identity()) == "Identity()"


@pytest.mark.parametrize("args", [(), (0,), (1, 2), (0, -2)])
def test_flatten_matches_torch(args):
    check_layer(nn.Flatten(*args), torch.nn.Flatten(*args), randn(2, 3, 2, 2))
    assert repr(nn.Flatten(*args)) == repr(torch.nn.Flatten(*args))


@pytest.mark.parametrize("dim,sizes", [(1, (2, 3)), (-1, (3, 2)), (1, (-1, 2))])
def test_unflatten_matches_torch(dim, sizes):
    check_layer(nn.Unflatten(dim, sizes), torch.nn.Unflatten(dim, sizes), randn(4, 6))


def test_unflatten_errors():
    with pytest.raises(ValueError, match=r"cannot split dimension 1 of size 6.*\(4, 2\)"):
        nn.Unflatten(1, (4, 2))(gu.randn(3, 6))
    with pytest.raises(IndexError, match="out of range"):
        nn.Unflatten(3, (2, 3))(gu.randn(3, 6))


def test_mlp_state_dict_round_trip_with_torch():
    g = nn.Sequential(nn.Flatten(), nn.Linear(12, 8), nn.GELU(), nn.Linear(8, 3))
    t = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(12, 8), torch.nn.GELU(),
                            torch.nn.Linear(8, 3))
    check_layer(g, t, randn(5, 3, 4))
