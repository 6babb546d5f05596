"""Channel-wise and alpha dropout (ops/feature_dropout.py): whole channels dropped, scaling,
gradients equal to the mask, reproducibility, eval identity, errors."""

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu

torch = require_torch()
F = torch.nn.functional


@pytest.mark.parametrize("fn, shape", [("dropout1d", (40, 30, 5)), ("dropout2d", (40, 30, 3, 4)),
                                       ("dropout3d", (20, 30, 2, 2, 3)),
                                       ("dropout2d", (40, 30, 6)), ("dropout1d", (300, 7))])
@pytest.mark.filterwarnings("ignore:dropout2d. a 3-D input")
def test_whole_channels_drop_and_the_rest_scale(fn, shape):
    gu.manual_seed(0)
    x = gu.ones(*shape, requires_grad=True)
    y = getattr(gu, fn)(x, 0.25)
    a = y.numpy()
    per_channel = a.reshape(a.shape[:2] + (-1,)) if len(shape) > 2 or fn != "dropout1d" \
        else a.reshape(1, a.shape[0], -1)
    assert (per_channel == per_channel[..., :1]).all()  # one draw per (sample, channel)
    assert set(np.unique(a)) <= {0.0, np.float32(1 / 0.75)}
    assert (a == 0).mean() == pytest.approx(0.25, abs=0.05)
    g = np.random.default_rng(1).standard_normal(shape).astype(np.float32)
    y.backward(g)
    np.testing.assert_allclose(x.grad.numpy(), g * a, rtol=1e-6)


def test_eval_p0_p1_and_reproducible():
    x = gu.randn(4, 3, 5, 5)
    assert gu.dropout2d(x, 0.5, training=False) is x
    assert gu.dropout2d(x, 0.0) is x
    assert not gu.dropout2d(x, 1.0).numpy().any()
    gu.manual_seed(3)
    a = gu.dropout2d(x, 0.5).numpy()
    gu.manual_seed(3)
    np.testing.assert_array_equal(gu.dropout2d(x, 0.5).numpy(), a)


def test_alpha_dropout_keeps_mean_and_variance():
    gu.manual_seed(0)
    x = gu.randn(200, 500)
    y = gu.alpha_dropout(x, 0.2, training=True).numpy()
    assert abs(y.mean()) < 0.02 and y.std() == pytest.approx(1.0, abs=0.03)
    kept = y != y.min()
    assert np.allclose(np.unique(y[~kept]), y.min())  # the dropped value is one constant
    assert gu.alpha_dropout(x, 0.2) is x  # training defaults to False, as PyTorch's
    # the dropped value and the affine map are PyTorch's: compare on p = 1 - tiny
    t = torch.zeros(1000)
    torch.manual_seed(0)
    want = F.alpha_dropout(t, 0.5, training=True).unique().numpy()
    got = np.unique(gu.alpha_dropout(gu.zeros(1000), 0.5, training=True).numpy())
    np.testing.assert_allclose(np.sort(got), np.sort(want), rtol=1e-6)


def test_feature_alpha_dropout_per_channel():
    gu.manual_seed(0)
    y = gu.feature_alpha_dropout(gu.ones(50, 20, 4), 0.3, training=True).numpy()
    assert (y == y[..., :1]).all()


def test_errors():
    with pytest.raises(ValueError, match=r"dropout2d: expected a 3-D or 4-D input .*\(2, 3\)"):
        gu.dropout2d(gu.randn(2, 3))
    with pytest.raises(ValueError, match="dropout1d: expected a 2-D or 3-D input"):
        gu.dropout1d(gu.randn(2, 3, 4, 5))
    with pytest.raises(ValueError, match="probability p must be a number in"):
        gu.dropout2d(gu.randn(2, 3, 4, 4), 1.5)
    with pytest.raises(TypeError, match="floating-point"):
        gu.dropout1d(gu.tensor(np.ones((2, 3, 4), np.int64)), 0.5)
