"""gu.backends: PyTorch's `torch.backends` flags and queries.

`cudnn` and `mps` answer as PyTorch does on a machine without them; their flags
(`cudnn.benchmark`, `cudnn.deterministic`, ...) can be set, as scripts do, and are
kept, but groundup's CPU computation neither needs nor reads them: it is
deterministic already.
"""

from . import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
