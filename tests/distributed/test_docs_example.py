"""docs/10-distributed.md's code, run on 2 ranks under mpiexec, prints what the page says (the
lines one process prints): two ranks train exactly as one process."""

import pathlib

from tests.test_docs import ROOT, _same, blocks

from .support import needs_mpi, run_ranks

PAGE = ROOT / "docs" / "10-distributed.md"


@needs_mpi
def test_the_page_on_two_ranks_prints_what_one_process_prints(tmp_path):
    found = blocks(PAGE)
    script = "\n".join(code for code, _, _ in found)
    expected = "".join(out for _, out, _ in found if out is not None)
    path = pathlib.Path(tmp_path) / "train_ddp.py"
    path.write_text(script)
    out = run_ranks(str(path), cwd=tmp_path)
    assert _same(out.stdout, expected), f"2 ranks printed\n{out.stdout}\nthe page says\n{expected}"
