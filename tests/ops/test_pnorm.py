"""norm (ops/pnorm.py) against PyTorch: every p, dims, keepdim, zeros and ties."""

import math

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu

torch = require_torch()

PS = [2, 1, math.inf, -math.inf, 3, 1.5, 0.5, "fro"]


@pytest.mark.parametrize("p", PS)
@pytest.mark.parametrize("shape, dim, keepdim", [((3, 4), None, False), ((3, 4), 1, False),
                                                 ((3, 4), -2, True), ((2, 3, 4), (0, 2), False),
                                                 ((2, 3, 4), (-1, 1), True), ((5,), 0, False),
                                                 ((), None, False)])
def test_norm(p, shape, dim, keepdim):
    check_op(lambda x: gu.norm(x, p, dim, keepdim),
             lambda x: torch.norm(x, p, dim, keepdim),
             randn(*shape, seed=4))
    check_op(lambda x: x.norm(p=p, dim=dim, keepdim=keepdim),
             lambda x: x.norm(p=p, dim=dim, keepdim=keepdim), randn(*shape, seed=4),
             gradcheck=False, float64=False)


@pytest.mark.parametrize("p", [2, 1, math.inf, -math.inf, 3, 1.5, 0.5, 0])
def test_norm_zeros_and_ties(p):
    # a zero row (norm 0), exact zeros inside a row, ties of |x| (for the inf norms)
    x = np.array([[0.0, 0.0, 0.0], [3.0, -3.0, 1.0], [0.0, 2.0, -1.0]])
    check_op(lambda x: gu.norm(x, p, 1), lambda x: torch.norm(x, p, 1), x, gradcheck=False)


def test_norm_default_and_dtype():
    x = randn(3, 4).astype(np.float32)
    np.testing.assert_allclose(gu.norm(gu.tensor(x)).item(), torch.norm(torch.tensor(x)).item(),
                               rtol=1e-6)
    assert gu.norm(gu.tensor(x), dtype=gu.float64).dtype is gu.float64
    assert gu.tensor([1, 2]).norm(dtype=gu.float32).dtype is gu.float32


def test_norm_errors():
    x = gu.ones(2, 3)
    with pytest.raises(ValueError, match="norm: p='nuc' is not supported"):
        gu.norm(x, "nuc")
    with pytest.raises(TypeError, match="norm: expected a floating-point tensor, got dtype int64"):
        gu.tensor([1, 2]).norm()
    with pytest.raises(IndexError, match="norm: dim 2 is out of range"):
        x.norm(dim=2)
    with pytest.raises(ValueError, match="norm: dim .* same dimension more than once"):
        x.norm(dim=(1, -1))
    with pytest.raises(TypeError, match=r"norm\(\): unexpected keyword argument 'ord'; the "
                                        r"keywords are input, p, dim, keepdim, dtype"):
        x.norm(ord=2)
