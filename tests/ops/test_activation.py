"""Activations (ops/activation.py) against PyTorch (float32, float64) and finite differences."""

import math
import warnings

import numpy as np
import pytest
from helpers import check_op, require_torch

import groundup as gu

torch = require_torch()
F = torch.nn.functional


def data(*shape, seed=0, scale=1.0, shift=0.0):
    """Deterministic float64 test data kept away from the kinks of relu-like functions."""
    a = np.random.default_rng(seed).standard_normal(shape) * scale + shift
    a = np.asarray(a)
    a[np.abs(a) < 1e-3] += 0.01  # no finite difference across x == 0
    return a


# (id, groundup fn, torch fn, data kwargs): every element-wise activation
UNARY = [
    ("relu", gu.relu, torch.relu, {}),
    ("relu6", gu.relu6, F.relu6, {"scale": 4.0, "shift": 3.0}),
    ("leaky_relu", gu.leaky_relu, F.leaky_relu, {}),
    ("leaky_relu_0.2", lambda x: gu.leaky_relu(x, 0.2), lambda x: F.leaky_relu(x, 0.2), {}),
    ("leaky_relu_1.5", lambda x: gu.leaky_relu(x, negative_slope=1.5),
     lambda x: F.leaky_relu(x, 1.5), {}),
    ("elu", gu.elu, F.elu, {}),
    ("elu_0.5", lambda x: gu.elu(x, alpha=0.5), lambda x: F.elu(x, alpha=0.5), {}),
    ("gelu", gu.gelu, F.gelu, {"scale": 2.0}),
    ("gelu_tanh", lambda x: gu.gelu(x, approximate="tanh"),
     lambda x: F.gelu(x, approximate="tanh"), {"scale": 2.0}),
    ("erf", gu.erf, torch.erf, {"scale": 1.5}),
    ("silu", gu.silu, F.silu, {"scale": 2.0}),
    ("sigmoid", gu.sigmoid, torch.sigmoid, {"scale": 3.0}),
    ("tanh", gu.tanh, torch.tanh, {}),
    ("softplus", gu.softplus, F.softplus, {"scale": 3.0}),
    ("softplus_beta", lambda x: gu.softplus(x, beta=2.0, threshold=3.0),
     lambda x: F.softplus(x, beta=2.0, threshold=3.0), {"scale": 3.0}),
    ("softplus_neg_beta", lambda x: gu.softplus(x, beta=-1.5, threshold=2.0),
     lambda x: F.softplus(x, beta=-1.5, threshold=2.0), {"scale": 3.0}),
    ("logsigmoid", gu.logsigmoid, F.logsigmoid, {"scale": 3.0}),
    ("hardtanh", gu.hardtanh, F.hardtanh, {"scale": 1.5}),
    ("hardtanh_range", lambda x: gu.hardtanh(x, -0.5, 2.0), lambda x: F.hardtanh(x, -0.5, 2.0),
     {"scale": 1.5}),
]
IDS = [u[0] for u in UNARY]
SHAPES = [(3, 4), (2, 3, 2), (5,), (1, 1), (), (0, 3)]


@pytest.mark.parametrize("name,gfn,tfn,kw", UNARY, ids=IDS)
@pytest.mark.parametrize("shape", SHAPES, ids=str)
def test_unary(name, gfn, tfn, kw, shape):
    check_op(gfn, tfn, data(*shape, seed=1, **kw))


@pytest.mark.parametrize("name,gfn,tfn,kw", UNARY, ids=IDS)
@pytest.mark.parametrize("layout", ["transposed", "sliced"])
def test_unary_non_contiguous(name, gfn, tfn, kw, layout):
    check_op(gfn, tfn, data(3, 4, seed=2, **kw), layout=layout, gradcheck=False)


@pytest.mark.parametrize("name,gfn,tfn,kw", UNARY, ids=IDS)
def test_unary_wide_range(name, gfn, tfn, kw):
    # values from -30 to 30 reach every branch (softplus threshold, erf tails, saturation)
    x = np.linspace(-30, 30, 61) + 0.25
    check_op(gfn, tfn, x, gradcheck=False, atol=1e-5, rtol=1e-4)


@pytest.mark.parametrize("name,gfn,tfn,kw", UNARY, ids=IDS)
def test_unary_dtypes_and_methods(name, gfn, tfn, kw):
    for dt in (np.float32, np.float64):
        x = gu.tensor(data(4, 3, seed=3), dtype=dt, requires_grad=True)
        y = gfn(x)
        assert y.dtype == dt and y.shape == x.shape
        y.sum().backward()
        assert x.grad.dtype == dt
    with gu.no_grad():
        y = gfn(gu.tensor(data(4, 3), requires_grad=True))
    assert not y.requires_grad and y.grad_fn is None


