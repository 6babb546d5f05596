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
        assert np.shares_memory(y.array, t.array)


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
        assert t.grad.array.flags.writeable
        t.grad.array += 1
