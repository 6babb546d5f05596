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
