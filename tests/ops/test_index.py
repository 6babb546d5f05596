"""Indexing primitives (ops/index.py) against PyTorch: getitem, masked_fill, one_hot, gather,
index_select, masked_select."""

import numpy as np
import pytest
from helpers import check_op, mask, randn, require_torch

import groundup as gu

torch = require_torch()
F = torch.nn.functional
LAYOUTS = ["contiguous", "transposed", "sliced"]


BASIC_INDICES = [
    1, -1, slice(1, None, 2), slice(0, 3),
    (slice(None), 1), (None, Ellipsis), (Ellipsis, 0), (1, slice(None), None, -1),
    (slice(None, None, 2), slice(1, 3), slice(None, None, 3)), (), Ellipsis, (0, 1, 2),
    (slice(5, 9),),
]


@pytest.mark.parametrize("index", BASIC_INDICES)
@pytest.mark.parametrize("layout", ["contiguous", "sliced"])
def test_getitem_basic(index, layout):
    check_op(lambda x: x[index], lambda x: x[index], randn(3, 4, 5), layout=layout)


# index arrays are passed as inputs, so both sides see integer / bool tensors
ADVANCED = [
    # (x shape, index arrays, how to combine them)
    ((5,), [np.array([0, 0, 2, 4, 0])], lambda x, i: x[i]),
    ((5, 3), [np.array([[0, 4], [4, 4]])], lambda x, i: x[i]),  # embedding-style repeats
    ((5, 3), [np.array([-1, 4, 0])], lambda x, i: x[i]),  # -1 and 4 are the same row
    ((4, 3), [np.array([0, 1, 1, 3]), np.array([2, 2, 2, 0])], lambda x, i, j: x[i, j]),
    ((4, 3), [np.arange(4), np.array([2, 0, 1, 1])], lambda x, i, j: x[i, j]),
    ((3, 4, 2), [np.array([1, 1]), np.array([[0], [3]])], lambda x, i, j: x[i, j]),
    ((3, 4, 2), [np.array([2, 0, 2])], lambda x, i: x[i, ...]),
    ((3, 4, 2), [np.array([2, 0, 2])], lambda x, i: x[i, :, :]),
    ((3, 4), [np.array([1, 1, 0])], lambda x, i: x[:, i]),
    ((3, 4, 2), [np.array([1, 1, 0])], lambda x, i: x[1:, i, :1]),
    ((3, 4, 2), [np.array([1, 1]), np.array([0, 1])], lambda x, i, j: x[i, :, j]),
    ((3, 4), [np.array([True, False, True])], lambda x, m: x[m]),
    ((3, 4), [np.array([True, False, True, True])], lambda x, m: x[:, m]),
    ((2, 3), [np.array([[True, False, True], [False, False, True]])], lambda x, m: x[m]),
    ((3, 4), [np.array([True, False, True]), np.array([1, 1])], lambda x, m, i: x[m, i]),
    ((3, 4), [np.array([2, 2])], lambda x, i: x[i, 1]),
    ((5,), [np.array(3)], lambda x, i: x[i]),
    ((5,), [np.zeros(0, np.int64)], lambda x, i: x[i]),
]


@pytest.mark.parametrize("shape, arrays, fn", ADVANCED)
def test_getitem_advanced(shape, arrays, fn):
    check_op(fn, fn, randn(*shape, seed=2), *arrays)


@pytest.mark.parametrize("layout", ["transposed", "sliced"])
def test_getitem_advanced_layouts(layout):
    i = np.array([0, 2, 2, 1])
    check_op(lambda x, i: x[i], lambda x, i: x[i], randn(3, 4), i, layout=layout)
    check_op(lambda x, i: x[i, i[:4] % 3], lambda x, i: x[i, i[:4] % 3], randn(3, 4), i,
             layout=layout)


def test_getitem_negative_steps():
    """PyTorch has no negative slice steps; NumPy's meaning, checked by gradcheck."""
    x = randn(3, 4, seed=3)
    y = gu.tensor(x)[::-1, 1::-2]
    np.testing.assert_array_equal(y.numpy(), x.astype(np.float32)[::-1, 1::-2])
    gu.gradcheck(lambda t: t[::-1, 1::-2], [x])


def test_getitem_lists_and_arrays():
    x = randn(4, 3, seed=3)
    for gu_index, th_index in [
        ([2, 0, 2], [2, 0, 2]),
        (np.array([1, 1]), torch.tensor([1, 1])),
        (([0, 3], [1, 1]), ([0, 3], [1, 1])),
        ((slice(None), [True, False, True]), (slice(None), torch.tensor([True, False, True]))),
        (np.array([True, False, False, True]), torch.tensor([True, False, False, True])),
        ([], torch.tensor([], dtype=torch.int64)),
        (range(1, 4), torch.arange(1, 4)),
        (True, True),
    ]:
        check_op(lambda x, g=gu_index: x[g], lambda x, t=th_index: x[t], x)


