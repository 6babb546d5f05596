"""The compiled GELU of groundup.kernels equals GELUFn's NumPy reference to about 1 ulp
(libm's erf and exp against the reference's polynomial), forward and backward, and
either backward follows either forward."""

import numpy as np
import pytest

import groundup as gu
from groundup import kernels
from groundup.nn import functional as F

pytestmark = pytest.mark.skipif(not kernels.available(),
                                reason="the compiled path needs numba (the `fast` extra)")

SPECIAL = [0.0, -0.0, 1e-30, -1e-30, 0.5, -0.5, 1.0, -1.0, 3.0, -3.0, 6.0, -6.0, 10.0, -10.0,
           30.0, -30.0, np.inf, -np.inf, np.nan]


def _run(x_np, dtype, fwd, bwd, approximate="none"):
    x = gu.tensor(x_np, dtype=dtype, requires_grad=True)
    dy = gu.tensor(np.cos(np.arange(x_np.size)).reshape(x_np.shape), dtype=dtype)
    with kernels.use(fwd):
        y = F.gelu(x, approximate=approximate)
    with kernels.use(bwd):
        y.backward(dy)
    return y.numpy(), x.grad.numpy()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("fwd, bwd", [(True, True), (True, False), (False, True)])
def test_compiled_gelu_matches_the_reference(dtype, fwd, bwd, monkeypatch):
    monkeypatch.setattr(kernels.switch, "MIN_SIZE", 0)
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.standard_normal(70000 - len(SPECIAL)) * 3, SPECIAL]).reshape(-1, 7)
    got, want = _run(x, dtype, fwd, bwd), _run(x, dtype, False, False)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-13, atol=1e-14)
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype
        np.testing.assert_allclose(g, w, **tol)


@pytest.mark.parametrize("fwd, bwd", [(True, True), (True, False), (False, True)])
def test_compiled_gelu_tanh_matches_the_reference(fwd, bwd, monkeypatch):
    """float32 (float64 keeps the reference): compiled_math's tanh against NumPy's. Where
    tanh is within an ulp of -1, 1 + t is a few ulps and NumPy's float32 tanh is itself one
    ulp off there (tanh(-9.95467) = -0.99999994, the nearest float32 being -1): times x
    and the backward's factors that is up to about 3e-6 absolute, hence atol."""
    monkeypatch.setattr(kernels.switch, "MIN_SIZE", 0)
    rng = np.random.default_rng(1)
    x = np.concatenate([rng.standard_normal(70000 - len(SPECIAL)) * 3, SPECIAL]).reshape(-1, 7)
    got = _run(x, np.float32, fwd, bwd, "tanh")
    want = _run(x, np.float32, False, False, "tanh")
    for g, w in zip(got, want, strict=True):
        assert g.dtype == w.dtype
        np.testing.assert_allclose(g, w, rtol=2e-6, atol=5e-6)
    with kernels.use(True):
        assert kernels.gelu_tanh_forward(None, np.zeros(8)) is None  # float64


def test_small_and_strided_inputs_take_the_reference(monkeypatch):
    calls = []
    mod = kernels.switch.load("compiled_activation")
    for name in ("gelu_forward", "gelu_forward_f32"):
        monkeypatch.setattr(mod, name, lambda *args: calls.append(args[0].size))
    monkeypatch.setattr(kernels.switch, "MIN_SIZE", 100)
    with kernels.use(True):
        F.gelu(gu.randn(99))
        F.gelu(gu.randn(20, 10)[:, ::2])
        F.gelu(gu.randn(100))
    assert calls == [100]


def _count_calls(monkeypatch, kernel):
    """With every size on the compiled path: a list that grows by one at each call of
    compiled_activation's `kernel`."""
    monkeypatch.setattr(kernels.switch, "MIN_SIZE", 0)
    calls = []
    mod = kernels.switch.load("compiled_activation")
    fn = getattr(mod, kernel)
    monkeypatch.setattr(mod, kernel, lambda *a: calls.append(1) or fn(*a))
    return calls


