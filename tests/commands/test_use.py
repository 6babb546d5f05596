"""`groundup eval` and `groundup predict`: which checkpoint, raw inputs, labels by name."""

import numpy as np
import pytest

import groundup as gu

from .conftest import run_quietly
from .support import assert_user_error, write_csv


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory):
    """A 3-epoch digits run shared by the tests that read a finished run."""
    d = tmp_path_factory.mktemp("digits") / "run"
    assert run_quietly("train", "mlp", "--epochs", 3, "--hidden", "32", "--out", d,
                       "--no-progress") == 0
    return d


@pytest.fixture(scope="module")
def pets(tmp_path_factory):
    """A 1-epoch logreg run on cat/dog text labels, trained from inside its own directory."""
    d = tmp_path_factory.mktemp("pets")
    write_csv(d / "pets.csv", ["cat", "dog"] * 20)
    assert run_quietly("train", "logreg", "--data", "pets.csv", "--epochs", 1, "--out", "run",
                       "--no-progress", cwd=d) == 0
    return d


def _accuracy(stdout):
    return float(stdout.split("): accuracy")[1].split()[0])


def test_eval_says_which_checkpoint_and_matches_training(gu_main, digits_run):
    out = gu_main("eval", digits_run)
    assert "evaluating the best model (" in out.stdout and "best.safetensors: epoch" in \
        out.stdout
    best = gu.io.load_checkpoint(digits_run / "best.safetensors", restore_rng=False)
    model = gu.models.load(digits_run / "best.safetensors")
    split = gu.data.spec.load("digits", val_split=0.1)
    pred = gu.train.predict(model, split.scale(split.X_test)).argmax(axis=1)
    assert _accuracy(out.stdout) == pytest.approx((pred == split.y_test).mean(), abs=1e-4)
    assert best["epoch"] >= 1
    out = gu_main("eval", digits_run, "--checkpoint", "last")
    assert "evaluating the last model (" in out.stdout and "last.safetensors: epoch 3)" in \
        out.stdout


def test_predict_applies_the_runs_input_scaling_to_raw_inputs(gu_main, digits_run, tmp_path):
    """Raw 0-16 pixels (as the README makes inputs.npy) predict what the scaled pixels do
    through the library, and inputs scaled already get a warning."""
    raw, _ = gu.data.datasets.load_digits(split="test", normalize=False)
    np.save(tmp_path / "inputs.npy", raw[:20])
    out = gu_main("predict", digits_run, tmp_path / "inputs.npy", "--output", tmp_path / "p.csv")
    assert "predicting with the best model" in out.stdout and out.stderr == ""
    got = [int(r.split(",")[1]) for r in (tmp_path / "p.csv").read_text().split()[1:]]
    model = gu.models.load(digits_run / "best.safetensors")
    scaled, _ = gu.data.datasets.load_digits(split="test")
    assert got == gu.train.predict(model, scaled[:20]).argmax(axis=1).tolist()
    np.save(tmp_path / "scaled.npy", scaled[:20])
    out = gu_main("predict", digits_run, tmp_path / "scaled.npy", "--output", tmp_path / "q.csv")
    assert "warning" in out.stderr and "scaled already" in out.stderr
    np.save(tmp_path / "one.npy", raw[0].reshape(8, 8))  # one image
    gu_main("predict", digits_run, tmp_path / "one.npy", "--output", tmp_path / "r.csv",
            "--checkpoint", "last")
    assert len((tmp_path / "r.csv").read_text().split()) == 2


def test_predict_refuses_to_overwrite_the_checkpoint_or_the_input(gu_main, pets):
    ckpt = pets / "run" / "best.safetensors"
    before = ckpt.read_bytes()
    inputs = pets / "x.csv"
    inputs.write_text("0.5,1.5\n1,2\n")
    assert_user_error(gu_main("predict", pets / "run", inputs, "--output", ckpt, check=False),
                      "same file")
    assert ckpt.read_bytes() == before
    assert_user_error(gu_main("predict", "run", "x.csv", "--output", "./x.csv", cwd=pets,
                              check=False), "same file")
    assert_user_error(gu_main("predict", "run", "x.csv", "--output", pets, cwd=pets,
                              check=False), "is a directory")
    assert inputs.read_text() == "0.5,1.5\n1,2\n"
    gu_main("predict", pets / "run", inputs, "--output", pets / "p.csv")
    assert len((pets / "p.csv").read_text().splitlines()) == 3


def test_eval_maps_text_labels_through_the_runs_classes(gu_main, pets, tmp_path):
    features = np.random.default_rng(2).normal(size=(10, 2)).round(4)
    dogs = write_csv(tmp_path / "dogs.csv", ["dog"] * 10, features=features)
    out = gu_main("eval", pets / "run", "--data", dogs)
    acc = _accuracy(out.stdout)
    # 'dog' is class 1 of the run (renumbered from this file alone it would be class 0):
    # the accuracy is the share of these inputs that the model predicts to be dogs
    np.savetxt(tmp_path / "x.csv", features, delimiter=",")
    gu_main("predict", pets / "run", tmp_path / "x.csv", "--output", tmp_path / "p.csv")
    rows = (tmp_path / "p.csv").read_text().strip().splitlines()[1:]
    assert acc == pytest.approx(sum(r.split(",")[1] == "dog" for r in rows) / 10)
    birds = write_csv(tmp_path / "birds.csv", ["dog", "bird", "fish"] * 3)
    assert_user_error(gu_main("eval", pets / "run", "--data", birds, check=False),
                      "does not know: 'bird', 'fish'")


