"""Padding layers, each one F.pad call: ConstantPad1d/2d/3d, ZeroPad1d/2d/3d,
ReflectionPad1d/2d/3d, ReplicationPad1d/2d/3d, CircularPad1d/2d/3d.

`padding` is an int (the same on every side) or (left, right), (left, right, top,
bottom) or (left, right, top, bottom, front, back) as in PyTorch; negative amounts crop.
"""

from .. import functional as F
from ..module import Module

__all__ = [
    "ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d", "ZeroPad3d",
    "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
    "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d",
    "CircularPad1d", "CircularPad2d", "CircularPad3d",
]


def _amounts(layer, padding, n):
    if isinstance(padding, int) and not isinstance(padding, bool):
        return (padding,) * (2 * n)
    padding = tuple(padding)
    if len(padding) != 2 * n:
        raise ValueError(f"{layer}: padding must be an int or a tuple of {2 * n} ints, got "
                         f"{padding!r}")
    return padding


class _PadNd(Module):
    """Shared logic: n padded dims, the mode, the accepted input ranks."""

    _n = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _amounts(type(self).__name__, padding, self._n)

    def _value(self):
        return None

    def forward(self, x):
        n = self._n
        ranks = (n + 1, n + 2)
        if self._mode != "constant" and x.ndim not in ranks:
            raise ValueError(f"{self!r}: expected a {ranks[0]}-D or {ranks[1]}-D input "
                             f"(an optional batch dim, channels, {n} spatial dim(s)), got "
                             f"shape {tuple(x.shape)}")
        try:
            return F.pad(x, self.padding, self._mode, self._value())
        except ValueError as e:
            raise ValueError(f"{self!r}: {e}") from None

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = float(value)

    def _value(self):
        return self.value

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPadNd):
    """Pad the last dim with a constant: (*, L) -> (*, L + left + right).

    Args: padding: int or (left, right).  value: the fill.
    Example:
        pad = ConstantPad1d(2, 3.5)
        y = pad(gu.randn(1, 2, 4))    # (1, 2, 8)
    """

    _n = 1


class ConstantPad2d(_ConstantPadNd):
    """Pad the last two dims with a constant: (*, H, W) -> (*, H + top + bottom, W + left +
    right). Args: padding: int or (left, right, top, bottom).  value: the fill."""

    _n = 2


class ConstantPad3d(_ConstantPadNd):
    """Pad the last three dims with a constant. padding: int or 6 amounts, last dim first."""

    _n = 3


class ZeroPad1d(ConstantPad1d):
    """ConstantPad1d with value 0. Example: ZeroPad1d((1, 2))(gu.randn(1, 3, 4)) is (1, 3, 7)."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad2d(ConstantPad2d):
    """ConstantPad2d with value 0 (padding: int or (left, right, top, bottom)).

    Example:
        pad = ZeroPad2d((1, 1, 2, 0))
        y = pad(gu.randn(1, 1, 3, 3))    # (1, 1, 5, 5)
    """

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ZeroPad3d(ConstantPad3d):
    """ConstantPad3d with value 0."""

    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


class ReflectionPad1d(_PadNd):
    """Pad the last dim with its mirror image, without repeating the edge
    ([a b c d], 2 -> [c b a b c d c b]); each amount smaller than the dim.
    Shape: (N, C, L) or (C, L) -> (.., L + left + right)."""

    _n, _mode = 1, "reflect"


class ReflectionPad2d(_PadNd):
    """Reflection padding of the last two dims: (N, C, H, W) or (C, H, W).

    Example:
        pad = ReflectionPad2d(1)
        y = pad(gu.randn(1, 3, 4, 4))    # (1, 3, 6, 6)
    """

    _n, _mode = 2, "reflect"


class ReflectionPad3d(_PadNd):
    """Reflection padding of the last three dims: (N, C, D, H, W) or (C, D, H, W)."""

    _n, _mode = 3, "reflect"


class ReplicationPad1d(_PadNd):
    """Pad the last dim by repeating its edge values ([a b c], 2 -> [a a a b c c c]).
    Shape: (N, C, L) or (C, L) -> (.., L + left + right)."""

    _n, _mode = 1, "replicate"


class ReplicationPad2d(_PadNd):
    """Replication padding of the last two dims: (N, C, H, W) or (C, H, W)."""

    _n, _mode = 2, "replicate"


class ReplicationPad3d(_PadNd):
    """Replication padding of the last three dims: (N, C, D, H, W) or (C, D, H, W)."""

    _n, _mode = 3, "replicate"


class CircularPad1d(_PadNd):
    """Pad the last dim by wrapping around ([a b c d], 1 -> [d a b c d a]); each amount at
    most the dim. Shape: (N, C, L) or (C, L) -> (.., L + left + right)."""

    _n, _mode = 1, "circular"


class CircularPad2d(_PadNd):
    """Circular padding of the last two dims: (N, C, H, W) or (C, H, W)."""

    _n, _mode = 2, "circular"


class CircularPad3d(_PadNd):
    """Circular padding of the last three dims: (N, C, D, H, W) or (C, D, H, W)."""

    _n, _mode = 3, "circular"
