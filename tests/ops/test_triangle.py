"""tril / triu (ops/triangle.py) against PyTorch: values, gradients, batches, errors."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu

torch = require_torch()


@pytest.mark.parametrize("name", ["tril", "triu"])
@pytest.mark.parametrize("shape, diagonal", [((4, 4), 0), ((3, 5), 1), ((5, 3), -2),
                                             ((2, 3, 4), 0), ((3, 3), 5), ((3, 3), -5),
                                             ((0, 3), 0)])
@pytest.mark.parametrize("layout", ["contiguous", "transposed"])
def test_tril_triu(name, shape, diagonal, layout):
    check_op(lambda x: getattr(gu, name)(x, diagonal), lambda x: getattr(torch, name)(x, diagonal),
             randn(*shape), layout=layout)


def test_methods_ints_and_nonfinite():
    x = np.arange(12).reshape(3, 4)
    np.testing.assert_array_equal(gu.tensor(x).tril(diagonal=1).numpy(),
                                  torch.tensor(x).tril(diagonal=1).numpy())
    assert gu.tensor(x).triu().dtype is gu.int64
    a = np.array([[1.0, np.inf], [np.nan, 2.0]], np.float32)
    np.testing.assert_array_equal(gu.tensor(a).triu().numpy(), torch.tensor(a).triu().numpy())


def test_errors():
    with pytest.raises(ValueError, match=r"tril: expects a tensor with at least 2 dimensions.*"
                                         r"\(3,\)"):
        gu.tril(gu.zeros(3))
    with pytest.raises(TypeError, match=r"triu\(\): unexpected keyword argument 'k'; the "
                                        r"keywords are input, diagonal"):
        gu.triu(gu.zeros(3, 3), k=1)
    with pytest.raises(TypeError, match="triu: diagonal must be an int"):
        gu.zeros(2, 2).triu(1.5)
