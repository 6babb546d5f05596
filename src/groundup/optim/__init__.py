"""gu.optim: optimizers and learning-rate schedulers."""

from . import lr_scheduler
from .adagrad import *  # noqa: F403
from .adam import *  # noqa: F403
from .optimizer import *  # noqa: F403
from .rmsprop import *  # noqa: F403
from .sgd import *  # noqa: F403
