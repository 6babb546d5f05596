"""The `groundup` command end to end, through subprocesses, on tiny budgets."""

import os
import pathlib
import shutil
import subprocess
import sys

import numpy as np
import pytest

import groundup as gu


def _command():
    script = pathlib.Path(sys.executable).parent / "groundup"
    if script.exists():
        return [str(script)]
    found = shutil.which("groundup")
    return [found] if found else [sys.executable, "-m", "groundup"]


def run(*args, cwd=None, check=True):
    env = dict(os.environ, MPLBACKEND="Agg")
    env.pop("GROUNDUP_DEBUG", None)
    out = subprocess.run(_command() + [str(a) for a in args], capture_output=True, text=True,
                         cwd=cwd, env=env, timeout=300)
    if check:
        assert out.returncode == 0, f"exit {out.returncode}\n{out.stdout}\n{out.stderr}"
    return out


def assert_user_error(out, fragment):
    """Exit status 2, one line on stderr naming the problem, no traceback."""
    assert out.returncode == 2, (out.returncode, out.stdout, out.stderr)
    assert "Traceback" not in out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1, out.stderr
    assert fragment in lines[0], lines[0]


@pytest.fixture(scope="module")
def run2(tmp_path_factory):
    """A 2-epoch digits run shared by the tests that read a finished run."""
    d = tmp_path_factory.mktemp("run2")
    out = run("train", "mlp", "--epochs", 2, "--out", d, "--no-progress")
    return d, out


def test_train_writes_checkpoint_history_and_plots(run2):
    d, out = run2
    for name in ("model.safetensors", "history.csv", "curves.png", "confusion.png"):
        assert (d / name).stat().st_size > 0, name
    assert "epoch 1/2" in out.stdout and "epoch 2/2" in out.stdout
    assert "test accuracy" in out.stdout
    rows = (d / "history.csv").read_text().strip().splitlines()
    assert len(rows) == 3  # header + 2 epochs


def test_main_job_from_readme_learns_digits(tmp_path):
    """`groundup train mlp`, exactly as the README runs it, reaches > 90% on the digits."""
    out = run("train", "mlp", cwd=tmp_path)
    line = [s for s in out.stdout.splitlines() if s.startswith("test accuracy")][0]
    assert float(line.split()[2]) > 0.90, line
    assert (tmp_path / "runs" / "latest" / "model.safetensors").exists()


def test_resume_is_bit_identical_to_an_uninterrupted_run(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    run("train", "mlp", "--epochs", 2, "--out", a, "--no-progress")
    out = run("train", "--resume", a, "--epochs", 4, "--no-progress")
    assert "resuming mlp on digits from epoch 2 to 4" in out.stdout
    run("train", "mlp", "--epochs", 4, "--out", b, "--no-progress")
    wa, wb = gu.load(a / "model.safetensors"), gu.load(b / "model.safetensors")
    assert sorted(wa) == sorted(wb)
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k], err_msg=k)
    rows = (a / "history.csv").read_text().strip().splitlines()
    assert len(rows) == 5
    assert rows[1:] == (b / "history.csv").read_text().strip().splitlines()[1:]


def test_eval_and_predict(run2, tmp_path):
    d, train_out = run2
    out = run("eval", d)
    assert "digits: accuracy" in out.stdout
    acc = float(out.stdout.split("accuracy")[1].split()[0])
    reported = float([s for s in train_out.stdout.splitlines()
                      if s.startswith("test accuracy")][0].split()[2])
    assert abs(acc - reported) < 1e-4
    X, _ = gu.data.datasets.load_digits(split="test")
    np.save(tmp_path / "x.npy", X[:7])
    out = run("predict", d, tmp_path / "x.npy", "--output", tmp_path / "p.csv")
    lines = (tmp_path / "p.csv").read_text().strip().splitlines()
    assert lines[0] == "row,prediction,probability" and len(lines) == 8
    np.savetxt(tmp_path / "x.csv", X[:3], delimiter=",")
    run("predict", d, tmp_path / "x.csv")
    assert len((d / "predictions.csv").read_text().strip().splitlines()) == 4


