"""Shape primitives (ops/shape.py) against PyTorch: values, gradients, gradcheck, errors."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu

torch = require_torch()
F = torch.nn.functional
LAYOUTS = ["contiguous", "transposed", "sliced"]


@pytest.mark.parametrize("shape, new", [
    ((2, 3), (3, 2)), ((6,), (-1,)), ((2, 3, 4), (4, -1)), ((), (1,)), ((1,), ()),
    ((0, 3), (3, 0)), ((2, 3), (6,)), ((2, 3), (1, 2, 1, 3)), ((2, 3), 6),
])
def test_reshape(shape, new):
    check_op(lambda x: gu.reshape(x, new), lambda x: x.reshape(new), randn(*shape))


@pytest.mark.parametrize("layout", LAYOUTS)
def test_reshape_view_layouts(layout):
    x = randn(3, 4, seed=1)
    check_op(lambda x: x.view(-1), lambda x: x.reshape(-1), x, layout=layout)
    check_op(lambda x: x.reshape(2, 6), lambda x: x.reshape(2, 6), x, layout=layout)


def test_views_share_memory():
    t = gu.tensor(randn(2, 3, 4))
    for y in (t.reshape(6, 4), t.transpose(0, 2), t.permute(2, 0, 1), t[1], t[:, ::2],
              t.expand(5, 2, 3, 4), t.unsqueeze(1), t.flatten(1), gu.flip(t, 0)):
        assert np.shares_memory(y.data, t.data)


@pytest.mark.parametrize("shape, d0, d1", [((2, 3), 0, 1), ((2, 3, 4), -1, 0), ((2, 3), 1, 1),
                                           ((), 0, -1), ((4,), 0, 0)])
def test_transpose(shape, d0, d1):
    check_op(lambda x: gu.transpose(x, d0, d1), lambda x: x.transpose(d0, d1), randn(*shape))


@pytest.mark.parametrize("shape, dims", [((2, 3, 4), (2, 0, 1)), ((2, 3, 4), (-1, 0, 1)),
                                         ((2, 3), (1, 0)), ((), ()), ((3,), (0,))])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_permute(shape, dims, layout):
    check_op(lambda x: gu.permute(x, dims), lambda x: x.permute(dims), randn(*shape),
             layout=layout)


def test_T_and_mT():
    x = randn(2, 3, 4)
    check_op(lambda x: x.T, lambda x: x.permute(2, 1, 0), x)
    check_op(lambda x: x.mT, lambda x: x.mT, x)


@pytest.mark.parametrize("shape, new", [
    ((3, 1), (3, 4)), ((1,), (2, 3, 4)), ((2, 1), (4, 2, -1)), ((0, 1), (0, 3)),
    ((), (2, 2)), ((2, 3), (2, 3)), ((1, 3, 1), (2, -1, 4)),
])
def test_expand(shape, new):
    check_op(lambda x: gu.expand(x, new), lambda x: x.expand(new), randn(*shape))


@pytest.mark.parametrize("shape, dim", [((1, 3, 1), None), ((1, 3, 1), 0), ((1, 3, 1), (0, 2)),
                                        ((1, 3, 1), 1), ((1, 3, 1), -1), ((), 0), ((), None),
                                        ((2, 1, 0), 1)])
def test_squeeze(shape, dim):
    tfn = (lambda x: x.squeeze()) if dim is None else (lambda x: x.squeeze(dim))
    check_op(lambda x: gu.squeeze(x, dim), tfn, randn(*shape))


@pytest.mark.parametrize("shape, dim", [((3,), 0), ((3,), -1), ((3,), 1), ((), 0), ((2, 3), -2)])
def test_unsqueeze(shape, dim):
    check_op(lambda x: gu.unsqueeze(x, dim), lambda x: x.unsqueeze(dim), randn(*shape))


@pytest.mark.parametrize("shape, s, e", [((2, 3, 4), 0, -1), ((2, 3, 4), 1, 2), ((2, 3, 4), 0, -2),
                                         ((2, 3, 4), 1, 1), ((), 0, -1), ((2, 0, 3), 0, 1)])
def test_flatten(shape, s, e):
    check_op(lambda x: gu.flatten(x, s, e), lambda x: x.flatten(s, e), randn(*shape))


# --------------------------------------------------------------- indexing
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
@pytest.mark.parametrize("shapes, dim", [
    ([(2, 3), (4, 3)], 0), ([(2, 3), (2, 1), (2, 2)], 1), ([(2, 3), (2, 3)], -1),
    ([(2, 0, 3), (2, 2, 3)], 1), ([(3,), (2,)], 0), ([(2, 3)], 0),
])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_cat(shapes, dim, layout):
    xs = [randn(*s, seed=i) for i, s in enumerate(shapes)]
    check_op(lambda *a: gu.cat(list(a), dim), lambda *a: torch.cat(list(a), dim), *xs,
             layout=layout)


def test_cat_legacy_empty_and_dtypes():
    check_op(lambda a, b: gu.cat([a, b]), lambda a, b: torch.cat([a, b]), randn(2, 3), randn(0))
    a = gu.tensor(randn(2, 3), requires_grad=True)
    b = gu.tensor(randn(1, 3), dtype=gu.float64, requires_grad=True)
    y = gu.cat([a, b])
    assert y.dtype is np.float64
    y.sum().backward()
    assert a.grad.dtype is np.float32 and b.grad.dtype is np.float64
    z = gu.cat([a, gu.tensor(np.ones((1, 3), np.int64))])
    assert z.dtype is np.float32
    i = gu.cat([gu.tensor(np.ones(2, np.int32)), gu.tensor(np.ones(2, np.int64))])
    assert i.dtype is np.int64
    assert gu.cat((a, a.detach().numpy())).shape == (4, 3)


@pytest.mark.parametrize("shape, n, dim", [((2, 3), 3, 0), ((2, 3), 2, -1), ((2, 3), 2, 1),
                                           ((), 3, 0), ((0, 2), 2, 1)])
@pytest.mark.parametrize("layout", ["contiguous", "sliced"])
def test_stack(shape, n, dim, layout):
    xs = [randn(*shape, seed=i) for i in range(n)]
    check_op(lambda *a: gu.stack(a, dim), lambda *a: torch.stack(a, dim), *xs, layout=layout)


def test_join_errors():
    a, b = gu.zeros(2, 3), gu.zeros(2, 4)
    with pytest.raises(ValueError, match=r"cat: tensor 1 has shape \(2, 4\).*\(2, 3\)"):
        gu.cat([a, b])
    with pytest.raises(ValueError, match="non-empty"):
        gu.cat([])
    with pytest.raises(TypeError, match="list or tuple"):
        gu.cat(a)
    with pytest.raises(IndexError, match="cat: dim 2 is out of range"):
        gu.cat([a, a], 2)
    with pytest.raises(ValueError, match="zero-dimensional"):
        gu.cat([gu.tensor(1.0), gu.tensor(2.0)])
    with pytest.raises(ValueError, match=r"stack: .*\(2, 3\) and tensor 1 has \(2, 4\)"):
        gu.stack([a, b])


@pytest.mark.parametrize("shape, arg, dim", [
    ((5, 2), 2, 0), ((5, 2), [1, 4], 0), ((2, 6), 3, 1), ((2, 6), [0, 2, 4], -1),
    ((4,), 4, 0), ((4,), 10, 0), ((0,), 2, 0),
])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_split(shape, arg, dim, layout):
    check_op(lambda x: gu.split(x, arg, dim), lambda x: torch.split(x, arg, dim),
             randn(*shape), layout=layout)
    check_op(lambda x: x.split(arg, dim), lambda x: x.split(arg, dim), randn(*shape))


@pytest.mark.parametrize("shape, n, dim", [((5,), 4, 0), ((6,), 4, 0), ((2, 6), 3, 1),
                                           ((0,), 3, 0), ((0, 2), 3, 1), ((3, 2), 1, -2)])
def test_chunk(shape, n, dim):
    check_op(lambda x: gu.chunk(x, n, dim), lambda x: torch.chunk(x, n, dim), randn(*shape))
    check_op(lambda x: x.chunk(n, dim), lambda x: x.chunk(n, dim), randn(*shape))


@pytest.mark.parametrize("shape, dim", [((3, 2), 0), ((3, 2), 1), ((2, 3, 2), -1), ((0, 2), 1)])
def test_unbind(shape, dim):
    check_op(lambda x: gu.unbind(x, dim), lambda x: torch.unbind(x, dim), randn(*shape))


def test_split_errors():
    t = gu.zeros(5)
    with pytest.raises(ValueError, match=r"sizes \[2, 2\] must .* sum to 5"):
        gu.split(t, [2, 2])
    with pytest.raises(ValueError, match="split_size must be positive"):
        gu.split(t, 0)
    with pytest.raises(ValueError, match="chunks must be a positive int"):
        gu.chunk(t, 0)
    with pytest.raises(IndexError, match="split: dim 1 is out of range"):
        gu.split(t, 2, 1)
    with pytest.raises(ValueError, match="zero-dimensional"):
        gu.unbind(gu.tensor(1.0))


# ---------------------------------------------------------------- padding
@pytest.mark.parametrize("shape, p, mode, value", [
    ((2, 3), (1, 2), "constant", 0.0), ((2, 3), (1, 1, 2, 0), "constant", 1.5),
    ((2, 3), (-1, 2), "constant", 0.0), ((2, 4), (0, 0, -1, 1), "constant", -2.0),
    ((1, 2, 3), (1, 1, 1, 1, 0, 1), "constant", 0.0), ((3,), (0, 0), "constant", 0.0),
    ((2, 5), (2, 1), "reflect", None), ((1, 2, 3, 4), (1, 2, 1, 1), "reflect", None),
    ((2, 3, 4), (3, 0), "reflect", None),
    ((2, 5), (2, 3), "replicate", None), ((1, 2, 3, 4), (1, 0, 2, 1), "replicate", None),
    ((2, 3, 4), (2, -1), "replicate", None), ((2, 3, 4), (-1, 2), "replicate", None),
])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_pad(shape, p, mode, value, layout):
    kw = {} if value is None else {"value": value}
    check_op(lambda x: gu.pad(x, p, mode=mode, **kw), lambda x: F.pad(x, p, mode=mode, **kw),
             randn(*shape, seed=4), layout=layout)


def test_pad_more_dims_than_torch_allows():
    """reflect / replicate padding of any dims (PyTorch limits them): check against NumPy."""
    x = randn(3, 4, seed=5)
    for mode, np_mode in (("reflect", "reflect"), ("replicate", "edge")):
        y = gu.pad(gu.tensor(x, dtype=gu.float64), (1, 2, 2, 1), mode=mode)
        np.testing.assert_array_equal(y.numpy(), np.pad(x, ((2, 1), (1, 2)), mode=np_mode))
        gu.gradcheck(lambda t, m=mode: gu.pad(t, (1, 2, 2, 1), mode=m), [x])


def test_pad_errors():
    t = gu.zeros(2, 3)
    with pytest.raises(ValueError, match="even number of pad amounts"):
        gu.pad(t, (1,))
    with pytest.raises(ValueError, match=r"at most 2 \* ndim = 4"):
        gu.pad(t, (1, 1, 1, 1, 1, 1))
    with pytest.raises(ValueError, match="unknown mode 'circle'"):
        gu.pad(t, (1, 1), mode="circle")
    with pytest.raises(ValueError, match="reflect padding .* smaller than the size 3"):
        gu.pad(t, (3, 0), mode="reflect")
    with pytest.raises(ValueError, match="below 0"):
        gu.pad(t, (-2, -2))


# ----------------------------------------------------- masks, gather, ...
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


@pytest.mark.parametrize("shape, sizes", [((2, 3), (2, 1)), ((2, 3), (2, 1, 2)), ((3,), (2, 3)),
                                          ((2, 3), (0, 2)), ((), (3,)), ((2, 1), (1, 1))])
@pytest.mark.parametrize("layout", ["contiguous", "sliced"])
def test_repeat(shape, sizes, layout):
    check_op(lambda x: gu.repeat(x, *sizes), lambda x: x.repeat(*sizes), randn(*shape),
             layout=layout)
    check_op(lambda x: gu.repeat(x, sizes), lambda x: x.repeat(sizes), randn(*shape))


def test_repeat_errors():
    with pytest.raises(ValueError, match="at least 2"):
        gu.repeat(gu.zeros(2, 3), 2)
    with pytest.raises(ValueError, match="non-negative"):
        gu.repeat(gu.zeros(2), -1)


@pytest.mark.parametrize("shape, dims", [((2, 3), (0,)), ((2, 3), (0, 1)), ((2, 3, 4), -1),
                                         ((2, 3, 4), [2, 0]), ((), ())])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_flip(shape, dims, layout):
    check_op(lambda x: gu.flip(x, dims), lambda x: torch.flip(x, dims if dims != -1 else (-1,)),
             randn(*shape), layout=layout)


# ----------------------------------------------------------------- errors
def test_shape_errors():
    t = gu.zeros(2, 3)
    with pytest.raises(ValueError, match=r"reshape: .*shape \(2, 3\) \(6 elements\).*\(4, 2\)"):
        t.reshape(4, 2)
    with pytest.raises(ValueError, match=r"shape \(4, -1\)"):
        t.reshape(4, -1)
    with pytest.raises(ValueError, match="only one dimension can be -1"):
        t.reshape(-1, -1)
    with pytest.raises(ValueError, match="ambiguous"):
        gu.zeros(0, 3).reshape(-1, 0)
    with pytest.raises(IndexError, match="transpose: dim1 2 is out of range"):
        t.transpose(0, 2)
    with pytest.raises(ValueError, match="permute: dims .* 1 entries .* 2 dimension"):
        t.permute(0)
    with pytest.raises(ValueError, match="more than once"):
        t.permute(0, 0)
    with pytest.raises(ValueError, match=r"expand: .*\(2, 3\) to \(3, 3\).*dimension 0 has size 2"):
        t.expand(3, 3)
    with pytest.raises(ValueError, match="new leading dimension"):
        gu.zeros(2, 1).expand(-1, 2, -1)
    with pytest.raises(ValueError, match="fewer dimensions"):
        t.expand(3)
    with pytest.raises(IndexError, match="unsqueeze: dim 3 is out of range"):
        t.unsqueeze(3)
    with pytest.raises(IndexError, match="squeeze: dim -3"):
        t.squeeze(-3)
    with pytest.raises(ValueError, match="start_dim 1 comes after end_dim 0"):
        t.flatten(1, 0)
    with pytest.raises(ValueError, match="more than once"):
        gu.flip(t, (0, 0))
    with pytest.raises(TypeError, match="must be an int"):
        t.unsqueeze(1.0)


def test_dtypes_preserved():
    """float32 in -> float32 out, values and gradients, for every op (float64 likewise)."""
    m = np.array([True, False, True])
    fns = [
        lambda t: t.reshape(-1), lambda t: t.transpose(0, 1), lambda t: t.permute(1, 0),
        lambda t: t.unsqueeze(0).expand(2, 2, 3), lambda t: t.unsqueeze(1).squeeze(1),
        lambda t: t.flatten(), lambda t: t[0], lambda t: t[[1, 1]], lambda t: t[t > 0],
        lambda t: gu.cat([t, t], 1), lambda t: gu.stack([t, t]), lambda t: gu.split(t, 1)[1],
        lambda t: gu.chunk(t, 3, 1)[0], lambda t: gu.unbind(t)[0], lambda t: gu.pad(t, (1, 1)),
        lambda t: gu.pad(t, (1, 1), mode="reflect"), lambda t: gu.pad(t, (1, 1), "replicate"),
        lambda t: t.masked_fill(m, 1.0), lambda t: gu.gather(t, 1, gu.tensor([[0, 0]])),
        lambda t: gu.repeat(t, 2, 1), lambda t: gu.flip(t, 0),
    ]
    for dtype in (np.float32, np.float64):
        for fn in fns:
            t = gu.tensor(randn(2, 3), dtype=dtype, requires_grad=True)
            y = fn(t)
            assert y.dtype is dtype
            y.sum().backward()
            assert t.grad.dtype is dtype and t.grad.shape == (2, 3)


def test_backward_leaves_dy_alone():
    """No backward writes into its incoming gradient, even when dy is the caller's array."""
    fns = [
        lambda t: t.reshape(-1), lambda t: t.T, lambda t: t.expand(2, 2, 3), lambda t: t[:, 1:],
        lambda t: t[[0, 0]], lambda t: t[t > 0], lambda t: gu.cat([t, t]),
        lambda t: gu.stack([t, t]), lambda t: gu.pad(t, (2, 1), mode="reflect"),
        lambda t: gu.pad(t, (1, 1), mode="replicate"), lambda t: gu.pad(t, (-1, 1)),
        lambda t: t.masked_fill(t > 0, 0.0), lambda t: gu.gather(t, 1, gu.tensor([[2, 2]])),
        lambda t: gu.repeat(t, 2, 2), lambda t: gu.flip(t, 1),
    ]
    for fn in fns:
        t = gu.tensor(randn(2, 3), requires_grad=True)
        y = fn(t)
        g = np.random.default_rng(1).standard_normal(y.shape).astype(np.float32)
        g0 = g.copy()
        y.backward(g)
        np.testing.assert_array_equal(g, g0)
        assert t.grad.data.flags.writeable
        t.grad.data += 1
