"""Pooling layers against PyTorch: outputs, gradients, reprs, attributes and errors that
name the layer and the shapes."""

import numpy as np
import pytest
from helpers import check_layer, randn, require_torch

import groundup as gu
from groundup import nn

torch = require_torch()
T = torch.nn


def distinct(*shape, seed=0):
    n = int(np.prod(shape))
    return np.random.default_rng(seed).permutation(n).reshape(shape) * 0.1 - 0.05 * n


LAYERS = [
    ("MaxPool1d", (2,), {}, (2, 3, 9)),
    ("MaxPool1d", (3,), dict(stride=2, padding=1, dilation=2, ceil_mode=True), (2, 3, 10)),
    ("MaxPool2d", (2,), {}, (2, 3, 8, 8)),
    ("MaxPool2d", ((2, 3),), dict(stride=1, padding=1, dilation=2, ceil_mode=True), (1, 2, 7, 9)),
    ("MaxPool2d", (3,), dict(stride=2, return_indices=True), (2, 2, 7, 7)),
    ("MaxPool2d", (2,), {}, (3, 6, 6)),
    ("AvgPool1d", (3,), dict(stride=2, padding=1, count_include_pad=False), (2, 3, 10)),
    ("AvgPool2d", (2,), {}, (2, 3, 8, 8)),
    ("AvgPool2d", ((2, 3),), dict(stride=1, padding=1, ceil_mode=True, divisor_override=3),
     (1, 2, 7, 9)),
    ("AdaptiveAvgPool1d", (4,), {}, (2, 3, 9)),
    ("AdaptiveAvgPool2d", ((None, 3),), {}, (2, 3, 7, 9)),
    ("AdaptiveAvgPool2d", (1,), {}, (2, 3, 7, 7)),
    ("AdaptiveMaxPool1d", (4,), dict(return_indices=True), (2, 3, 9)),
    ("AdaptiveMaxPool2d", ((2, 3),), {}, (2, 3, 7, 9)),
]


@pytest.mark.parametrize("name, args, kw, shape", LAYERS)
def test_pool_layers_match_torch(name, args, kw, shape):
    g, t = getattr(nn, name)(*args, **kw), getattr(T, name)(*args, **kw)
    check_layer(g, t, distinct(*shape))
    assert repr(g) == repr(t)
    for attr in vars(t):
        if not attr.startswith("_") and attr != "training":
            assert getattr(g, attr) == getattr(t, attr), attr


@pytest.mark.parametrize("n", [1, 2])
def test_max_unpool_layers(n):
    shape = (2, 3, 6, 7)[: n + 2]
    pool = getattr(T, f"MaxPool{n}d")(2, return_indices=True)
    y, idx = pool(torch.tensor(distinct(*shape)))
    g, t = getattr(nn, f"MaxUnpool{n}d")(2), getattr(T, f"MaxUnpool{n}d")(2)
    assert repr(g) == repr(t)
    check_layer(g, t, y.numpy().astype(np.float64), idx.numpy(), list(shape))


def test_errors_name_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r"MaxPool2d\(kernel_size=5.*\): max_pool2d: "
                                         r"kernel_size \(5, 5\).*\(1, 1, 4, 4\)"):
        nn.MaxPool2d(5)(gu.tensor(randn(1, 1, 4, 4)))
    with pytest.raises(ValueError, match=r"AvgPool2d\(.*padding must be at most half"):
        nn.AvgPool2d(3, padding=2)(gu.tensor(randn(1, 1, 8, 8)))
    with pytest.raises(ValueError, match=r"MaxPool2d\(.*expected a 3-D or 4-D input .*"
                                         r"\(2, 1, 1, 8, 8\)"):
        nn.MaxPool2d(2)(gu.tensor(randn(2, 1, 1, 8, 8)))
    with pytest.raises(ValueError, match=r"AdaptiveAvgPool1d\(output_size=2\): .*2-D or 3-D"):
        nn.AdaptiveAvgPool1d(2)(gu.tensor(randn(1, 1, 8, 8)))
