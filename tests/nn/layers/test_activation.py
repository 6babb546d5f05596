"""Activation modules against PyTorch's, with reprs."""

import numpy as np
import pytest
from helpers import check_layer, randn, require_torch

import groundup as gu
from groundup import nn

torch = require_torch()
T = torch.nn

CASES = [
    (nn.ReLU(), T.ReLU()),
    (nn.ReLU6(), T.ReLU6()),
    (nn.LeakyReLU(), T.LeakyReLU()),
    (nn.LeakyReLU(0.2), T.LeakyReLU(0.2)),
    (nn.ELU(), T.ELU()),
    (nn.ELU(0.5), T.ELU(0.5)),
    (nn.GELU(), T.GELU()),
    (nn.GELU("tanh"), T.GELU("tanh")),
    (nn.SiLU(), T.SiLU()),
    (nn.Sigmoid(), T.Sigmoid()),
    (nn.Tanh(), T.Tanh()),
    (nn.Softplus(), T.Softplus()),
    (nn.Softplus(2.0, 1.0), T.Softplus(2.0, 1.0)),
    (nn.LogSigmoid(), T.LogSigmoid()),
    (nn.Hardtanh(-0.5, 0.5), T.Hardtanh(-0.5, 0.5)),
    (nn.Softmax(dim=1), T.Softmax(dim=1)),
    (nn.Softmax(dim=-1), T.Softmax(dim=-1)),
    (nn.LogSoftmax(dim=1), T.LogSoftmax(dim=1)),
]


@pytest.mark.parametrize("gu_layer,torch_layer", CASES, ids=lambda m: repr(m))
def test_matches_torch(gu_layer, torch_layer):
    x = randn(3, 4, 5) * 2
    x[0, 0, :3] = [0.3, -0.7, 1.9]  # keep values off the kinks
    check_layer(gu_layer, torch_layer, x)
    assert repr(gu_layer) == repr(torch_layer)


def test_softmax_default_dim_is_last():
    x = gu.randn(2, 3, 4)
    np.testing.assert_allclose(nn.Softmax()(x).numpy().sum(-1), 1, rtol=1e-6)
    np.testing.assert_allclose(nn.LogSoftmax()(x).numpy(),
                               gu.log_softmax(x, -1).numpy(), rtol=1e-6)


def test_no_parameters_and_inplace_flag():
    assert nn.ReLU().num_parameters() == 0 and nn.GELU().state_dict() == {}
    assert repr(nn.ReLU(inplace=True)) == "ReLU(inplace=True)"


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="approximate"):
        nn.GELU("fast")
