"""gu.backends.cudnn: the flags of `torch.backends.cudnn`; groundup does not use cuDNN.

`enabled`, `benchmark`, `deterministic` and `allow_tf32` have PyTorch's defaults
and can be set; nothing reads them (groundup's CPU computation is deterministic).
"""

__all__ = ["enabled", "benchmark", "deterministic", "allow_tf32", "is_available", "version"]

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


def is_available():
    """False: groundup has no cuDNN backend."""
    return False


def version():
    """None: no cuDNN library is in use."""
    return None
