"""gu.data: datasets, loaders and the bundled/generated data sets."""

from . import datasets
from .dataset import *  # noqa: F403
from .loader import *  # noqa: F403
