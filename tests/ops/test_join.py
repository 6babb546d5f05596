"""Join/cut primitives (ops/join.py) against PyTorch: cat, stack, split, chunk, unbind, pad."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu

torch = require_torch()
F = torch.nn.functional
LAYOUTS = ["contiguous", "transposed", "sliced"]


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
    ((2, 5), (2, 3), "circular", None), ((1, 2, 3, 4), (1, 2, 3, 0), "circular", None),
    ((2, 3, 4), (4, 4), "circular", None), ((2, 3, 5), (-1, 2), "circular", None),
    ((2, 3, 5), (2, -2), "circular", None),
    # negative amounts: reflect and replicate pad the whole dim, then crop (PyTorch's order)
    ((2, 5), (-2, 3), "reflect", None), ((2, 5), (3, -2), "reflect", None),
    ((2, 5), (-4, 4), "reflect", None), ((2, 5), (-1, -1), "reflect", None),
    ((2, 5), (-5, 1), "reflect", None), ((2, 5), (-6, 2), "replicate", None),
    # 1-D, 2-D and 3-D padding of batched and unbatched inputs
    ((3, 6), (2, 1), "reflect", None), ((2, 3, 4, 5), (1, 2, 3, 0), "reflect", None),
    ((1, 2, 3, 4, 5), (1, 2, 2, 1, 1, 2), "reflect", None),
    ((2, 3, 4, 5), (1, 2, 2, 1, 1, 2), "replicate", None),
    ((1, 2, 3, 4, 5), (1, 2, 2, 1, 1, 2), "replicate", None),
    ((2, 3, 4, 5), (1, 2, 2, 1, 1, 2), "circular", None),
    ((1, 2, 3, 4, 5), (1, 2, 2, 1, 1, 2), "circular", None),
    ((1, 2, 3, 4, 5), (1, 2, 2, 1, 1, 2), "constant", 0.5),
    ((0, 2, 3, 4), (1, 1, 2, 2), "reflect", None), ((0, 2, 3), (1, 1), "circular", None),
    ((2, 3, 4), (1, 1), "reflect", 0.0),
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
    with pytest.raises(ValueError, match="below 0"):
        gu.pad(t, (-2, -2), mode="reflect")
    with pytest.raises(ValueError, match="circular padding .* at most the size 3"):
        gu.pad(t, (4, 0), mode="circular")
    with pytest.raises(ValueError, match="circular padding .* at most the size 2"):
        gu.pad(t, (3, -1), mode="circular")
    with pytest.raises(ValueError, match="mode 'replicate' takes no value"):
        gu.pad(t, (1, 1), mode="replicate", value=1.0)
    with pytest.raises(ValueError, match="cannot replicate-pad the empty dimension 1"):
        gu.pad(gu.zeros(2, 0), (1, 1), mode="replicate")


def test_pad_modes_on_channels_last_views():
    """A (N, C, H, W) view of (C, H, W, N) memory pads as its contiguous copy does."""
    torch = require_torch()
    base = randn(3, 4, 5, 2, seed=6)
    for mode in ("constant", "reflect", "replicate", "circular"):
        x = gu.tensor(base, dtype=gu.float64, requires_grad=True)
        y = gu.pad(x.permute(3, 0, 1, 2), (1, 2, 2, 1), mode=mode)
        t = torch.tensor(base, requires_grad=True)
        want = F.pad(t.permute(3, 0, 1, 2), (1, 2, 2, 1), mode=mode)
        np.testing.assert_allclose(y.numpy(), want.detach().numpy())
        w = np.random.default_rng(0).standard_normal(y.shape)
        (y * gu.tensor(w, dtype=gu.float64)).sum().backward()
        (want * torch.tensor(w)).sum().backward()
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), atol=1e-12)


# ----------------------------------------------------- masks, gather, ...


@pytest.mark.parametrize("shape, dim, start, length", [
    ((4, 3), 0, 1, 2), ((4, 3), -1, 0, 3), ((4, 3), 1, -2, 2), ((4, 3), 0, 4, 0),
    ((2, 5, 3), 1, 2, 3),
])
def test_narrow(shape, dim, start, length):
    check_op(lambda x: gu.narrow(x, dim, start, length),
             lambda x: torch.narrow(x, dim, start, length), randn(*shape))
    x = gu.tensor(randn(*shape))
    y = x.narrow(dim, gu.tensor(start), length)
    assert y.shape == torch.tensor(randn(*shape)).narrow(dim, start, length).shape
    assert np.shares_memory(y.array, x.array) or y.array.size == 0


def test_narrow_errors():
    x = gu.zeros(4, 3)
    with pytest.raises(ValueError, match=r"narrow: start \(2\) \+ length \(3\) exceeds "
                                         r"dimension 0 of size 4"):
        gu.narrow(x, 0, 2, 3)
    with pytest.raises(IndexError, match="narrow: start 5 is out of range"):
        x.narrow(0, 5, 0)
    with pytest.raises(IndexError, match="narrow: dim 2 is out of range"):
        x.narrow(2, 0, 1)
    with pytest.raises(TypeError, match=r"narrow\(\): unexpected keyword argument 'size'"):
        x.narrow(0, 0, size=1)
