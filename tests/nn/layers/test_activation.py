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
    (nn.Hardswish(), T.Hardswish()),
    (nn.Hardsigmoid(), T.Hardsigmoid()),
    (nn.Mish(), T.Mish()),
    (nn.SELU(), T.SELU()),
    (nn.CELU(), T.CELU()),
    (nn.CELU(0.5), T.CELU(0.5)),
    (nn.Softsign(), T.Softsign()),
    (nn.Tanhshrink(), T.Tanhshrink()),
    (nn.Hardshrink(), T.Hardshrink()),
    (nn.Softshrink(0.3), T.Softshrink(0.3)),
    (nn.Threshold(0.1, 20.0), T.Threshold(0.1, 20.0)),
    (nn.RReLU(0.1, 0.3).eval(), T.RReLU(0.1, 0.3).eval()),
    (nn.GLU(), T.GLU()),
    (nn.GLU(1), T.GLU(1)),
    (nn.Softmin(dim=1), T.Softmin(dim=1)),
    (nn.Softmin(dim=-1), T.Softmin(dim=-1)),
    (nn.PReLU(), T.PReLU()),
]


@pytest.mark.parametrize("gu_layer,torch_layer", CASES, ids=lambda m: repr(m))
def test_matches_torch(gu_layer, torch_layer):
    x = randn(3, 4, 6) * 2
    x[0, 0, :3] = [0.3, -0.7, 1.9]  # keep values off the kinks
    x[np.abs(np.abs(x) - 3.0) < 0.01] = 2.5  # (hardswish's and hardsigmoid's at +-3)
    # (PyTorch's hardsigmoid backward multiplies by the float32 1/6, also in float64)
    tol = {"rtol": 5e-4} if isinstance(gu_layer, nn.Hardsigmoid) else {}
    check_layer(gu_layer, torch_layer, x, **tol)
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


def test_reprs():
    pairs = [
        (nn.PReLU(), "PReLU(num_parameters=1)"), (nn.PReLU(3, 0.1), "PReLU(num_parameters=3)"),
        (nn.SELU(inplace=True), "SELU(inplace=True)"), (nn.Mish(True), "Mish(inplace=True)"),
        (nn.CELU(0.5, True), "CELU(alpha=0.5, inplace=True)"), (nn.Softmin(), "Softmin(dim=None)"),
        (nn.Hardswish(True), "Hardswish()"), (nn.Hardsigmoid(True), "Hardsigmoid()"),
        (nn.Threshold(0.1, 20, True), "Threshold(threshold=0.1, value=20, inplace=True)"),
        (nn.RReLU(), "RReLU(lower=0.125, upper=0.3333333333333333)"),
        (nn.RReLU(0.1, 0.3, True), "RReLU(lower=0.1, upper=0.3, inplace=True)"),
        (nn.Hardtanh(-0.5, 0.5, True), "Hardtanh(min_val=-0.5, max_val=0.5, inplace=True)"),
        (nn.ReLU6(True), "ReLU6(inplace=True)"), (nn.GLU(), "GLU(dim=-1)"),
    ]
    for m, text in pairs:
        assert repr(m) == text


@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (2, 3, 4, 2)], ids=str)
@pytest.mark.parametrize("num_parameters", [1, 3])
def test_prelu_matches_torch(shape, num_parameters):
    t = T.PReLU(num_parameters)
    with torch.no_grad():  # distinct slopes, so a channel mix-up shows
        t.weight.copy_(torch.tensor([0.25, -0.5, 1.5][:num_parameters]))
    g = nn.PReLU(num_parameters)
    check_layer(g, t, randn(*shape, seed=2))
    assert [n for n, _ in g.named_parameters()] == ["weight"]
    assert g.weight.shape == (num_parameters,)


def test_prelu_init_dtype_and_errors():
    m = nn.PReLU(4, init=0.1, dtype=gu.float64)
    assert m.weight.dtype == gu.float64 and np.allclose(m.weight.numpy(), 0.1)
    assert list(m.state_dict()) == ["weight"]
    with pytest.raises(ValueError, match="PReLU: num_parameters must be a positive int"):
        nn.PReLU(0)
    with pytest.raises(ValueError, match="prelu: weight has 4 elements"):
        m.float()(gu.randn(2, 3))


def test_prelu_learns_its_slope():
    m = nn.PReLU()
    opt = gu.optim.SGD(m.parameters(), lr=0.5)
    x = gu.tensor(-np.linspace(0.5, 2.0, 8))
    for _ in range(30):  # fit y = 0.75 x on the negative side
        opt.zero_grad()
        loss = ((m(x) - 0.75 * x) ** 2).mean()
        loss.backward()
        opt.step()
    assert abs(m.weight.item() - 0.75) < 1e-3


def test_rrelu_module_training_and_eval():
    m = nn.RReLU(0.1, 0.3)
    x = gu.tensor(-np.ones((50, 4)))
    gu.manual_seed(0)
    slopes = -m(x).numpy()
    assert slopes.min() >= 0.1 - 1e-6 and slopes.max() <= 0.3 + 1e-6 and slopes.std() > 0.01
    m.eval()
    np.testing.assert_allclose(m(x).numpy(), -0.2, rtol=1e-6)


def test_inplace_modules():
    x = gu.tensor([-1.0, 2.0])
    with gu.no_grad():
        assert nn.ReLU(inplace=True)(x) is x and np.array_equal(x.numpy(), [0, 2])
    leaf = gu.tensor([-1.0, 2.0], requires_grad=True)
    y = nn.SELU(inplace=True)(leaf * 1.0)  # inside a graph: a new tensor, gradients as usual
    y.sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), F_selu_grad([-1.0, 2.0]), rtol=1e-6)


def F_selu_grad(values):
    t = torch.tensor(values, requires_grad=True)
    torch.selu(t).sum().backward()
    return t.grad.numpy()
