"""gu.utils: PyTorch's `torch.utils` names (`gu.utils.data` is gu.data)."""

from . import data

__all__ = ["data"]
