"""`groundup train`: one run per folder, every setting shown and saved, --config, --resume."""

import json
import math
import os

import numpy as np
import pytest

import groundup as gu
from groundup.models import recipes

from .support import assert_same_weights, assert_user_error, history_epochs, write_csv

BLOBS = ["--data", "blobs", "--hidden", "16", "--no-progress"]


def test_main_job_from_readme_learns_digits(gu_process, tmp_path):
    """`groundup train mlp`, exactly as the README runs it, in a new folder runs/mlp-001."""
    out = gu_process("train", "mlp", cwd=tmp_path)
    line = [s for s in out.stdout.splitlines() if s.startswith("test accuracy")][0]
    assert float(line.split()[2]) > 0.90, line
    run = tmp_path / "runs" / "mlp-001"
    assert os.readlink(tmp_path / "runs" / "latest") == "mlp-001"
    for name in ("last.safetensors", "best.safetensors", "config.json", "history.csv",
                 "curves.png", "confusion.png"):
        assert (run / name).stat().st_size > 0, name
    assert history_epochs(run) == list(range(1, 41))


def test_each_run_gets_a_new_folder_and_latest_follows(gu_main, tmp_path):
    gu_main("train", "mlp", "--epochs", 1, *BLOBS, cwd=tmp_path)
    first = {p.name: p.read_bytes() for p in (tmp_path / "runs" / "mlp-001").iterdir()}
    out = gu_main("train", "mlp", "--epochs", 2, *BLOBS, cwd=tmp_path)
    assert "-> runs/mlp-002" in out.stdout
    assert os.readlink(tmp_path / "runs" / "latest") == "mlp-002"
    assert {p.name: p.read_bytes() for p in (tmp_path / "runs" / "mlp-001").iterdir()} == first
    assert history_epochs(tmp_path / "runs" / "latest") == [1, 2]
    gu_main("train", "logreg", "--epochs", 1, "--data", "blobs", "--no-progress", cwd=tmp_path)
    assert os.readlink(tmp_path / "runs" / "latest") == "logreg-001"


def test_out_on_a_folder_holding_a_run_is_refused_unless_overwrite(gu_main, tmp_path):
    out = tmp_path / "r"
    gu_main("train", "mlp", "--epochs", 2, *BLOBS, "--out", out)
    (out / "predictions.csv").write_text("row,prediction,probability\n")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert_user_error(gu_main("train", "mlp", "--epochs", 1, *BLOBS, "--out", out, check=False),
                      "holds a run of mlp on blobs, 2/2 epochs; pass --overwrite")
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    gu_main("train", "logreg", "--epochs", 1, "--data", "moons", "--no-progress", "--out", out,
            "--overwrite")
    assert "predictions.csv" not in os.listdir(out)  # nothing of the old run is left
    assert not (out / "best.safetensors").exists() or \
        gu.io.load_metadata(out / "best.safetensors")["config"]["model"] == "logreg"
    assert json.loads((out / "config.json").read_text())["model"] == "logreg"
    assert history_epochs(out) == [1]


def test_out_pointing_at_a_file_is_one_line(gu_main, tmp_path):
    (tmp_path / "f").write_text("x")
    assert_user_error(gu_main("train", "mlp", "--out", tmp_path / "f", check=False),
                      "--out " + str(tmp_path / "f") + ": is a file, not a directory")


def test_a_failing_train_leaves_an_existing_run_as_it_was(gu_main, tmp_path):
    out = tmp_path / "r"
    gu_main("train", "logreg", "--data", "blobs", "--epochs", 1, "--out", out, "--no-progress")
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    for labels in ([0] * 12, [0, 1]):  # one class; too few rows for a test split
        data = write_csv(tmp_path / "bad.csv", labels)
        assert_user_error(gu_main("train", "logreg", "--data", data, "--out", out,
                                  "--overwrite", check=False), "bad.csv")
        assert {p.name: p.read_bytes() for p in out.iterdir()} == before


def test_the_header_shows_every_setting_and_config_json_saves_them(gu_main, tmp_path):
    out = gu_main("train", "mlp", "--epochs", 3, *BLOBS, "--out", tmp_path / "r",
                  "--weight-decay", "0.05", "--grad-clip", "2", "--schedule", "linear")
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert set(config) == set(gu.cli_common.SETTINGS)
    for key in config:
        if key not in ("model", "data"):
            assert f"{key} " in out.stdout, key  # every setting in the header
    assert config["label_smoothing"] == 0.0 and "label_smoothing 0\n" in out.stdout
    assert config["hidden"] == [16] and config["grad_clip"] == 2.0
    assert config["weight_decay"] == 0.05 and config["schedule"] == "linear"
    ckpt = gu.io.load_checkpoint(tmp_path / "r" / "last.safetensors", restore_rng=False)
    assert ckpt["optimizer"]["param_groups"][0]["weight_decay"] == 0.05


