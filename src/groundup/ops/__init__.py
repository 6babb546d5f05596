"""Differentiable primitives, one family per file; this package re-exports their functions."""

from .activation import *  # noqa: F403
from .compare import *  # noqa: F403
from .dropout import *  # noqa: F403
from .elementwise import *  # noqa: F403
from .embedding import *  # noqa: F403
from .index import *  # noqa: F403
from .join import *  # noqa: F403
from .linalg import *  # noqa: F403
from .loss import *  # noqa: F403
from .norm import *  # noqa: F403
from .pointwise_loss import *  # noqa: F403
from .reduce import *  # noqa: F403
from .shape import *  # noqa: F403
from .softmax import *  # noqa: F403
from .special import *  # noqa: F403
