"""Element-wise primitives against PyTorch (float32, float64) and finite differences."""

import numpy as np
import pytest
from helpers import BINARY_SHAPES, check_op, mask, randn, require_torch
from hypothesis import given, settings
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import groundup as gu

torch = require_torch()


def pos(*shape, seed=0):
    return randn(*shape, seed=seed, positive=True)


# (id, groundup fn, torch fn, input makers) -- every binary op over helpers.BINARY_SHAPES
BINARY = [
    ("add", gu.add, torch.add, randn, randn),
    ("sub", gu.sub, torch.sub, randn, randn),
    ("mul", gu.mul, torch.mul, randn, randn),
    ("div", gu.div, torch.div, randn, pos),
    ("pow", gu.pow, torch.pow, pos, randn),
    ("maximum", gu.maximum, torch.maximum, randn, randn),
    ("minimum", gu.minimum, torch.minimum, randn, randn),
]


@pytest.mark.parametrize("name,gfn,tfn,ma,mb", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("sa,sb", BINARY_SHAPES, ids=[f"{a}-{b}" for a, b in BINARY_SHAPES])
def test_binary(name, gfn, tfn, ma, mb, sa, sb):
    check_op(gfn, tfn, ma(*sa, seed=1), mb(*sb, seed=2))


@pytest.mark.parametrize("name,gfn,tfn,ma,mb", BINARY, ids=[b[0] for b in BINARY])
@pytest.mark.parametrize("layout", ["transposed", "sliced"])
def test_binary_non_contiguous(name, gfn, tfn, ma, mb, layout):
    check_op(gfn, tfn, ma(3, 4, seed=1), mb(3, 4, seed=2), layout=layout)
    check_op(gfn, tfn, ma(2, 3, 4, seed=3), mb(3, 1, seed=4), layout=layout)


UNARY = [
    ("neg", gu.neg, torch.neg, randn),
    ("exp", gu.exp, torch.exp, randn),
    ("log", gu.log, torch.log, pos),
    ("sqrt", gu.sqrt, torch.sqrt, pos),
    ("abs", gu.abs, torch.abs, randn),
    ("sin", gu.sin, torch.sin, randn),
    ("cos", gu.cos, torch.cos, randn),
    ("clamp", lambda x: gu.clamp(x, -0.5, 0.7), lambda x: torch.clamp(x, -0.5, 0.7), randn),
    ("clamp_min", lambda x: gu.clamp(x, min=0.1), lambda x: torch.clamp(x, min=0.1), randn),
    ("clamp_max", lambda x: gu.clamp(x, max=0.1), lambda x: torch.clamp(x, max=0.1), randn),
    ("pow2", lambda x: x**2, lambda x: x**2, randn),
    ("pow3", lambda x: x**3, lambda x: x**3, randn),
    ("pow_half", lambda x: x**0.5, lambda x: x**0.5, pos),
    ("pow_neg1", lambda x: x**-1, lambda x: x**-1, pos),
    ("pow_neg1.5", lambda x: gu.pow(x, -1.5), lambda x: torch.pow(x, -1.5), pos),
    ("pow1", lambda x: x**1, lambda x: x**1, randn),
    ("pow0", lambda x: x**0, lambda x: x**0, randn),
    ("rpow2", lambda x: 2**x, lambda x: 2**x, randn),
    ("rpow_half", lambda x: 0.5**x, lambda x: 0.5**x, randn),
    ("rsub", lambda x: 2 - x, lambda x: 2 - x, randn),
    ("rdiv", lambda x: 3 / x, lambda x: 3 / x, pos),
    ("div_scalar", lambda x: x / 4, lambda x: x / 4, randn),
    ("radd_mul", lambda x: 1.5 + 2 * x * 0.5, lambda x: 1.5 + 2 * x * 0.5, randn),
    ("clone", gu.clone, torch.clone, randn),
]
UNARY_SHAPES = [(3, 4), (), (1,), (0, 2), (2, 1, 3)]


@pytest.mark.parametrize("name,gfn,tfn,make", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
def test_unary(name, gfn, tfn, make, shape):
    check_op(gfn, tfn, make(*shape, seed=3))


@pytest.mark.parametrize("name,gfn,tfn,make", UNARY, ids=[u[0] for u in UNARY])
@pytest.mark.parametrize("layout", ["transposed", "sliced"])
def test_unary_non_contiguous(name, gfn, tfn, make, layout):
    check_op(gfn, tfn, make(4, 3, seed=5), layout=layout)


@pytest.mark.parametrize("sa,sb,sc", [((3, 4), (3, 4), (3, 4)), ((3, 1), (4,), (2, 1, 1)),
                                      ((0, 2), (2,), ()), ((), (), ())])
def test_where(sa, sb, sc):
    check_op(gu.where, torch.where, mask(*sa, seed=1), randn(*sb, seed=2), randn(*sc, seed=3))


def test_where_non_contiguous_and_scalars():
    check_op(gu.where, torch.where, mask(4, 3), randn(4, 3, seed=1), randn(4, 3, seed=2),
             layout="transposed")
    check_op(lambda c, a: gu.where(c, a, 0.0), lambda c, a: torch.where(c, a, 0.0),
             mask(3, 4), randn(3, 4))
    check_op(lambda c, b: gu.where(c, 1.5, b), lambda c, b: torch.where(c, 1.5, b),
             mask(3, 4), randn(3, 4))


def test_pow_tensor_exponent_non_contiguous():
    check_op(gu.pow, torch.pow, pos(3, 4), randn(3, 4, seed=1), layout="transposed")


def test_pow_edge_gradients_match_torch():
    # x ** 0 at x == 0 has gradient 0 (not nan); 0 ** b (b > 0) has exponent gradient 0
    x = np.array([0.0, 1.0, 2.0])
    check_op(lambda a: a**0, lambda a: a**0, x, gradcheck=False)
    check_op(gu.pow, torch.pow, np.array([0.0, 2.0, 3.0]), np.array([2.0, 0.0, 1.5]),
             gradcheck=False)


def test_maximum_minimum_ties_split_gradient():
    a = np.array([1.0, 2.0, 3.0, -1.0])
    b = np.array([1.0, 0.0, 3.0, 5.0])
    check_op(gu.maximum, torch.maximum, a, b, gradcheck=False)
    check_op(gu.minimum, torch.minimum, a, b, gradcheck=False)
    check_op(gu.maximum, torch.maximum, a, np.array(1.0), gradcheck=False)


def test_abs_and_clamp_at_kinks_match_torch():
    x = np.array([-1.0, 0.0, 0.5, 1.0, 2.0])
    check_op(gu.abs, torch.abs, x, gradcheck=False)
    check_op(lambda t: gu.clamp(t, 0.0, 1.0), lambda t: torch.clamp(t, 0.0, 1.0), x,
             gradcheck=False)


@pytest.mark.parametrize("lo, hi", [(0.0, None), (None, 0.0), (-1.0, 2.0), (2.0, -1.0),
                                    (0.0, 0.0), (float("nan"), 1.0)])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_clamp_special_values_match_torch_bit_for_bit(lo, hi, dtype):
    """NaN, +-inf and -0.0 (whose sign PyTorch keeps), one-sided bounds, lo > hi (hi
    everywhere) and a NaN bound, against torch.clamp, signs of zero included."""
    x = np.array([-np.inf, -3.0, -1.0, -0.0, 0.0, 0.5, 1.0, 3.0, np.inf, np.nan], dtype)
    got = gu.clamp(gu.tensor(x), lo, hi).numpy()
    want = torch.clamp(torch.tensor(x), lo, hi).numpy()
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(want))


def test_clamp_tensor_bounds_and_errors():
    check_op(lambda x, lo: gu.clamp(x, lo), lambda x, lo: torch.clamp(x, lo),
             randn(3, 4), randn(4, seed=1))
    with pytest.raises(ValueError, match="clamp"):
        gu.clamp(gu.ones(2))
    xi = gu.tensor([0, 1, 2])
    assert gu.clamp(xi, 0, 1).dtype == gu.int64
    got = gu.clamp(xi, min=0.5)
    assert got.dtype == gu.float32
    np.testing.assert_allclose(got.numpy(), [0.5, 1.0, 2.0])


# ------------------------------------------------------------- hypothesis shapes
@settings(max_examples=25, deadline=None)
@given(shapes=mutually_broadcastable_shapes(num_shapes=2, max_dims=3, max_side=3))
def test_binary_random_broadcast_shapes(shapes):
    sa, sb = shapes.input_shapes
    for _, gfn, tfn, ma, mb in BINARY:
        check_op(gfn, tfn, ma(*sa, seed=1), mb(*sb, seed=2), float64=False)


# ---------------------------------------------------------------------- cast
@pytest.mark.parametrize("src,dst", [("float32", "float64"), ("float64", "float32"),
                                     ("float32", "float16")])
def test_cast_float_gradient_returns_to_source_dtype(src, dst):
    data = randn(3, 4)
    x = gu.tensor(data, dtype=src, requires_grad=True)
    tx = torch.tensor(data, dtype=getattr(torch, src), requires_grad=True)
    y = gu.cast(x, dst)
    ty = tx.to(getattr(torch, dst))
    assert y.dtype == np.dtype(dst).type
    np.testing.assert_array_equal(y.numpy(), ty.detach().numpy())
    w = randn(3, 4, seed=1)
    (y * gu.tensor(w, dtype=dst)).sum().backward()
    (ty * torch.tensor(w, dtype=getattr(torch, dst))).sum().backward()
    assert x.grad.dtype == np.dtype(src).type
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-3)


