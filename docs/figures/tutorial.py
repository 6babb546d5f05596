"""What the figure scripts share: run a tutorial's code blocks the way tests/test_docs.py
does (in a temporary folder, on the NumPy reference path, one namespace for the file) and
keep the pictures they draw in docs/images/, so each figure is exactly what a reader
running the tutorial gets."""

import contextlib
import io
import os
import pathlib
import re
import shutil
import tempfile

DOCS = pathlib.Path(__file__).resolve().parents[1]
IMAGES = DOCS / "images"


def tutorial_blocks(tutorial):
    """The python code blocks of docs/<tutorial>, in order."""
    return re.findall(r"^```python\n(.*?)^```", (DOCS / tutorial).read_text(), re.S | re.M)


def draw(tutorial, kept, show_output=False):
    """Run docs/<tutorial>'s code blocks; copy each picture they draw to docs/images/
    (kept: {drawn file: name in docs/images}); print each block's output when asked, and
    the kept files' sizes."""
    os.environ.setdefault("MPLBACKEND", "Agg")
    from groundup import kernels

    IMAGES.mkdir(exist_ok=True)
    here = os.getcwd()
    with tempfile.TemporaryDirectory() as tmp:
        os.chdir(tmp)
        try:
            namespace = {"__name__": "__docs__"}
            for i, code in enumerate(tutorial_blocks(tutorial)):
                out = io.StringIO()
                with contextlib.redirect_stdout(out), kernels.disabled():
                    exec(compile(code, f"{tutorial}[block {i}]", "exec"), namespace)
                if show_output:
                    print(f"--- block {i}\n{out.getvalue()}", end="")
            for drawn, name in kept.items():
                shutil.copyfile(drawn, IMAGES / name)
        finally:
            os.chdir(here)
    sizes(kept.values())


def sizes(names):
    """Print the size of each of docs/images/<name>."""
    for name in names:
        print(f"{IMAGES / name}: {(IMAGES / name).stat().st_size // 1024} KB")
