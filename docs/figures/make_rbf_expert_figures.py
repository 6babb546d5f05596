"""Draw the pictures of docs/08-rbf-and-experts.md into docs/images/.

    python docs/figures/make_rbf_expert_figures.py

The tutorial's code blocks are run as they are (in a temporary folder, on the NumPy
reference path, as tests/test_docs.py runs them), and the pictures they draw are copied
here, so each figure is exactly what a reader running the tutorial gets:

- rbf-sine-fit.png: the noisy sine's held-out points, the closed-form fit, the centres;
- rbf-moons.png: the two moons, the decision regions, the 16 centres and their widths;
- moe-experts.png: the spirals' plane coloured by the expert with the largest gate;
- moe-usage.png: the rows each expert took.

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
TUTORIAL = DOCS / "08-rbf-and-experts.md"
DRAWN = ("rbf-sine-fit.png", "rbf-moons.png", "moe-experts.png", "moe-usage.png")


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
            for name in DRAWN:
                shutil.copyfile(name, IMAGES / name)
        finally:
            os.chdir(here)
    for name in DRAWN:
        print(f"{IMAGES / name}: {(IMAGES / name).stat().st_size // 1024} KB")


if __name__ == "__main__":
    main()
