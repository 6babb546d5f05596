"""Draw the picture of docs/05-attention.md into docs/images/.

    python docs/figures/make_attention_figures.py

- attention-map.png: the attention weights of the four heads of the tutorial's GPT's
  first block over one line. The tutorial's code blocks are run as they are (in a
  temporary folder, on the NumPy reference path, as tests/test_docs.py runs them), and
  the picture they draw is the one copied here, so the figure is exactly what a reader
  running the tutorial gets.

Needs matplotlib.
"""

import contextlib
import io
import os
import pathlib
import re
import shutil
import tempfile

import matplotlib

matplotlib.use("Agg")

DOCS = pathlib.Path(__file__).resolve().parents[1]
IMAGES = DOCS / "images"
TUTORIAL = DOCS / "05-attention.md"


def main():
    from groundup import kernels

    code = re.findall(r"^```python\n(.*?)^```", TUTORIAL.read_text(), re.S | re.M)
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            namespace = {"__name__": "__docs__"}
            with contextlib.redirect_stdout(io.StringIO()), kernels.disabled():
                for block in code:
                    exec(compile(block, str(TUTORIAL), "exec"), namespace)
        finally:
            os.chdir(here)
        IMAGES.mkdir(exist_ok=True)
        shutil.copyfile(os.path.join(tmp, "attention.png"), IMAGES / "attention-map.png")
    print(IMAGES / "attention-map.png")


if __name__ == "__main__":
    main()
