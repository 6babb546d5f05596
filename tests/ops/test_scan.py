"""cumsum / cumprod (ops/scan.py) against PyTorch: values, gradients (zeros included), dtypes."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu

torch = require_torch()


@pytest.mark.parametrize("name", ["cumsum", "cumprod"])
@pytest.mark.parametrize("shape, dim", [((5,), 0), ((3, 4), -1), ((3, 4), 0), ((2, 3, 4), 1),
                                        ((), 0), ((0, 3), 1), ((3, 0), 1)])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_scan(name, shape, dim, layout):
    check_op(lambda x: getattr(gu, name)(x, dim), lambda x: getattr(torch, name)(x, dim),
             randn(*shape), layout=layout)
    check_op(lambda x: getattr(x, name)(dim=dim), lambda x: getattr(x, name)(dim=dim),
             randn(*shape), gradcheck=False, float64=False)


@pytest.mark.parametrize("row", [[2.0, 0.0, 3.0, 0.0, 4.0], [0.0, 1.5, -2.0], [1.5, -2.0, 0.0],
                                 [0.0, 0.0, 3.0], [0.5, 2.0, -1.5]])
def test_cumprod_gradient_with_zeros(row):
    x = np.array([row, row[::-1]])
    check_op(lambda x: gu.cumprod(x, 1), lambda x: torch.cumprod(x, 1), x)
    check_op(lambda x: gu.cumprod(x, 0), lambda x: torch.cumprod(x, 0), x.T.copy())


def test_scan_dtypes():
    for data in ([1, 2, 3], [True, False, True], np.array([1, 2], np.int32)):
        for name in ("cumsum", "cumprod"):
            got = getattr(gu, name)(gu.tensor(data), 0)
            want = getattr(torch, name)(torch.tensor(data), 0)
            assert got.numpy().dtype == want.numpy().dtype
            np.testing.assert_array_equal(got.numpy(), want.numpy())
    assert gu.cumsum(gu.ones(3), 0).dtype is gu.float32
    assert gu.cumsum(gu.ones(3), 0, dtype=gu.float64).dtype is gu.float64
    assert gu.tensor([1, 2]).cumsum(0, dtype="float32").dtype is gu.float32


def test_scan_errors():
    with pytest.raises(IndexError, match="cumsum: dim 2 is out of range"):
        gu.cumsum(gu.ones(2, 3), 2)
    with pytest.raises(TypeError, match=r"cumprod\(\): unexpected keyword argument 'axis'; the "
                                        r"keywords are input, dim, dtype"):
        gu.ones(3).cumprod(axis=0)
