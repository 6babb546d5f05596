"""Run folders (commands/runs.py) and `groundup runs`."""

import os
import threading

import pytest

from groundup.commands import runs

from .support import assert_user_error


def test_new_run_dirs_are_numbered_and_never_shared(tmp_path):
    root = tmp_path / "runs"
    made = []

    def claim():
        made.append(runs.new_run_dir("mlp", root=str(root)))

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(os.path.basename(p) for p in made) == [f"mlp-{i:03d}" for i in range(1, 7)]
    os.rmdir(root / "mlp-003")  # numbers go on after the highest, never back
    assert os.path.basename(runs.new_run_dir("mlp", root=str(root))) == "mlp-007"
    assert os.path.basename(runs.new_run_dir("logreg", root=str(root))) == "logreg-001"


def test_latest_is_a_relative_symlink_and_a_real_folder_is_left_alone(tmp_path):
    root = tmp_path / "runs"
    a, b = runs.new_run_dir("m", str(root)), runs.new_run_dir("m", str(root))
    assert runs.point_latest(a, str(root)) is None
    assert runs.point_latest(b, str(root)) is None
    assert os.readlink(root / "latest") == "m-002"
    moved = tmp_path / "moved"
    os.rename(root, moved)  # relative: still right after the folder moves
    assert os.path.realpath(moved / "latest") == str(moved / "m-002")
    other = tmp_path / "old"
    (other / "latest").mkdir(parents=True)
    note = runs.point_latest(str(other / "x"), str(other))
    assert "is a folder of its own" in note and (other / "latest").is_dir()


def test_clear_run_removes_the_run_and_half_written_files_only(tmp_path):
    for name in ("last.safetensors", "history.csv", ".last.safetensors.ab12.tmp", "notes.txt"):
        (tmp_path / name).write_text("x")
    assert runs.holds_run(tmp_path)
    runs.clear_run(tmp_path)
    assert os.listdir(tmp_path) == ["notes.txt"] and not runs.holds_run(tmp_path)
    with pytest.raises(runs.CLIError, match="is a file"):
        runs.prepare_out(str(tmp_path / "notes.txt"), overwrite=True)


def test_runs_lists_model_data_epochs_status_and_best_validation(gu_main, tmp_path):
    gu_main("train", "mlp", "--data", "blobs", "--hidden", "8", "--epochs", 2, "--no-progress",
            cwd=tmp_path)
    gu_main("train", "logreg", "--data", "moons", "--epochs", 1, "--no-progress", cwd=tmp_path)
    (tmp_path / "runs" / "broken").mkdir()
    (tmp_path / "runs" / "broken" / "config.json").write_text("{}")
    (tmp_path / "runs" / "other").mkdir()  # not a run: not listed
    out = gu_main("runs", cwd=tmp_path).stdout.splitlines()
    assert out[0].split() == ["run", "model", "data", "epochs", "status", "best", "validation"]
    rows = {line.split()[0]: line for line in out[1:]}
    assert set(rows) == {"broken", "logreg-001", "mlp-001", "*"}
    assert rows["mlp-001"].split()[1:5] == ["mlp", "blobs", "2/2", "finished"]
    assert "val_loss" in rows["mlp-001"] and "val_accuracy" in rows["mlp-001"]
    assert rows["logreg-001"].split()[1:3] == ["*", "logreg"]
    assert "no readable checkpoint" in rows["broken"]
    assert rows["*"] == "* runs/latest -> logreg-001"
    assert "no runs in" in gu_main("runs", tmp_path / "runs" / "other").stdout
    assert_user_error(gu_main("runs", tmp_path / "nowhere", check=False), "no such folder")
