"""`groundup list` and `groundup demo xor`."""

import os

from groundup.data import spec


def test_list_shows_models_with_their_defaults_and_every_trainable_dataset(gu_main):
    out = gu_main("list").stdout
    assert "mlp" in out and "logreg" in out and "epochs 40" in out
    listed = [line.split()[0] for line in out.split("datasets (--data):")[1].splitlines()[1:]]
    assert listed == list(spec.NAMED) + list(spec.FILE_FORMS)
    assert "sine_waves" not in out  # listed before, though `train` could not use it


def test_demo_xor_shows_the_linear_failure_and_the_fix(gu_main, tmp_path):
    out = gu_main("demo", "xor", "--out", tmp_path).stdout
    assert "stuck near log 2" in out
    assert "final loss" in out and ": solved" in out
    assert (tmp_path / "xor_boundary.png").exists()
    assert_bad = gu_main("demo", "xor", "--epochs", -5, "--out", os.devnull, check=False)
    assert assert_bad.returncode == 2 and "--epochs must be >= 1" in assert_bad.stderr
