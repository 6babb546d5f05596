"""ops/dropout.py: inverted dropout (called through F, as users do)."""

import numpy as np
import pytest
from helpers import randn, require_torch

import groundup as gu
import groundup.nn.functional as F

torch = require_torch()
TF = torch.nn.functional


# -------------------------------------------------------------------- dropout
@pytest.mark.parametrize("p", [0.1, 0.5, 0.8])
def test_dropout_statistics_and_scaling(p):
    gu.manual_seed(0)
    x = gu.ones(200, 100, requires_grad=True)
    y = F.dropout(x, p)
    a = y.numpy()
    kept = a != 0
    assert kept.mean() == pytest.approx(1 - p, abs=0.02)
    np.testing.assert_allclose(a[kept], 1 / (1 - p), rtol=1e-6)
    y.backward(gu.full((200, 100), 2.0))
    np.testing.assert_allclose(x.grad.numpy(), 2 * a, rtol=1e-6)


def test_dropout_identity_cases():
    x = gu.randn(4, 5, requires_grad=True)
    assert F.dropout(x, 0.5, training=False) is x
    assert F.dropout(x, 0.0) is x
    y = F.dropout(x, 1.0)
    assert not y.numpy().any()
    y.sum().backward()
    assert not x.grad.numpy().any()


def test_dropout_reproducible_and_dtype():
    x = gu.ones(10, 10, dtype=gu.float64)
    gu.manual_seed(5)
    a = F.dropout(x, 0.3).numpy()
    gu.manual_seed(5)
    b = F.dropout(x, 0.3).numpy()
    np.testing.assert_array_equal(a, b)
    assert F.dropout(x, 0.3).dtype == gu.float64
    assert F.dropout(gu.ones(3), 0.3).dtype == gu.float32


def test_dropout_gradcheck_with_fixed_mask():
    x = randn(3, 4)

    def fn(t):
        gu.manual_seed(1)  # the same mask at every evaluation
        return F.dropout(t, 0.4)

    gu.gradcheck(fn, [x])


def test_dropout_errors():
    with pytest.raises(ValueError, match=r"\[0, 1\].*1.5"):
        F.dropout(gu.ones(2), 1.5)
    with pytest.raises(ValueError, match="in \\[0, 1\\]"):
        F.dropout(gu.ones(2), -0.1)
    with pytest.raises(TypeError, match="floating-point"):
        F.dropout(gu.tensor([1, 2]), 0.5)
