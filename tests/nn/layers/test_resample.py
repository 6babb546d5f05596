"""Upsample, PixelShuffle, PixelUnshuffle against PyTorch: outputs, gradients, reprs."""

import pytest
from helpers import check_layer, randn, require_torch

import groundup as gu
from groundup import nn

torch = require_torch()
T = torch.nn


@pytest.mark.parametrize("kw, shape", [
    (dict(scale_factor=2), (1, 2, 3, 4)), (dict(size=(5, 7), mode="bilinear"), (2, 2, 3, 4)),
    (dict(scale_factor=1.5, mode="bilinear", align_corners=True), (1, 2, 4, 4)),
    (dict(scale_factor=(2, 3), mode="bicubic"), (1, 1, 3, 3)),
    (dict(size=7, mode="linear"), (2, 3, 4)), (dict(scale_factor=0.5, mode="area"), (1, 2, 6, 6)),
    (dict(scale_factor=2, mode="nearest-exact", recompute_scale_factor=True), (1, 2, 3)),
])
def test_upsample(kw, shape):
    g, t = nn.Upsample(**kw), T.Upsample(**kw)
    check_layer(g, t, randn(*shape))
    assert repr(g) == repr(t)
    assert (g.size, g.scale_factor, g.mode, g.align_corners) == \
        (t.size, t.scale_factor, t.mode, t.align_corners)


def test_upsampling_aliases():
    for name in ("UpsamplingNearest2d", "UpsamplingBilinear2d"):
        g, t = getattr(nn, name)(scale_factor=2), getattr(T, name)(scale_factor=2)
        check_layer(g, t, randn(1, 2, 3, 3))
        assert repr(g) == repr(t)


def test_pixel_shuffle_layers():
    for g, t, shape in ((nn.PixelShuffle(2), T.PixelShuffle(2), (2, 8, 3, 3)),
                        (nn.PixelUnshuffle(3), T.PixelUnshuffle(3), (1, 2, 6, 9))):
        check_layer(g, t, randn(*shape))
        assert repr(g) == repr(t)


def test_resample_errors_name_the_layer():
    with pytest.raises(ValueError, match=r"Upsample\(scale_factor=2.0, mode='linear'\): "
                                         r".*needs a 3-D input.*\(1, 2, 3, 3\)"):
        nn.Upsample(scale_factor=2, mode="linear")(gu.randn(1, 2, 3, 3))
    with pytest.raises(ValueError, match=r"PixelShuffle\(upscale_factor=2\): .*\(1, 3, 2, 2\)"):
        nn.PixelShuffle(2)(gu.randn(1, 3, 2, 2))
