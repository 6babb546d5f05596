"""Fused normalisation primitives (ops/normalization.py) against PyTorch, finite differences and
the same maths composed from smaller groundup ops."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu

torch = require_torch()
TF = torch.nn.functional


def _like(a, x):
    """A constant array as a tensor of x's dtype (gu or torch)."""
    if isinstance(x, gu.Tensor):
        return gu.tensor(a, dtype=x.dtype)
    return torch.tensor(a, dtype=x.dtype)


# ---------------------------------------------------------------- layer_norm
LN_CASES = [
    ((4, 5), (5,), True, True),
    ((2, 3, 4), (3, 4), True, True),
    ((2, 3, 4), (4,), False, False),
    ((3, 6), (6,), True, False),
    ((3, 6), (6,), False, True),
    ((1, 7), (7,), True, True),
    ((5,), (5,), True, True),
]


@pytest.mark.parametrize("shape,ns,has_w,has_b", LN_CASES)
def test_layer_norm_matches_torch(shape, ns, has_w, has_b):
    x = randn(*shape, seed=1)
    extra = []
    if has_w:
        extra.append(randn(*ns, seed=2))
    if has_b:
        extra.append(randn(*ns, seed=3))

    def make(fn):
        def f(x, *p):
            w = p[0] if has_w else None
            b = p[-1] if has_b else None
            return fn(x, ns, w, b, 1e-5)
        return f

    check_op(make(gu.layer_norm), make(TF.layer_norm), x, *extra)


def test_layer_norm_non_contiguous_input():
    check_op(lambda x, w, b: gu.layer_norm(x, 4, w, b),
             lambda x, w, b: TF.layer_norm(x, (4,), w, b),
             randn(3, 4), randn(4, seed=1), randn(4, seed=2), layout="transposed")


def test_layer_norm_int_normalized_shape_and_eps():
    x = randn(3, 8)
    got = gu.layer_norm(gu.tensor(x), 8, eps=0.1).numpy()
    want = TF.layer_norm(torch.tensor(x, dtype=torch.float32), (8,), eps=0.1).numpy()
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def _composed_layer_norm(x, ns, w, b, eps=1e-5):
    dims = tuple(range(x.ndim - len(ns), x.ndim))
    mu = x.mean(dims, keepdim=True)
    xc = x - mu
    var = (xc * xc).mean(dims, keepdim=True)
    return xc / (var + eps).sqrt() * w + b


def _fused_vs_composed(fused, composed, arrays):
    outs = []
    for fn in (fused, composed):
        ts = [gu.tensor(a, dtype=gu.float64, requires_grad=True) for a in arrays]
        y = fn(*ts)
        w = gu.tensor(np.random.default_rng(5).standard_normal(y.shape), dtype=gu.float64)
        (y * w).sum().backward()
        outs.append([y.numpy()] + [t.grad.numpy() for t in ts])
    for a, b in zip(*outs, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)


def test_layer_norm_fused_equals_composed():
    _fused_vs_composed(lambda x, w, b: gu.layer_norm(x, (3, 4), w, b),
                       lambda x, w, b: _composed_layer_norm(x, (3, 4), w, b),
                       [randn(2, 3, 4), randn(3, 4, seed=1), randn(3, 4, seed=2)])


def test_layer_norm_errors():
    x = gu.randn(2, 5)
    with pytest.raises(ValueError, match=r"layer_norm.*\(\.\.\., 4\).*\(2, 5\)"):
        gu.layer_norm(x, 4)
    with pytest.raises(ValueError, match="weight of shape"):
        gu.layer_norm(x, 5, weight=gu.ones(4))
    with pytest.raises(TypeError, match="dtype"):
        gu.layer_norm(x, 5, weight=gu.ones(5, dtype=gu.float64))
    with pytest.raises(TypeError, match="floating-point"):
        gu.layer_norm(gu.tensor([[1, 2]]), 2)


NORMS = [
    lambda x, w, b: gu.layer_norm(x, 4, w, b),
    lambda x, w, b: gu.batch_norm(x, None, None, w, b, training=True),
    lambda x, w, b: gu.batch_norm(x, gu.zeros(4), gu.ones(4), w, b, training=False),
    lambda x, w, b: gu.group_norm(x, 2, w, b),
]