def test_tensor_methods():
    x = data(3, 4, seed=4)
    t = torch.tensor(x)
    g = gu.tensor(x, dtype=gu.float64)
    for got, want in [(g.relu(), t.relu()), (g.sigmoid(), t.sigmoid()), (g.tanh(), t.tanh()),
                      (g.softmax(0), t.softmax(0)), (g.log_softmax(-1), t.log_softmax(-1)),
                      (g.softmax(), t.softmax(-1))]:
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-12, atol=1e-14)


def test_integer_inputs():
    xi = np.array([[-2, -1, 0, 1, 3]], dtype=np.int64)
    y = gu.relu(gu.tensor(xi))
    assert y.dtype == gu.int64
    np.testing.assert_array_equal(y.numpy(), torch.relu(torch.tensor(xi)).numpy())
    np.testing.assert_array_equal(gu.relu6(gu.tensor(xi * 4)).numpy(), [[0, 0, 0, 4, 6]])
    for gfn, tfn in [(gu.sigmoid, torch.sigmoid), (gu.tanh, torch.tanh), (gu.erf, torch.erf),
                     (gu.gelu, F.gelu), (gu.softmax, lambda v: torch.softmax(v, -1))]:
        got = gfn(gu.tensor(xi))
        # the exact values (float64), rounded: PyTorch's own float32 GELU at -2 was off by
        # 4e-6 relative on an AVX2 machine (its vectorised erf), beyond this tolerance
        want = tfn(torch.tensor(xi).double()).float()
        assert got.dtype == gu.float32
        np.testing.assert_allclose(got.numpy(), want.numpy(), rtol=1e-6, atol=1e-7)


def test_accepts_numpy_arrays():
    x = data(2, 3)
    np.testing.assert_allclose(gu.sigmoid(x).numpy(), torch.sigmoid(torch.tensor(x)).numpy(),
                               rtol=1e-6)


def test_gradient_at_kinks_matches_torch():
    # exactly at the kinks PyTorch picks one side; follow it
    x = np.array([-6.0, -1.0, 0.0, 1.0, 6.0])
    for gfn, tfn in [(gu.relu, torch.relu), (gu.relu6, F.relu6), (gu.hardtanh, F.hardtanh),
                     (gu.leaky_relu, F.leaky_relu), (gu.elu, F.elu),
                     (lambda v: gu.elu(v, 0.3), lambda v: F.elu(v, 0.3))]:
        check_op(gfn, tfn, x, gradcheck=False)


def test_leaky_relu_is_exact():
    x = gu.tensor(np.array([-3.0, -1e-30, 2.5, 1e30], np.float32), requires_grad=True)
    y = gu.leaky_relu(x, 0.01)
    want = x.numpy() * np.where(x.numpy() > 0, np.float32(1), np.float32(0.01))
    np.testing.assert_array_equal(y.numpy(), want)
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.array([0.01, 0.01, 1, 1], np.float32))


# ------------------------------------------------------------ stability


def _no_warnings(fn):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return fn()


@pytest.mark.parametrize("dt", [np.float32, np.float64])
def test_stable_at_large_magnitude(dt):
    big = np.array([-1000.0, -100.0, -30.0, 0.0, 30.0, 100.0, 1000.0])
    tb = torch.tensor(big.astype(dt))
    cases = [(gu.sigmoid, torch.sigmoid), (gu.logsigmoid, F.logsigmoid),
             (gu.softplus, F.softplus), (gu.tanh, torch.tanh), (gu.silu, F.silu),
             (gu.elu, F.elu), (gu.gelu, F.gelu), (lambda v: gu.gelu(v, approximate="tanh"),
                                                  lambda v: F.gelu(v, approximate="tanh")),
             (gu.erf, torch.erf), (gu.softmax, lambda v: torch.softmax(v, -1)),
             (gu.log_softmax, lambda v: torch.log_softmax(v, -1))]
    for gfn, tfn in cases:
        x = gu.tensor(big, dtype=dt, requires_grad=True)

        def run(gfn=gfn, x=x):
            y = gfn(x)
            (y * gu.tensor(np.linspace(-1, 1, 7), dtype=dt)).sum().backward()
            return y

        y = _no_warnings(run)
        t = tb.clone().requires_grad_(True)
        ty = tfn(t)
        (ty * torch.tensor(np.linspace(-1, 1, 7).astype(dt))).sum().backward()
        assert np.all(np.isfinite(y.numpy())) and np.all(np.isfinite(x.grad.numpy()))
        np.testing.assert_allclose(y.numpy(), ty.detach().numpy(), rtol=1e-6, atol=1e-30)
        np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-6, atol=1e-30)
    assert gu.sigmoid(gu.tensor([-100.0], dtype=dt)).item() == (0.0 if dt == np.float32
                                                                else 1 / (1 + math.exp(100)))
    assert gu.logsigmoid(gu.tensor([-1000.0])).item() == -1000.0


