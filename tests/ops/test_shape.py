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


# ------------------------------------------------- roll, movedim, t, tile, repeat_interleave
@pytest.mark.parametrize("shape, shifts, dims", [
    ((2, 3), 1, None), ((2, 3), -4, None), ((2, 3, 4), (1, -1), (0, 2)), ((5,), 7, 0),
    ((2, 3), 2, -1), ((0, 3), 1, 1), ((), 3, None),
])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_roll(shape, shifts, dims, layout):
    check_op(lambda x: gu.roll(x, shifts, dims), lambda x: torch.roll(x, shifts, dims),
             randn(*shape), layout=layout)
    check_op(lambda x: x.roll(shifts, dims=dims), lambda x: x.roll(shifts, dims=dims),
             randn(*shape), gradcheck=False, float64=False)


@pytest.mark.parametrize("shape, src, dst", [((2, 3, 4), 0, 2), ((2, 3, 4), -1, 0),
                                             ((2, 3, 4), (0, 1), (2, 0)), ((2, 3), 1, 1),
                                             ((), 0, 0), ((3,), (0,), (-1,))])
def test_movedim(shape, src, dst):
    check_op(lambda x: gu.movedim(x, src, dst), lambda x: torch.movedim(x, src, dst),
             randn(*shape))
    x = gu.tensor(randn(*shape))
    assert x.moveaxis(src, dst).shape == gu.moveaxis(x, src, dst).shape == \
        torch.moveaxis(torch.tensor(randn(*shape)), src, dst).shape


@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_t(shape):
    check_op(gu.t, torch.t, randn(*shape))
    check_op(lambda x: x.t(), lambda x: x.t(), randn(*shape), gradcheck=False)
    with pytest.raises(ValueError, match=r"t: expects a tensor with at most 2 dimensions.*"
                                         r"\(2, 3, 4\)"):
        gu.zeros(2, 3, 4).t()


@pytest.mark.parametrize("shape, dims", [((2, 3), (2,)), ((2, 3), (2, 1)), ((3,), (2, 2)),
                                         ((2, 3), ()), ((), (3,)), ((2, 1), (1, 0, 2))])
def test_tile(shape, dims):
    check_op(lambda x: gu.tile(x, dims), lambda x: torch.tile(x, dims), randn(*shape))
    check_op(lambda x: x.tile(dims), lambda x: x.tile(dims), randn(*shape), gradcheck=False)


def test_repeat_and_flip_methods():
    check_op(lambda x: x.repeat(2, 1, 2), lambda x: x.repeat(2, 1, 2), randn(2, 3))
    check_op(lambda x: x.repeat((1, 2)), lambda x: x.repeat((1, 2)), randn(2, 3))
    check_op(lambda x: x.flip(0, -1), lambda x: x.flip(0, -1), randn(2, 3, 2))
    check_op(lambda x: x.flip((1,)), lambda x: x.flip((1,)), randn(2, 3))
    check_op(lambda x: x.flip(dims=[1]), lambda x: torch.flip(x, dims=[1]), randn(2, 3))


@pytest.mark.parametrize("shape, repeats, dim", [
    ((2, 3), 2, None), ((2, 3), 3, 1), ((2, 3), 2, -2), ((3,), [1, 0, 2], 0),
    ((2, 3), [0, 2, 1], 1), ((2, 3), [1], 0), ((2, 2), [0, 0], 0), ((), 3, None),
])
def test_repeat_interleave(shape, repeats, dim):
    def gu_fn(x):
        r = gu.tensor(repeats) if isinstance(repeats, list) else repeats
        return x.repeat_interleave(r, dim=dim)

    def th_fn(x):
        r = torch.tensor(repeats) if isinstance(repeats, list) else repeats
        return x.repeat_interleave(r, dim=dim)

    check_op(gu_fn, th_fn, randn(*shape))


def test_new_shape_op_errors():
    x = gu.zeros(2, 3)
    with pytest.raises(TypeError, match=r"roll\(\): unexpected keyword argument 'dim'; the "
                                        r"keywords are input, shifts, dims"):
        gu.roll(x, 1, dim=0)
    with pytest.raises(TypeError, match=r"roll\(\): unexpected keyword argument 'dim'"):
        x.roll(1, dim=0)
    with pytest.raises(ValueError, match="roll: shifts .* and dims .* same length"):
        gu.roll(x, (1, 2), (0,))
    with pytest.raises(IndexError, match="roll: dim 2 is out of range"):
        gu.roll(x, 1, 2)
    with pytest.raises(ValueError, match="movedim: source .* same number"):
        gu.movedim(x, (0, 1), 0)
    with pytest.raises(ValueError, match="movedim: dims .* same dimension"):
        gu.movedim(x, (0, 0), (0, 1))
    with pytest.raises(ValueError, match="tile: repeat counts must be non-negative"):
        gu.tile(x, (-1, 1))
    with pytest.raises(ValueError, match=r"repeat_interleave: repeats must hold 3"):
        gu.repeat_interleave(x, gu.tensor([1, 2]), dim=1)
    with pytest.raises(TypeError, match="repeat_interleave: repeats must be an int or a 1-D"):
        gu.repeat_interleave(x, gu.tensor([1.0, 2.0]), dim=0)
    with pytest.raises(ValueError, match="output_size=5 but the repeats give 4"):
        gu.repeat_interleave(x, 2, dim=0, output_size=5)
