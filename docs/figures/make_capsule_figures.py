"""Draw the pictures of docs/09-capsules.md into docs/images/.

    python docs/figures/make_capsule_figures.py

The pictures are those of `groundup train capsnet` with its recipe (seed 0), run in a
temporary folder, so each is exactly what a reader gets from the command:

- caps-reconstructions.png: test digits above their reconstructions from the capsule of
  the predicted class;
- caps-perturbation.png: a test digit redrawn with each of its capsule's 16 dimensions
  (rows) moved by -0.25 .. 0.25 (columns).

Takes a few minutes (the whole training run). Needs matplotlib.
"""

import os
import shutil
import subprocess
import sys
import tempfile

from tutorial import IMAGES, sizes

DRAWN = {"reconstructions.png": "caps-reconstructions.png",
         "perturbation.png": "caps-perturbation.png"}


def main():
    env = dict(os.environ, MPLBACKEND="Agg")
    IMAGES.mkdir(exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([sys.executable, "-m", "groundup", "train", "capsnet", "--out", "run",
                        "--no-progress"], cwd=tmp, env=env, check=True)
        for drawn, kept in DRAWN.items():
            shutil.copyfile(os.path.join(tmp, "run", drawn), IMAGES / kept)
    sizes(DRAWN.values())


if __name__ == "__main__":
    main()