@pytest.mark.parametrize("layout", ["c", "batch_innermost"])
def test_compiled_relu_backward_equals_the_reference(monkeypatch, layout):
    """Also in the batch-innermost memory convolutions return (between two of them)."""
    calls = _count_calls(monkeypatch, "relu_backward")
    rng = np.random.default_rng(0)
    a = rng.standard_normal((6, 4, 5, 3)).astype(np.float32)
    a[0, 0, 0, :] = [0.0, np.nan, -0.0]
    w1 = rng.standard_normal((4, 4, 1, 1)).astype(np.float32)
    w2 = rng.standard_normal((2, 4, 1, 1)).astype(np.float32)
    out = []
    for on in (True, False):
        x = gu.tensor(a, requires_grad=True)
        with kernels.use(on):
            if layout == "c":
                y = F.relu(x)
                y.backward(gu.tensor(np.arange(y.numel(), dtype=np.float32).reshape(y.shape)))
            else:
                F.conv2d(F.relu(F.conv2d(x, gu.tensor(w1))), gu.tensor(w2)).sum().backward()
        out.append(x.grad.numpy())
    np.testing.assert_array_equal(out[0], out[1])
    assert len(calls) == 1


@pytest.mark.parametrize("layout", ["c", "batch_innermost"])
def test_compiled_relu_forward_equals_the_reference(monkeypatch, layout):
    """The reference (np.clip against 0 and inf) bit for bit (a NaN passes, -0.0 stays
    -0.0, as in PyTorch), in either memory order, and the result keeps x's memory order;
    small inputs take the reference."""
    calls = _count_calls(monkeypatch, "relu_forward")
    rng = np.random.default_rng(0)
    for dtype in (np.float32, np.float64):
        a = rng.standard_normal((6, 4, 5, 3)).astype(dtype)
        a[0, 0, 0, :] = [0.0, np.nan, -0.0]
        a[0, 0, 1, :] = [np.inf, -np.inf, 1e-40]
        if layout == "batch_innermost":
            a = np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
        with kernels.use(True):
            y = F.relu(gu.from_numpy(a)).numpy()
        with kernels.use(False):
            want = F.relu(gu.from_numpy(a)).numpy()
        np.testing.assert_array_equal(y, want)
        assert (np.signbit(y) == np.signbit(want)).all()
        assert np.signbit(y[0, 0, 0, 2]) and np.isnan(y[0, 0, 0, 1])  # -0.0 stays; NaN passes
        assert not np.signbit(y[~np.isnan(y) & (y != 0)]).any()
        assert y.strides == a.strides
    assert len(calls) == 2
    monkeypatch.setattr(kernels.switch, "MIN_SIZE", 1000)
    with kernels.use(True):
        F.relu(gu.randn(999))
    assert len(calls) == 2


def test_compiled_relu_forward_in_place(monkeypatch):
    monkeypatch.setattr(kernels.switch, "MIN_SIZE", 0)
    a = np.random.default_rng(1).standard_normal((7, 9)).astype(np.float32)
    want = np.maximum(a, 0)
    with kernels.use(True):
        got = kernels.relu_forward(a, out=a)
    assert got is a
    np.testing.assert_array_equal(a, want)
    with kernels.use(True):  # an `out` of another dtype or layout is refused
        assert kernels.relu_forward(a, out=np.empty((7, 9), np.float64)) is None
        assert kernels.relu_forward(a, out=np.empty((9, 7), np.float32).T) is None


@pytest.mark.parametrize("layout", ["c", "batch_innermost"])
@pytest.mark.parametrize("slope", [0.2, -0.5, 0.0, 1e-3])
def test_compiled_leaky_relu_equals_the_reference(monkeypatch, layout, slope):
    """Output and input gradient bit for bit (NaN, +-inf, -0.0 included), in either memory
    order, with and without a gradient to record."""
    calls = _count_calls(monkeypatch, "leaky_relu_forward")
    rng = np.random.default_rng(2)
    for dtype in (np.float32, np.float64):
        a = rng.standard_normal((6, 4, 5, 3)).astype(dtype)
        a[0, 0, 0, :] = [0.0, np.nan, -0.0]
        a[0, 0, 1, :] = [np.inf, -np.inf, -1e-40]
        if layout == "batch_innermost":
            a = np.ascontiguousarray(a.transpose(1, 2, 3, 0)).transpose(3, 0, 1, 2)
        dy = rng.standard_normal(a.shape).astype(dtype)
        out = []
        for on in (True, False):
            with kernels.use(on), np.errstate(invalid="ignore"):  # -inf * 0 in the reference
                x = gu.from_numpy(a.copy(order="K")).requires_grad_()
                y = F.leaky_relu(x, slope)
                y.backward(gu.tensor(dy))
                with gu.no_grad():
                    y0 = F.leaky_relu(gu.from_numpy(a), slope)
            out.append((y.numpy(), x.grad.numpy(), y0.numpy()))
        for got, want in zip(out[0], out[1], strict=True):
            np.testing.assert_array_equal(got, want)
            assert (np.signbit(got) == np.signbit(want)).all()
        assert out[0][0].strides == a.strides
    assert len(calls) == 4