def test_label_smoothing_is_off_unless_asked(gu_main, tmp_path):
    """Without smoothing the training loss of a solved problem goes to ~0 (it stayed at 0.53
    with the 0.1 that used to be on), and --label-smoothing turns it on, visibly."""
    gu_main("train", "mlp", "--epochs", 6, *BLOBS, "--lr", "0.02", "--out", tmp_path / "a")
    out = gu_main("train", "mlp", "--epochs", 6, *BLOBS, "--lr", "0.02", "--out", tmp_path / "b",
                  "--label-smoothing", "0.1")
    assert "label_smoothing 0.1" in out.stdout
    loss = {d: gu.train.History.from_csv(tmp_path / d / "history.csv")["loss"][-1]
            for d in "ab"}
    assert loss["a"] < 0.05 < 0.2 < loss["b"]


def test_the_schedule_follows_epochs(gu_main, tmp_path):
    for epochs in (4, 12):
        d = tmp_path / f"e{epochs}"
        gu_main("train", "mlp", "--epochs", epochs, *BLOBS, "--out", d)
        lrs = gu.train.History.from_csv(d / "history.csv")["lr"]  # the lr of each epoch
        base = recipes.get("mlp").lr
        want = [base * recipes.schedule_factor("cosine", e, epochs) for e in range(epochs)]
        np.testing.assert_allclose(lrs, want, rtol=1e-6, atol=1e-12)


def test_config_file_reruns_a_run_and_the_command_line_overrides_it(gu_main, tmp_path):
    gu_main("train", "mlp", "--epochs", 2, *BLOBS, "--seed", 3, "--out", tmp_path / "a")
    config = tmp_path / "a" / "config.json"
    out = gu_main("train", "--config", config, "--out", tmp_path / "b")
    assert "training mlp on blobs" in out.stdout
    assert_same_weights(tmp_path / "a" / "last.safetensors", tmp_path / "b" / "last.safetensors")
    gu_main("train", "--config", config, "--epochs", 3, "--out", tmp_path / "c")
    assert json.loads((tmp_path / "c" / "config.json").read_text())["epochs"] == 3
    (tmp_path / "bad.json").write_text(json.dumps({"model": "mlp", "epoch": 3}))
    assert_user_error(gu_main("train", "--config", tmp_path / "bad.json", check=False),
                      "unknown settings epoch")
    (tmp_path / "bad.json").write_text(json.dumps({"model": "mlp", "lr": -1}))
    assert_user_error(gu_main("train", "--config", tmp_path / "bad.json", check=False),
                      "lr must be a finite number > 0")


def test_validation_split_selects_and_the_test_split_is_only_reported(gu_main, tmp_path):
    out = gu_main("train", "mlp", "--epochs", 4, *BLOBS, "--out", tmp_path / "r")
    assert "432 train / 48 val / 120 test samples" in out.stdout
    history = gu.train.History.from_csv(tmp_path / "r" / "history.csv")
    best = gu.io.load_metadata(tmp_path / "r" / "best.safetensors")
    assert best["epoch"] == history.best("val_loss").epoch  # chosen on val, not on test
    assert not any("test" in key for key in history.keys())
    out = gu_main("train", "mlp", "--epochs", 2, *BLOBS, "--val-split", 0, "--out",
                  tmp_path / "none")
    assert "480 train / 0 val" in out.stdout and "with the last model" in out.stdout
    assert not (tmp_path / "none" / "best.safetensors").exists()
    assert_user_error(gu_main("train", "mlp", *BLOBS, "--val-split", 0, "--early-stopping", 2,
                              "--out", tmp_path / "x", check=False), "needs a validation part")


def test_early_stopping(gu_main, tmp_path):
    out = gu_main("train", "mlp", "--epochs", 30, *BLOBS, "--lr", "0.05", "--early-stopping", 2,
                  "--out", tmp_path / "r")
    assert "early stopping at epoch" in out.stdout
    epochs = history_epochs(tmp_path / "r")
    assert len(epochs) < 30
    meta = gu.io.load_metadata(tmp_path / "r" / "last.safetensors")
    assert meta["extra"]["status"] == "stopped" and meta["epoch"] == epochs[-1]
    assert_user_error(gu_main("train", "--resume", tmp_path / "r", check=False),
                      f"stopped early at epoch {epochs[-1]}")


