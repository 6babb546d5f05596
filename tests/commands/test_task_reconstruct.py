"""commands/task_reconstruct.py: `groundup train vae|autoencoder`, then `groundup sample`."""

import csv

import pytest

from .support import assert_user_error

PNG = b"\x89PNG\r\n\x1a\n"


def _history(run):
    with open(run / "history.csv", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    from .conftest import run_quietly

    root = tmp_path_factory.mktemp("vae")
    rc = run_quietly("train", "vae", "--epochs", "2", "--out", "run", "--no-progress",
                     cwd=root)
    assert rc == 0
    return root / "run"


def test_train_logs_both_terms_and_draws_the_pictures(vae_run):
    rows = _history(vae_run)
    assert len(rows) == 2
    for row in rows:
        assert float(row["kl"]) > 0 and float(row["recon"]) > 0
        assert float(row["loss"]) == pytest.approx(float(row["recon"]) + float(row["kl"]),
                                                   rel=1e-4)
        assert float(row["val_loss"]) > 0
    assert float(rows[1]["loss"]) < float(rows[0]["loss"])
    for name in ("curves", "reconstructions", "prior_samples", "latent"):
        assert (vae_run / f"{name}.png").read_bytes().startswith(PNG), name


def test_sample_writes_a_png_grid_deterministically(gu_main, vae_run, tmp_path):
    out = gu_main("sample", vae_run, "--num", "16")
    assert "16 samples" in out.stdout
    first = (vae_run / "samples.png").read_bytes()
    assert first.startswith(PNG)
    gu_main("sample", vae_run, "--num", "16", "--out", tmp_path / "again.png")
    assert (tmp_path / "again.png").read_bytes() == first
    gu_main("sample", vae_run, "--num", "16", "--out", tmp_path / "other.png", "--seed", "1")
    assert (tmp_path / "other.png").read_bytes() != first
    assert_user_error(gu_main("sample", vae_run, "--num", "0", check=False), "--num")


def test_autoencoder_denoising_reports_against_the_mean(gu_main, tmp_path):
    out = gu_main("train", "autoencoder", "--epochs", "3", "--noise", "0.2", "--out",
                  tmp_path / "ae", "--no-progress", "--hidden", "32")
    assert "noise 0.2" in out.stdout
    assert "predicting the training mean image" in out.stdout
    assert_user_error(gu_main("sample", tmp_path / "ae", check=False), "cannot sample")


def test_task_options_are_refused_elsewhere(gu_main, tmp_path):
    assert_user_error(gu_main("train", "mlp", "--beta", "2", "--out", tmp_path / "m",
                              check=False), "--beta applies to reconstruct models")
    assert_user_error(gu_main("train", "vae", "--noise", "-1", "--out", tmp_path / "v",
                              check=False), "--noise must be >= 0")


def test_resume_continues_exactly(gu_main, tmp_path):
    common = ("--schedule", "constant", "--noise", "0.1", "--beta", "0.5", "--hidden", "32",
              "--no-progress")
    gu_main("train", "vae", "--epochs", "2", "--out", tmp_path / "whole", *common)
    gu_main("train", "vae", "--epochs", "1", "--out", tmp_path / "half", *common)
    gu_main("train", "--resume", tmp_path / "half", "--epochs", "2", "--no-progress")
    rows = [_history(tmp_path / run)[-1] for run in ("whole", "half")]
    for key in ("loss", "recon", "kl", "val_loss"):
        assert rows[0][key] == rows[1][key], key