def test_getitem_repeated_indices_accumulate():
    x = gu.tensor(np.zeros(3), requires_grad=True)
    y = x[gu.tensor([0, 0, 2, 0])]
    y.backward(gu.tensor([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(x.grad.numpy(), [7, 0, 3])
    x = gu.tensor(np.zeros((2, 3)), requires_grad=True)
    x[[1, 1, 0], [2, 2, -1]].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 1], [0, 0, 2]])


def test_getitem_errors():
    t = gu.tensor(randn(2, 3))
    with pytest.raises(IndexError, match=r"getitem: .*out of bounds.*shape \(2, 3\)"):
        t[5]
    with pytest.raises(IndexError, match="getitem"):
        t[gu.tensor([0, 7])]
    with pytest.raises(IndexError, match="integer or bool, got dtype float32"):
        t[gu.tensor([0.0])]
    with pytest.raises(IndexError, match="unsupported index"):
        t["a"]
    with pytest.raises(IndexError, match="getitem"):
        t[0, 0, 0]


# ----------------------------------------------------------- join / split
@pytest.mark.parametrize("shape, mask, value", [
    ((2, 3), np.array([True, False, True]), 2.5),
    ((2, 3), np.array([[True, False, True], [False, False, True]]), -1.0),
    ((2, 3), np.ones((2, 2, 3), bool), 0.0),
    ((3,), np.array([[True, False, False], [False, True, True]]), 7.0),
    ((2, 3), np.array(True), 1.0), ((), np.array(False), 3.0),
    ((2, 3), np.array([[True], [False]]), -np.inf),
])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_masked_fill(shape, mask, value, layout):
    check_op(lambda x, m: gu.masked_fill(x, m, value), lambda x, m: x.masked_fill(m, value),
             randn(*shape, seed=6), mask, layout=layout, grad=bool(np.isfinite(value)))


def test_masked_fill_value_tensor_and_specials():
    m = np.array([[True, False, True], [False, False, True]])
    check_op(lambda x, v, m: x.masked_fill(m, v), lambda x, v, m: x.masked_fill(m, v),
             randn(2, 3), randn(), m)
    x = np.array([np.inf, -np.inf, np.nan, 1.0])
    mm = np.array([False, False, False, True])
    for v in (np.nan, np.inf, -0.0):
        got = gu.masked_fill(gu.tensor(x), gu.tensor(mm), v).numpy()
        np.testing.assert_array_equal(got, np.where(mm, np.float32(v), x.astype(np.float32)))
    ints = gu.tensor(np.arange(4)).masked_fill(gu.tensor(mm), 9)
    assert ints.dtype is np.int64 and ints.tolist() == [0, 1, 2, 9]
    b = gu.tensor(np.zeros(4, bool)).masked_fill(gu.tensor(mm), True)
    assert b.tolist() == [False, False, False, True]


def test_masked_fill_errors():
    t = gu.zeros(2, 3)
    with pytest.raises(TypeError, match="mask must be a bool tensor, got dtype int64"):
        t.masked_fill(gu.tensor([1, 0, 1]), 1.0)
    with pytest.raises(ValueError, match=r"mask of shape \(2,\) .* shape \(2, 3\)"):
        t.masked_fill(gu.tensor([True, False]), 1.0)


def test_one_hot():
    for labels, n in ([[0, 3, 1]], -1), ([[0, 3], [2, 2]], 5), (2, -1), ([], 3):
        x = np.array(labels, dtype=np.int64)
        got = gu.one_hot(gu.tensor(x), n)
        want = F.one_hot(torch.tensor(x), n)
        assert got.dtype is np.int64 and not got.requires_grad
        np.testing.assert_array_equal(got.numpy(), want.numpy())
        assert got.shape == tuple(want.shape)
    with pytest.raises(ValueError, match=r"must lie in \[0, 3\); got values in \[0, 3\]"):
        gu.one_hot(gu.tensor([0, 3]), 3)
    with pytest.raises(ValueError, match=r"\[-1, 0\]"):
        gu.one_hot(gu.tensor([0, -1]), 3)
    with pytest.raises(ValueError, match="empty"):
        gu.one_hot(gu.tensor(np.zeros(0, np.int64)))
    with pytest.raises(TypeError, match="integer tensor"):
        gu.one_hot(gu.tensor([1.0]))


