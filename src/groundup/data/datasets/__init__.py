"""gu.data.datasets: generated toy sets, bundled real data, and loaders for your own files.

Generated (seeded; each returns (X, y) NumPy arrays, X float32):
    xor, spirals, moons, circles, blobs, sine_waves, adding_problem
Bundled (inside the package; see NOTICE): load_digits (UCI 8x8 digits, 1,797
images), load_iris, load_wine; each returns (X float32, y int64) with a fixed
stratified train/test split; sequential_digits (the digits as 8 rows of 8 pixels);
load_shakespeare (8 plays, about 1 M characters, the default text corpus: a str).
Your files: load_csv, load_npz, load_mnist (IDX), read_idx, load_text,
load_cifar10 / CIFAR10 (the CIFAR-10 binary format), ImageFolder / DatasetFolder /
load_image_folder (images in class folders, through Pillow: pip install "groundup[images]").

`DATASETS` maps each name usable without a file to its function (for the
`groundup list` command); `FILE_LOADERS` maps file kinds to their loaders.
Feed any (X, y) pair to a loader as `DataLoader(TensorDataset(X, y), ...)`.
"""

from .bundled import *  # noqa: F403
from .bundled import load_digits, load_iris, load_wine
from .cifar import *  # noqa: F403
from .files import *  # noqa: F403
from .files import load_csv, load_mnist, load_npz, load_text
from .images import *  # noqa: F403
from .regression import *  # noqa: F403
from .sequences import *  # noqa: F403
from .sequences import adding_problem, sequential_digits
from .synthetic import *  # noqa: F403
from .synthetic import blobs, circles, moons, sine_waves, spirals, xor

DATASETS = {
    "xor": xor,
    "spirals": spirals,
    "moons": moons,
    "circles": circles,
    "blobs": blobs,
    "sine_waves": sine_waves,
    "adding_problem": adding_problem,
    "sequential_digits": sequential_digits,
    "digits": load_digits,
    "iris": load_iris,
    "wine": load_wine,
}

FILE_LOADERS = {
    "csv": load_csv,
    "npz": load_npz,
    "mnist": load_mnist,
    "text": load_text,
}
