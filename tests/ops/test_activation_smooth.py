"""Smooth and gated activations (ops/activation_smooth.py) against PyTorch and finite
differences."""

import warnings

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu

torch = require_torch()
F = torch.nn.functional

# (id, groundup fn, torch fn): every element-wise one
UNARY = [
    ("mish", gu.mish, F.mish),
    ("selu", gu.selu, F.selu),
    ("celu", gu.celu, F.celu),
    ("celu_0.5", lambda x: gu.celu(x, alpha=0.5), lambda x: F.celu(x, alpha=0.5)),
    ("celu_neg", lambda x: gu.celu(x, -1.5), lambda x: F.celu(x, -1.5)),
    ("softsign", gu.softsign, F.softsign),
    ("tanhshrink", gu.tanhshrink, F.tanhshrink),
]
IDS = [u[0] for u in UNARY]
SHAPES = [(3, 4), (2, 3, 2), (), (0, 3)]


def data(*shape, seed=0):
    a = np.asarray(randn(*shape, seed=seed) * 2.0)
    a[np.abs(a) < 0.01] = 0.05  # selu and celu have a kink at 0
    return a


@pytest.mark.parametrize("name,gfn,tfn", UNARY, ids=IDS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary(name, gfn, tfn, shape):
    check_op(gfn, tfn, data(*shape, seed=1))


@pytest.mark.parametrize("name,gfn,tfn", UNARY, ids=IDS)
def test_kinks_range_and_non_contiguous(name, gfn, tfn):
    # exactly at 0 PyTorch's selu/celu take the x <= 0 side; values from -30 to 30
    check_op(gfn, tfn, np.array([-1.0, -0.0, 0.0, 1.0]), gradcheck=False)
    check_op(gfn, tfn, np.linspace(-30, 30, 61) + 0.25, gradcheck=False)
    check_op(gfn, tfn, data(3, 4, seed=2), layout="sliced", gradcheck=False)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
@pytest.mark.parametrize("name,gfn,tfn", UNARY[:4] + UNARY[5:], ids=IDS[:4] + IDS[5:])
def test_stable_and_special_values(name, gfn, tfn, dt):
    # large magnitudes stay finite (and quiet); NaN and -0.0 give PyTorch's values
    x = np.array([-1000.0, -100.0, -0.0, 100.0, 1000.0, np.nan])
    g = gu.tensor(x, dtype=dt, requires_grad=True)
    t = torch.tensor(x.astype(dt), requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = gfn(g)
        y.backward(gu.ones_like(y))
    ty = tfn(t)
    ty.backward(torch.ones_like(ty))
    assert np.all(np.isfinite(y.numpy()[:-1])) and np.all(np.isfinite(g.grad.numpy()[:-1]))
    np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-30)
    # (PyTorch's softsign gradient, x / |x| and 1 / (1 + |x|) composed, loses digits at large |x|)
    rtol = 1e-3 if name == "softsign" else 1e-6
    np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=rtol, atol=1e-30)


def test_integer_inputs():
    xi = np.array([[-3, -1, 0, 1, 2]], dtype=np.int64)
    xf = torch.tensor(xi, dtype=torch.float32)
    # PyTorch computes softsign and tanhshrink of integers in float32 and refuses the rest;
    # groundup computes all of them in float32
    for name, gfn, tfn in UNARY + [("glu", gu.glu, F.glu), ("softmin", gu.softmin,
                                                               lambda v: F.softmin(v, -1))]:
        v = xi[:, :4] if name == "glu" else xi
        got = gfn(gu.tensor(v))
        assert got.dtype == gu.float32, name
        np.testing.assert_allclose(got.numpy(), tfn(torch.tensor(v, dtype=torch.float32)),
                                   rtol=1e-6, atol=1e-7, err_msg=name)
    for gfn, tfn in [(gu.softsign, F.softsign), (gu.tanhshrink, F.tanhshrink)]:
        np.testing.assert_allclose(gfn(gu.tensor(xi)).numpy(), tfn(torch.tensor(xi)), rtol=1e-6)
    assert F.softsign(torch.tensor(xi)).dtype == torch.float32 == xf.dtype


def test_public_names():
    import groundup.nn.functional as gF
    for name in ["mish", "selu", "celu", "softsign", "tanhshrink", "glu", "softmin"]:
        assert callable(getattr(gF, name)) and getattr(gu, name) is getattr(gF, name)


