"""Fixtures for the `groundup` command's tests: the command in this process (fast) or as a
real process (for what only a process shows: exit statuses, signals, the installed script)."""

import contextlib
import io
import os
import pathlib
import shutil
import subprocess
import sys

import pytest


def command():
    """How to start the command: the venv's `groundup` script, else `python -m groundup`."""
    script = pathlib.Path(sys.executable).parent / "groundup"
    if script.exists():
        return [str(script)]
    found = shutil.which("groundup")
    return [found] if found else [sys.executable, "-m", "groundup"]


def environment():
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("GROUNDUP_DEBUG", None)
    return env


class Result:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def gu_main(monkeypatch):
    """gu_main(*args, cwd=None, check=True) runs `groundup args...` in this process."""
    from groundup import cli

    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.delenv("GROUNDUP_DEBUG", raising=False)

    def run(*args, cwd=None, check=True):
        out, err = io.StringIO(), io.StringIO()
        here = os.getcwd()
        try:
            if cwd is not None:
                os.chdir(cwd)
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
                try:
                    rc = cli.main([str(a) for a in args])
                except SystemExit as e:  # argparse: --help, --version, bad options
                    rc = e.code
        finally:
            os.chdir(here)
        result = Result(rc, out.getvalue(), err.getvalue())
        if check:
            assert rc == 0, f"exit {rc}\n{result.stdout}\n{result.stderr}"
        return result

    return run


@pytest.fixture
def gu_process():
    """gu_process(*args, cwd=None, check=True) runs `groundup args...` as a real process."""

    def run(*args, cwd=None, check=True):
        out = subprocess.run(command() + [str(a) for a in args], capture_output=True,
                             text=True, cwd=cwd, env=environment(), timeout=300)
        if check:
            assert out.returncode == 0, f"exit {out.returncode}\n{out.stdout}\n{out.stderr}"
        return out

    return run


def run_quietly(*args, cwd=None):
    """`groundup args...` in this process, its output discarded; returns the exit status
    (for module-scoped fixtures, which cannot use gu_main)."""
    from groundup import cli

    here = os.getcwd()
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return cli.main([str(a) for a in args])
    finally:
        os.chdir(here)
