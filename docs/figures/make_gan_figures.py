"""Draw the pictures of docs/07-gans.md into docs/images/.

    python docs/figures/make_gan_figures.py

The tutorial's code blocks are run as they are (in a temporary folder, on the NumPy
reference path, as tests/test_docs.py runs them) and the pictures they draw are copied
here, so each figure is what a reader running the tutorial gets:

- gan-samples.png: 64 digits from the DCGAN after 15 epochs;
- gan-collapsed.png: the same noise after the generator trained alone against a frozen
  discriminator (mode collapse).

Each block's printed output is shown as well (the tutorial's text blocks). Needs
matplotlib.
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
TUTORIAL = DOCS / "07-gans.md"
DRAWN = {"gan-samples.png": "gan-samples.png", "gan-collapsed.png": "gan-collapsed.png"}


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
            for i, code in enumerate(tutorial_blocks()):
                out = io.StringIO()
                with contextlib.redirect_stdout(out), kernels.disabled():
                    exec(compile(code, f"{TUTORIAL.name}[block {i}]", "exec"), namespace)
                print(f"--- block {i}\n{out.getvalue()}", end="")
            for drawn, kept in DRAWN.items():
                shutil.copyfile(drawn, IMAGES / kept)
        finally:
            os.chdir(here)
    for kept in DRAWN.values():
        print(f"{IMAGES / kept}: {(IMAGES / kept).stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
