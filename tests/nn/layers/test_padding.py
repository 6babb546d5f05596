"""Padding layers against PyTorch: every mode in 1-D, 2-D and 3-D, gradients, reprs, errors."""

import pytest
from helpers import check_layer, randn, require_torch

import groundup as gu
from groundup import nn

torch = require_torch()
T = torch.nn

CASES = [
    ("ZeroPad1d", (2,), (2, 3, 4)), ("ZeroPad2d", ((1, 2, 0, 3),), (2, 3, 4, 5)),
    ("ZeroPad3d", (1,), (1, 2, 2, 3, 3)), ("ConstantPad1d", ((2, 1), 3.5), (3, 4)),
    ("ConstantPad2d", (1, -1.0), (1, 2, 3, 3)), ("ConstantPad3d", ((1, 0, 0, 1, 2, 0), 2.0),
                                                 (1, 1, 2, 2, 2)),
    ("ReflectionPad1d", (2,), (2, 3, 4)), ("ReflectionPad2d", ((1, 2, 2, 0),), (2, 3, 4, 5)),
    ("ReflectionPad2d", (1,), (3, 4, 4)), ("ReflectionPad3d", (1,), (1, 2, 3, 3, 3)),
    ("ReplicationPad1d", ((3, 1),), (2, 3, 4)), ("ReplicationPad2d", (2,), (1, 2, 3, 3)),
    ("ReplicationPad3d", ((1, 0, 2, 1, 0, 1),), (1, 1, 2, 3, 2)),
    ("CircularPad1d", (2,), (2, 3, 4)), ("CircularPad2d", ((1, 2, 3, 0),), (2, 3, 4, 5)),
    ("CircularPad3d", (1,), (1, 2, 2, 3, 3)), ("ReflectionPad2d", ((-1, 2, 1, -1),), (1, 2, 4, 5)),
]


@pytest.mark.parametrize("name, args, shape", CASES)
def test_padding_layers_match_torch(name, args, shape):
    g, t = getattr(nn, name)(*args), getattr(T, name)(*args)
    check_layer(g, t, randn(*shape))
    assert repr(g) == repr(t)
    assert g.padding == t.padding


def test_padding_errors_name_the_layer_and_the_shapes():
    with pytest.raises(ValueError, match=r"ReflectionPad2d\(\(1, 1, 1, 1\)\): expected a 3-D "
                                         r"or 4-D input .*\(4, 4\)"):
        nn.ReflectionPad2d(1)(gu.randn(4, 4))
    with pytest.raises(ValueError, match=r"ReflectionPad1d\(\(3, 3\)\): pad: reflect padding "
                                         r"\(3, 3\) must be smaller than the size 3"):
        nn.ReflectionPad1d(3)(gu.randn(1, 2, 3))
    with pytest.raises(ValueError, match="CircularPad2d: padding must be an int or a tuple "
                                         "of 4"):
        nn.CircularPad2d((1, 2))