def test_list_and_demo():
    out = run("list")
    assert "mlp" in out.stdout and "digits" in out.stdout and "spirals" in out.stdout
    out = run("demo", "xor", "--out", os.devnull + "-dir-unused")
    assert "no hidden layer" in out.stdout and "solved" in out.stdout


def test_parser_and_commands_share_names_one_way():
    """cli parses, commands works: both take CLIError and CHECKPOINT from cli_common."""
    import groundup.cli as cli
    import groundup.cli_common as common
    import groundup.commands as commands

    assert cli.CLIError is common.CLIError is commands.CLIError
    assert commands.CHECKPOINT == common.CHECKPOINT == "model.safetensors"
    assert not hasattr(common, "main") and "cli" not in vars(commands)


def test_demo_xor_shows_the_linear_failure_and_the_fix(tmp_path):
    out = run("demo", "xor", "--out", tmp_path)
    text = out.stdout
    assert "stuck near log 2" in text
    assert "final loss" in text and ": solved" in text
    assert (tmp_path / "xor_boundary.png").exists()


def test_user_csv_and_npz_and_generated_data(tmp_path):
    X, y = gu.data.datasets.moons(n=120, seed=1)
    table = np.column_stack([X, y])
    np.savetxt(tmp_path / "moons.csv", table, delimiter=",", fmt="%.6f")
    run("train", "mlp", "--data", tmp_path / "moons.csv", "--epochs", 2, "--hidden", "16",
        "--out", tmp_path / "csv", "--no-progress")
    np.savez(tmp_path / "moons.npz", x=X, y=y)
    run("train", "logreg", "--data", tmp_path / "moons.npz", "--epochs", 2,
        "--out", tmp_path / "npz", "--no-progress")
    out = run("train", "mlp", "--data", "spirals", "--epochs", 2, "--out", tmp_path / "sp",
              "--no-progress")
    assert "3 classes" in out.stdout


def test_user_errors_are_one_line_with_exit_status_2(tmp_path, run2):
    d, _ = run2
    assert_user_error(run("train", "nosuchmodel", "--out", tmp_path, check=False),
                      "unknown model 'nosuchmodel'")
    assert_user_error(run("train", "mlp", "--data", tmp_path / "missing.csv", "--out", tmp_path,
                          check=False), "missing.csv")
    assert_user_error(run("train", "mlp", "--data", "nosuchdata", "--out", tmp_path,
                          check=False), "unknown dataset")
    assert_user_error(run("train", "mlp", "--epochs", -1, "--out", tmp_path, check=False),
                      "--epochs")
    assert_user_error(run("eval", tmp_path / "nowhere", check=False), "no such run directory")
    assert_user_error(run("eval", tmp_path, check=False), "no checkpoint here")
    np.save(tmp_path / "bad.npy", np.zeros((2, 5), np.float32))
    assert_user_error(run("predict", d, tmp_path / "bad.npy", check=False), "expects 64")
    bad = run("train", "mlp", "--epochs", "two", check=False)
    assert bad.returncode == 2 and "Traceback" not in bad.stderr


def test_a_checkpoint_that_does_not_fit_its_model_is_refused(tmp_path):
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    # weights of a 32-unit network, metadata claiming the default 256-128 mlp
    small = gu.models.build("mlp", hidden=[32])
    meta = gu.models.registry.model_metadata(gu.models.build("mlp"))
    gu.io.save_checkpoint(run_dir / "model.safetensors", small, config=meta,
                          extra={"data": "digits", "seed": 0, "preprocess": {}})
    assert_user_error(run("eval", run_dir, check=False), "do not fit")


def test_a_pickle_in_place_of_the_checkpoint_is_refused(tmp_path):
    import pickle

    run_dir = tmp_path / "r"
    run_dir.mkdir()
    marker = tmp_path / "executed"
    payload = pickle.dumps(_Evil(str(marker)))
    (run_dir / "model.safetensors").write_bytes(payload)
    assert_user_error(run("eval", run_dir, check=False), "pickle")
    assert not marker.exists()


