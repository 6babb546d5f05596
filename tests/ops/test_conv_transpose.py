"""conv_transpose1d and conv_transpose2d vs PyTorch and finite differences, on both cores."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu
from groundup.ops import conv_tuned

torch = require_torch()
F = torch.nn.functional


@pytest.fixture(params=["whole", "row_shift", "reference"])
def core(request):
    """Run the test on the tuned core (both lowerings) and on the readable reference."""
    tuned = request.param != "reference"
    with conv_tuned.use(tuned, lowering=request.param if tuned else None):
        yield request.param


# (input shape, weight shape (Cin, Cout/groups, kH, kW), keyword arguments)
CONV_T2D = [
    ((2, 3, 4, 5), (3, 2, 3, 3), {}),
    ((1, 2, 3, 4), (2, 3, 2, 3), {"stride": 2}),
    ((2, 2, 4, 3), (2, 2, 3, 3), {"stride": (2, 3), "padding": (1, 2), "output_padding": (1, 2)}),
    ((2, 2, 3, 3), (2, 1, 3, 2), {"dilation": 2, "padding": 1}),
    ((1, 2, 3, 3), (2, 2, 2, 2), {"dilation": 3, "output_padding": 2}),  # op < dilation
    ((2, 4, 3, 4), (4, 3, 3, 3), {"groups": 2, "stride": 2, "padding": 1}),
    ((2, 3, 4, 4), (3, 1, 3, 3), {"groups": 3, "padding": 1}),  # depthwise
    ((0, 2, 3, 3), (2, 3, 3, 3), {"stride": 2}),  # empty batch
    ((2, 3, 4), (2, 3, 2, 2), {"stride": 2}),  # unbatched (C, H, W)
]
CONV_T1D = [
    ((2, 3, 5), (3, 2, 3), {}),
    ((1, 2, 4), (2, 3, 3), {"stride": 3, "padding": 1, "output_padding": 2}),
    ((2, 4, 5), (4, 1, 2), {"groups": 2, "dilation": 2}),
    ((3, 5), (3, 2, 3), {"stride": 2}),  # unbatched (C, L)
]


def _ids(cases):
    return [f"{x}*{w}-{kw}" for x, w, kw in cases]


@pytest.mark.parametrize("bias", [True, False], ids=["bias", "no_bias"])
@pytest.mark.parametrize("xs,ws,kw", CONV_T2D, ids=_ids(CONV_T2D))
def test_conv_transpose2d(core, xs, ws, kw, bias):
    groups = kw.get("groups", 1)
    b = (randn(ws[1] * groups, seed=3),) if bias else ()
    check_op(lambda x, w, *b: gu.conv_transpose2d(x, w, *b, **kw),
             lambda x, w, *b: F.conv_transpose2d(x, w, *b, **kw),
             randn(*xs, seed=1), randn(*ws, seed=2), *b, gradcheck=bias)


@pytest.mark.parametrize("xs,ws,kw", CONV_T1D, ids=_ids(CONV_T1D))
def test_conv_transpose1d(core, xs, ws, kw):
    b = randn(ws[1] * kw.get("groups", 1), seed=3)
    check_op(lambda x, w, b: gu.conv_transpose1d(x, w, b, **kw),
             lambda x, w, b: F.conv_transpose1d(x, w, b, **kw),
             randn(*xs, seed=1), randn(*ws, seed=2), b)


def test_is_the_input_gradient_of_conv2d(core):
    """conv_transpose2d(dy, w) is the gradient of conv2d with respect to its input."""
    x = gu.tensor(randn(2, 3, 7, 6, seed=1), requires_grad=True)
    w = gu.tensor(randn(4, 3, 3, 2, seed=2))
    kw = {"stride": 2, "padding": 1, "dilation": (1, 2)}
    y = gu.conv2d(x, w, **kw)
    dy = gu.tensor(randn(*y.shape, seed=3))
    (y * dy).sum().backward()
    out = gu.conv_transpose2d(dy, w, output_padding=(0, 1), **kw)
    np.testing.assert_allclose(out.numpy(), x.grad.numpy(), rtol=1e-5, atol=1e-5)


def test_tuned_equals_reference():
    rng = np.random.default_rng(3)
    for _ in range(25):
        G = int(rng.integers(1, 3))
        Cin, Cout = G * int(rng.integers(1, 3)), G * int(rng.integers(1, 3))
        k = tuple(int(v) for v in rng.integers(1, 4, 2))
        s = tuple(int(v) for v in rng.integers(1, 4, 2))
        d = tuple(int(v) for v in rng.integers(1, 3, 2))
        p = tuple(int(rng.integers(0, (dd * (kk - 1)) // 2 + 1)) for dd, kk in zip(d, k))
        op = tuple(int(rng.integers(0, max(ss, dd))) for ss, dd in zip(s, d))
        x = gu.tensor(rng.standard_normal((2, Cin, 3, 4)), dtype=gu.float64, requires_grad=True)
        w = gu.tensor(rng.standard_normal((Cin, Cout // G) + k), dtype=gu.float64,
                      requires_grad=True)
        b = gu.tensor(rng.standard_normal(Cout), dtype=gu.float64, requires_grad=True)
        results = []
        for lowering in ("whole", "row_shift", "reference"):
            with conv_tuned.use(lowering != "reference", lowering=None if lowering ==
                                "reference" else lowering):
                y = gu.conv_transpose2d(x, w, b, stride=s, padding=p, output_padding=op,
                                        groups=G, dilation=d)
                dy = np.random.default_rng(1).standard_normal(y.shape)
                x.grad = w.grad = b.grad = None
                (y * gu.tensor(dy, dtype=gu.float64)).sum().backward()
                results.append([y.numpy(), x.grad.numpy(), w.grad.numpy(), b.grad.numpy()])
        for tuned in results[:2]:
            for got, want in zip(tuned, results[2], strict=True):
                np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("call,match", [
    (lambda: gu.conv_transpose2d(gu.zeros(1, 3, 4, 4), gu.zeros(2, 3, 3, 3)),
     r"conv_transpose2d: weight of shape \(2, 3, 3, 3\) expects input of shape \(1, 3, 4, 4\) "
     r"to have 2 channels, but it has 3"),
    (lambda: gu.conv_transpose2d(gu.zeros(1, 2, 4, 4), gu.zeros(2, 3, 3, 3), stride=2,
                                 output_padding=2),
     r"output_padding \(2, 2\) must be smaller than either stride"),
    (lambda: gu.conv_transpose2d(gu.zeros(1, 2, 1, 1), gu.zeros(2, 3, 1, 1), padding=1),
     r"the output would be -1 x -1"),
    (lambda: gu.conv_transpose2d(gu.zeros(1, 2, 4, 4), gu.zeros(2, 3, 3, 3), padding="same"),
     r"padding must be an int or a tuple"),
    (lambda: gu.conv_transpose1d(gu.zeros(1, 2, 4, 4), gu.zeros(2, 3, 3)),
     r"conv_transpose1d: expected a 3-D input"),
    (lambda: gu.conv_transpose2d(gu.zeros(1, 3, 4, 4), gu.zeros(3, 2, 3, 3), groups=2),
     r"divisible by groups=2"),
])
def test_errors(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_weight_gradient_only(core):
    """The data needs no gradient: dw alone (no dx GEMM), equal to PyTorch's."""
    x, w = randn(2, 3, 4, 4, seed=1), randn(3, 2, 3, 3, seed=2)
    gw = gu.tensor(w, requires_grad=True)
    y = gu.conv_transpose2d(gu.tensor(x), gw, stride=2, padding=1)
    assert y.grad_fn.needs_input_grad == (False, True)
    y.sum().backward()
    tw = torch.tensor(w, dtype=torch.float32, requires_grad=True)
    F.conv_transpose2d(torch.tensor(x, dtype=torch.float32), tw, stride=2, padding=1).sum() \
        .backward()
    np.testing.assert_allclose(gw.grad.numpy(), tw.grad.numpy(), rtol=1e-5, atol=1e-5)
