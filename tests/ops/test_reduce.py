"""Reductions (ops/reduce.py) against PyTorch: values, gradients, gradcheck, edge cases."""

import warnings

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu

torch = require_torch()


def _tdim(x, dim):
    """PyTorch spelling of dim=None with keepdim: every axis (an empty tuple means all too)."""
    return tuple(range(x.ndim)) if dim is None else dim


# (shape, dim, keepdim): 0-d, size-1, empty, negative, tuple / list dims
CASES = [
    ((), None, False), ((), 0, True), ((), -1, False),
    ((5,), None, False), ((5,), 0, True),
    ((3, 4), None, True), ((3, 4), 1, False), ((3, 4), -2, True), ((3, 4), (0, 1), False),
    ((2, 3, 4), (0, 2), True), ((2, 3, 4), [-1, 0], False), ((2, 3, 4), 1, False),
    ((1, 4), 0, False), ((3, 1, 2), 1, True), ((2, 3), (), False),
]
EMPTY = [((2, 0), 1, False), ((0, 3), 0, True), ((2, 0, 3), (0, 1), False), ((0,), None, False)]


@pytest.mark.parametrize("shape, dim, keepdim", CASES + EMPTY)
def test_sum(shape, dim, keepdim):
    check_op(lambda x: gu.sum(x, dim, keepdim),
             lambda x: x.sum(dim=_tdim(x, dim), keepdim=keepdim), randn(*shape))


@pytest.mark.parametrize("shape, dim, keepdim", CASES + EMPTY)
def test_mean(shape, dim, keepdim):
    check_op(lambda x: gu.mean(x, dim, keepdim),
             lambda x: x.mean(dim=_tdim(x, dim), keepdim=keepdim), randn(*shape))


@pytest.mark.parametrize("layout", ["transposed", "sliced"])
@pytest.mark.parametrize("dim", [None, 0, 1, -1, (0, 1)])
def test_sum_mean_non_contiguous(layout, dim):
    x = randn(3, 4, seed=1)
    check_op(lambda x: x.sum(dim), lambda x: x.sum(dim=_tdim(x, dim)), x, layout=layout)
    check_op(lambda x: x.mean(dim, keepdim=True),
             lambda x: x.mean(dim=_tdim(x, dim), keepdim=True), x, layout=layout)


# Row / column sums of big float arrays take the GEMV path: check it on every layout.
@pytest.mark.parametrize("shape, dim", [
    ((64, 40), 1), ((64, 40), 0), ((64, 40), -1), ((4, 8, 80), (1, 2)), ((4, 8, 80), (0, 1)),
    ((4, 8, 80), 1), ((4, 8, 80), None), ((3, 4, 8, 30), (1, 2)), ((3, 4, 8, 30), (1, 3)),
])
@pytest.mark.parametrize("layout", ["contiguous", "transposed", "sliced"])
@pytest.mark.parametrize("keepdim", [False, True])
def test_sum_mean_large(shape, dim, layout, keepdim):
    x = randn(*shape, seed=2)
    check_op(lambda x: gu.sum(x, dim, keepdim),
             lambda x: x.sum(dim=_tdim(x, dim), keepdim=keepdim), x, layout=layout,
             gradcheck=False, atol=1e-4)
    check_op(lambda x: gu.mean(x, dim, keepdim),
             lambda x: x.mean(dim=_tdim(x, dim), keepdim=keepdim), x, layout=layout,
             gradcheck=False)


def _dof(shape, dim, kw):
    dims = range(len(shape)) if dim is None else [dim] if isinstance(dim, int) else dim
    n = int(np.prod([shape[d] for d in dims]))
    return n - kw.get("correction", 0 if kw.get("unbiased") is False else 1)


VAR_KW = [{}, {"unbiased": False}, {"correction": 0}, {"correction": 2}]
# cases with degrees of freedom left (test_var_std_degenerate covers the others; PyTorch's
# own var backward fails for dim=(), which test_empty_dim_tuple covers)
VAR_CASES = [(shape, dim, keepdim, kw) for shape, dim, keepdim in CASES[3:] for kw in VAR_KW
             if dim != () and _dof(shape, dim, kw) > 0]