def test_cast_methods_and_integer_casts():
    x = gu.tensor([1.7, -2.2], requires_grad=True)
    assert x.double().dtype == gu.float64 and x.double().requires_grad
    assert x.float() is x
    assert x.to(gu.float64).dtype == gu.float64
    assert x.to("float64").dtype == gu.float64
    i = x.long()
    assert i.dtype == gu.int64 and not i.requires_grad
    np.testing.assert_array_equal(i.numpy(), [1, -2])
    assert x.int().dtype == gu.int32
    assert x.bool().dtype == gu.bool
    assert gu.cast(gu.tensor([1, 2]), "float32").dtype == gu.float32
    check_op(lambda t: gu.cast(t, "float32") * 1.0, lambda t: t.to(torch.float32) * 1.0,
             randn(3), float64=False, gradcheck=False)


def test_integer_inputs_to_transcendentals_give_float32():
    xi = gu.tensor([1, 2, 3])
    for f in (gu.exp, gu.log, gu.sqrt, gu.sin, gu.cos):
        assert f(xi).dtype == gu.float32
    assert gu.abs(gu.tensor([-1, 2])).dtype == gu.int64
    assert (-gu.tensor([1, 2])).dtype == gu.int64


# -------------------------------------------------------- operators and dtypes
def test_python_and_numpy_operands_match_torch():
    data = randn(3, 4)
    arr = randn(3, 4, seed=1).astype(np.float32)
    row = randn(4, seed=2).astype(np.float32)
    cases = [
        lambda x, a, r: 2 - x,
        lambda x, a, r: x - 2,
        lambda x, a, r: a * x,
        lambda x, a, r: x * a,
        lambda x, a, r: a - x,
        lambda x, a, r: a / (x * x + 1),
        lambda x, a, r: x + r,
        lambda x, a, r: r + x,
        lambda x, a, r: x**2,
        lambda x, a, r: 2**x,
        lambda x, a, r: -x + 1,
        lambda x, a, r: 1 / (x * x + 1),
        lambda x, a, r: abs(x),
        lambda x, a, r: +x,
    ]
    for k, f in enumerate(cases):
        x = gu.tensor(data, requires_grad=True)
        tx = torch.tensor(data, dtype=torch.float32, requires_grad=True)
        y = f(x, arr, row)
        ty = f(tx, torch.tensor(arr), torch.tensor(row))
        assert isinstance(y, gu.Tensor), k
        assert y.dtype == gu.float32, k
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-5, atol=1e-6)
        y.sum().backward()
        ty.sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


