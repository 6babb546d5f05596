"""Draw the pictures of docs/06-autoencoders.md into docs/images/.

    python docs/figures/make_autoencoder_figures.py

The tutorial's code blocks are run as they are (in a temporary folder, on the NumPy
reference path, as tests/test_docs.py runs them), and the pictures they draw are the
ones copied here, so each figure is exactly what a reader running the tutorial gets:

- ae-vae-terms.png: the VAE's reconstruction term, negative ELBO (train and test)
  and KL term per epoch;
- ae-vae-samples.png: 64 digits decoded from codes drawn from the prior;
- ae-interpolation.png: decoded points on the line from a 0 to a 5, for the dense,
  convolutional and variational autoencoders;
- ae-cvae-samples.png: the conditional VAE's samples, one column per digit.

Needs matplotlib.
"""

import contextlib
import io
import os
import pathlib
import re
import shutil
import tempfile

DOCS = pathlib.Path(__file__).resolve().parents[1]
IMAGES = DOCS / "images"
TUTORIAL = DOCS / "06-autoencoders.md"
DRAWN = {"vae-terms.png": "ae-vae-terms.png", "vae-samples.png": "ae-vae-samples.png",
         "interpolation.png": "ae-interpolation.png", "cvae-samples.png": "ae-cvae-samples.png"}


def tutorial_blocks():
    """The tutorial's python code blocks, in order."""
    return re.findall(r"^```python\n(.*?)^```", TUTORIAL.read_text(), re.S | re.M)


def main():
    os.environ.setdefault("MPLBACKEND", "Agg")
    from groundup import kernels

    IMAGES.mkdir(exist_ok=True)
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            namespace = {"__name__": "__docs__"}
            with contextlib.redirect_stdout(io.StringIO()), kernels.disabled():
                for i, code in enumerate(tutorial_blocks()):
                    exec(compile(code, f"{TUTORIAL.name}[block {i}]", "exec"), namespace)
            for drawn, kept in DRAWN.items():
                shutil.copyfile(drawn, IMAGES / kept)
        finally:
            os.chdir(here)
    for kept in DRAWN.values():
        print(f"{IMAGES / kept}: {(IMAGES / kept).stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
