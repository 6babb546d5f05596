"""The switch of the compiled path: on with numba unless GROUNDUP_FAST=0, off per block,
and never needed: without numba everything runs on the NumPy reference."""

import os
import subprocess
import sys

import pytest

from groundup import kernels

# one Adam step on a parameter large enough for the compiled path (if it is on)
STEP = (
    "import sys, numpy as np, groundup as gu\n"
    "p = gu.tensor(np.linspace(-1, 1, 100000), requires_grad=True)\n"
    "opt = gu.optim.Adam([p], lr=0.1)\n"
    "p.grad = gu.tensor(np.cos(np.arange(100000.0)))\n"
    "opt.step()\n"
    "print(gu.kernels.enabled(), sys.modules.get('numba') is not None,\n"
    "      float(p.array.astype(float).sum()))\n"
)


def _run(code, env=None, block_numba=False):
    if block_numba:  # numba not installed, as far as Python can tell
        code = "import sys; sys.modules['numba'] = None\n" + code
    full = dict(os.environ, **(env or {}))
    full.pop("GROUNDUP_FAST_MIN_SIZE", None)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=full, timeout=300)
    assert out.returncode == 0, out.stderr
    return out.stdout.split()


def test_use_and_disabled_restore_the_switch():
    before = kernels.enabled()
    with kernels.disabled():
        assert not kernels.enabled()
        with kernels.use(True):
            assert kernels.enabled() == kernels.available()
        assert not kernels.enabled()
    assert kernels.enabled() == before


def test_environment_turns_it_off():
    enabled, imported, _ = _run(STEP, {"GROUNDUP_FAST": "0"})
    assert (enabled, imported) == ("False", "False")


def test_without_numba_everything_runs_on_the_reference():
    enabled, imported, total = _run(STEP, block_numba=True)
    assert (enabled, imported) == ("False", "False")
    assert float(total) == float(_run(STEP, {"GROUNDUP_FAST": "0"})[2])


@pytest.mark.skipif(not kernels.available(), reason="needs numba (the `fast` extra)")
def test_numba_is_imported_only_when_a_kernel_runs():
    code = "import sys, groundup\nprint(sys.modules.get('numba') is not None)\n"
    assert _run(code, {"GROUNDUP_FAST": "1"}) == ["False"]
    enabled, imported, total = _run(STEP, {"GROUNDUP_FAST": "1"})
    assert (enabled, imported) == ("True", "True")
    # without the compiled path Adam runs its nine-pass BLAS form: equal to rounding
    # (a sum of 100,000 values near +-1: float32 rounding of each, about 1e-7, adds up)
    assert float(total) == pytest.approx(float(_run(STEP, {"GROUNDUP_FAST": "0"})[2]),
                                         abs=1e-3)


def _inlined_stamps():
    """{compiled module: (the modules it imports from, its INLINED)}, read from the source
    (no numba needed)."""
    import ast
    import pathlib

    folder = pathlib.Path(kernels.__file__).parent
    found = {}
    for path in sorted(folder.glob("compiled_*.py")):
        tree = ast.parse(path.read_text())
        used = {node.module for node in ast.walk(tree)
                if isinstance(node, ast.ImportFrom) and node.level == 1
                and (node.module or "").startswith("compiled_")}
        stamp = {}
        for node in tree.body:
            if isinstance(node, ast.Assign) and [getattr(t, "id", None) for t in node.targets] \
                    == ["INLINED"]:
                stamp = ast.literal_eval(node.value)
        found[path.stem] = (used, stamp)
    return folder, found


def test_kernels_that_inline_another_file_carry_its_stamp():
    """numba caches a kernel keyed on its own file: a file that inlines another one's code
    must change when that one does, or the cache keeps stale machine code."""
    import hashlib

    folder, found = _inlined_stamps()
    assert any(used for used, _ in found.values())
    for name, (used, stamp) in found.items():
        want = {m: hashlib.sha256((folder / f"{m}.py").read_bytes().replace(b"\r\n", b"\n"))
                .hexdigest()[:12] for m in sorted(used)}
        assert stamp == want, f"kernels/{name}.py: set INLINED = {want}"
