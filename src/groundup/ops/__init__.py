"""Differentiable primitives, one family per file; this package re-exports their functions."""

from .activation import *  # noqa: F403
from .activation_piecewise import *  # noqa: F403
from .activation_smooth import *  # noqa: F403
from .compare import *  # noqa: F403
from .dropout import *  # noqa: F403
from .einsum import *  # noqa: F403
from .elementwise import *  # noqa: F403
from .embedding import *  # noqa: F403
from .index import *  # noqa: F403
from .join import *  # noqa: F403
from .linalg import *  # noqa: F403
from .loss import *  # noqa: F403
from .normalization import *  # noqa: F403
from .numeric import *  # noqa: F403
from .pnorm import *  # noqa: F403
from .pointwise_loss import *  # noqa: F403
from .reduce import *  # noqa: F403
from .scan import *  # noqa: F403
from .scatter import *  # noqa: F403
from .shape import *  # noqa: F403
from .softmax import *  # noqa: F403
from .sort import *  # noqa: F403
from .special import *  # noqa: F403
from .triangle import *  # noqa: F403