@pytest.mark.parametrize("fn", NORMS)
def test_only_needed_gradients(fn):
    x = gu.randn(3, 4, requires_grad=True)
    w, b = gu.ones(4), gu.zeros(4)  # constants: no gradient wanted
    fn(x, w, b).sum().backward()
    assert x.grad is not None and w.grad is None and b.grad is None
    x = gu.randn(3, 4)
    w, b = gu.ones(4, requires_grad=True), gu.zeros(4, requires_grad=True)
    (fn(x, w, b) * gu.randn(3, 4)).sum().backward()
    assert x.grad is None and w.grad is not None and b.grad is not None


# ---------------------------------------------------------------- batch_norm
BN_SHAPES = [(8, 3), (4, 3, 5), (3, 3, 2, 2), (2, 3, 1, 2, 2)]


@pytest.mark.parametrize("shape", BN_SHAPES)
@pytest.mark.parametrize("affine", [True, False])
def test_batch_norm_training_matches_torch(shape, affine):
    x = randn(*shape, seed=4)
    extra = [randn(3, seed=5), randn(3, seed=6)] if affine else []

    def make(fn):
        def f(x, *p):
            w, b = (p[0], p[1]) if affine else (None, None)
            return fn(x, None, None, w, b, True, 0.1, 1e-5)
        return f

    check_op(make(gu.batch_norm), make(TF.batch_norm), x, *extra)


@pytest.mark.parametrize("shape", BN_SHAPES)
def test_batch_norm_eval_matches_torch(shape):
    rm, rv = randn(3, seed=7), np.abs(randn(3, seed=8)) + 0.5

    def make(fn):
        return lambda x, w, b: fn(x, _like(rm, x), _like(rv, x), w, b, False, 0.1, 1e-5)

    check_op(make(gu.batch_norm), make(TF.batch_norm), randn(*shape), randn(3, seed=1),
             randn(3, seed=2))


def test_batch_norm_eval_without_affine():
    rm, rv = randn(4, seed=7), np.abs(randn(4, seed=8)) + 0.5

    def make(fn):
        return lambda x: fn(x, _like(rm, x), _like(rv, x), None, None, False)

    check_op(make(gu.batch_norm), make(TF.batch_norm), randn(5, 4))


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4)])
@pytest.mark.parametrize("momentum", [0.1, 0.5])
def test_batch_norm_running_stats(shape, momentum):
    g_rm, g_rv = gu.zeros(3), gu.ones(3)
    t_rm, t_rv = torch.zeros(3), torch.ones(3)
    for step in range(3):
        x = (randn(*shape, seed=step) * 2 + 1).astype(np.float32)
        gu.batch_norm(gu.tensor(x), g_rm, g_rv, training=True, momentum=momentum)
        TF.batch_norm(torch.tensor(x), t_rm, t_rv, training=True, momentum=momentum)
        np.testing.assert_allclose(g_rm.numpy(), t_rm.numpy(), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(g_rv.numpy(), t_rv.numpy(), rtol=1e-5, atol=1e-6)
    assert g_rm.dtype == gu.float32 and g_rv.dtype == gu.float32


@pytest.mark.parametrize("layout", ["transposed", "sliced"])
def test_norms_on_non_contiguous_inputs(layout):
    w, b = randn(4, seed=1), randn(4, seed=2)
    check_op(lambda x, w, b: gu.batch_norm(x, None, None, w, b, True),
             lambda x, w, b: TF.batch_norm(x, None, None, w, b, True),
             randn(3, 4, 2, seed=3), w, b, layout=layout)
    check_op(lambda x, w, b: gu.group_norm(x, 2, w, b),
             lambda x, w, b: TF.group_norm(x, 2, w, b),
             randn(3, 4, 3, seed=4), w, b, layout=layout)


def test_batch_norm_running_var_is_unbiased():
    x = randn(5, 2)
    rm, rv = gu.zeros(2, dtype=gu.float64), gu.zeros(2, dtype=gu.float64)
    gu.batch_norm(gu.tensor(x, dtype=gu.float64), rm, rv, training=True, momentum=1.0)
    np.testing.assert_allclose(rv.numpy(), x.var(0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(rm.numpy(), x.mean(0), rtol=1e-12)


def _composed_batch_norm(x, w, b, eps=1e-5):
    dims = (0,) + tuple(range(2, x.ndim))
    shape = (1, -1) + (1,) * (x.ndim - 2)
    mu = x.mean(dims, keepdim=True)
    xc = x - mu
    var = (xc * xc).mean(dims, keepdim=True)
    return xc / (var + eps).sqrt() * w.reshape(shape) + b.reshape(shape)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 2, 2)])
