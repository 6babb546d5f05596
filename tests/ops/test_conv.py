"""conv1d and conv2d vs PyTorch (float32, float64) and finite differences, on both cores."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu
from groundup.ops import conv_tuned
from groundup.ops.conv import ConvFn

torch = require_torch()
# PyTorch warns that 'same' with an even kernel pads a copy of the input; expected here
pytestmark = pytest.mark.filterwarnings("ignore:Using padding='same'")
F = torch.nn.functional


@pytest.fixture(params=["whole", "row_shift", "reference"])
def core(request):
    """Run the test on the tuned core (both lowerings) and on the readable reference."""
    tuned = request.param != "reference"
    with conv_tuned.use(tuned, lowering=request.param if tuned else None):
        yield request.param


# (input shape, weight shape, keyword arguments): strides, paddings, dilations, groups
# (depthwise included), odd sizes, non-square kernels, batch 1 and an empty batch
CONV2D = [
    ((2, 3, 6, 5), (4, 3, 3, 3), {}),
    ((1, 2, 5, 7), (3, 2, 2, 3), {"padding": 1}),
    ((2, 2, 7, 6), (3, 2, 3, 2), {"stride": 2, "padding": (1, 2)}),
    ((2, 2, 7, 7), (2, 2, 3, 3), {"stride": (3, 2), "dilation": (2, 1)}),
    ((1, 2, 8, 7), (2, 2, 2, 3), {"dilation": 2, "padding": 2, "stride": 2}),
    ((2, 4, 5, 6), (6, 2, 3, 3), {"groups": 2, "padding": 1}),
    ((2, 3, 6, 5), (3, 1, 3, 3), {"groups": 3, "padding": "same"}),  # depthwise
    ((2, 3, 5, 5), (6, 1, 2, 2), {"groups": 3, "stride": 2}),  # depthwise, multiplier 2
    ((2, 2, 5, 6), (3, 2, 4, 2), {"padding": "same"}),  # even kernel: asymmetric
    ((2, 2, 5, 6), (3, 2, 2, 3), {"padding": "same", "dilation": (1, 2)}),
    ((2, 2, 5, 4), (3, 2, 3, 3), {"padding": "valid"}),
    ((1, 1, 4, 4), (1, 1, 4, 4), {}),  # kernel = input: a 1x1 output
    ((2, 2, 3, 3), (2, 2, 1, 1), {"stride": 2}),  # 1x1 kernel, strided
    ((0, 2, 5, 5), (3, 2, 3, 3), {"padding": 1}),  # empty batch
    ((2, 5, 4), (4, 2, 3, 3), {"padding": 1}),  # unbatched (C, H, W)
]
CONV1D = [
    ((2, 3, 7), (4, 3, 3), {}),
    ((1, 2, 9), (3, 2, 2), {"stride": 2, "padding": 1}),
    ((2, 4, 8), (4, 2, 3), {"groups": 2, "dilation": 2, "padding": "same"}),
    ((2, 3, 6), (3, 1, 4), {"groups": 3, "padding": "same"}),
    ((0, 2, 5), (3, 2, 3), {}),
    ((2, 7), (3, 2, 3), {"padding": 1}),  # unbatched (C, L)
]


def _ids(cases):
    return [f"{x}*{w}-{kw}" for x, w, kw in cases]


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("xs,ws,kw", CONV2D, ids=_ids(CONV2D))
def test_conv2d(core, xs, ws, kw, bias):
    b = (randn(ws[0], seed=3),) if bias else ()
    check_op(lambda x, w, *b: gu.conv2d(x, w, *b, **kw), lambda x, w, *b: F.conv2d(x, w, *b, **kw),
             randn(*xs, seed=1), randn(*ws, seed=2), *b, gradcheck=bias)


@pytest.mark.parametrize("xs,ws,kw", CONV1D, ids=_ids(CONV1D))
def test_conv1d(core, xs, ws, kw):
    check_op(lambda x, w, b: gu.conv1d(x, w, b, **kw), lambda x, w, b: F.conv1d(x, w, b, **kw),
             randn(*xs, seed=1), randn(*ws, seed=2), randn(ws[0], seed=3))


def test_conv2d_non_contiguous_inputs(core):
    x, w, b = randn(2, 3, 5, 6, seed=1), randn(4, 3, 3, 2, seed=2), randn(4, seed=3)
    for layout in ("transposed", "sliced"):
        check_op(lambda x, w, b: gu.conv2d(x, w, b, padding=1),
                 lambda x, w, b: F.conv2d(x, w, b, padding=1), x, w, b, layout=layout,
                 gradcheck=False)


def test_only_the_gradients_asked_for(core, monkeypatch):
    x = gu.tensor(randn(2, 3, 5, 5, seed=1))  # the data: no gradient
    w = gu.tensor(randn(4, 3, 3, 3, seed=2), requires_grad=True)
    b = gu.tensor(randn(4, seed=3))
    y = gu.conv2d(x, w, b, padding=1)
    assert isinstance(y.grad_fn, ConvFn) and y.grad_fn.needs_input_grad == (False, True, False)
    seen = []
    monkeypatch.setattr(y.grad_fn.core, "conv_input_grad", lambda *a: seen.append(a))
    y.sum().backward()
    assert not seen and x.grad is None and b.grad is None and w.grad is not None
    # only the bias needs one: no lowered input kept, no weight GEMM
    b.requires_grad_()
    z = gu.conv2d(x, w.detach(), b)
    assert z.grad_fn.saved[0] is None
    z.sum().backward()
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 2 * 3 * 3), rtol=1e-6)


def test_tuned_equals_reference_on_many_geometries():
    rng = np.random.default_rng(7)
    for _ in range(40):
        G = int(rng.integers(1, 4))
        C, O = G * int(rng.integers(1, 3)), G * int(rng.integers(1, 3))
        k = tuple(int(v) for v in rng.integers(1, 4, 2))
        d = tuple(int(v) for v in rng.integers(1, 3, 2))
        s = tuple(int(v) for v in rng.integers(1, 4, 2))
        p = tuple(int(v) for v in rng.integers(0, 3, 2))
        H, W = (int(dd * (kk - 1) + 1 + rng.integers(0, 5)) for dd, kk in zip(d, k))
        N = int(rng.integers(1, 4))
        x = gu.tensor(rng.standard_normal((N, C, H, W)), dtype=gu.float64, requires_grad=True)
        w = gu.tensor(rng.standard_normal((O, C // G) + k), dtype=gu.float64, requires_grad=True)
        b = gu.tensor(rng.standard_normal(O), dtype=gu.float64, requires_grad=True)
        results = []
        for lowering in ("whole", "row_shift", "reference"):
            with conv_tuned.use(lowering != "reference", lowering=None if lowering ==
                                "reference" else lowering):
                y = gu.conv2d(x, w, b, stride=s, padding=p, dilation=d, groups=G)
                dy = np.random.default_rng(1).standard_normal(y.shape)
                x.grad = w.grad = b.grad = None
                (y * gu.tensor(dy, dtype=gu.float64)).sum().backward()
                results.append([y.numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()])
        for tuned in results[:2]:
            for got, want in zip(tuned, results[2], strict=True):
                np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


def test_tuned_output_is_an_nchw_view_of_chwn_memory():
    x = gu.tensor(randn(3, 2, 6, 6, seed=1))
    w, b = gu.tensor(randn(4, 2, 3, 3, seed=2)), gu.tensor(randn(4, seed=3))
    with conv_tuned.use(True):
        y = gu.conv2d(x, w, b)
        r = gu.relu(y)  # element-wise ops keep the layout
        z = gu.conv2d(r, gu.tensor(randn(2, 4, 2, 2, seed=4)))  # reads r's memory as it is
    for t in (y, r, z):
        assert t.array.transpose(1, 2, 3, 0).flags.c_contiguous
        assert not t.array.flags.c_contiguous
    c = y.contiguous()
    assert c.array.flags.c_contiguous and c is not y
    np.testing.assert_array_equal(c.numpy(), y.numpy())
    yt = F.conv2d(torch.tensor(x.numpy()), torch.tensor(w.numpy()), torch.tensor(b.numpy()))
    zt = F.conv2d(F.relu(yt), torch.tensor(randn(2, 4, 2, 2, seed=4), dtype=torch.float32))
    np.testing.assert_allclose(z.numpy(), zt.numpy(), rtol=1e-5, atol=1e-5)
    flat = y.flatten(1)  # (N, C*H*W) of CHWN memory is a column-major view: no copy
    np.testing.assert_array_equal(flat.numpy(), y.numpy().reshape(3, 64))
    assert np.shares_memory(flat.numpy(), y.numpy())


def test_chained_convolutions_match_pytorch(core):
    """conv -> relu -> conv -> relu -> conv (strides, padding, groups), forward and backward:
    the NCHW views of batch-innermost memory flow between the layers."""

    def net(x, w1, w2, w3, lib):
        f = F if lib is torch else gu.nn.functional
        h = f.relu(f.conv2d(x, w1, padding=1))
        h = f.relu(f.conv2d(h, w2, stride=2, padding=1, groups=2))
        return f.conv2d(h, w3)

    check_op(lambda *a: net(*a, gu), lambda *a: net(*a, torch), randn(2, 2, 7, 7, seed=1),
             randn(4, 2, 3, 3, seed=2), randn(6, 2, 3, 3, seed=3), randn(3, 6, 2, 2, seed=4),
             gradcheck=False)


def test_float64_stays_float64_and_no_upcast(core):
    x, w = gu.tensor(randn(1, 2, 4, 4)), gu.tensor(randn(3, 2, 3, 3))
    assert gu.conv2d(x, w).dtype == gu.float32
    x64 = gu.tensor(randn(1, 2, 4, 4), dtype=gu.float64)
    assert gu.conv2d(x64, w.double()).dtype == gu.float64


@pytest.mark.parametrize("call,match", [
    (lambda: gu.conv2d(gu.zeros(2, 3, 5, 5), gu.zeros(4, 2, 3, 3)),
     r"conv2d: .*weight of shape \(4, 2, 3, 3\) expects input of shape \(2, 3, 5, 5\) to have "
     r"2 channels, but it has 3"),
    (lambda: gu.conv2d(gu.zeros(2, 3, 2, 2), gu.zeros(4, 3, 3, 3)),
     r"conv2d: the kernel \(3 x 3.*larger than the padded input \(2 x 2; input of shape "
     r"\(2, 3, 2, 2\)\)"),
    (lambda: gu.conv2d(gu.zeros(2, 3, 5), gu.zeros(4, 3, 3, 3)),
     r"conv2d: .*expects input of shape \(1, 2, 3, 5\) to have 3 channels"),
    (lambda: gu.conv2d(gu.zeros(3, 5), gu.zeros(4, 3, 3, 3)),
     r"conv2d: expected a 4-D input .*got input of shape \(3, 5\)"),
    (lambda: gu.conv1d(gu.zeros(2, 3, 5, 5), gu.zeros(4, 3, 3)),
     r"conv1d: expected a 3-D input"),
    (lambda: gu.conv2d(gu.zeros(1, 6, 5, 5), gu.zeros(4, 2, 3, 3), groups=3),
     r"divisible by groups=3"),
    (lambda: gu.conv2d(gu.zeros(1, 3, 5, 5), gu.zeros(4, 3, 3, 3), stride=2, padding="same"),
     r"padding='same' is not supported for strided"),
    (lambda: gu.conv2d(gu.zeros(1, 3, 5, 5), gu.zeros(4, 3, 3, 3), padding="full"),
     r"padding must be an int, a tuple of ints, 'valid' or 'same'"),
    (lambda: gu.conv2d(gu.zeros(1, 3, 5, 5), gu.zeros(4, 3, 3, 3), stride=0),
     r"stride must be at least 1"),
    (lambda: gu.conv2d(gu.zeros(1, 3, 5, 5), gu.zeros(4, 3, 3, 3), padding=-1),
     r"padding must be at least 0"),
    (lambda: gu.conv2d(gu.zeros(1, 3, 5, 5), gu.zeros(4, 3, 3, 3), gu.zeros(3)),
     r"bias must have shape \(4,\)"),
    (lambda: gu.conv2d(gu.zeros(1, 3, 5, 5), gu.zeros(4, 3, 3, 3, dtype=gu.float64)),
     r"floating point of one dtype"),
    (lambda: gu.conv2d(gu.zeros(1, 3, 5, 5), gu.zeros(4, 3, 3)),
     r"weight must be 4-D"),
])
def test_errors(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()
