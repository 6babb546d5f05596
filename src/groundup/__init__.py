"""groundup: deep learning from first principles on NumPy."""

import importlib

from numpy import bool_ as bool  # noqa: A004
from numpy import float16, float32, float64, int8, int16, int32, int64, uint8

from . import data, nn, ops, optim
from .autograd import Function, enable_grad, is_grad_enabled, no_grad, set_grad_enabled
from .creation import *  # noqa: F403
from .gradcheck import GradcheckError, gradcheck
from .io import load, save
from .ops import *  # noqa: F403
from .random import get_rng_state, manual_seed, set_rng_state
from .tensor import Tensor

__version__ = "0.1.0"

_LAZY = ("train", "viz", "models", "cli")


def __getattr__(name):
    """Import the heavier subpackages (tqdm, matplotlib) only when they are used."""
    if name in _LAZY:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'groundup' has no attribute {name!r}")
