"""The compiled im2col and col2im of groundup.kernels equal the tuned convolution core's
NumPy copies and sums (ops/conv_tuned.py), for both lowerings and every geometry knob."""

import numpy as np
import pytest

import groundup as gu
from groundup import kernels
from groundup.nn import functional as F
from groundup.ops import conv_tuned

pytestmark = pytest.mark.skipif(not kernels.available(),
                                reason="the compiled path needs numba (the `fast` extra)")


@pytest.fixture(autouse=True)
def every_size(monkeypatch):
    monkeypatch.setattr(kernels.switch, "MIN_SIZE", 0)


def _run(compiled, lowering, dtype, C, O, size, k, seed=0, **conv):
    rng = np.random.default_rng(seed)
    x = gu.tensor(rng.standard_normal((5, C, size, size + 1)), dtype=dtype, requires_grad=True)
    G = conv.get("groups", 1)
    w = gu.tensor(rng.standard_normal((O, C // G, k, k)) * 0.3, dtype=dtype,
                  requires_grad=True)
    b = gu.tensor(rng.standard_normal(O), dtype=dtype, requires_grad=True)
    with kernels.use(compiled), conv_tuned.use(True, lowering=lowering):
        y = F.conv2d(x, w, b, **conv)
        (y * gu.tensor(rng.standard_normal(y.shape), dtype=dtype)).sum().backward()
    return [y.numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()]


@pytest.mark.parametrize("lowering", ["whole", "row_shift"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("C, O, size, k, conv", [
    (1, 4, 9, 5, {"padding": 2}),
    (3, 4, 8, 3, {}),
    (3, 2, 9, 3, {"stride": 2, "padding": 1}),
    (2, 3, 10, 3, {"dilation": 2, "padding": (2, 1)}),
    (4, 6, 7, 3, {"groups": 2, "padding": 1}),
    (2, 2, 6, 3, {"stride": (1, 3), "padding": 3}),
])
def test_compiled_lowering_equals_the_reference(lowering, dtype, C, O, size, k, conv):
    ref = _run(False, lowering, dtype, C, O, size, k, **conv)
    got = _run(True, lowering, dtype, C, O, size, k, **conv)
    tol = 1e-5 if dtype == np.float32 else 1e-12
    for a, b in zip(got, ref):
        np.testing.assert_allclose(a, b, rtol=tol, atol=tol)


def test_the_kernels_run(monkeypatch):
    calls = []
    mod = kernels.switch.load("compiled_conv")
    for name in ("im2col", "col2im"):
        fn = getattr(mod, name)
        monkeypatch.setattr(mod, name, lambda *a, _fn=fn, _n=name: calls.append(_n) or _fn(*a))
    _run(True, None, np.float32, 3, 4, 8, 3, padding=1)
    assert "im2col" in calls and "col2im" in calls
