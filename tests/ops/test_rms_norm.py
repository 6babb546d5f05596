"""rms_norm and nn.RMSNorm against PyTorch (F.rms_norm, nn.RMSNorm)."""

import numpy as np
import pytest
from helpers import check_layer, check_op, randn, require_torch

import groundup as gu
from groundup import nn
from groundup.nn import functional as F

torch = require_torch()


@pytest.mark.parametrize("shape, ns", [((3, 5), (5,)), ((2, 3, 4), (3, 4))])
@pytest.mark.parametrize("eps", [None, 1e-3])
def test_rms_norm_matches_pytorch(shape, ns, eps):
    check_op(lambda x, w: F.rms_norm(x, ns, w, eps), lambda x, w: torch.nn.functional.rms_norm(
        x, ns, w, eps), randn(*shape), randn(*ns, seed=1))
    check_op(lambda x: F.rms_norm(x, ns, eps=eps),
             lambda x: torch.nn.functional.rms_norm(x, ns, eps=eps), randn(*shape))


@pytest.mark.parametrize("kw", [{}, {"eps": 1e-6}, {"elementwise_affine": False}])
def test_layer_matches_pytorch(kw):
    g, t = nn.RMSNorm((3, 4), **kw), torch.nn.RMSNorm((3, 4), **kw)
    if kw.get("elementwise_affine", True):
        with torch.no_grad():
            t.weight.copy_(torch.tensor(randn(3, 4, seed=2)))
    check_layer(g, t, randn(2, 5, 3, 4))


def test_default_eps_is_the_dtype_epsilon_and_errors():
    x = gu.tensor(np.zeros((2, 4), np.float32))
    assert np.all(F.rms_norm(x, (4,)).numpy() == 0)  # 0 / sqrt(0 + eps), no NaN
    with pytest.raises(ValueError, match=r"RMSNorm"):
        nn.RMSNorm(3)(gu.randn(2, 4))
    with pytest.raises(ValueError, match="normalized_shape"):
        F.rms_norm(gu.randn(2, 4), (3,))
