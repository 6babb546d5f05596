"""instance_norm (ops/instance_norm.py) against PyTorch: input statistics, running
statistics updated and used, gradients."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu

torch = require_torch()
F = torch.nn.functional


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 3, 4, 5), (1, 2, 3, 3), (0, 3, 4, 4)])
def test_instance_norm_input_statistics(shape):
    C = shape[1]
    check_op(lambda x: gu.instance_norm(x), lambda x: F.instance_norm(x), randn(*shape) * 2 + 1)
    if shape[0] == 0:
        return  # PyTorch refuses an empty batch with weights
    check_op(lambda x, w, b: gu.instance_norm(x, weight=w, bias=b, eps=1e-3),
             lambda x, w, b: F.instance_norm(x, weight=w, bias=b, eps=1e-3),
             randn(*shape), randn(C, seed=1) + 1.5, randn(C, seed=2))


def test_running_statistics_update_and_use():
    x = (randn(4, 3, 5, 6) * 2 + 1).astype(np.float32)
    rm, rv = gu.zeros(3), gu.ones(3)
    trm, trv = torch.zeros(3), torch.ones(3)
    for momentum in (0.1, 0.5):
        y = gu.instance_norm(gu.tensor(x), rm, rv, momentum=momentum)
        ty = F.instance_norm(torch.tensor(x), trm, trv, momentum=momentum)
        np.testing.assert_allclose(y.numpy(), ty.numpy(), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(rm.numpy(), trm.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(rv.numpy(), trv.numpy(), rtol=1e-5, atol=1e-6)
    check_op(lambda t, w: gu.instance_norm(t, gu.tensor(trm.numpy(), dtype=t.dtype),
                                           gu.tensor(trv.numpy(), dtype=t.dtype), weight=w,
                                           use_input_stats=False),
             lambda t, w: F.instance_norm(t, trm.to(t.dtype), trv.to(t.dtype), weight=w,
                                          use_input_stats=False),
             randn(2, 3, 4, 4), randn(3, seed=4))


def test_instance_norm_errors():
    with pytest.raises(ValueError, match="more than 1 spatial element"):
        gu.instance_norm(gu.randn(2, 3, 1, 1))
    with pytest.raises(ValueError, match="at least one spatial dim"):
        gu.instance_norm(gu.randn(2, 3))
    with pytest.raises(ValueError, match="needs running_mean and running_var"):
        gu.instance_norm(gu.randn(2, 3, 4), use_input_stats=False)
    with pytest.raises(ValueError, match=r"running_mean must be a Tensor of shape \(3,\)"):
        gu.instance_norm(gu.randn(2, 3, 4), gu.zeros(4), gu.ones(3))
