"""gu.cuda: PyTorch's `torch.cuda` queries, answered truthfully.

groundup computes on the CPU with NumPy. Its GPU path is CuPy: tensors move to
"cuda" only when CuPy is installed and sees a GPU, and then `is_available()` is True.
Everywhere else `is_available()` is False, `device_count()` is 0, the seeding,
synchronising and cache calls do nothing (so scripts written for PyTorch run
unchanged), and the calls that need a GPU raise a RuntimeError that says so.

Random numbers are always drawn on the CPU from the generator `gu.manual_seed` seeds
(dropout masks included), so `manual_seed` and `manual_seed_all` here have nothing
to seed.
"""

from . import backend

__all__ = [
    "is_available", "device_count", "is_initialized", "manual_seed", "manual_seed_all", "seed",
    "seed_all", "synchronize", "empty_cache", "current_device", "set_device", "get_device_name",
    "memory_allocated",
]


def is_available():
    """True when tensors can move to "cuda": CuPy is installed and sees a GPU."""
    return backend._get_cupy() is not None


def device_count():
    """The number of GPUs groundup can use (0 without CuPy or a GPU)."""
    return backend.cuda_device_count()


def is_initialized():
    return is_available()


def _check_seed(seed, who):
    if isinstance(seed, bool) or not hasattr(seed, "__index__"):
        raise TypeError(f"gu.cuda.{who}: seed must be an int, got {type(seed).__name__}")


def manual_seed(seed):
    """Nothing to seed: groundup draws random numbers on the CPU (see gu.manual_seed)."""
    _check_seed(seed, "manual_seed")


def manual_seed_all(seed):
    """Nothing to seed: groundup draws random numbers on the CPU (see gu.manual_seed)."""
    _check_seed(seed, "manual_seed_all")


def seed():
    """Nothing to seed: groundup draws random numbers on the CPU."""


def seed_all():
    """Nothing to seed: groundup draws random numbers on the CPU."""


def synchronize(device=None):
    """Wait for the GPU's queued work to finish; nothing to wait for without one."""
    cp = backend._get_cupy()
    if cp is not None:
        cp.cuda.Device(_index(device)).synchronize()


def empty_cache():
    """Give CuPy's cached GPU memory back to the driver; nothing to do without a GPU."""
    cp = backend._get_cupy()
    if cp is not None:
        cp.get_default_memory_pool().free_all_blocks()


def memory_allocated(device=None):
    """Bytes of GPU memory in use by tensors (0 without a GPU)."""
    cp = backend._get_cupy()
    return int(cp.get_default_memory_pool().used_bytes()) if cp is not None else 0


def _need_gpu(who):
    cp = backend._get_cupy()
    if cp is None:
        raise RuntimeError(f"gu.cuda.{who}: no GPU is available (gu.cuda.is_available() is "
                           f"False: groundup's GPU path needs CuPy and a GPU)")
    return cp


def _index(device):
    """The GPU index meant by `device` (None, an int, "cuda:1" or a device); None: current."""
    if device is None or (isinstance(device, int) and not isinstance(device, bool)):
        return device
    d = backend.normalize_device(device)
    if d.type != "cuda":
        raise ValueError(f"gu.cuda: expected a cuda device, got {str(d)!r}")
    return d.index


def current_device():
    """The index of the current GPU."""
    return int(_need_gpu("current_device").cuda.runtime.getDevice())


def set_device(device):
    """Make GPU `device` (an index, "cuda:1" or a device) the current one."""
    cp = _need_gpu("set_device")
    index = _index(device)
    if index is not None:
        cp.cuda.Device(index).use()


def get_device_name(device=None):
    """The name of GPU `device` (default: the current one)."""
    cp = _need_gpu("get_device_name")
    index = _index(device)
    index = cp.cuda.runtime.getDevice() if index is None else index
    name = cp.cuda.runtime.getDeviceProperties(index)["name"]
    return name.decode() if isinstance(name, bytes) else str(name)
