"""The functional namespace `F`: thin wrappers over `groundup.ops`, as torch.nn.functional.

`import groundup.nn.functional as F` gives F.relu, F.softmax, F.linear, F.dropout,
F.embedding, F.bilinear, F.layer_norm, F.batch_norm, F.cross_entropy, ... Every
differentiable primitive (Function) lives in groundup.ops; this module only names them.
"""

from .. import ops as _ops
from ..ops import *  # noqa: F403

__all__ = sorted(
    n for n in dir(_ops) if not n.startswith("_") and callable(getattr(_ops, n))
    and not isinstance(getattr(_ops, n), type)
)