BIN_OPERATORS = [
    lambda a, b: a + b, lambda a, b: a - b, lambda a, b: a * b, lambda a, b: a / b,
    lambda a, b: a**b, gu.maximum, gu.minimum,
]


@pytest.mark.parametrize("dt", [gu.float32, gu.float64])
def test_dtype_preserved_with_tensors_and_python_scalars(dt):
    x = gu.tensor([1.0, 2.0], dtype=dt)
    y = gu.tensor([3.0, 4.0], dtype=dt)
    for f in BIN_OPERATORS:
        assert f(x, y).dtype == dt
        assert f(x, 2).dtype == dt
        assert f(x, 2.5).dtype == dt
        assert f(2.5, x).dtype == dt
        assert f(x, np.float64(2.5)).dtype == dt  # NumPy scalars act as Python scalars
        assert f(x, np.float32(2.5)).dtype == dt
        assert f(x, np.array([2.0, 3.0])).dtype == dt  # ndarrays follow the float tensor
    for f in (gu.exp, gu.log, gu.sqrt, gu.abs, gu.sin, gu.cos, gu.neg, gu.clone):
        assert f(x).dtype == dt
    assert (x**np.float64(2.0)).dtype == dt
    assert gu.clamp(x, 0.5, 1.5).dtype == dt
    assert gu.where(x > 1, x, 0.0).dtype == dt