def test_batch_norm_fused_equals_composed(shape):
    _fused_vs_composed(lambda x, w, b: gu.batch_norm(x, None, None, w, b, training=True),
                       _composed_batch_norm, [randn(*shape), randn(3, seed=1), randn(3, seed=2)])


def test_batch_norm_errors():
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        gu.batch_norm(gu.randn(1, 3), None, None, training=True)
    with pytest.raises(ValueError, match=r"running_mean of shape \(3,\)"):
        gu.batch_norm(gu.randn(4, 3), gu.zeros(4), gu.ones(3))
    with pytest.raises(ValueError, match="training=False needs"):
        gu.batch_norm(gu.randn(4, 3), None, None, training=False)
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        gu.batch_norm(gu.randn(4), None, None, training=True)
    with pytest.raises(ValueError, match=r"weight of shape \(3,\)"):
        gu.batch_norm(gu.randn(4, 3), None, None, gu.ones(2), training=True)


# ---------------------------------------------------------------- group_norm
GN_CASES = [((2, 6, 3), 3, True), ((2, 4, 2, 2), 2, True), ((3, 4), 2, True),
            ((2, 6, 3), 1, False), ((2, 6, 2, 2), 6, True)]


@pytest.mark.parametrize("shape,groups,affine", GN_CASES)
def test_group_norm_matches_torch(shape, groups, affine):
    C = shape[1]
    extra = [randn(C, seed=1), randn(C, seed=2)] if affine else []

    def make(fn):
        def f(x, *p):
            w, b = (p[0], p[1]) if affine else (None, None)
            return fn(x, groups, w, b, 1e-5)
        return f

    check_op(make(gu.group_norm), make(TF.group_norm), randn(*shape, seed=3), *extra)


def _composed_group_norm(x, G, w, b, eps=1e-5):
    N, C = x.shape[:2]
    g = x.reshape(N, G, -1)
    mu = g.mean(-1, keepdim=True)
    gc = g - mu
    var = (gc * gc).mean(-1, keepdim=True)
    xhat = (gc / (var + eps).sqrt()).reshape(x.shape)
    shape = (1, C) + (1,) * (x.ndim - 2)
    return xhat * w.reshape(shape) + b.reshape(shape)


def test_group_norm_fused_equals_composed():
    _fused_vs_composed(lambda x, w, b: gu.group_norm(x, 2, w, b),
                       lambda x, w, b: _composed_group_norm(x, 2, w, b),
                       [randn(2, 4, 3, 2), randn(4, seed=1), randn(4, seed=2)])


def test_group_norm_errors():
    with pytest.raises(ValueError, match="dividing the number of channels 6"):
        gu.group_norm(gu.randn(2, 6, 3), 4)
    with pytest.raises(ValueError, match=r"weight of shape \(6,\)"):
        gu.group_norm(gu.randn(2, 6, 3), 3, gu.ones(3))


@pytest.mark.parametrize("fn", [
    lambda x: gu.layer_norm(x, 4, gu.ones(4, dtype=x.dtype), gu.zeros(4, dtype=x.dtype)),
    lambda x: gu.batch_norm(x, None, None, gu.ones(4, dtype=x.dtype), training=True),
    lambda x: gu.group_norm(x, 2, gu.ones(4, dtype=x.dtype)),
])
@pytest.mark.parametrize("dtype", [gu.float32, gu.float64])
def test_dtype_is_kept(fn, dtype):
    x = gu.randn(3, 4, dtype=dtype, requires_grad=True)
    y = fn(x)
    assert y.dtype == dtype
    y.backward(gu.ones_like(y))
    assert x.grad.dtype == dtype
