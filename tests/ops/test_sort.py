"""sort / argsort / topk (ops/sort.py) against PyTorch: values, indices, gradients, ties, nan.

groundup sorts stably, so with ties its indices equal PyTorch's with stable=True. PyTorch's
topk does not promise which of equal elements it returns: with ties only the values are
compared, and that the indices point at them.
"""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu

torch = require_torch()


@pytest.mark.parametrize("shape, dim", [((5,), 0), ((3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1),
                                        ((), 0), ((0, 3), 1), ((3, 0), 1)])
@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_sort(shape, dim, descending, layout):
    check_op(lambda x: gu.sort(x, dim, descending),
             lambda x: torch.sort(x, dim=dim, descending=descending, stable=True),
             randn(*shape), layout=layout)


def test_sort_method_fields_and_argsort():
    x = randn(3, 5, seed=2).astype(np.float32)
    out = gu.tensor(x).sort(dim=0, descending=True)
    want = torch.tensor(x).sort(dim=0, descending=True)
    np.testing.assert_array_equal(out.values.numpy(), want.values.numpy())
    np.testing.assert_array_equal(out.indices.numpy(), want.indices.numpy())
    values, indices = out
    assert indices.dtype is gu.int64 and not indices.requires_grad
    for kw in [{}, {"dim": 0}, {"descending": True}, {"dim": -2, "descending": True}]:
        np.testing.assert_array_equal(gu.argsort(gu.tensor(x), **kw).numpy(),
                                      torch.argsort(torch.tensor(x), stable=True, **kw).numpy())
        np.testing.assert_array_equal(gu.tensor(x).argsort(**kw).numpy(),
                                      gu.argsort(gu.tensor(x), **kw).numpy())


@pytest.mark.parametrize("descending", [False, True])
def test_sort_ties_nan_and_ints_are_stable(descending):
    a = np.array([[2.0, np.nan, 1.0, 2.0, -0.0, 0.0, np.nan, 1.0, -np.inf, np.inf]], np.float32)
    for data in (a, np.array([[3, 1, 3, 2, 1, 3]]), np.array([[True, False, True, False]])):
        got = gu.sort(gu.tensor(data), descending=descending)
        want = torch.sort(torch.tensor(data), descending=descending, stable=True)
        np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
        np.testing.assert_array_equal(got.indices.numpy(), want.indices.numpy())
        np.testing.assert_array_equal(
            gu.argsort(gu.tensor(data), descending=descending).numpy(), want.indices.numpy())


def test_sort_gradient_with_ties():
    x = np.array([[1.0, 3.0, 1.0, 2.0, 3.0]])
    check_op(lambda x: gu.sort(x, descending=True)[0],
             lambda x: torch.sort(x, descending=True, stable=True)[0], x, gradcheck=False)


@pytest.mark.parametrize("shape, k, dim", [((6,), 3, 0), ((3, 5), 2, -1), ((3, 5), 3, 0),
                                           ((2, 3, 4), 4, 2), ((3, 5), 0, 1), ((3, 5), 5, 1),
                                           ((), 1, 0)])
@pytest.mark.parametrize("largest", [True, False])
def test_topk(shape, k, dim, largest):
    check_op(lambda x: gu.topk(x, k, dim, largest), lambda x: torch.topk(x, k, dim, largest),
             randn(*shape, seed=3))
    check_op(lambda x: x.topk(k, dim=dim, largest=largest, sorted=False),
             lambda x: x.topk(k, dim=dim, largest=largest), randn(*shape, seed=3),
             gradcheck=False, float64=False)


@pytest.mark.parametrize("largest", [True, False])
def test_topk_ties_and_nan(largest):
    a = np.array([[1.0, 3.0, 3.0, 2.0, 3.0, np.nan, 1.0], [0.0, 0.0, 0.0, 5.0, 5.0, 1.0, 1.0]],
                 np.float32)
    for k in (1, 2, 3, 6):
        got = gu.topk(gu.tensor(a), k, largest=largest)
        want = torch.topk(torch.tensor(a), k, largest=largest)
        np.testing.assert_array_equal(got.values.numpy(), want.values.numpy())
        np.testing.assert_array_equal(np.take_along_axis(a, got.indices.numpy(), 1),
                                      got.values.numpy())
        assert all(len(set(row)) == k for row in got.indices.numpy().tolist())


def test_sort_errors():
    x = gu.zeros(3, 4)
    with pytest.raises(ValueError, match=r"topk: k \(5\) is out of range for dimension 1 of "
                                         r"size 4"):
        gu.topk(x, 5)
    with pytest.raises(TypeError, match="topk: k must be an int"):
        x.topk(1.5)
    with pytest.raises(IndexError, match="sort: dim 2 is out of range"):
        x.sort(2)
    with pytest.raises(TypeError, match=r"sort\(\): unexpected keyword argument 'reverse'; "
                                        r"the keywords are input, dim, descending, stable"):
        x.sort(reverse=True)
    with pytest.raises(TypeError, match=r"argsort\(\): unexpected keyword argument 'axis'"):
        gu.argsort(x, axis=0)
