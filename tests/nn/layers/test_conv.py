"""Conv1d, Conv2d, ConvTranspose1d/2d, Unfold, Fold against PyTorch (weights via state_dict)."""

import math

import numpy as np
import pytest
from helpers import check_layer, randn, require_torch

import groundup as gu
from groundup import nn
from groundup.ops import conv_tuned

torch = require_torch()
# PyTorch warns that 'same' with an even kernel pads a copy of the input; expected here
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")


@pytest.fixture(params=["whole", "row_shift", "reference"])
def core(request):
    """Run the test on the tuned core (both lowerings) and on the readable reference."""
    tuned = request.param != "reference"
    with conv_tuned.use(tuned, lowering=request.param if tuned else None):
        yield request.param


CONV2D = [
    ((2, 3, 6, 5), (3, 4, 3), {}),
    ((1, 2, 7, 6), (2, 4, (3, 2)), {"stride": 2, "padding": 1, "bias": False}),
    ((2, 4, 5, 5), (4, 6, 3), {"groups": 2, "dilation": 2, "padding": 2}),
    ((2, 3, 5, 6), (3, 3, 3), {"groups": 3, "padding": "same"}),
    ((2, 2, 5, 6), (2, 3, (2, 3)), {"padding": "same", "padding_mode": "reflect"}),
    ((2, 2, 5, 6), (2, 3, 3), {"padding": (1, 2), "padding_mode": "replicate"}),
    ((0, 2, 5, 4), (2, 3, 3), {"padding": 1}),
    ((2, 5, 4), (2, 3, 3), {"padding": "valid"}),  # unbatched
]
CONV1D = [
    ((2, 3, 7), (3, 4, 3), {"stride": 2, "padding": 1}),
    ((2, 4, 6), (4, 4, 2), {"groups": 4, "padding": "same", "padding_mode": "replicate"}),
    ((3, 7), (3, 2, 3), {"dilation": 2}),
]


def _ids(cases):
    return [f"{x}-{a}-{kw}" for x, a, kw in cases]


@pytest.mark.parametrize("xs,args,kw", CONV2D, ids=_ids(CONV2D))
def test_conv2d(core, xs, args, kw):
    g, t = nn.Conv2d(*args, **kw), torch.nn.Conv2d(*args, **kw)
    check_layer(g, t, randn(*xs, seed=1))
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())


@pytest.mark.parametrize("xs,args,kw", CONV1D, ids=_ids(CONV1D))
def test_conv1d(core, xs, args, kw):
    g, t = nn.Conv1d(*args, **kw), torch.nn.Conv1d(*args, **kw)
    check_layer(g, t, randn(*xs, seed=1))
    assert repr(g) == repr(t)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
def test_padding_modes(core, mode):
    args = (2, 3, (3, 2))
    kw = {"padding": (2, 1), "stride": (2, 1), "padding_mode": mode}
    g, t = nn.Conv2d(*args, **kw), torch.nn.Conv2d(*args, **kw)
    check_layer(g, t, randn(2, 2, 5, 4, seed=1))
    assert repr(g) == repr(t)
    g1, t1 = nn.Conv1d(2, 3, 3, padding="same", padding_mode=mode), \
        torch.nn.Conv1d(2, 3, 3, padding="same", padding_mode=mode)
    check_layer(g1, t1, randn(2, 2, 6, seed=2))


CONV_T = [
    ((2, 3, 4, 5), (3, 2, 3), {"stride": 2, "padding": 1, "output_padding": 1}),
    ((1, 4, 3, 3), (4, 6, (2, 3)), {"groups": 2, "dilation": 2, "bias": False}),
    ((3, 4, 4), (3, 2, 2), {"stride": 2}),  # unbatched
]


@pytest.mark.parametrize("xs,args,kw", CONV_T, ids=_ids(CONV_T))
def test_conv_transpose2d(core, xs, args, kw):
    g, t = nn.ConvTranspose2d(*args, **kw), torch.nn.ConvTranspose2d(*args, **kw)
    check_layer(g, t, randn(*xs, seed=1))
    assert repr(g) == repr(t)


def test_conv_transpose1d(core):
    args, kw = (3, 4, 3), {"stride": 3, "padding": 1, "output_padding": 2, "dilation": 1}
    g, t = nn.ConvTranspose1d(*args, **kw), torch.nn.ConvTranspose1d(*args, **kw)
    check_layer(g, t, randn(2, 3, 5, seed=1))
    assert repr(g) == repr(t)