def test_resume_continues_in_its_own_folder_and_refuses_what_would_mix_runs(gu_main, tmp_path):
    run = tmp_path / "r"
    gu_main("train", "mlp", "--epochs", 2, *BLOBS, "--out", run)
    assert_user_error(gu_main("train", "--resume", run, check=False),
                      "the run is finished at epoch 2; pass --epochs N with N > 2")
    assert_user_error(gu_main("train", "--resume", run, "--epochs", 1, check=False),
                      "pass --epochs N with N > 2")
    assert_user_error(gu_main("train", "--resume", run, "--epochs", 4, "--lr", 1, check=False),
                      "--lr cannot change on --resume")
    assert_user_error(gu_main("train", "--resume", run, "--out", tmp_path / "o", check=False),
                      "--out cannot go with --resume")
    assert_user_error(gu_main("train", "--resume", tmp_path / "nothing", check=False),
                      "no such run directory")
    out = gu_main("train", "--resume", run, "--epochs", 4, "--no-progress")
    assert "resuming mlp on blobs from epoch 2 to 4" in out.stdout
    assert "the cosine schedule now spans 4 epochs" in out.stdout
    assert history_epochs(run) == [1, 2, 3, 4]
    assert json.loads((run / "config.json").read_text())["epochs"] == 4
    assert sorted(os.listdir(tmp_path)) == ["r"]


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_a_diverging_run_is_a_one_line_error(gu_main, tmp_path):
    out = gu_main("train", "mlp", "--epochs", 3, *BLOBS, "--optimizer", "sgd", "--lr", "1e30",
                  "--out", tmp_path / "r", check=False)
    assert_user_error(out, "training diverged at epoch 1")
    assert "--lr" in out.stderr


@pytest.mark.parametrize("args, fragment", [
    (["train", "mlp", "--epochs", 0], "--epochs must be >= 1"),
    (["train", "mlp", "--lr", "inf"], "--lr must be a finite number > 0"),
    (["train", "mlp", "--lr", "nan"], "--lr must be a finite number > 0"),
    (["train", "mlp", "--hidden", "0"], "--hidden every width must be >= 1"),
    (["train", "mlp", "--hidden", "16,-4"], "--hidden"),
    (["train", "logreg", "--hidden", "16"], "--hidden applies to models with hidden layers"),
    (["train", "mlp", "--val-split", "1"], "--val-split must be < 1"),
    (["train", "mlp", "--label-smoothing", "-0.1"], "--label-smoothing must be >= 0"),
    (["train", "mlp", "--grad-clip", "0"], "--grad-clip must be a finite number > 0"),
    (["train", "mlp", "--early-stopping", "0"], "--early-stopping must be >= 1"),
    (["train", "mlp", "--delimiter", "ab"], "--delimiter must be one character"),
    (["train", "nosuchmodel"], "unknown model 'nosuchmodel'"),
    (["train"], "name a model to train"),
])
def test_bad_settings_are_refused_before_writing(gu_main, tmp_path, args, fragment):
    out = tmp_path / "out"
    assert_user_error(gu_main(*args, "--out", out, cwd=tmp_path, check=False), fragment)
    assert not out.exists() and not (tmp_path / "runs").exists()
    if args == ["train"]:
        assert_user_error(gu_main("train", "mlp", "--overwrite", cwd=tmp_path, check=False),
                          "--overwrite goes with --out")
        assert not (tmp_path / "runs").exists()


