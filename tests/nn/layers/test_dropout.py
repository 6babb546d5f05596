"""Dropout module: training vs eval, statistics, reproducibility, errors."""

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu
from groundup import nn

torch = require_torch()


def test_training_drops_and_scales():
    gu.manual_seed(0)
    d = nn.Dropout(0.25)
    x = gu.ones(100, 100, requires_grad=True)
    y = d(x).numpy()
    assert (y == 0).mean() == pytest.approx(0.25, abs=0.02)
    np.testing.assert_allclose(y[y != 0], 1 / 0.75, rtol=1e-6)


def test_eval_is_identity_and_modes_switch():
    d = nn.Dropout(0.5)
    x = gu.randn(4, 4)
    d.eval()
    assert d(x) is x
    d.train()
    assert not np.array_equal(d(gu.ones(50, 50)).numpy(), np.ones((50, 50)))


def test_inside_sequential_eval():
    m = nn.Sequential(nn.Dropout(0.9), nn.Dropout(0.9)).eval()
    x = gu.randn(3, 3)
    assert m(x) is x


def test_reproducible():
    d = nn.Dropout(0.5)
    gu.manual_seed(1)
    a = d(gu.ones(8, 8)).numpy()
    gu.manual_seed(1)
    np.testing.assert_array_equal(a, d(gu.ones(8, 8)).numpy())


def test_p_bounds_and_repr():
    for p in (-0.1, 1.1, "a", True):
        with pytest.raises(ValueError, match="Dropout"):
            nn.Dropout(p)
    assert not nn.Dropout(1.0)(gu.ones(3)).numpy().any()
    assert repr(nn.Dropout(0.2)) == repr(torch.nn.Dropout(0.2))
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"


@pytest.mark.parametrize("name, shape", [("Dropout1d", (20, 30, 5)), ("Dropout1d", (30, 5)),
                                         ("Dropout2d", (20, 30, 3, 3)), ("Dropout2d", (30, 3, 3)),
                                         ("Dropout3d", (10, 20, 2, 2, 2))])
@pytest.mark.filterwarnings("ignore:dropout2d. a 3-D input")
def test_channel_dropout_layers(name, shape):
    gu.manual_seed(0)
    d = getattr(nn, name)(0.3)
    assert repr(d) == repr(getattr(torch.nn, name)(0.3))
    y = d(gu.ones(*shape)).numpy()
    spatial = int(name[7])  # Dropout1d: 1 spatial dim, ...
    if name == "Dropout2d" and len(shape) == 3:
        spatial = 1  # taken as (N, C, L), as PyTorch does
    planes = y.reshape(shape[: len(shape) - spatial] + (-1,))
    assert (planes == planes[..., :1]).all()  # whole channels dropped or kept
    assert (y == 0).mean() == pytest.approx(0.3, abs=0.1)
    d.eval()
    x = gu.randn(*shape)
    assert d(x) is x


def test_channel_dropout_masks_from_the_shared_generator():
    d = nn.Dropout2d(0.5)
    gu.manual_seed(4)
    a = d(gu.ones(4, 8, 2, 2)).numpy()
    gu.manual_seed(4)
    np.testing.assert_array_equal(d(gu.ones(4, 8, 2, 2)).numpy(), a)


def test_alpha_dropout_layers():
    for name in ("AlphaDropout", "FeatureAlphaDropout"):
        d = getattr(nn, name)(0.2)
        assert repr(d) == repr(getattr(torch.nn, name)(0.2))
        gu.manual_seed(0)
        y = d(gu.randn(100, 50, 4)).numpy()
        assert abs(y.mean()) < 0.05 and y.std() == pytest.approx(1.0, abs=0.05)
        d.eval()
        x = gu.randn(3, 4)
        assert d(x) is x


def test_channel_dropout_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"Dropout2d\(p=0.5, inplace=False\): .*\(2, 3\)"):
        nn.Dropout2d()(gu.randn(2, 3))
    with pytest.raises(ValueError, match="Dropout1d: probability p"):
        nn.Dropout1d(2.0)
