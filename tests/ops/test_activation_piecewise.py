"""Piecewise activations (ops/activation_piecewise.py) against PyTorch and finite differences."""

import warnings

import numpy as np
import pytest
from helpers import check_op, require_torch

import groundup as gu

torch = require_torch()
F = torch.nn.functional


def data(*shape, seed=0, scale=2.0, kinks=(0.0,)):
    """Deterministic float64 test data kept 0.01 away from the kinks (finite differences)."""
    a = np.asarray(np.random.default_rng(seed).standard_normal(shape) * scale)
    for k in kinks:
        near = np.abs(a - k) < 0.01
        a[near] = k + 0.05
    return a


# (id, groundup fn, torch fn, the kinks): every element-wise one
UNARY = [
    ("hardswish", gu.hardswish, F.hardswish, (-3.0, 3.0)),
    ("hardsigmoid", gu.hardsigmoid, F.hardsigmoid, (-3.0, 3.0)),
    ("hardshrink", gu.hardshrink, F.hardshrink, (-0.5, 0.5)),
    ("hardshrink_1.2", lambda x: gu.hardshrink(x, 1.2), lambda x: F.hardshrink(x, 1.2),
     (-1.2, 1.2)),
    ("hardshrink_neg", lambda x: gu.hardshrink(x, -0.5), lambda x: F.hardshrink(x, -0.5), ()),
    ("softshrink", gu.softshrink, F.softshrink, (-0.5, 0.5)),
    ("softshrink_1.2", lambda x: gu.softshrink(x, lambd=1.2), lambda x: F.softshrink(x, 1.2),
     (-1.2, 1.2)),
    ("softshrink_0", lambda x: gu.softshrink(x, 0), lambda x: F.softshrink(x, 0.0), (0.0,)),
    ("threshold", lambda x: gu.threshold(x, 0.3, -2.0), lambda x: F.threshold(x, 0.3, -2.0),
     (0.3,)),
    ("rrelu_eval", gu.rrelu, F.rrelu, (0.0,)),
    ("rrelu_eval_range", lambda x: gu.rrelu(x, 0.2, 0.6), lambda x: F.rrelu(x, 0.2, 0.6),
     (0.0,)),
    ("prelu_scalar", lambda x: gu.prelu(x, gu.tensor([0.3], dtype=x.dtype)),
     lambda x: F.prelu(x, torch.tensor([0.3], dtype=x.dtype)), (0.0,)),
]
IDS = [u[0] for u in UNARY]
SHAPES = [(3, 4), (2, 3, 2), (), (0, 3)]
KINKS = np.array([-4.0, -3.0, -2.5, -1.2, -0.5, -0.3, 0.0, 0.3, 0.5, 1.2, 2.5, 3.0, 4.0])


# PyTorch's hardsigmoid backward multiplies by the float32 constant 1/6, also in float64
TOL = {"hardsigmoid": dict(rtol=5e-4)}


