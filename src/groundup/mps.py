"""gu.mps: PyTorch's `torch.mps` (Apple GPUs) queries, answered truthfully.

groundup has no Metal backend: there is no MPS device, `is_available()` is False,
`device_count()` is 0, and seeding, synchronising and emptying the cache do nothing,
so scripts written for PyTorch run unchanged on the CPU. Moving a tensor to "mps"
raises a RuntimeError that says so.
"""

__all__ = ["is_available", "device_count", "manual_seed", "seed", "synchronize", "empty_cache"]


def is_available():
    return False


def device_count():
    return 0


def manual_seed(seed):
    """Nothing to seed: groundup draws random numbers on the CPU (see gu.manual_seed)."""


def seed():
    """Nothing to seed: groundup draws random numbers on the CPU."""


def synchronize():
    """Nothing to wait for: there is no MPS device."""


def empty_cache():
    """Nothing to free: there is no MPS device."""