def test_eval_finds_the_training_data_from_another_directory(gu_main, pets, tmp_path):
    out = gu_main("eval", "run", "--data", "./pets.csv", cwd=pets)
    assert "(8 samples)" in out.stdout  # the held-out test split, not the whole file
    out = gu_main("eval", pets / "run", cwd=tmp_path)
    assert "(8 samples)" in out.stdout and str(pets / "pets.csv") in out.stdout


@pytest.mark.parametrize("name, content, fragment", [
    ("empty.csv", "", "empty.csv: no rows"),
    ("text.npy", "1,2\n", "text.npy: not a .npy file"),
    ("ragged.csv", "1,2\n3,4\n5\n", "ragged.csv: row 3 has 1 columns, expected 2"),
    ("birds.csv", "a,b,label\n1,2,dog\n3,4,bird\n", "labels the model does not know ('bird')"),
    ("pic.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "pic.csv: not a CSV of inputs: it is a PNG image"),
    ("missing.npy", None, "missing.npy: no such file"),
    ("in.npy", np.array([[1.0, np.nan]]), "non-finite value nan"),
    ("bad.npy", np.zeros((2, 5), np.float32), "the model expects 2 features"),
])
def test_bad_input_files_for_predict_are_one_line_errors(gu_main, pets, tmp_path, name, content,
                                                         fragment):
    if isinstance(content, np.ndarray):
        np.save(tmp_path / name, content)
    elif isinstance(content, bytes):
        (tmp_path / name).write_bytes(content)
    elif content is not None:
        (tmp_path / name).write_text(content)
    out = tmp_path / "p.csv"
    assert_user_error(gu_main("predict", pets / "run", tmp_path / name, "--output", out,
                              check=False), fragment)
    assert not out.exists()


def test_predict_accepts_the_training_format_and_names_the_classes(gu_main, pets, tmp_path):
    gu_main("predict", pets / "run", pets / "pets.csv", "--output", tmp_path / "p.csv")
    rows = (tmp_path / "p.csv").read_text().strip().splitlines()[1:]
    assert len(rows) == 40 and {r.split(",")[1] for r in rows} <= {"cat", "dog"}
    (tmp_path / "semi.csv").write_text("0.5;1.5\n1;2\n")
    gu_main("predict", pets / "run", tmp_path / "semi.csv", "--output", tmp_path / "q.csv")
    assert len((tmp_path / "q.csv").read_text().split()) == 3


def test_missing_runs_and_checkpoints_are_one_line_errors(gu_main, tmp_path, pets):
    assert_user_error(gu_main("eval", tmp_path / "nowhere", check=False),
                      "no such run directory")
    assert_user_error(gu_main("eval", tmp_path, check=False), "no checkpoint here")
    empty = tmp_path / "e"
    empty.mkdir()
    (empty / "last.safetensors").write_bytes((pets / "run" / "last.safetensors").read_bytes())
    assert_user_error(gu_main("eval", empty, "--checkpoint", "best", check=False),
                      "no best checkpoint here")


def test_a_checkpoint_that_does_not_fit_its_model_is_refused(gu_main, tmp_path):
    run_dir = tmp_path / "r"
    run_dir.mkdir()
    # weights of a 32-unit network, metadata claiming the default 256-128 mlp
    small = gu.models.build("mlp", hidden=[32])
    meta = gu.models.registry.model_metadata(gu.models.build("mlp"))
    gu.io.save_checkpoint(run_dir / "last.safetensors", small, config=meta,
                          extra={"run": {"settings": {"data": "digits"}}})
    assert_user_error(gu_main("eval", run_dir, check=False), "do not fit")


class _Evil:
    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_a_pickle_in_place_of_the_checkpoint_is_refused(gu_main, tmp_path):
    import pickle

    run_dir = tmp_path / "r"
    run_dir.mkdir()
    marker = tmp_path / "executed"
    (run_dir / "best.safetensors").write_bytes(pickle.dumps(_Evil(str(marker))))
    assert_user_error(gu_main("eval", run_dir, check=False), "pickle")
    assert not marker.exists()


def test_iris_predictions_are_class_names(gu_main, tmp_path):
    gu_main("train", "logreg", "--data", "iris", "--epochs", 1, "--out", tmp_path, "--no-progress")
    X, _ = gu.data.datasets.load_iris(split="test")
    np.save(tmp_path / "x.npy", X[:5])
    gu_main("predict", tmp_path, tmp_path / "x.npy", "--output", tmp_path / "p.csv")
    rows = (tmp_path / "p.csv").read_text().strip().splitlines()[1:]
    assert {r.split(",")[1] for r in rows} <= set(gu.data.datasets.IRIS_CLASSES)