def test_conv_transpose_output_size(core):
    g, t = nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1), \
        torch.nn.ConvTranspose2d(3, 2, 3, stride=2, padding=1)
    g.load_state_dict({k: v.detach().numpy() for k, v in t.state_dict().items()})
    x = randn(2, 3, 4, 4, seed=1).astype(np.float32)
    for size in [(8, 8), (7, 8), [2, 2, 8, 7]]:
        y = g(gu.tensor(x), output_size=size)
        want = t(torch.tensor(x), output_size=size)
        np.testing.assert_allclose(y.numpy(), want.detach().numpy(), rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(3, 2.*output_size \(9, 8\) cannot be "
                                         r"reached .*dimension 0 must lie in \[7, 8\], got 9"):
        g(gu.tensor(x), output_size=(9, 8))


def test_unfold_fold_layers():
    x = randn(2, 3, 5, 6, seed=1)
    check_layer(nn.Unfold((2, 3), padding=1, stride=2), torch.nn.Unfold((2, 3), padding=1,
                                                                        stride=2), x)
    cols = randn(2, 12, 12, seed=2)
    check_layer(nn.Fold((4, 5), 2), torch.nn.Fold((4, 5), 2), cols)
    assert repr(nn.Unfold(2)) == repr(torch.nn.Unfold(2))
    assert repr(nn.Fold((4, 5), 2, stride=1)) == repr(torch.nn.Fold((4, 5), 2, stride=1))


@pytest.mark.parametrize("cls,args", [(nn.Conv2d, (6, 4, (3, 2))), (nn.Conv1d, (6, 4, 5)),
                                      (nn.ConvTranspose2d, (6, 4, 3))])
def test_init_bounds_as_pytorch(cls, args):
    gu.manual_seed(0)
    m = cls(*args, groups=2)
    fan_in = m.weight.shape[1] * math.prod(m.weight.shape[2:])
    bound = 1 / math.sqrt(fan_in)  # kaiming_uniform_(a=sqrt(5)): gain sqrt(1/3) * sqrt(3/fan_in)
    w, b = m.weight.numpy(), m.bias.numpy()
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound
    assert np.abs(b).max() <= bound and w.dtype == np.float32
    assert m.weight.shape == tuple(getattr(torch.nn, cls.__name__)(*args, groups=2).weight.shape)


def test_float64_and_arrays():
    m = nn.Conv2d(2, 3, 3, dtype=gu.float64)
    assert m(gu.randn(1, 2, 4, 4, dtype=gu.float64)).dtype == gu.float64
    y = nn.Conv2d(2, 3, 3)(np.ones((1, 2, 4, 4)))  # arrays are converted (float32)
    assert y.dtype == gu.float32 and y.shape == (1, 3, 2, 2)


def test_errors_name_the_layer_and_both_shapes():
    m = nn.Conv2d(1, 16, 5)
    with pytest.raises(ValueError) as e:
        m(gu.zeros(64, 3, 28, 28))
    assert str(e.value) == ("Conv2d(1, 16, kernel_size=(5, 5), stride=(1, 1)): expected input "
                            "with 1 channels (N, 1, H, W), got input of shape (64, 3, 28, 28) "
                            "(weight of shape (16, 1, 5, 5))")
    with pytest.raises(ValueError, match=r"Conv2d\(1, 16.*the kernel \(5, 5\) .*larger than the "
                                         r"padded input \(4, 4\): input of shape \(2, 1, 4, 4\), "
                                         r"weight of shape \(16, 1, 5, 5\)"):
        m(gu.zeros(2, 1, 4, 4))
    with pytest.raises(ValueError, match=r"Conv2d\(1, 16.*expected a 4-D input \(N, 1, H, W\) or "
                                         r"a 3-D unbatched one, got input of shape \(64, 784\) "
                                         r"\(weight of shape \(16, 1, 5, 5\)\)"):
        m(gu.zeros(64, 784))
    with pytest.raises(ValueError, match=r"Conv1d\(2, 4.*expected a 3-D input"):
        nn.Conv1d(2, 4, 3)(gu.zeros(1, 2, 5, 5))
    with pytest.raises(ValueError, match=r"ConvTranspose2d\(2, 4.*expected input with 2 channels"):
        nn.ConvTranspose2d(2, 4, 3)(gu.zeros(1, 3, 5, 5))
    with pytest.raises(TypeError, match="float64 does not match the weight dtype float32"):
        m(gu.zeros(1, 1, 8, 8, dtype=gu.float64))


@pytest.mark.parametrize("make,match", [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), r"in_channels \(3\) must be divisible by groups"),
    (lambda: nn.Conv2d(4, 3, 3, groups=2), r"out_channels \(3\) must be divisible by groups"),
    (lambda: nn.Conv2d(4, 4, 3, padding="full"), r"'valid' or 'same'"),
    (lambda: nn.Conv2d(4, 4, 3, stride=2, padding="same"), r"not supported for strided"),
    (lambda: nn.Conv2d(4, 4, 3, padding_mode="mirror"), r"padding_mode must be one of"),
    (lambda: nn.ConvTranspose2d(4, 4, 3, padding_mode="reflect"), r"only padding_mode 'zeros'"),
    (lambda: nn.Conv2d(4, 4, (3, 3, 3)), r"kernel_size must be an int or a tuple of 2 ints"),
])
def test_constructor_errors(make, match):
    with pytest.raises((ValueError, TypeError), match=match):
        make()