# ------------------------------------------------------------------- glu


@pytest.mark.parametrize("shape,dim", [((3, 4), -1), ((4, 3), 0), ((2, 6, 3), 1),
                                       ((2,), 0), ((0, 4), -1), ((3, 0), 1)], ids=str)
def test_glu(shape, dim):
    check_op(lambda x: gu.glu(x, dim), lambda x: F.glu(x, dim), data(*shape, seed=3))


def test_glu_default_dim_and_layouts():
    check_op(gu.glu, F.glu, data(3, 4, seed=4), layout="transposed", gradcheck=False)
    check_op(gu.glu, F.glu, data(3, 4, seed=4), layout="sliced", gradcheck=False)


def test_glu_bad_arguments():
    with pytest.raises(ValueError, match=r"glu: dimension 1 must have an even size .* size 3"):
        gu.glu(gu.randn(2, 3))
    with pytest.raises(ValueError, match=r"glu: dimension 0 must have an even size .* size 3"):
        gu.glu(gu.randn(3, 2), 0)
    with pytest.raises(ValueError, match="glu: a 0-d tensor cannot be halved"):
        gu.glu(gu.tensor(1.0))
    with pytest.raises(IndexError, match="dim 2 is out of range"):
        gu.glu(gu.randn(2, 2), 2)
    with pytest.raises(TypeError, match="glu: dim must be an int"):
        gu.glu(gu.randn(2, 2), 1.0)


# --------------------------------------------------------------- softmin


@pytest.mark.parametrize("shape,dim", [((3, 4), 1), ((3, 4), 0), ((2, 3, 4), 1), ((5,), -1),
                                       ((), 0), ((0, 3), 1)], ids=str)
def test_softmin(shape, dim):
    check_op(lambda x: gu.softmin(x, dim), lambda x: F.softmin(x, dim), data(*shape, seed=5))


def test_softmin_default_dim_dtype_and_layout():
    x = data(2, 3, 4, seed=6)
    want = F.softmin(torch.tensor(x), -1).numpy()
    np.testing.assert_allclose(gu.softmin(gu.tensor(x, dtype=gu.float64)).numpy(), want,
                               rtol=1e-12)
    got = gu.softmin(gu.tensor(x), 1, dtype=gu.float64)
    assert got.dtype == gu.float64
    np.testing.assert_allclose(got.numpy(), F.softmin(torch.tensor(x), 1).numpy(), rtol=1e-6)
    check_op(lambda v: gu.softmin(v, 0), lambda v: F.softmin(v, 0), x[0], layout="transposed",
             gradcheck=False)
    big = gu.tensor([[1000.0, -1000.0, 0.0]])
    np.testing.assert_allclose(gu.softmin(big, 1).numpy(), [[0, 1, 0]])


# ------------------------------------------------------- inplace and arguments


@pytest.mark.parametrize("gfn", [gu.mish, gu.selu, gu.celu,
                                 lambda x, inplace=False: gu.celu(x, 0.5, inplace)],
                         ids=["mish", "selu", "celu", "celu_0.5"])
def test_inplace(gfn):
    x0 = data(3, 4, seed=7).astype(np.float32)
    want = gfn(gu.tensor(x0)).numpy()
    x = gu.tensor(x0)  # no graph: done in place, x returned
    assert gfn(x, inplace=True) is x
    np.testing.assert_array_equal(x.numpy(), want)
    leaf = gu.tensor(x0, requires_grad=True)
    with pytest.raises(RuntimeError, match="inplace=True on a leaf tensor that requires grad"):
        gfn(leaf, inplace=True)
    # inside a graph: a new tensor, the input unchanged, the same gradient
    h = leaf * 1.0
    y = gfn(h, inplace=True)
    assert y is not h and np.array_equal(h.numpy(), x0) and np.array_equal(y.numpy(), want)
    y.sum().backward()
    ref = gu.tensor(x0, requires_grad=True)
    gfn(ref).sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), ref.grad.numpy())
    with pytest.raises(TypeError, match="inplace=True cannot store the float32"):
        gfn(gu.tensor([1, 2]), inplace=True)


def test_bad_arguments():
    with pytest.raises(ValueError, match="celu: alpha must be non-zero"):
        gu.celu(gu.tensor([1.0]), 0.0)
    with pytest.raises(TypeError, match="softmin: dim must be an int"):
        gu.softmin(gu.randn(2, 2), "1")
