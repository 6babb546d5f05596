"""Layer families, one per file."""

from .activation import *  # noqa: F403
from .attention import *  # noqa: F403
from .capsule import *  # noqa: F403
from .container import *  # noqa: F403
from .conv import *  # noqa: F403
from .dropout import *  # noqa: F403
from .embedding import *  # noqa: F403
from .experts import *  # noqa: F403
from .linear import *  # noqa: F403
from .norm import *  # noqa: F403
from .padding import *  # noqa: F403
from .pool import *  # noqa: F403
from .positional import *  # noqa: F403
from .rbf import *  # noqa: F403
from .recurrent import *  # noqa: F403
from .recurrent_cells import *  # noqa: F403
from .resample import *  # noqa: F403
from .sync_batch_norm import *  # noqa: F403
from .transformer import *  # noqa: F403
