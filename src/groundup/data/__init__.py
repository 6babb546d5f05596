"""gu.data: datasets, samplers, loaders (with worker processes), the bundled/generated data sets,
image transforms (gu.data.transforms) and text for language models (gu.data.text: vocabularies,
windows for truncated backpropagation through time).

`gu.utils.data` is the same namespace under PyTorch's name, so code written
for `torch.utils.data` ports as it is.
"""

from . import datasets, text, transforms
from .collate import *  # noqa: F403
from .dataset import *  # noqa: F403
from .distributed_sampler import *  # noqa: F403
from .loader import *  # noqa: F403
from .samplers import *  # noqa: F403
from .workers import *  # noqa: F403
