"""Every Python code block in README.md and docs/*.md runs, in order, one namespace per file.

A ```text block right after a ```python block is the output that block prints;
the test compares them (numbers within a small tolerance, words exactly), so
the numbers the docs quote are the numbers the code produces. Two kinds of output move
from one CPU to another, because the run amplifies the last-bit rounding differences of
the BLAS (a GAN's game): a ```text rough block's numbers are compared within 30%, which
still fails a run that stops learning; a ```text varies block's words only (its page says
which of its figures to expect where).
"""

import contextlib
import io
import math
import pathlib
import re

import pytest

import groundup as gu
from groundup import kernels

ROOT = pathlib.Path(__file__).resolve().parents[1]
FILES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
BLOCK = re.compile(r"^```(python|text|text rough|text varies)\n(.*?)^```", re.S | re.M)
TOLERANCE = {"text": 2e-2, "text rough": 0.3, "text varies": math.inf}  # numbers, relative
NUMBER = re.compile(r"^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?[,\]\)]*$")


def blocks(path):
    """[(code, expected_output_or_None, relative tolerance)] for each python block."""
    out = []
    for kind, body in BLOCK.findall(path.read_text()):
        if kind == "python":
            out.append([body, None, 2e-2])
        elif out and out[-1][1] is None:
            out[-1][1] = body
            out[-1][2] = TOLERANCE[kind]
    return out


def _same(got, want, rel_tol=2e-2):
    if rel_tol == math.inf:  # words only: every number (in "(24%" too) is a placeholder
        got, want = (re.sub(r"\d+(\.\d+)?", "0", t) for t in (got, want))
    gt, wt = got.split(), want.split()
    if len(gt) != len(wt):
        return False
    for g, w in zip(gt, wt):
        if g == w:
            continue
        if NUMBER.match(g) and NUMBER.match(w):
            gv, wv = float(g.rstrip(",])")), float(w.rstrip(",])"))
            if math.isclose(gv, wv, rel_tol=rel_tol, abs_tol=2e-3):
                continue
        return False
    return True


@pytest.fixture
def one_thread(monkeypatch):
    """One thread, whatever else runs: the BLAS rounds differently at 2 threads, and a
    sampled text or a training run amplifies that into other words or figures. A page's
    own set_num_threads call is ignored meanwhile."""
    set_num_threads = gu.set_num_threads
    set_num_threads(1)
    monkeypatch.setattr(gu, "set_num_threads", lambda n=None: None)
    yield
    set_num_threads(None)


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_code_blocks_run(path, tmp_path, monkeypatch, one_thread):
    found = blocks(path)
    assert found or path.name != "README.md", "README.md lost its example"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": "__docs__"}
    for i, (code, expected, rel_tol) in enumerate(found):
        buf = io.StringIO()
        try:
            # the docs' numbers come from the NumPy reference (GROUNDUP_FAST=0)
            with contextlib.redirect_stdout(buf), kernels.disabled():
                exec(compile(code, f"{path.name}[block {i}]", "exec"), namespace)
        except Exception as e:  # name the block that failed
            raise AssertionError(f"{path.name}: code block {i} failed: {e!r}") from e
        if expected is not None:
            assert _same(buf.getvalue(), expected, rel_tol), (
                f"{path.name}: code block {i} printed\n{buf.getvalue()}\nbut the docs say\n"
                f"{expected}"
            )


def test_readme_xor_learns(tmp_path, monkeypatch):
    """The README's raw-tensor XOR example really solves XOR."""
    monkeypatch.chdir(tmp_path)
    ns = {}
    with contextlib.redirect_stdout(io.StringIO()):
        exec(blocks(ROOT / "README.md")[0][0], ns)
    p = ns["p"].numpy().ravel()
    assert (p > 0.5).tolist() == [False, True, True, False]
    assert ns["loss"].item() < 0.05