@pytest.mark.parametrize("name,gfn,tfn,kinks", UNARY, ids=IDS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary(name, gfn, tfn, kinks, shape):
    check_op(gfn, tfn, data(*shape, seed=1, kinks=kinks), **TOL.get(name, {}))


@pytest.mark.parametrize("name,gfn,tfn,kinks", UNARY, ids=IDS)
def test_kinks_and_non_contiguous(name, gfn, tfn, kinks):
    # exactly at every kink PyTorch picks one side; the gradient follows it
    tol = TOL.get(name, {})
    check_op(gfn, tfn, KINKS, gradcheck=False, **tol)
    check_op(gfn, tfn, data(3, 4, seed=2, kinks=kinks), layout="transposed", gradcheck=False,
             **tol)


@pytest.mark.parametrize("name,gfn,tfn,kinks", UNARY, ids=IDS)
def test_special_values(name, gfn, tfn, kinks):
    # +-inf, NaN and -0.0 give PyTorch's values and gradients, silently
    x = np.array([-np.inf, np.inf, np.nan, -0.0, 1.0])
    g = gu.tensor(x, dtype=gu.float64, requires_grad=True)
    t = torch.tensor(x, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        y = gfn(g)
        y.backward(gu.ones_like(y))
    ty = tfn(t)
    ty.backward(torch.ones_like(ty))
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    np.testing.assert_allclose(g.grad.numpy(), t.grad.numpy(), rtol=1e-7, atol=0)


def test_integer_inputs():
    xi = np.array([[-4, -3, -1, 0, 1, 2, 3, 5]], dtype=np.int64)
    # threshold keeps integers, with threshold and value truncated as PyTorch does
    for th, value in [(1, 5), (1.5, 5.5), (-1.5, 7.9)]:
        got = gu.threshold(gu.tensor(xi), th, value)
        assert got.dtype == gu.int64
        np.testing.assert_array_equal(got.numpy(), F.threshold(torch.tensor(xi), th, value))
    # PyTorch refuses integers for the rest; groundup computes them in float32
    xf = torch.tensor(xi, dtype=torch.float32)
    for gfn, tfn in [(gu.hardswish, F.hardswish), (gu.hardsigmoid, F.hardsigmoid),
                     (gu.hardshrink, F.hardshrink), (gu.softshrink, F.softshrink),
                     (gu.rrelu, F.rrelu),
                     (lambda v: gu.prelu(v, gu.tensor([0.2])),
                      lambda v: F.prelu(v, torch.tensor([0.2])))]:
        got = gfn(gu.tensor(xi))
        assert got.dtype == gu.float32
        np.testing.assert_allclose(got.numpy(), tfn(xf).numpy(), rtol=1e-6)
    with pytest.raises(TypeError, match="threshold: bool"):
        gu.threshold(gu.tensor([True, False]), 0, 1)


def test_public_names():
    import groundup.nn.functional as gF
    for name in ["hardswish", "hardsigmoid", "prelu", "rrelu", "hardshrink", "softshrink",
                 "threshold"]:
        assert callable(getattr(gF, name)) and getattr(gu, name) is getattr(gF, name)


# ----------------------------------------------------------------- prelu


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (2, 3, 4, 2)], ids=str)
@pytest.mark.parametrize("per_channel", [False, True], ids=["one", "per_channel"])
def test_prelu(shape, per_channel):
    x = data(*shape, seed=3)
    w = np.array([0.1, -0.3, 1.7]) if per_channel else np.array([0.4])
    check_op(gu.prelu, F.prelu, x, w)


@pytest.mark.parametrize("xshape,wshape", [((5,), (1,)), ((), (1,)), ((), ()), ((6,), ()),
                                           ((0, 3), (3,)), ((4, 3, 0), (3,))], ids=str)
def test_prelu_edge_shapes(xshape, wshape):
    w = np.asarray(np.random.default_rng(4).standard_normal(wshape))
    check_op(gu.prelu, F.prelu, data(*xshape, seed=4), w)


def test_prelu_kinks_and_one_sided_gradients():
    x = np.array([[-2.0, 0.0, 1.0], [0.0, -1.0, 3.0]])
    check_op(gu.prelu, F.prelu, x, np.array([0.25, -0.5, 2.0]), gradcheck=False)
    # only the weight needs a gradient (a constant input), then only the input
    w = gu.tensor([0.25, -0.5, 2.0], requires_grad=True)
    gu.prelu(gu.tensor(x), w).sum().backward()
    tw = torch.tensor([0.25, -0.5, 2.0], requires_grad=True)
    F.prelu(torch.tensor(x, dtype=torch.float32), tw).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), tw.grad.numpy())
    xg = gu.tensor(x, requires_grad=True)
    gu.prelu(xg, gu.tensor([0.25, -0.5, 2.0])).sum().backward()
    np.testing.assert_allclose(xg.grad.numpy(), [[0.25, -0.5, 1], [0.25, -0.5, 1]])


def test_prelu_bad_arguments():
    x = gu.randn(2, 3)
    with pytest.raises(ValueError, match=r"prelu: weight has 4 elements .* \(2, 3\) has 3"):
        gu.prelu(x, gu.ones(4))
    with pytest.raises(ValueError, match=r"prelu: weight has 3 elements .* \(5,\) has 1"):
        gu.prelu(gu.randn(5), gu.ones(3))
    with pytest.raises(ValueError, match="prelu: weight must be 0-d or 1-d"):
        gu.prelu(x, gu.ones(1, 3))
    with pytest.raises(TypeError, match="prelu: input .*float64.* and weight .*float32"):
        gu.prelu(x.double(), gu.ones(3))
    with pytest.raises(TypeError, match="prelu: weight must be a floating-point"):
        gu.prelu(x, gu.tensor([1, 2, 3]))