@pytest.mark.parametrize("shape, dim, keepdim, kw", VAR_CASES)
def test_var_std(shape, dim, keepdim, kw):
    x = randn(*shape, seed=3)
    check_op(lambda x: gu.var(x, dim, keepdim, **kw),
             lambda x: x.var(dim=_tdim(x, dim), keepdim=keepdim, **kw), x, gradcheck_rtol=1e-3)
    check_op(lambda x: gu.std(x, dim, keepdim, **kw),
             lambda x: x.std(dim=_tdim(x, dim), keepdim=keepdim, **kw), x)


@pytest.mark.parametrize("layout", ["transposed", "sliced"])
def test_var_std_non_contiguous(layout):
    x = randn(3, 4, seed=4)
    check_op(lambda x: x.var(1), lambda x: x.var(1), x, layout=layout)
    check_op(lambda x: x.std(0, keepdim=True, unbiased=False),
             lambda x: x.std(0, keepdim=True, unbiased=False), x, layout=layout)


def test_var_std_degenerate():
    """No degrees of freedom gives nan as in PyTorch; std of constant data has gradient 0."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        check_op(lambda x: x.var(), lambda x: x.var(), randn(1), gradcheck=False)
        check_op(lambda x: x.var(0), lambda x: x.var(0), randn(), gradcheck=False)
        check_op(lambda x: gu.var(x, 1, correction=5), lambda x: x.var(1, correction=5),
                 randn(2, 3), gradcheck=False)
        check_op(lambda x: x.var(1), lambda x: x.var(1), randn(2, 0), gradcheck=False)
    check_op(lambda x: x.std(1), lambda x: x.std(1), np.ones((2, 3)), gradcheck=False)
    check_op(lambda x: x.std(), lambda x: x.std(), np.full(4, 2.5), gradcheck=False)


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("shape", [(), (5,), (3, 4), (2, 3, 4), (1, 1)])
def test_max_min_all(name, shape):
    check_op(lambda x: getattr(gu, name)(x), lambda x: getattr(x, name)(), randn(*shape))


@pytest.mark.parametrize("name", ["max", "min"])
@pytest.mark.parametrize("shape, dim, keepdim", [
    ((), 0, False), ((), -1, True), ((5,), 0, False), ((3, 4), 1, False), ((3, 4), -2, True),
    ((2, 3, 4), 1, True), ((2, 3, 4), -1, False), ((1, 4), 0, False), ((0, 3), 1, False),
])
def test_max_min_dim(name, shape, dim, keepdim):
    def gu_fn(x):
        out = getattr(gu, name)(x, dim, keepdim)
        assert out.values is out[0] and out.indices is out[1]
        return tuple(out)

    check_op(gu_fn, lambda x: tuple(getattr(torch, name)(x, dim, keepdim)), randn(*shape))


@pytest.mark.parametrize("layout", ["transposed", "sliced"])
@pytest.mark.parametrize("dim", [0, 1])
def test_max_dim_non_contiguous(layout, dim):
    check_op(lambda x: tuple(x.max(dim)), lambda x: tuple(x.max(dim)), randn(3, 4, seed=5),
             layout=layout)
    check_op(lambda x: tuple(x.min(dim, keepdim=True)), lambda x: tuple(x.min(dim, keepdim=True)),
             randn(3, 4, seed=5), layout=layout)


def test_max_min_ties():
    """Full reduction: ties share the gradient evenly; along a dim: only the first gets it."""
    x = np.array([[1.0, 5.0, 5.0], [2.0, 5.0, 0.0]])
    check_op(lambda x: x.max(), lambda x: x.max(), x, gradcheck=False)
    check_op(lambda x: (-x).min(), lambda x: (-x).min(), x, gradcheck=False)
    check_op(lambda x: tuple(x.max(1)), lambda x: tuple(x.max(1)), x, gradcheck=False)
    check_op(lambda x: tuple(x.max(0)), lambda x: tuple(x.max(0)), x, gradcheck=False)
    check_op(lambda x: tuple(x.min(1)), lambda x: tuple(x.min(1)), np.zeros((2, 3)),
             gradcheck=False)
    x = gu.tensor([[1.0, 5.0, 5.0]], requires_grad=True)
    x.max().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0.5, 0.5]])


def test_max_nan():
    x = np.array([[1.0, np.nan, 3.0, np.nan], [0.0, 2.0, 1.0, 0.5]])
    check_op(lambda x: x.max(), lambda x: x.max(), x, gradcheck=False)
    check_op(lambda x: tuple(x.max(1)), lambda x: tuple(x.max(1)), x, gradcheck=False)
    check_op(lambda x: tuple(x.min(1)), lambda x: tuple(x.min(1)), x, gradcheck=False)


@pytest.mark.parametrize("name", ["argmax", "argmin"])
@pytest.mark.parametrize("shape, dim, keepdim", [
    ((), None, False), ((), 0, False), ((5,), None, True), ((3, 4), None, False),
    ((3, 4), None, True), ((3, 4), 1, False), ((3, 4), -2, True), ((2, 3, 4), 2, False),
])
def test_argmax_argmin(name, shape, dim, keepdim):
    x = randn(*shape, seed=6)
    got = getattr(gu, name)(gu.tensor(x), dim, keepdim)
    want = getattr(torch, name)(torch.tensor(x), dim=dim, keepdim=keepdim)
    assert got.dtype is np.int64 and not got.requires_grad
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert got.shape == tuple(want.shape)


def test_argmax_ties_and_ints():
    x = np.array([[3, 1, 3], [0, 0, -2]])
    for name in ("argmax", "argmin"):
        for dim in (None, 0, 1):
            got = getattr(gu.tensor(x), name)(dim)
            np.testing.assert_array_equal(got.numpy(), getattr(torch.tensor(x), name)(dim))


@pytest.mark.parametrize("shape, dim, keepdim", [
    ((), None, False), ((), 0, True), ((5,), 0, False), ((3, 4), 1, False), ((3, 4), -2, True),
    ((3, 4), (0, 1), False), ((3, 4), None, True), ((2, 3, 4), (0, 2), False), ((1, 4), 0, True),
])
def test_logsumexp(shape, dim, keepdim):
    check_op(lambda x: gu.logsumexp(x, dim, keepdim),
             lambda x: torch.logsumexp(x, dim=_tdim(x, dim), keepdim=keepdim),
             randn(*shape, seed=7))


def test_logsumexp_extreme_values():
    big = np.array([[1000.0, 999.0, 998.0], [-1000.0, -1001.0, -999.0]])
    check_op(lambda x: x.logsumexp(1), lambda x: x.logsumexp(1), big)
    inf = np.array([[-np.inf, -np.inf], [np.inf, 0.0], [-np.inf, 1.0]])
    check_op(lambda x: x.logsumexp(1), lambda x: x.logsumexp(1), inf, grad=False)
    check_op(lambda x: x.logsumexp(1), lambda x: x.logsumexp(1), inf[2:], gradcheck=False)
    for shape, dim in [((2, 0), 1), ((0, 3), 0)]:  # -inf, as in PyTorch
        check_op(lambda x, d=dim: x.logsumexp(d), lambda x, d=dim: x.logsumexp(d),
                 randn(*shape), grad=False)
        t = gu.zeros(*shape, requires_grad=True)
        t.logsumexp(dim).backward(gu.ones(shape[1 - dim]))
        assert t.grad.shape == shape
    check_op(lambda x: x.logsumexp(1), lambda x: x.logsumexp(1), randn(3, 4), layout="sliced")


def test_aliases():
    x = randn(2, 3, 4, seed=8)
    t = gu.tensor(x)
    for name in ("sum", "mean", "var", "std", "logsumexp"):
        a = getattr(gu, name)(t, axis=(0, 2), keepdims=True).numpy()
        b = getattr(gu, name)(t, dim=(0, 2), keepdim=True).numpy()
        np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(getattr(t, name)(axis=1).numpy(),
                                      getattr(t, name)(1).numpy())
    v, i = t.max(axis=1, keepdims=True)
    assert v.shape == (2, 1, 4) and i.shape == (2, 1, 4)
    assert gu.argmin(t, axis=-1).shape == (2, 3)
    np.testing.assert_allclose(t.sum(axis=0).numpy(), x.sum(axis=0), rtol=1e-6)


@pytest.mark.parametrize("name", ["sum", "mean", "var", "std", "max", "min", "argmax",
                                  "argmin", "logsumexp"])
def test_bad_arguments(name):
    t = gu.tensor(randn(2, 3))
    fn = getattr(gu, name)
    with pytest.raises(TypeError, match="unexpected keyword argument 'dims'"):
        fn(t, dims=1)
    with pytest.raises(TypeError, match="both dim"):
        fn(t, 1, axis=1)
    with pytest.raises(IndexError, match=f"{name}.*out of range"):
        fn(t, 2)
    with pytest.raises(IndexError, match="out of range"):
        fn(t, -3)
    if name in ("max", "min", "argmax", "argmin"):
        with pytest.raises(TypeError, match="dim must be an int"):
            fn(t, (0, 1))
    else:
        with pytest.raises(ValueError, match="more than once"):
            fn(t, (1, -1))
        with pytest.raises(TypeError, match="dim must be"):
            fn(t, "1")


def test_empty_max_errors():
    e = gu.zeros(2, 0)
    for fn in (gu.max, gu.min, gu.argmax, gu.argmin):
        with pytest.raises(RuntimeError, match="empty"):
            fn(e)
        with pytest.raises(IndexError, match="dimension 1 .* is empty"):
            fn(e, 1)
    assert gu.max(e, 0).values.shape == (0,)


def test_integer_inputs():
    x = np.array([[1, 2, 3], [4, 5, 6]], dtype=np.int32)
    s = gu.sum(gu.tensor(x), 1)
    assert s.dtype is np.int64
    np.testing.assert_array_equal(s.numpy(), [6, 15])
    b = gu.tensor(np.array([True, False, True]))
    assert gu.sum(b).dtype is np.int64 and gu.sum(b).item() == 2
    m = gu.mean(gu.tensor(x))
    assert m.dtype is np.float32 and m.item() == 3.5
    assert gu.var(gu.tensor(x), 1).dtype is np.float32
    assert gu.logsumexp(gu.tensor(x), 1).dtype is np.float32
    v, i = gu.tensor(x).max(0)
    assert v.dtype is np.int32 and i.dtype is np.int64
    assert gu.tensor(x).max().item() == 6


def test_dtypes_preserved():
    """float32 in -> float32 out (values and gradients); float64 stays float64."""
    fns = [
        lambda t: t.sum(), lambda t: t.sum(1), lambda t: t.mean(), lambda t: t.mean(0),
        lambda t: t.var(), lambda t: t.var(1), lambda t: t.std(0), lambda t: t.max(),
        lambda t: t.max(1).values, lambda t: t.min(0).values, lambda t: t.min(),
        lambda t: t.logsumexp(1), lambda t: t.logsumexp(),
        lambda t: gu.mean(gu.zeros(64, 40, dtype=t.dtype) + t.sum(), 1),
    ]
    for dtype in (np.float32, np.float64):
        for fn in fns:
            t = gu.tensor(randn(3, 4), dtype=dtype, requires_grad=True)
            y = fn(t)
            assert y.dtype is dtype
            y.sum().backward()
            assert t.grad.dtype is dtype


def test_backward_leaves_dy_and_grads_writeable():
    """Backward never writes into dy; a leaf's grad from a broadcast view is its own array."""
    fns = [lambda t: t.sum(1), lambda t: t.mean(0), lambda t: t.var(1), lambda t: t.std(0),
           lambda t: t.max(1).values, lambda t: t.logsumexp(1), lambda t: t.sum(0, keepdim=True)]
    for fn in fns:
        t = gu.tensor(randn(3, 4), requires_grad=True)
        y = fn(t)
        g = np.random.default_rng(0).standard_normal(y.shape).astype(np.float32)
        g0 = g.copy()
        y.backward(g)
        np.testing.assert_array_equal(g, g0)
        assert t.grad.array.flags.writeable
        t.grad.array += 1


def test_empty_dim_tuple():
    """As in PyTorch, dim=() (or []) reduces every dimension."""
    t = gu.tensor(randn(2, 3))
    for name in ("sum", "mean", "var", "std", "logsumexp"):
        fn = getattr(gu, name)
        np.testing.assert_array_equal(fn(t, ()).numpy(), fn(t).numpy())
        np.testing.assert_array_equal(fn(t, [], keepdim=True).numpy(), fn(t, keepdim=True).numpy())


def test_keepdim_none_shapes():
    t = gu.tensor(randn(2, 3))
    assert gu.sum(t, keepdim=True).shape == (1, 1)
    assert gu.max(t, keepdim=True).shape == (1, 1)
    assert gu.argmax(t, keepdim=True).shape == (1, 1)
    assert gu.max(t).shape == ()
    assert gu.sum(gu.tensor(2.0), 0).shape == ()
