"""gu.accelerator: PyTorch's device-agnostic `torch.accelerator` queries.

The one accelerator groundup can use is a CUDA GPU through CuPy (see gu.cuda).
Without it `is_available()` is False, `current_accelerator()` is None and
`device_count()` is 0, so `gu.accelerator.current_accelerator() or gu.device("cpu")`
picks the CPU, as it does in PyTorch on a machine without a GPU.
"""

from . import backend, cuda

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "synchronize"]


def is_available():
    return cuda.is_available()


def current_accelerator(check_available=False):
    """device("cuda") when a GPU is usable, else None."""
    return backend.device("cuda") if cuda.is_available() else None


def device_count():
    return cuda.device_count()


def current_device_index():
    if not cuda.is_available():
        raise RuntimeError("gu.accelerator.current_device_index(): there is no accelerator "
                           "(gu.accelerator.is_available() is False)")
    return cuda.current_device()


def synchronize(device=None):
    """Wait for the accelerator's queued work; nothing to wait for without one."""
    cuda.synchronize(device)
