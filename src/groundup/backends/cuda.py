"""gu.backends.cuda: the flags of `torch.backends.cuda` (`matmul.allow_tf32`, ...).

They can be set, as scripts do, and are kept; groundup's float32 GEMMs are full
float32 on every path, so nothing reads them.
"""

from types import SimpleNamespace

__all__ = ["matmul", "is_built"]

matmul = SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                         allow_bf16_reduced_precision_reduction=True)


def is_built():
    """False: groundup is not built against CUDA (its GPU path, when present, is CuPy)."""
    return False
