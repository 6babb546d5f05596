"""groundup.threads: set/get, the environment variables, and sharing the cores among the
live groundup processes."""

import os
import subprocess
import sys
import textwrap

import pytest

import groundup as gu
from groundup import blas, threads


@pytest.fixture
def registry(tmp_path, monkeypatch):
    """A private registry directory, and the module's state restored afterwards."""
    folder = tmp_path / "procs"
    monkeypatch.setattr(threads, "_registry", lambda: str(folder))
    for name in ("_fixed", "_settled", "_current"):
        monkeypatch.setattr(threads, name, getattr(threads, name))
    monkeypatch.setattr(threads, "_next_poll", 0.0)
    monkeypatch.setattr(threads, "_registered", None)  # register again, in `folder`
    before = blas.get_num_threads()
    yield folder
    if before is not None:
        blas.set_num_threads(before)


def test_set_and_get(registry):
    gu.set_num_threads(1)
    assert gu.get_num_threads() == 1
    if blas.get_num_threads() is not None:
        assert blas.get_num_threads() == 1
    threads.poll()  # a fixed count stays fixed
    assert gu.get_num_threads() == 1


@pytest.mark.parametrize("bad", [0, -1, 1.5, "2", True])
def test_set_rejects_bad_counts(bad):
    with pytest.raises(ValueError, match="set_num_threads"):
        gu.set_num_threads(bad)


def test_default_shares_the_cores_among_live_processes(registry, monkeypatch):
    monkeypatch.setattr(threads, "cpu_count", lambda: 4)
    threads.set_num_threads(None)
    assert threads.live_processes() == 1 and gu.get_num_threads() == 4
    assert (registry / str(os.getpid())).exists()
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        (registry / str(other.pid)).write_text(threads._start_token(other.pid))
        (registry / "999999999").write_text("")  # a process that is gone
        threads._next_poll = 0.0
        threads.poll()
        assert threads.live_processes() == 2 and gu.get_num_threads() == 2
        assert not (registry / "999999999").exists()
    finally:
        other.kill()
        other.wait()
    threads._next_poll = 0.0
    threads.poll()
    assert gu.get_num_threads() == 4


def test_a_reused_pid_does_not_count(registry):
    threads.poll()
    (registry / str(os.getppid())).write_text("not-its-start-time")
    assert threads.live_processes() == (1 if threads._start_token(os.getpid()) else 2)


@pytest.mark.parametrize("env, expected", [
    ({"GROUNDUP_NUM_THREADS": "1"}, "1 1"),
    ({"OPENBLAS_NUM_THREADS": "1"}, "1 1"),
    ({"OMP_NUM_THREADS": "1", "GROUNDUP_NUM_THREADS": "2"}, "2 2"),
])
def test_environment_fixes_the_count(env, expected):
    code = textwrap.dedent("""
        import groundup as gu
        from groundup import blas, threads
        threads.poll()
        print(gu.get_num_threads(), blas.get_num_threads() or gu.get_num_threads())
    """)
    full = {k: v for k, v in os.environ.items()
            if k not in ("GROUNDUP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS")}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=dict(full, **env), timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == expected


def test_a_process_leaves_the_registry_at_exit(tmp_path):
    code = textwrap.dedent(f"""
        from groundup import threads
        threads._registry = lambda: {str(tmp_path)!r}
        threads.poll()
        import os
        print(os.listdir({str(tmp_path)!r}))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() != "[]"
    assert os.listdir(tmp_path) == []
