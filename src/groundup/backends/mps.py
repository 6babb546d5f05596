"""gu.backends.mps: `torch.backends.mps` queries; groundup has no Metal backend."""

__all__ = ["is_available", "is_built"]


def is_available():
    """False: groundup has no MPS (Apple GPU) backend."""
    return False


def is_built():
    """False: groundup is not built with MPS support."""
    return False
