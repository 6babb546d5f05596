"""groundup: deep learning from first principles on NumPy."""

import importlib as _importlib

from numpy import bool_ as bool  # noqa: A004
from numpy import float16, float32, float64, int8, int16, int32, int64, uint8
from numpy import float16 as half
from numpy import float32 as float  # noqa: A004
from numpy import float64 as double
from numpy import int16 as short
from numpy import int32 as int  # noqa: A004
from numpy import int64 as long

from . import (
    accelerator,
    autograd,
    backends,
    cuda,
    data,
    distributed,
    kernels,
    mps,
    nn,
    ops,
    optim,
    serialization,
    utils,
)
from . import allocator as _allocator
from .autograd import (
    Function,
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .backend import device
from .creation import *  # noqa: F403
from .dtypes import *  # noqa: F403
from .gradcheck import GradcheckError, gradcheck
from .io import load, save
from .ops import *  # noqa: F403
from .random import Generator, get_rng_state, manual_seed, set_rng_state
from .tensor import Tensor
from .threads import get_num_threads, set_num_threads

_allocator.configure()  # keep freed memory in the process: no page faults in training steps
autograd.gradcheck = gradcheck  # torch.autograd.gradcheck's place (autograd cannot import it)

__version__ = "0.1.0"

_LAZY = ("train", "viz", "models", "cli")


def __getattr__(name):
    """Import the heavier subpackages (tqdm, matplotlib) only when they are used."""
    if name in _LAZY:
        return _importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'groundup' has no attribute {name!r}")
