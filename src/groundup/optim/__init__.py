"""gu.optim: optimizers and learning-rate schedulers."""

from . import lr_scheduler
from .adadelta import *  # noqa: F403
from .adagrad import *  # noqa: F403
from .adam import *  # noqa: F403
from .adamax import *  # noqa: F403
from .asgd import *  # noqa: F403
from .lbfgs import *  # noqa: F403
from .nadam import *  # noqa: F403
from .named import *  # noqa: F403
from .optimizer import *  # noqa: F403
from .radam import *  # noqa: F403
from .rmsprop import *  # noqa: F403
from .sgd import *  # noqa: F403
