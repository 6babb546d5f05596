"""gu.nn: modules, layers, losses, initialisers and the functional namespace."""

from . import functional, init, parallel, utils
from .layers import *  # noqa: F403
from .losses import *  # noqa: F403
from .module import *  # noqa: F403
from .parallel import DataParallel
