"""Every Python code block in README.md and docs/*.md runs, in order, one namespace per file."""

import os
import pathlib
import re

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[1]
FILES = [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)


def python_blocks(path):
    return BLOCK.findall(path.read_text())


@pytest.mark.parametrize("path", FILES, ids=lambda p: p.name)
def test_code_blocks_run(path, tmp_path, monkeypatch, capsys):
    blocks = python_blocks(path)
    assert blocks or path.name != "README.md", "README.md lost its example"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MPLBACKEND", "Agg")
    namespace = {"__name__": "__docs__"}
    for i, code in enumerate(blocks):
        try:
            exec(compile(code, f"{path.name}[block {i}]", "exec"), namespace)
        except Exception as e:  # name the block that failed
            raise AssertionError(f"{path.name}: code block {i} failed: {e!r}") from e
    if os.environ.get("GROUNDUP_SHOW_DOCS"):
        print(capsys.readouterr().out)


def test_readme_xor_learns(tmp_path, monkeypatch):
    """The README's raw-tensor XOR example really solves XOR."""
    monkeypatch.chdir(tmp_path)
    ns = {}
    exec(python_blocks(ROOT / "README.md")[0], ns)
    p = ns["p"].numpy().ravel()
    assert (p > 0.5).tolist() == [False, True, True, False]
    assert ns["loss"].item() < 0.05