class _Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def _write_csv(path, labels, header="a,b,label", features=None):
    rng = np.random.default_rng(0)
    lines = [header] if header else []
    for i, label in enumerate(labels):
        x = features[i] if features is not None else rng.normal(size=2).round(4)
        lines.append(",".join(str(v) for v in x) + f",{label}")
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture(scope="module")
def pets(tmp_path_factory):
    """A 1-epoch logreg run on cat/dog text labels, trained from inside its own directory."""
    d = tmp_path_factory.mktemp("pets")
    _write_csv(d / "pets.csv", ["cat", "dog"] * 20)
    run("train", "logreg", "--data", "pets.csv", "--epochs", 1, "--out", "run", "--no-progress",
        cwd=d)
    return d


def test_predict_refuses_to_overwrite_the_checkpoint_or_the_input(pets):
    ckpt = pets / "run" / "model.safetensors"
    before = ckpt.read_bytes()
    inputs = pets / "x.csv"
    inputs.write_text("0.5,1.5\n1,2\n")
    assert_user_error(run("predict", pets / "run", inputs, "--output", ckpt, check=False),
                      "same file")
    assert ckpt.read_bytes() == before
    assert_user_error(run("predict", "run", "x.csv", "--output", "./x.csv", cwd=pets,
                          check=False), "same file")
    assert inputs.read_text() == "0.5,1.5\n1,2\n"
    run("predict", pets / "run", inputs, "--output", pets / "p.csv")
    assert len((pets / "p.csv").read_text().splitlines()) == 3


def test_eval_maps_text_labels_through_the_runs_classes(pets, tmp_path):
    features = np.random.default_rng(2).normal(size=(10, 2)).round(4)
    dogs = _write_csv(tmp_path / "dogs.csv", ["dog"] * 10, features=features)
    out = run("eval", pets / "run", "--data", dogs)
    acc = float(out.stdout.split("accuracy")[1].split()[0])
    # 'dog' is class 1 of the run (renumbered from this file alone it would be class 0):
    # the accuracy is the share of these inputs that the model predicts to be dogs
    np.savetxt(tmp_path / "x.csv", features, delimiter=",")
    run("predict", pets / "run", tmp_path / "x.csv", "--output", tmp_path / "p.csv")
    rows = (tmp_path / "p.csv").read_text().strip().splitlines()[1:]
    assert acc == pytest.approx(sum(r.split(",")[1] == "dog" for r in rows) / 10)
    birds = _write_csv(tmp_path / "birds.csv", ["dog", "bird", "fish"] * 3)
    assert_user_error(run("eval", pets / "run", "--data", birds, check=False),
                      "does not know: 'bird', 'fish'")


def test_eval_and_resume_find_the_training_data_from_another_directory(pets, tmp_path):
    out = run("eval", "run", "--data", "./pets.csv", cwd=pets)
    assert "(8 samples)" in out.stdout  # the held-out test split, not the whole file
    out = run("eval", pets / "run", cwd=tmp_path)
    assert "(8 samples)" in out.stdout and str(pets / "pets.csv") in out.stdout
    out = run("train", "--resume", pets / "run", "--epochs", 2, "--data", pets / "pets.csv",
              "--no-progress", cwd=tmp_path)
    assert "from epoch 1 to 2" in out.stdout


def test_labels_out_of_range_are_user_errors(tmp_path):
    xor = tmp_path / "xor"
    run("train", "logreg", "--data", "xor", "--epochs", 1, "--out", xor, "--no-progress")
    assert_user_error(run("eval", xor, "--data", "spirals", check=False),
                      "labels go up to 2, but the model")
    sparse = _write_csv(tmp_path / "sparse.csv", [0, 1000000] * 10, header=None)
    assert_user_error(run("train", "logreg", "--data", sparse, "--out", tmp_path / "s",
                          check=False), "1000001-class")
    assert not (tmp_path / "s").exists()


@pytest.mark.parametrize("args, fragment", [
    (["demo", "xor", "--epochs", -5], "--epochs must be >= 1"),
    (["train", "mlp", "--epochs", 0], "--epochs must be >= 1"),
    (["train", "mlp", "--lr", "inf"], "--lr must be a finite number > 0"),
    (["train", "mlp", "--lr", "nan"], "--lr must be a finite number > 0"),
    (["train", "mlp", "--hidden", "0"], "--hidden"),
    (["train", "mlp", "--hidden", "16,-4"], "--hidden"),
])
def test_bad_budgets_and_sizes_are_refused_before_writing(tmp_path, args, fragment):
    out = tmp_path / "out"
    assert_user_error(run(*args, "--out", out, check=False), fragment)
    assert not out.exists()