def test_special_values():
    # +-inf, NaN and -0.0 give PyTorch's values, silently (IEEE: -inf * 0 is NaN)
    x = np.array([-np.inf, np.inf, np.nan, -0.0], np.float64)
    for gfn, tfn in [(gu.relu, torch.relu), (gu.relu6, F.relu6), (gu.sigmoid, torch.sigmoid),
                     (gu.tanh, torch.tanh), (gu.erf, torch.erf), (gu.gelu, F.gelu),
                     (lambda v: gu.gelu(v, approximate="tanh"),
                      lambda v: F.gelu(v, approximate="tanh")),
                     (gu.silu, F.silu), (gu.softplus, F.softplus),
                     (gu.logsigmoid, F.logsigmoid), (gu.elu, F.elu),
                     (gu.leaky_relu, F.leaky_relu), (gu.hardtanh, F.hardtanh)]:
        got = _no_warnings(lambda gfn=gfn: gfn(gu.tensor(x, dtype=gu.float64)).numpy())
        np.testing.assert_array_equal(got, tfn(torch.tensor(x)).numpy(), err_msg=str(gfn))
    for gfn, tfn in [(gu.relu, torch.relu), (gu.relu6, F.relu6), (gu.hardtanh, F.hardtanh)]:
        for dt, tdt in [(gu.float64, torch.float64), (gu.float32, torch.float32)]:
            got = gfn(gu.tensor(x, dtype=dt)).numpy()  # -0.0 stays -0.0, as in PyTorch
            np.testing.assert_array_equal(np.signbit(got),
                                          np.signbit(tfn(torch.tensor(x, dtype=tdt)).numpy()))
    for gfn, tfn in [(gu.relu, torch.relu), (gu.hardtanh, F.hardtanh)]:
        g = gu.tensor(x, dtype=gu.float64, requires_grad=True)
        t = torch.tensor(x, requires_grad=True)
        gfn(g).sum().backward()
        tfn(t).sum().backward()
        np.testing.assert_array_equal(g.grad.numpy(), t.grad.numpy())


# --------------------------------------------------- gelu and arguments


def test_gelu_matches_its_composition():
    # the fused primitive against the same maths built from other ops
    x = gu.tensor(data(5, 4, seed=6, scale=2.0), dtype=gu.float64, requires_grad=True)
    y = gu.gelu(x)
    y.sum().backward()
    g = x.grad.numpy()
    x2 = gu.tensor(x.numpy(), dtype=gu.float64, requires_grad=True)
    y2 = x2 * 0.5 * (gu.erf(x2 * (1 / math.sqrt(2))) + 1.0)
    y2.sum().backward()
    np.testing.assert_allclose(y.numpy(), y2.numpy(), rtol=1e-14, atol=1e-15)
    np.testing.assert_allclose(g, x2.grad.numpy(), rtol=1e-13, atol=1e-15)


def test_gelu_bad_approximate():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        gu.gelu(gu.tensor([1.0]), approximate="fast")


def test_bad_arguments():
    x = gu.tensor([1.0, 2.0])
    with pytest.raises(ValueError, match="hardtanh: min_val"):
        gu.hardtanh(x, 2.0, 1.0)
    with pytest.raises(ValueError, match="softplus: beta"):
        gu.softplus(x, beta=0)


@pytest.mark.parametrize("name", ["relu", "relu6", "hardtanh", "leaky_relu", "elu", "silu"])
def test_inplace(name):
    # PyTorch's inplace=True: done in place when no graph is recorded through x; inside a
    # graph groundup returns a new tensor (same gradient); a leaf needing grad is refused
    gfn, tfn = getattr(gu, name), getattr(F, name)
    x0 = data(3, 4, seed=8, scale=4.0).astype(np.float32)
    want = tfn(torch.tensor(x0)).numpy()
    x = gu.tensor(x0)
    assert gfn(x, inplace=True) is x
    np.testing.assert_allclose(x.numpy(), want, rtol=1e-6)
    leaf = gu.tensor(x0, requires_grad=True)
    with pytest.raises(RuntimeError, match=f"{name}: inplace=True on a leaf tensor"):
        gfn(leaf, inplace=True)
    h = leaf * 1.0
    y = gfn(h, inplace=True)
    assert y is not h and np.array_equal(h.numpy(), x0)
    y.sum().backward()
    t = torch.tensor(x0, requires_grad=True)
    tfn(t * 1.0, inplace=True).sum().backward()
    np.testing.assert_allclose(leaf.grad.numpy(), t.grad.numpy(), rtol=1e-5, atol=1e-7)


def test_inplace_integer_and_read_only():
    xi = gu.tensor([-3, 2, 9])
    assert gu.relu6(xi, inplace=True) is xi
    np.testing.assert_array_equal(xi.numpy(), [0, 2, 6])
    with pytest.raises(TypeError, match="elu: inplace=True cannot store the float32 result"):
        gu.elu(gu.tensor([-1, 1]), inplace=True)
    # a broadcast view cannot be written: the result is a new tensor
    b = gu.tensor([-1.0, 2.0]).expand(3, 2)
    y = gu.relu(b, inplace=True)
    assert y is not b and np.array_equal(y.numpy(), [[0, 2]] * 3)