def test_label_values_become_classes_and_come_back_in_predictions(gu_main, tmp_path):
    """{5, 7, 9} is a 3-class problem (not a 10-class one), -1/1 a 2-class one."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(90, 2)).round(4)
    for labels, classes in (([5, 7, 9] * 30, 3), ([-1, 1] * 45, 2)):
        data = write_csv(tmp_path / "t.csv", labels, features=X)
        out = gu_main("train", "logreg", "--data", data, "--epochs", 1, "--no-progress",
                      "--out", tmp_path / str(classes), cwd=tmp_path)
        assert f"{classes} classes" in out.stdout
        model = gu.models.load(tmp_path / str(classes) / "last.safetensors")
        assert model.config.out_features == classes
        np.save(tmp_path / "x.npy", X[:6])
        gu_main("predict", tmp_path / str(classes), tmp_path / "x.npy", "--output",
                tmp_path / "p.csv")
        predicted = {r.split(",")[1] for r in (tmp_path / "p.csv").read_text().split()[1:]}
        assert predicted <= {str(v) for v in labels}
    sparse = write_csv(tmp_path / "sparse.csv", [0, 1000000] * 10, header=None)
    out = gu_main("train", "logreg", "--data", sparse, "--epochs", 1, "--no-progress", "--out",
                  tmp_path / "s")
    assert "2 classes" in out.stdout


def test_semicolon_csv_and_tsv_train_and_say_what_was_found(gu_main, tmp_path):
    rng = np.random.default_rng(1)
    X = rng.normal(size=(60, 3)).round(3)
    y = (X[:, 0] > 0).astype(int)
    rows = [";".join(map(str, x)) + f";{label}" for x, label in zip(X, y)]
    (tmp_path / "semi.csv").write_text("a;b;c;label\n" + "\n".join(rows) + "\n")
    out = gu_main("train", "logreg", "--data", tmp_path / "semi.csv", "--epochs", 1,
                  "--no-progress", "--out", tmp_path / "a")
    assert "3 features + label, delimiter ';' (detected)" in out.stdout
    (tmp_path / "t.tsv").write_text("\n".join(r.replace(";", "\t") for r in rows) + "\n")
    out = gu_main("train", "logreg", "--data", tmp_path / "t.tsv", "--epochs", 1,
                  "--no-progress", "--out", tmp_path / "b")
    assert "delimiter tab (detected)" in out.stdout
    out = gu_main("train", "logreg", "--data", tmp_path / "semi.csv", "--delimiter", ",",
                  "--out", tmp_path / "c", check=False)
    assert_user_error(out, "found 1 column with delimiter ','")


def test_a_png_renamed_csv_is_named_for_what_it_is(gu_main, tmp_path):
    (tmp_path / "digits.csv").write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    out = gu_main("train", "mlp", "--data", tmp_path / "digits.csv", "--out", tmp_path / "r",
                  check=False)
    assert_user_error(out, "digits.csv: not a CSV file: it is a PNG image")
    assert "encoding" not in out.stderr


def test_user_csv_npz_and_generated_data(gu_main, tmp_path):
    X, y = gu.data.datasets.moons(n=120, seed=1)
    np.savetxt(tmp_path / "moons.csv", np.column_stack([X, y]), delimiter=",", fmt="%.6f")
    gu_main("train", "mlp", "--data", tmp_path / "moons.csv", "--epochs", 2, "--hidden", "16",
            "--out", tmp_path / "csv", "--no-progress")
    np.savez(tmp_path / "moons.npz", x=X, y=y)
    gu_main("train", "logreg", "--data", tmp_path / "moons.npz", "--epochs", 2,
            "--out", tmp_path / "npz", "--no-progress")
    np.savez(tmp_path / "text.npz", x=X, y=np.array(["a", "b"])[y])  # text labels too
    gu_main("train", "logreg", "--data", tmp_path / "text.npz", "--epochs", 1,
            "--out", tmp_path / "text", "--no-progress")
    assert gu.io.load_metadata(tmp_path / "text" / "last.safetensors")["extra"]["run"][
        "class_names"] == ["a", "b"]


def test_bad_training_files_are_one_line_errors(gu_main, tmp_path):
    features = np.random.default_rng(1).normal(size=(20, 2)).round(3).astype(object)
    features[5, 1] = "nan"
    bad = write_csv(tmp_path / "nan.csv", [0, 1] * 10, features=features)
    assert_user_error(gu_main("train", "logreg", "--data", bad, "--out", tmp_path / "r",
                              check=False), "row 7, column 2 ('b')")
    Xi = np.ones((20, 2))
    Xi[3, 0] = np.inf
    np.savez(tmp_path / "inf.npz", x=Xi, y=np.arange(20) % 2)
    assert_user_error(gu_main("train", "logreg", "--data", tmp_path / "inf.npz", "--out",
                              tmp_path / "r", check=False), "non-finite value inf at sample 3")
    assert_user_error(gu_main("train", "logreg", "--data", f"mnist:{tmp_path / 'none'}", "--out",
                              tmp_path / "r", check=False), "does not exist")
    assert_user_error(gu_main("train", "mlp", "--data", tmp_path / "missing.csv", "--out",
                              tmp_path / "r", check=False), "missing.csv")
    assert_user_error(gu_main("train", "mlp", "--data", "nosuchdata", "--out", tmp_path / "r",
                              check=False), "unknown dataset")
    cont = write_csv(tmp_path / "reg.csv", [f"{v:.3f}" for v in np.linspace(0, 1, 40)])
    assert_user_error(gu_main("train", "logreg", "--data", cont, "--out", tmp_path / "r",
                              check=False), "looks like a continuous target")
    assert not (tmp_path / "r").exists()


def test_threads_are_set_and_shown(gu_main, tmp_path):
    try:
        out = gu_main("train", "logreg", "--data", "blobs", "--epochs", 1, "--threads", 1,
                      "--no-progress", "--out", tmp_path / "r")
        assert "threads 1" in out.stdout and gu.get_num_threads() == 1
    finally:
        gu.set_num_threads(None)
    assert math.isfinite(gu.get_num_threads())
