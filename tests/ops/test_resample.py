"""Resampling (ops/resample.py) against PyTorch: interpolate in every mode, size and
scale_factor, align_corners, recompute_scale_factor; pixel_shuffle / pixel_unshuffle."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu

torch = require_torch()
F = torch.nn.functional

SIZES = [dict(size=9), dict(size=3), dict(scale_factor=2), dict(scale_factor=1.7),
         dict(scale_factor=0.6), dict(scale_factor=1.7, recompute_scale_factor=True)]


MODES_2D = [("nearest", None), ("nearest-exact", None), ("area", None), ("bilinear", False),
            ("bilinear", True), ("bicubic", False), ("bicubic", True)]


@pytest.mark.parametrize("kw", SIZES + [dict(size=(4, 11)), dict(scale_factor=(2.5, 0.5))])
@pytest.mark.parametrize("mode, align_corners", MODES_2D)
def test_interpolate_2d(kw, mode, align_corners):
    # float32 positions round as PyTorch's kernels do only to within a few ulps
    check_op(lambda t: gu.interpolate(t, mode=mode, align_corners=align_corners, **kw),
             lambda t: F.interpolate(t, mode=mode, align_corners=align_corners, **kw),
             randn(2, 3, 5, 7), atol=3e-5)


@pytest.mark.parametrize("kw", SIZES)
@pytest.mark.parametrize("mode, align_corners", [("nearest", None), ("nearest-exact", None),
                                                 ("area", None), ("linear", False),
                                                 ("linear", True)])
def test_interpolate_1d(kw, mode, align_corners):
    check_op(lambda t: gu.interpolate(t, mode=mode, align_corners=align_corners, **kw),
             lambda t: F.interpolate(t, mode=mode, align_corners=align_corners, **kw),
             randn(2, 3, 6), atol=3e-5)


@pytest.mark.parametrize("mode", ["nearest", "trilinear"])
def test_interpolate_3d(mode):
    check_op(lambda t: gu.interpolate(t, scale_factor=(1.5, 2, 0.7), mode=mode),
             lambda t: F.interpolate(t, scale_factor=(1.5, 2, 0.7), mode=mode),
             randn(1, 2, 3, 4, 5))


def test_nearest_indices_match_pytorch_exactly():
    """PyTorch computes nearest's source index in float32: same rounding, same pixels."""
    rng = np.random.default_rng(0)
    for L, O in [(7, 23), (13, 5), (100, 37), (37, 100), (3, 1000), (7, 7)]:
        x = rng.standard_normal((1, 1, L)).astype(np.float32)
        for kw in (dict(size=O), dict(scale_factor=O / L + 0.013), dict(scale_factor=1.1)):
            for mode in ("nearest", "nearest-exact"):
                got = gu.interpolate(gu.tensor(x), mode=mode, **kw).numpy()
                want = F.interpolate(torch.tensor(x), mode=mode, **kw).numpy()
                np.testing.assert_array_equal(got, want, err_msg=f"{mode} {L} {kw}")


def test_interpolate_of_a_batch_innermost_view_keeps_its_layout():
    chwn = randn(3, 4, 5, 2)
    check_op(lambda t: gu.interpolate(t.permute(3, 0, 1, 2), scale_factor=2, mode="bilinear"),
             lambda t: F.interpolate(t.permute(3, 0, 1, 2), scale_factor=2, mode="bilinear"),
             chwn)
    y = gu.interpolate(gu.tensor(chwn).permute(3, 0, 1, 2), scale_factor=2)
    assert np.argmin(y.array.strides) == 0


def test_interpolate_errors():
    x = gu.randn(1, 2, 4, 4)
    with pytest.raises(ValueError, match="only one of size or scale_factor"):
        gu.interpolate(x, size=3, scale_factor=2)
    with pytest.raises(ValueError, match="either size or scale_factor"):
        gu.interpolate(x)
    with pytest.raises(ValueError, match="mode 'linear' needs a 3-D input"):
        gu.interpolate(x, size=3, mode="linear")
    with pytest.raises(ValueError, match="align_corners can only be set"):
        gu.interpolate(x, size=3, align_corners=True)
    with pytest.raises(ValueError, match="unknown mode 'cubic'"):
        gu.interpolate(x, size=3, mode="cubic")
    with pytest.raises(ValueError, match=r"expected a 3-D, 4-D or 5-D input .*\(4, 4\)"):
        gu.interpolate(gu.randn(4, 4), size=3)
    with pytest.raises(ValueError, match="size .* must have 2 entries"):
        gu.interpolate(x, size=(3, 3, 3))
    with pytest.raises(ValueError, match="recompute_scale_factor is not meaningful"):
        gu.interpolate(x, size=3, recompute_scale_factor=True)
    with pytest.raises(ValueError, match="antialias"):
        gu.interpolate(x, size=3, mode="bilinear", antialias=True)


@pytest.mark.parametrize("shape, r", [((2, 8, 3, 4), 2), ((1, 9, 2, 2), 3), ((2, 1, 4, 3, 2), 2),
                                      ((4, 2, 2), 2), ((0, 4, 2, 2), 2)])
def test_pixel_shuffle(shape, r):
    if shape[0] == 0:  # PyTorch mishandles an empty batch (its backward, its unshuffle)
        x = gu.randn(*shape, requires_grad=True)
        y = gu.pixel_shuffle(x, r)
        assert y.shape == (0, 1, 4, 4) and gu.pixel_unshuffle(y, r).shape == shape
        y.sum().backward()
        assert x.grad.shape == shape
        return
    check_op(lambda t: gu.pixel_shuffle(t, r), lambda t: F.pixel_shuffle(t, r), randn(*shape))
    out = F.pixel_shuffle(torch.tensor(randn(*shape)), r).shape
    check_op(lambda t: gu.pixel_unshuffle(t, r), lambda t: F.pixel_unshuffle(t, r),
             randn(*out, seed=1))


def test_pixel_shuffle_round_trip_and_errors():
    x = gu.randn(2, 12, 3, 5)
    np.testing.assert_array_equal(gu.pixel_unshuffle(gu.pixel_shuffle(x, 2), 2).numpy(),
                                  x.numpy())
    with pytest.raises(ValueError, match="divisible by upscale_factor"):
        gu.pixel_shuffle(gu.randn(1, 5, 2, 2), 2)
    with pytest.raises(ValueError, match="divisible by downscale_factor = 2"):
        gu.pixel_unshuffle(gu.randn(1, 1, 3, 4), 2)
    with pytest.raises(ValueError, match="upscale_factor must be a positive int"):
        gu.pixel_shuffle(x, 0)
    with pytest.raises(ValueError, match="at least 3 dims"):
        gu.pixel_shuffle(gu.randn(4, 4), 2)
