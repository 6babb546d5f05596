"""matmul, linear, outer, bmm, bilinear vs PyTorch (float32, float64) and finite differences."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu
from groundup.ops.linalg import LinearFn, MatmulFn

torch = require_torch()
F = torch.nn.functional


def data(*shape, seed=0):
    return np.asarray(np.random.default_rng(seed).standard_normal(shape))


# every rank combination of torch.matmul, broadcast batch dims, size-1 and empty dims
MATMUL_SHAPES = [
    ((3,), (3,)),                  # dot -> 0-d
    ((3,), (3, 4)),                # vector @ matrix
    ((2, 3), (3,)),                # matrix @ vector
    ((2, 3), (3, 4)),
    ((1, 1), (1, 1)),
    ((2, 2, 3), (3,)),             # batch @ vector
    ((3,), (2, 3, 4)),             # vector @ batch
    ((2, 2, 3), (3, 4)),           # batch @ matrix (one GEMM)
    ((2, 3), (2, 3, 4)),           # matrix @ batch
    ((2, 2, 3), (2, 3, 4)),        # batch @ batch
    ((2, 1, 2, 3), (3, 3, 2)),     # broadcast batch dims of different rank
    ((1, 2, 3), (2, 3, 2)),        # size-1 batch dim
    ((2, 1, 2, 3), (1, 2, 3, 2)),  # both broadcast
    ((2, 2, 2, 3), (3,)),          # 4-D @ vector
    ((3,), (2, 2, 3, 2)),          # vector @ 4-D
    ((0, 3), (3, 4)),              # empty rows
    ((2, 0), (0, 4)),              # empty inner dim: zeros
    ((2, 3), (3, 0)),
    ((0,), (0,)),
    ((2, 0, 3), (3, 2)),
]


@pytest.mark.parametrize("sa,sb", MATMUL_SHAPES, ids=[f"{a}@{b}" for a, b in MATMUL_SHAPES])
def test_matmul(sa, sb):
    check_op(gu.matmul, torch.matmul, data(*sa, seed=1), data(*sb, seed=2))


@pytest.mark.parametrize("sa,sb", [((4, 3), (3, 5)), ((2, 4, 3), (3, 5)), ((4, 3), (2, 3, 5)),
                                   ((2, 4, 3), (2, 3, 5)), ((3, 4), (4,)), ((4,), (4, 3))],
                         ids=str)
@pytest.mark.parametrize("layout", ["transposed", "sliced"])
def test_matmul_non_contiguous(sa, sb, layout):
    check_op(gu.matmul, torch.matmul, data(*sa, seed=3), data(*sb, seed=4), layout=layout,
             gradcheck=False)


def test_matmul_operator_and_method():
    a, b = data(2, 3, seed=5), data(3, 4, seed=6)
    check_op(lambda x, y: x @ y, lambda x, y: x @ y, a, b, gradcheck=False)
    check_op(lambda x, y: x.matmul(y), lambda x, y: x.matmul(y), a, b, gradcheck=False)
    # a NumPy array on either side
    g = gu.tensor(a, dtype=gu.float64)
    np.testing.assert_allclose((g @ b).numpy(), a @ b, rtol=1e-12)
    np.testing.assert_allclose((a.T @ g).numpy(), a.T @ a, rtol=1e-12)


def test_matmul_gradient_of_one_operand():
    # the engine asks for one gradient only; the other is not computed
    a = gu.tensor(data(2, 4, 3, seed=7), requires_grad=True)
    b = gu.tensor(data(3, 5, seed=8))
    y = gu.matmul(a, b)
    assert isinstance(y.grad_fn, MatmulFn)
    da, db = y.grad_fn.backward(np.ones(y.shape, np.float32))
    assert db is None and da.shape == a.shape
    y.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), np.ones((2, 4, 5)) @ b.numpy().T, rtol=1e-6)


def test_matmul_batch_over_matrix_is_one_gemm_result():
    # the (batch * n, k) GEMM route equals the per-matrix products
    a, b = data(3, 5, 4, seed=9), data(4, 2, seed=10)
    y = gu.matmul(gu.tensor(a, dtype=gu.float64), gu.tensor(b, dtype=gu.float64))
    np.testing.assert_allclose(y.numpy(), np.einsum("bnk,km->bnm", a, b), rtol=1e-12)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_matmul_dtypes(dt):
    a = gu.tensor(data(2, 3), dtype=dt, requires_grad=True)
    b = gu.tensor(data(3, 2), dtype=dt, requires_grad=True)
    y = a @ b
    assert y.dtype == dt
    y.sum().backward()
    assert a.grad.dtype == dt and b.grad.dtype == dt
    d = gu.matmul(gu.tensor(data(3), dtype=dt), gu.tensor(data(3), dtype=dt))
    assert d.shape == () and d.dtype == dt


def test_matmul_integers():
    a = np.arange(6).reshape(2, 3)
    b = np.arange(12).reshape(3, 4)
    y = gu.matmul(gu.tensor(a), gu.tensor(b))
    assert y.dtype == gu.int64
    np.testing.assert_array_equal(y.numpy(), a @ b)
    # int @ float promotes the integer side
    z = gu.matmul(gu.tensor(a), gu.tensor(b.astype(np.float32)))
    assert z.dtype == gu.float32


@pytest.mark.parametrize("sa,sb,msg", [
    ((2, 3), (4, 5), r"matmul: shapes \(2, 3\) and \(4, 5\) are not aligned: 3 != 4"),
    ((3,), (4,), r"matmul: shapes \(3,\) and \(4,\) are not aligned: 3 != 4"),
    ((2, 3), (2,), r"matmul: shapes \(2, 3\) and \(2,\) are not aligned: 3 != 2"),
    ((2, 2, 3), (3, 3, 4), r"matmul: shapes \(2, 2, 3\) and \(3, 3, 4\) have batch dimensions"),
    ((), (3,), r"matmul: both arguments must be at least 1-D"),
])
def test_matmul_errors(sa, sb, msg):
    with pytest.raises(ValueError, match=msg):
        gu.matmul(gu.tensor(np.zeros(sa)), gu.tensor(np.zeros(sb)))


# ---------------------------------------------------------------- linear

LINEAR_SHAPES = [((4, 3), 5), ((2, 4, 3), 5), ((2, 2, 2, 3), 2), ((3,), 4), ((1, 1), 1),
                 ((0, 3), 2), ((4, 3), 0)]


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("sx,out", LINEAR_SHAPES, ids=str)
def test_linear(sx, out, bias):
    x, w = data(*sx, seed=11), data(out, sx[-1], seed=12)
    if bias:
        check_op(gu.linear, F.linear, x, w, data(out, seed=13))
    else:
        check_op(gu.linear, F.linear, x, w)
        check_op(lambda a, b: gu.linear(a, b, None), lambda a, b: F.linear(a, b, None), x, w,
                 gradcheck=False)


@pytest.mark.parametrize("layout", ["transposed", "sliced"])
def test_linear_non_contiguous(layout):
    check_op(gu.linear, F.linear, data(5, 4, seed=14), data(3, 4, seed=15), data(3, seed=16),
             layout=layout, gradcheck=False)
    check_op(gu.linear, F.linear, data(2, 5, 4, seed=14), data(3, 4, seed=15), data(3, seed=16),
             layout=layout, gradcheck=False)


def test_linear_matches_composition():
    x, w, b = data(6, 4, seed=17), data(3, 4, seed=18), data(3, seed=19)
    ops = [gu.tensor(v, dtype=gu.float64, requires_grad=True) for v in (x, w, b)]
    ref = [gu.tensor(v, dtype=gu.float64, requires_grad=True) for v in (x, w, b)]
    gu.linear(*ops).sum().backward()
    (ref[0] @ ref[1].T + ref[2]).sum().backward()
    for g, r in zip(ops, ref, strict=True):
        np.testing.assert_allclose(g.grad.numpy(), r.grad.numpy(), rtol=1e-12)


def test_linear_computes_only_needed_gradients():
    x = gu.tensor(data(4, 3))  # data: no gradient
    w = gu.tensor(data(2, 3), requires_grad=True)
    b = gu.tensor(data(2), requires_grad=True)
    y = gu.linear(x, w, b)
    assert isinstance(y.grad_fn, LinearFn)
    dx, dw, db = y.grad_fn.backward(np.ones((4, 2), np.float32))
    assert dx is None and dw.shape == (2, 3) and db.shape == (2,)
    y = gu.linear(x, w, gu.tensor(data(2)))
    dx, dw, db = y.grad_fn.backward(np.ones((4, 2), np.float32))
    assert dx is None and db is None and dw is not None
    # only the input: the weights are frozen
    xg = gu.tensor(data(4, 3), requires_grad=True)
    y = gu.linear(xg, gu.tensor(data(2, 3)))
    dx, dw = y.grad_fn.backward(np.ones((4, 2), np.float32))
    assert dw is None and dx.shape == (4, 3)


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_linear_dtypes(dt):
    x = gu.tensor(data(4, 3), dtype=dt, requires_grad=True)
    w = gu.tensor(data(2, 3), dtype=dt, requires_grad=True)
    b = gu.tensor(data(2), dtype=dt, requires_grad=True)
    y = gu.linear(x, w, b)
    assert y.dtype == dt
    y.sum().backward()
    assert x.grad.dtype == w.grad.dtype == b.grad.dtype == dt


def test_linear_errors():
    x = gu.tensor(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"linear: input of shape \(4, 3\) has 3 features in its "
                                         r"last dimension, but weight of shape \(2, 5\) expects "
                                         r"in_features=5"):
        gu.linear(x, gu.tensor(np.zeros((2, 5))))
    with pytest.raises(ValueError, match=r"linear: weight must be 2-D"):
        gu.linear(x, gu.tensor(np.zeros(3)))
    with pytest.raises(ValueError, match=r"linear: bias must have shape \(2,\).*got \(3,\)"):
        gu.linear(x, gu.tensor(np.zeros((2, 3))), gu.tensor(np.zeros(3)))
    with pytest.raises(ValueError, match=r"linear: input of shape \(\)"):
        gu.linear(gu.tensor(1.0), gu.tensor(np.zeros((2, 1))))


# ---------------------------------------------------------- outer, bmm


@pytest.mark.parametrize("n,m", [(3, 4), (1, 1), (0, 2)], ids=str)
def test_outer(n, m):
    check_op(gu.outer, torch.outer, data(n, seed=20), data(m, seed=21))


def test_outer_errors():
    with pytest.raises(ValueError, match=r"outer: expected two 1-D tensors, got shapes \(2, 2\)"):
        gu.outer(gu.tensor(np.zeros((2, 2))), gu.tensor(np.zeros(2)))


@pytest.mark.parametrize("sa,sb", [((2, 3, 4), (2, 4, 5)), ((1, 1, 1), (1, 1, 1)),
                                   ((3, 2, 0), (3, 0, 2)), ((0, 2, 3), (0, 3, 4))], ids=str)
def test_bmm(sa, sb):
    check_op(gu.bmm, torch.bmm, data(*sa, seed=22), data(*sb, seed=23))


def test_bmm_non_contiguous():
    check_op(gu.bmm, torch.bmm, data(2, 3, 4, seed=24), data(2, 4, 5, seed=25),
             layout="transposed", gradcheck=False)


@pytest.mark.parametrize("sa,sb,msg", [
    ((2, 3), (2, 3, 4), r"bmm: expected two 3-D tensors, got shapes \(2, 3\) and \(2, 3, 4\)"),
    ((2, 3, 4), (3, 4, 5), r"bmm: shapes \(2, 3, 4\) and \(3, 4, 5\) have different batch"),
    ((2, 3, 4), (2, 5, 6), r"bmm: shapes \(2, 3, 4\) and \(2, 5, 6\) are not aligned: 4 != 5"),
])
def test_bmm_errors(sa, sb, msg):
    with pytest.raises(ValueError, match=msg):
        gu.bmm(gu.tensor(np.zeros(sa)), gu.tensor(np.zeros(sb)))


# ------------------------------------------------------------------- bilinear
@pytest.mark.parametrize("lead", [(4,), (2, 3), (1,)])
@pytest.mark.parametrize("bias", [True, False])
def test_bilinear_matches_torch(lead, bias):
    x1, x2, w = randn(*lead, 3, seed=1), randn(*lead, 2, seed=2), randn(5, 3, 2, seed=3)
    extra = [randn(5, seed=4)] if bias else []
    check_op(gu.ops.bilinear, F.bilinear, x1, x2, w, *extra)


def test_bilinear_errors():
    w = gu.randn(5, 3, 2)
    with pytest.raises(ValueError, match=r"\(\.\.\., 3\) and \(\.\.\., 2\).*\(4, 3\) and \(4, 3\)"):
        gu.ops.bilinear(gu.randn(4, 3), gu.randn(4, 3), w)
    with pytest.raises(ValueError, match="3-D"):
        gu.ops.bilinear(gu.randn(4, 3), gu.randn(4, 2), gu.randn(3, 2))
    with pytest.raises(ValueError, match=r"bias of shape \(5,\)"):
        gu.ops.bilinear(gu.randn(4, 3), gu.randn(4, 2), w, gu.randn(4))


def test_linear_output_is_c_contiguous():
    """Layer outputs are row-major: element-wise ops after them need no layout branches."""
    y = gu.nn.Linear(8, 16)(gu.randn(4, 8))
    assert y.array.flags.c_contiguous
    x = gu.randn(8, 4).T  # a column-major input
    assert gu.nn.Linear(8, 16)(x).array.flags.c_contiguous


def test_linear_weight_gradient_in_blocks_of_rows_calls_the_sink_per_block():
    from groundup.ops.linalg import set_weight_grad_sink

    rng = np.random.default_rng(0)
    x = gu.tensor(rng.standard_normal((6, 4)))
    w = gu.tensor(rng.standard_normal((5, 4)), requires_grad=True)
    F = gu.nn.functional
    F.linear(x, w).sum().backward()
    whole = w.grad.numpy().copy()
    w.grad = None
    seen = []
    set_weight_grad_sink(w, lambda lo, hi, block: seen.append((lo, hi, block.copy())), 2)
    try:
        F.linear(x, w).sum().backward()
    finally:
        set_weight_grad_sink(w, None, 0)
    assert [(lo, hi) for lo, hi, _ in seen] == [(0, 2), (2, 4), (4, 5)]
    assert np.allclose(w.grad.numpy(), whole, rtol=1e-12, atol=1e-12)
    for lo, hi, block in seen:
        assert np.array_equal(block, w.grad.numpy()[lo:hi])