def test_mixed_float_dtypes_promote_like_torch():
    a = gu.tensor([1.0, 2.0], requires_grad=True)
    b = gu.tensor([3.0, 4.0], dtype=gu.float64, requires_grad=True)
    for f in BIN_OPERATORS:
        assert f(a, b).dtype == gu.float64
        assert f(b, a).dtype == gu.float64
    (a * b).sum().backward()
    assert a.grad.dtype == gu.float32 and b.grad.dtype == gu.float64
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 4.0])


def test_float64_array_operand_keeps_precision_on_float64_tensor():
    x = gu.tensor([1.0], dtype=gu.float64)
    assert (x * np.array([0.1])).item() == 0.1
    assert (x + np.float64(0.1)).item() == 1.1


def test_integer_and_bool_promotion_like_torch():
    i = gu.tensor([1, 2, 3])
    assert i.dtype == gu.int64
    assert (i + 0.5).dtype == gu.float32
    assert (0.5 * i).dtype == gu.float32
    assert (i + 2).dtype == gu.int64
    assert (i / 2).dtype == gu.float32
    assert (i / gu.tensor([2, 2, 2])).dtype == gu.float32
    np.testing.assert_allclose((i / gu.tensor([2, 4, 2])).numpy(), [0.5, 0.5, 1.5])
    assert (i * gu.tensor([1.0, 2.0, 3.0])).dtype == gu.float32
    assert (i * gu.tensor([1.0, 2.0, 3.0], dtype=gu.float64)).dtype == gu.float64
    assert (i**2).dtype == gu.int64
    assert (i**-1).dtype == gu.float32
    assert (i**0.5).dtype == gu.float32
    i32 = gu.tensor([1, 2], dtype=gu.int32)
    assert (i32 + 1).dtype == gu.int32
    assert (i32 + np.int64(1)).dtype == gu.int32
    m = gu.tensor([True, False])
    assert (m + 1).dtype == gu.int64
    assert (m * 1.5).dtype == gu.float32
    for a, b in [(i + 0.5, torch.tensor([1, 2, 3]) + 0.5), (i / 2, torch.tensor([1, 2, 3]) / 2)]:
        np.testing.assert_allclose(a.numpy(), b.numpy())


def test_integer_results_carry_no_gradient():
    x = gu.tensor([1.0, 2.0], requires_grad=True)
    i = gu.tensor([1, 2])
    y = x * i
    assert y.requires_grad and y.dtype == gu.float32
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0, 2.0])
    assert i.grad is None
    assert not (i * 2).requires_grad


def test_only_needed_gradients_are_computed():
    # a constant operand gets no .grad, and its backward branch is skipped
    x = gu.tensor(randn(3), requires_grad=True)
    c = gu.tensor(randn(3, seed=1))
    for f in BIN_OPERATORS[:4]:
        f(x, c + 3).sum().backward()
        f(c + 3, x).sum().backward()
    assert c.grad is None and x.grad is not None


def test_broadcast_error_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        _ = gu.ones(2, 3) + gu.ones(4)
    with pytest.raises(ValueError, match=r"\(2, 3\).*\(4,\)"):
        _ = gu.ones(2, 3) == gu.ones(4)
    with pytest.raises(ValueError, match=r"maximum.*\(2, 3\).*\(2,\)"):
        gu.maximum(gu.ones(2, 3), gu.ones(2))
