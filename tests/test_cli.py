"""cli.py: the parser (--version, --help with defaults and every dataset), and the error
policy: a user's mistake is one line and exit status 2, anything else a traceback with a
request to report it. The sub-commands are tested in tests/commands/."""

import contextlib
import io
import pathlib
import subprocess
import sys
import types

import pytest

import groundup as gu
from groundup import cli
from groundup.data import spec

ROOT = pathlib.Path(__file__).resolve().parents[1]


def _main(*args):
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            rc = cli.main(list(args))
        except SystemExit as e:
            rc = e.code
    return rc, out.getvalue(), err.getvalue()


def test_version():
    rc, out, _ = _main("--version")
    assert rc == 0 and out.strip() == f"groundup {gu.__version__}"


def test_train_help_shows_defaults_new_options_and_every_dataset():
    rc, out, _ = _main("train", "--help")
    text = " ".join(out.split())  # argparse wraps lines
    assert rc == 0
    for name in list(spec.NAMED) + ["PATH.csv", "PATH.npz", "mnist:DIR"]:
        assert name in text, name
    assert "sine_waves" not in text
    for option in ("--weight-decay", "--label-smoothing", "--grad-clip", "--schedule",
                   "--val-split", "--early-stopping", "--threads", "--config", "--overwrite",
                   "--save-every", "--resume"):
        assert option in text, option
    assert "logreg 30" in text and "mlp 40" in text  # per-model defaults: their recipes
    assert "(default: 0.1)" in text and "(default: 0, off)" in text
    assert "logreg constant" in text and "mlp cosine" in text


def test_every_dataset_help_and_list_name_is_one_train_accepts():
    from groundup.commands import task_regress

    for name in spec.NAMED:
        if name in spec.REGRESSION:  # real-valued targets: the regression run loads them
            data = task_regress.TASK.load_data({"data": name, "seed": 0, "val_split": 0.1})
            assert data.targets >= 1
            continue
        split = spec.load(name)
        assert split.classes >= 2


@pytest.mark.parametrize("error", [TypeError("bad"), KeyError("k"), RuntimeError("r"),
                                   ValueError("v")])
def test_errors_that_are_not_the_users_are_shown_as_bugs(monkeypatch, error):
    def broken(args):
        raise error

    monkeypatch.delenv("GROUNDUP_DEBUG", raising=False)
    monkeypatch.setattr("groundup.commands.cmd_list", broken)
    rc, _, err = _main("list")
    assert rc == 1
    assert "Traceback" in err and type(error).__name__ in err
    assert "this is a bug in groundup" in err and "please report it" in err


def test_user_errors_are_one_line_and_debug_shows_their_traceback(monkeypatch, tmp_path):
    rc, _, err = _main("eval", str(tmp_path / "nowhere"))
    assert rc == 2 and err.count("\n") == 1 and "no such run directory" in err
    monkeypatch.setenv("GROUNDUP_DEBUG", "1")
    with pytest.raises(cli.CLIError):
        cli.main(["eval", str(tmp_path / "nowhere")])


def test_bad_arguments_exit_2():
    rc, _, err = _main("train", "mlp", "--epochs", "two")
    assert rc == 2 and "Traceback" not in err


def test_parser_and_commands_share_names_one_way():
    """cli parses, commands works: both take CLIError and the file names from cli_common."""
    import groundup.cli_common as common
    import groundup.commands as commands
    from groundup.commands import runs

    assert cli.CLIError is common.CLIError is runs.CLIError
    assert (common.LAST, common.BEST, common.CONFIG) == (
        "last.safetensors", "best.safetensors", "config.json")
    assert not hasattr(common, "main") and "cli" not in vars(commands)


def test_no_stdlib_module_leaks_into_the_package_namespace():
    assert not hasattr(gu, "importlib")
    leaked = [name for name, value in vars(gu).items() if isinstance(value, types.ModuleType)
              and not value.__name__.startswith("groundup") and not name.startswith("_")]
    assert leaked == []


def test_the_readme_test_command_tests_this_checkout():
    """The README installs the checkout in editable mode, as CI does, so the tests exercise
    the source tree (a plain install would test a copy in site-packages)."""
    readme = (ROOT / "README.md").read_text()
    assert 'pip install -e ".[test]" torch==2.13.0 && python -m pytest' in readme
    assert '-e ".[test' in (ROOT / ".ci" / "run").read_text()
    assert pathlib.Path(gu.__file__).resolve().is_relative_to(ROOT / "src")
    found = subprocess.run([sys.executable, "-c", "import groundup; print(groundup.__file__)"],
                           capture_output=True, text=True, cwd="/", check=True).stdout.strip()
    assert pathlib.Path(found).resolve().is_relative_to(ROOT / "src")
