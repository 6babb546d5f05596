"""Resampling layers: Upsample (and UpsamplingNearest2d / UpsamplingBilinear2d),
PixelShuffle, PixelUnshuffle (the ops are in ops/resample.py)."""

from .. import functional as F
from ..module import Module

__all__ = ["Upsample", "UpsamplingNearest2d", "UpsamplingBilinear2d", "PixelShuffle",
           "PixelUnshuffle"]


class Upsample(Module):
    """Resize the spatial dims: F.interpolate with fixed settings.

    Args:
        size: output spatial size (an int or one per dim), or
        scale_factor: multiplier of each spatial size (output = floor(size * factor)).
        mode: 'nearest' (default), 'nearest-exact', 'linear' (3-D input), 'bilinear'
            (4-D), 'trilinear' (5-D), 'bicubic' (4-D) or 'area'.
        align_corners: for the linear modes and bicubic: align the corner pixels' centres.
        recompute_scale_factor: compute the step from the sizes, not from scale_factor.
    Shape: (N, C, *S) -> (N, C, *S_out).
    Example:
        up = Upsample(scale_factor=2, mode="bilinear")
        y = up(gu.randn(1, 3, 8, 8))    # (1, 3, 16, 16)
    """

    def __init__(self, size=None, scale_factor=None, mode="nearest", align_corners=None,
                 recompute_scale_factor=None):
        super().__init__()
        self.name = type(self).__name__
        self.size = size
        if isinstance(scale_factor, (tuple, list)):
            self.scale_factor = tuple(float(f) for f in scale_factor)
        else:
            self.scale_factor = float(scale_factor) if scale_factor is not None else None
        self.mode = mode
        self.align_corners = align_corners
        self.recompute_scale_factor = recompute_scale_factor

    def forward(self, x):
        try:
            return F.interpolate(x, self.size, self.scale_factor, self.mode, self.align_corners,
                                 recompute_scale_factor=self.recompute_scale_factor)
        except ValueError as e:
            raise ValueError(f"{self!r}: {e}") from None

    def extra_repr(self):
        if self.scale_factor is not None:
            info = f"scale_factor={self.scale_factor!r}"
        else:
            info = f"size={self.size!r}"
        return info + f", mode={self.mode!r}"


class UpsamplingNearest2d(Upsample):
    """Upsample(size, scale_factor, mode='nearest') for (N, C, H, W) inputs."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="nearest")


class UpsamplingBilinear2d(Upsample):
    """Upsample(size, scale_factor, mode='bilinear', align_corners=True)."""

    def __init__(self, size=None, scale_factor=None):
        super().__init__(size, scale_factor, mode="bilinear", align_corners=True)


class PixelShuffle(Module):
    """Move channels into space: (*, C r^2, H, W) -> (*, C, H r, W r) (sub-pixel convolution's
    last step); y[.., c, h r + i, w r + j] = x[.., c r^2 + i r + j, h, w].

    Args: upscale_factor: r.
    Example:
        ps = PixelShuffle(3)
        y = ps(gu.randn(1, 9, 4, 4))    # (1, 1, 12, 12)
    """

    def __init__(self, upscale_factor):
        super().__init__()
        self.upscale_factor = upscale_factor

    def forward(self, x):
        try:
            return F.pixel_shuffle(x, self.upscale_factor)
        except ValueError as e:
            raise ValueError(f"{self!r}: {e}") from None

    def extra_repr(self):
        return f"upscale_factor={self.upscale_factor}"


class PixelUnshuffle(Module):
    """Move space into channels, the inverse of PixelShuffle:
    (*, C, H r, W r) -> (*, C r^2, H, W).

    Args: downscale_factor: r.
    Example:
        pu = PixelUnshuffle(2)
        y = pu(gu.randn(1, 1, 8, 8))    # (1, 4, 4, 4)
    """

    def __init__(self, downscale_factor):
        super().__init__()
        self.downscale_factor = downscale_factor

    def forward(self, x):
        try:
            return F.pixel_unshuffle(x, self.downscale_factor)
        except ValueError as e:
            raise ValueError(f"{self!r}: {e}") from None

    def extra_repr(self):
        return f"downscale_factor={self.downscale_factor}"