# ----------------------------------------------------------------- rrelu


def test_rrelu_training_draws_slopes_in_range():
    x0 = data(200, 5, seed=5)
    gu.manual_seed(3)
    x = gu.tensor(x0, requires_grad=True)
    y = gu.rrelu(x, 0.1, 0.3, training=True)
    slope = y.numpy() / x.numpy()
    neg = x0 < 0
    assert np.all(slope[~neg] == 1)
    assert np.all((slope[neg] >= 0.1 - 1e-6) & (slope[neg] <= 0.3 + 1e-6))
    assert np.unique(np.round(slope[neg], 6)).size > 100  # a draw per element
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), slope, rtol=1e-6)
    # reproducible from the shared generator; a fresh draw each call
    gu.manual_seed(3)
    np.testing.assert_array_equal(gu.rrelu(x, 0.1, 0.3, training=True).numpy(), y.numpy())
    assert not np.array_equal(gu.rrelu(x, 0.1, 0.3, training=True).numpy(), y.numpy())
    # lower == upper: PyTorch's result, deterministic
    check_op(lambda v: gu.rrelu(v, 0.2, 0.2, True), lambda v: F.rrelu(v, 0.2, 0.2, True),
             data(3, 4), gradcheck=False)


def test_rrelu_training_at_zero_and_0d():
    gu.manual_seed(0)
    x = gu.tensor(np.array([0.0, -1.0]), requires_grad=True)
    gu.rrelu(x, 0.2, 0.3, training=True).sum().backward()
    assert 0.2 <= x.grad.numpy()[0] <= 0.3  # x == 0 takes a random slope, as in PyTorch
    y = gu.rrelu(gu.tensor(-2.0), 0.25, 0.25, training=True)
    assert y.shape == () and y.item() == -0.5


# ------------------------------------------------------- inplace and arguments


@pytest.mark.parametrize("gfn", [
    gu.hardswish, gu.hardsigmoid, gu.rrelu,
    lambda x, inplace=False: gu.threshold(x, 0.1, 2.0, inplace),
], ids=["hardswish", "hardsigmoid", "rrelu", "threshold"])
def test_inplace(gfn):
    x0 = data(3, 4, seed=6).astype(np.float32)
    want = gfn(gu.tensor(x0)).numpy()
    x = gu.tensor(x0)  # no graph: done in place, x returned
    assert gfn(x, inplace=True) is x
    np.testing.assert_array_equal(x.numpy(), want)
    leaf = gu.tensor(x0, requires_grad=True)
    with pytest.raises(RuntimeError, match="inplace=True on a leaf tensor that requires grad"):
        gfn(leaf, inplace=True)
    with gu.no_grad():  # as in PyTorch, a leaf may change in place under no_grad
        assert gfn(leaf, inplace=True) is leaf
    # inside a graph: a new tensor, the input unchanged, the same gradient
    leaf = gu.tensor(x0, requires_grad=True)
    h = leaf * 1.0
    y = gfn(h, inplace=True)
    assert y is not h and np.array_equal(h.numpy(), x0) and np.array_equal(y.numpy(), want)
    y.sum().backward()
    ref = gu.tensor(x0, requires_grad=True)
    gfn(ref).sum().backward()
    np.testing.assert_array_equal(leaf.grad.numpy(), ref.grad.numpy())


def test_inplace_threshold_integer_and_float_result_of_integer():
    x = gu.tensor([-1, 2, 0])
    assert gu.threshold(x, 0, 9, inplace=True) is x
    np.testing.assert_array_equal(x.numpy(), [9, 2, 9])
    with pytest.raises(TypeError, match="hardswish: inplace=True cannot store the float32"):
        gu.hardswish(gu.tensor([1, 2]), inplace=True)


def test_bad_arguments():
    x = gu.tensor([1.0, -2.0])
    with pytest.raises(ValueError, match="softshrink: lambd must be >= 0, got -0.5"):
        gu.softshrink(x, -0.5)
    with pytest.raises(ValueError, match=r"rrelu: lower \(0.5\) must not exceed upper \(0.1\)"):
        gu.rrelu(x, 0.5, 0.1)