def test_non_finite_inputs_are_refused(pets, tmp_path):
    features = np.random.default_rng(1).normal(size=(20, 2)).round(3).astype(object)
    features[5, 1] = "nan"
    bad = _write_csv(tmp_path / "nan.csv", [0, 1] * 10, features=features)
    assert_user_error(run("train", "logreg", "--data", bad, "--out", tmp_path / "r",
                          check=False), "row 7, column 2 ('b')")
    X = np.ones((20, 2))
    X[3, 0] = np.inf
    np.savez(tmp_path / "inf.npz", x=X, y=np.arange(20) % 2)
    assert_user_error(run("train", "logreg", "--data", tmp_path / "inf.npz", "--out",
                          tmp_path / "r", check=False), "non-finite value inf at sample 3")
    np.save(tmp_path / "in.npy", np.array([[1.0, np.nan]]))
    assert_user_error(run("predict", pets / "run", tmp_path / "in.npy", "--output",
                          tmp_path / "p.csv", check=False), "non-finite value nan")
    assert not (tmp_path / "r").exists() and not (tmp_path / "p.csv").exists()


def test_a_failing_train_leaves_an_existing_run_as_it_was(pets, tmp_path):
    out = tmp_path / "r"
    run("train", "logreg", "--data", pets / "pets.csv", "--epochs", 1, "--out", out,
        "--no-progress")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    for labels in ([0] * 12, [0, 1]):  # one class; too few rows for a test split
        data = _write_csv(tmp_path / "bad.csv", labels)
        assert_user_error(run("train", "logreg", "--data", data, "--out", out, check=False),
                          "bad.csv")
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before


@pytest.mark.parametrize("name, content, fragment", [
    ("empty.csv", "", "empty.csv: no rows"),
    ("text.npy", "1,2\n", "text.npy: not a .npy file"),
    ("ragged.csv", "1,2\n3,4\n5\n", "ragged.csv: row 3 has 1 columns, expected 2"),
    ("birds.csv", "a,b,label\n1,2,dog\n3,4,bird\n", "labels the model does not know ('bird')"),
])
def test_bad_input_files_for_predict_are_one_line_errors(pets, tmp_path, name, content,
                                                         fragment):
    (tmp_path / name).write_text(content)
    out = tmp_path / "p.csv"
    assert_user_error(run("predict", pets / "run", tmp_path / name, "--output", out,
                          check=False), fragment)
    assert not out.exists()


def test_predict_accepts_the_training_format_and_names_the_classes(pets, tmp_path):
    run("predict", pets / "run", pets / "pets.csv", "--output", tmp_path / "p.csv")
    rows = (tmp_path / "p.csv").read_text().strip().splitlines()[1:]
    assert len(rows) == 40 and {r.split(",")[1] for r in rows} <= {"cat", "dog"}


def test_bad_training_files_are_one_line_errors(tmp_path):
    np.savez(tmp_path / "s.npz", x=np.zeros((20, 2)), y=np.array(list("ab" * 10)))
    assert_user_error(run("train", "logreg", "--data", tmp_path / "s.npz", "--out",
                          tmp_path / "r", check=False), "s.npz: labels 'y' must be integers")
    assert_user_error(run("train", "logreg", "--data", f"mnist:{tmp_path / 'none'}", "--out",
                          tmp_path / "r", check=False), "does not exist")
    assert not (tmp_path / "r").exists()


def test_iris_predictions_are_class_names(tmp_path):
    run("train", "logreg", "--data", "iris", "--epochs", 1, "--out", tmp_path, "--no-progress")
    X, _ = gu.data.datasets.load_iris(split="test")
    np.save(tmp_path / "x.npy", X[:5])
    run("predict", tmp_path, tmp_path / "x.npy", "--output", tmp_path / "p.csv")
    rows = (tmp_path / "p.csv").read_text().strip().splitlines()[1:]
    assert {r.split(",")[1] for r in rows} <= set(gu.data.datasets.IRIS_CLASSES)
