"""attach_aux_loss: the output passes through; the auxiliary loss gets gradient 1."""

import numpy as np
import pytest

import groundup as gu
from groundup.ops import attach_aux_loss


def test_forward_is_the_output_and_backward_adds_the_aux_gradient():
    x = gu.tensor(np.arange(6.0).reshape(2, 3), dtype=gu.float64, requires_grad=True)
    w = gu.tensor(2.0, dtype=gu.float64, requires_grad=True)
    y = attach_aux_loss(x * 1.0, (w * w) * 0.5)          # aux = w^2 / 2: d aux / dw = w
    np.testing.assert_array_equal(y.numpy(), x.numpy())
    (y * 3.0).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.full((2, 3), 3.0))
    assert w.grad.item() == 2.0                           # as if the loss were L + aux
    assert gu.gradcheck(lambda a: attach_aux_loss(a, a.sum() * 0.0), x)


def test_aux_must_be_a_scalar():
    with pytest.raises(ValueError, match=r"attach_aux_loss: aux must be a 0-d loss; got "
                                         r"shape \(2,\)"):
        attach_aux_loss(gu.zeros(3), gu.zeros(2))
