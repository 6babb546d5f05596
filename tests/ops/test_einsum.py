"""einsum (ops/einsum.py) against PyTorch: the common contractions, '...', broadcasting,
implicit output, gradients, errors."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu

torch = require_torch()

CASES = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),                  # matmul
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 5)]),         # batched matmul
    ("i,j->ij", [(3,), (4,)]),                        # outer product
    ("i,i->", [(4,), (4,)]),                          # dot
    ("ij->ji", [(3, 4)]),                             # transpose
    ("ij->i", [(3, 4)]),                              # row sums
    ("ij->", [(3, 4)]),                               # total
    ("ij,ij->ij", [(3, 4), (3, 4)]),                  # element-wise product
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),  # attention scores
    ("bhqk,bhkd->bqhd", [(2, 2, 3, 5), (2, 2, 5, 4)]),
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),       # chain of three
    ("ij,kj", [(3, 4), (5, 4)]),                      # implicit output: 'ik'
    ("ba,ab", [(3, 4), (4, 3)]),                      # implicit output: '' (a full sum)
    ("Ab,bc->Ac", [(2, 3), (3, 4)]),                  # upper-case letters
    ("...ij,...jk->...ik", [(2, 3, 4), (4, 5)]),      # ellipsis with broadcasting
    ("...ij->...ji", [(2, 2, 3, 4)]),
    ("b...,b->...", [(3, 2, 4), (3,)]),
    ("...ij->ij", [(2, 3, 4)]),                       # ellipsis summed out
    ("i j , j k -> i k", [(2, 3), (3, 2)]),           # spaces
    ("ij,jk->ik", [(1, 4), (4, 5)]),
    ("ij,ik->ijk", [(3, 1), (3, 4)]),                 # size-1 letter
    ("bi,bi->b", [(1, 4), (3, 4)]),                   # size-1 broadcasts against 3
    ("ij,jk->ik", [(0, 4), (4, 5)]),                  # empty
    ("i,i->i", [(0,), (0,)]),
]


@pytest.mark.parametrize("equation, shapes", CASES)
def test_einsum(equation, shapes):
    inputs = [randn(*s, seed=k) for k, s in enumerate(shapes)]
    check_op(lambda *ops: gu.einsum(equation, *ops), lambda *ops: torch.einsum(equation, *ops),
             *inputs)


@pytest.mark.parametrize("layout", ["transposed", "sliced"])
def test_einsum_layouts_and_list_form(layout):
    a, b = randn(3, 4), randn(4, 5, seed=1)
    check_op(lambda a, b: gu.einsum("ij,jk->ik", [a, b]),
             lambda a, b: torch.einsum("ij,jk->ik", [a, b]), a, b, layout=layout)


def test_einsum_dtypes():
    a, b = gu.ones(2, 3), gu.ones(3, dtype=gu.float64)
    assert gu.einsum("ij,j->i", a, b).dtype is gu.float64
    ints = gu.einsum("ij,jk->ik", gu.tensor([[1, 2]]), gu.tensor([[3], [4]]))
    assert ints.dtype is gu.int64 and ints.item() == 11
    assert gu.einsum("ij,jk->ik", a, gu.ones(3, 1, dtype=gu.float32)).dtype is gu.float32


def test_einsum_errors():
    a = gu.ones(2, 3)
    with pytest.raises(ValueError, match="einsum: the equation 'ij,jk->ik' has 2 term"):
        gu.einsum("ij,jk->ik", a)
    with pytest.raises(ValueError, match=r"einsum: the term 'ijk' names 3 dimension\(s\) but "
                                         r"its operand has shape \(2, 3\)"):
        gu.einsum("ijk->i", a)
    with pytest.raises(ValueError, match="einsum: subscript 'j' has size 3 in one operand and 4"):
        gu.einsum("ij,jk->ik", a, gu.ones(4, 2))
    with pytest.raises(ValueError, match="a letter repeats within the term 'ii'.*not supported"):
        gu.einsum("ii->", gu.ones(3, 3))
    with pytest.raises(ValueError, match="einsum: the output 'iz' must name distinct letters"):
        gu.einsum("ij->iz", a)
    with pytest.raises(ValueError, match="einsum: invalid subscripts 'i1'"):
        gu.einsum("i1->i", a)
    with pytest.raises(TypeError, match="sublist form .* is not supported"):
        gu.einsum(a, [0, 1])
    np.testing.assert_allclose(gu.einsum("ij->", a).item(), 6.0)