@pytest.mark.parametrize("shape, dim, index", [
    ((3, 4), 1, np.array([[0, 0, 3], [1, 2, 1], [3, 3, 3]])),
    ((3, 4), 0, np.array([[0, 2, 2, 1], [0, 0, 0, 0]])),
    ((3, 4), -1, np.array([[1], [0]])),  # smaller than the input in dim 0
    ((3, 4), 1, np.array([[0, 1, 2, 3, 0, 0]])),  # larger along dim
    ((2, 3, 2), 1, np.array([[[2, 0], [2, 2]], [[1, 1], [0, 2]]])),
    ((), 0, np.array(0)), ((3, 4), 1, np.zeros((3, 0), np.int64)),
])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_gather(shape, dim, index, layout):
    check_op(lambda x, i: gu.gather(x, dim, i), lambda x, i: torch.gather(x, dim, i),
             randn(*shape, seed=7), index, layout=layout)


def test_gather_errors():
    t = gu.zeros(3, 4)
    with pytest.raises(IndexError, match=r"must lie in \[0, 4\).*\[0, 5\]"):
        gu.gather(t, 1, gu.tensor([[0, 5]]))
    with pytest.raises(IndexError, match=r"\[-1, 0\]"):
        gu.gather(t, 1, gu.tensor([[0, -1]]))
    with pytest.raises(ValueError, match="index has 1 dimension"):
        gu.gather(t, 1, gu.tensor([0, 1]))
    with pytest.raises(ValueError, match="larger than the input shape"):
        gu.gather(t, 1, gu.tensor(np.zeros((4, 1), np.int64)))
    with pytest.raises(TypeError, match="integer tensor"):
        gu.gather(t, 1, gu.tensor([[0.0]]))


def test_gather_method():
    index = np.array([[0, 2, 2], [1, 0, 0]])
    check_op(lambda x, i: x.gather(1, i), lambda x, i: x.gather(1, i), randn(2, 3), index)
    check_op(lambda x, i: x.gather(dim=-1, index=i), lambda x, i: x.gather(dim=-1, index=i),
             randn(2, 3), index, gradcheck=False)
    with pytest.raises(ValueError, match="gather: sparse_grad=True is not supported"):
        gu.gather(gu.zeros(2, 3), 1, gu.tensor(index), sparse_grad=True)


@pytest.mark.parametrize("shape, dim, index", [
    ((4, 3), 0, [2, 0, 2]), ((4, 3), -1, [1]), ((2, 3, 4), 1, [0, 0, 2, 1]), ((4, 3), 0, []),
    ((4, 3), 1, 2), ((), 0, [0]),
])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_index_select(shape, dim, index, layout):
    idx = np.array(index, dtype=np.int64)
    check_op(lambda x, i: gu.index_select(x, dim, i), lambda x, i: torch.index_select(x, dim, i),
             randn(*shape), idx, layout=layout)
    check_op(lambda x, i: x.index_select(dim, i), lambda x, i: x.index_select(dim, i),
             randn(*shape), idx, gradcheck=False, float64=False)


def test_index_select_errors():
    x = gu.zeros(4, 3)
    with pytest.raises(IndexError, match=r"index_select: index values must lie in \[0, 3\)"):
        gu.index_select(x, 1, gu.tensor([3]))
    with pytest.raises(IndexError, match=r"index_select: index values must lie in \[0, 4\)"):
        gu.index_select(x, 0, gu.tensor([-1]))
    with pytest.raises(TypeError, match="index_select: index must be a 1-D integer tensor"):
        gu.index_select(x, 0, gu.tensor([[0]]))
    with pytest.raises(TypeError, match=r"index_select\(\): unexpected keyword argument 'axis'"):
        gu.index_select(x, axis=0, index=gu.tensor([0]))


@pytest.mark.parametrize("shape, mask_shape", [((3, 4), (3, 4)), ((3, 4), (4,)), ((1, 4), (3, 1)),
                                               ((3, 4), ()), ((0, 2), (2,))])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_masked_select(shape, mask_shape, layout):
    m = mask(*mask_shape, seed=1)
    check_op(lambda x, m: gu.masked_select(x, m), lambda x, m: torch.masked_select(x, m),
             randn(*shape), m, layout=layout)
    check_op(lambda x, m: x.masked_select(m), lambda x, m: x.masked_select(m),
             randn(*shape), m, gradcheck=False, float64=False)


def test_masked_select_errors():
    with pytest.raises(TypeError, match="masked_select: mask must be a bool tensor"):
        gu.masked_select(gu.zeros(3), gu.tensor([1, 0, 1]))
    with pytest.raises(ValueError, match=r"masked_select: mask of shape \(2,\) does not "
                                         r"broadcast"):
        gu.masked_select(gu.zeros(3), gu.tensor([True, False]))
