"""commands/task_gan.py: `groundup train gan|dcgan`, resume, `groundup sample` and `eval`."""

import numpy as np
import pytest

from .support import PNG, assert_same_weights, assert_user_error, history_rows, mnist_like, trained


@pytest.fixture(scope="module")
def dcgan_run(tmp_path_factory):
    return trained(tmp_path_factory, "dcgan", "--epochs", "4")


def test_short_run_plays_the_game_and_covers_the_digits(dcgan_run):
    rows = history_rows(dcgan_run)
    assert len(rows) == 4
    for row in rows:
        for key in ("d_loss", "g_loss", "d_real", "d_fake", "confidence", "classes",
                    "inception_score", "fid"):
            assert np.isfinite(float(row[key])), key
    last = rows[-1]
    assert 0.05 < float(last["d_real"]) < 0.99 and 0.05 < float(last["d_fake"]) < 0.99
    assert float(last["classes"]) >= 5
    assert float(last["fid"]) < float(rows[0]["fid"])
    pictures = sorted(p.name for p in dcgan_run.glob("*.png"))
    assert "curves.png" in pictures and "samples.png" in pictures
    assert "samples_latest.png" in pictures  # the fixed noise's grid, redrawn every epoch
    assert sum(p.startswith("samples_epoch_") for p in pictures) == 4
    for p in dcgan_run.glob("*.png"):
        assert p.read_bytes().startswith(PNG), p


def test_checkpoint_holds_both_optimizers_and_resume_is_exact(dcgan_run, gu_main, tmp_path):
    import groundup as gu

    ckpt = gu.io.load_checkpoint(dcgan_run / "last.safetensors", restore_rng=False)
    assert set(ckpt["optimizer"]["optimizers"]) == {"generator", "discriminator"}
    assert ckpt["optimizer"]["optimizers"]["generator"]["param_groups"][0]["betas"] == \
        (0.5, 0.999) or list(ckpt["optimizer"]["optimizers"]["generator"]["param_groups"][0]
                             ["betas"]) == [0.5, 0.999]
    try:  # one thread: the same rounding in both runs
        gu_main("train", "dcgan", "--epochs", "2", "--out", tmp_path / "a", "--no-progress",
                "--threads", "1")
        gu_main("train", "--resume", tmp_path / "a", "--epochs", "3", "--no-progress")
        gu_main("train", "dcgan", "--epochs", "3", "--out", tmp_path / "b", "--no-progress",
                "--threads", "1")
    finally:
        gu.set_num_threads(None)
    assert_same_weights(tmp_path / "a" / "last.safetensors", tmp_path / "b" / "last.safetensors")
    assert len(history_rows(tmp_path / "a")) == 3


def test_sample_is_deterministic_under_seed(dcgan_run, gu_main, tmp_path):
    out = gu_main("sample", dcgan_run, "--num", "16", "--seed", "3", "--out", tmp_path / "a.png")
    assert "16 samples" in out.stdout
    gu_main("sample", dcgan_run, "--num", "16", "--seed", "3", "--out", tmp_path / "b.png")
    gu_main("sample", dcgan_run, "--num", "16", "--seed", "4", "--out", tmp_path / "c.png")
    a, b, c = ((tmp_path / f"{n}.png").read_bytes() for n in "abc")
    assert a.startswith(PNG) and a == b and a != c
    bad = gu_main("sample", dcgan_run, "--digit", "3", check=False)
    assert_user_error(bad, "--conditional")


def test_eval_reports_the_judge(dcgan_run, gu_main):
    out = gu_main("eval", dcgan_run)
    assert "confidence" in out.stdout and "FID" in out.stdout and "classes covered" in out.stdout


def test_conditional_gan_with_spectral_norm_samples_a_chosen_digit(gu_main, tmp_path):
    run = tmp_path / "c"
    gu_main("train", "gan", "--epochs", "1", "--conditional", "--spectral-norm", "--smooth",
            "0.9", "--out", run, "--no-progress")
    assert "label_accuracy" in history_rows(run)[0]
    out = gu_main("sample", run, "--digit", "3", "--num", "8", "--out", tmp_path / "d3.png")
    assert "of digit 3" in out.stdout
    assert (tmp_path / "d3.png").read_bytes().startswith(PNG)
    bad = gu_main("sample", run, "--digit", "12", check=False)
    assert_user_error(bad, "--digit must lie in 0..9")
    out = gu_main("eval", run).stdout  # the plain gan's eval: the judge, label accuracy too
    assert "classes covered" in out and "FID" in out and "label accuracy" in out
    gu_main("sample", run, "--num", "8", "--seed", "5", "--out", tmp_path / "a.png")
    gu_main("sample", run, "--num", "8", "--seed", "5", "--out", tmp_path / "b.png")
    assert (tmp_path / "a.png").read_bytes() == (tmp_path / "b.png").read_bytes()


def test_dcgan_on_28x28_mnist_files_is_judged_after_area_averaging(gu_main, tmp_path):
    data = mnist_like(tmp_path, 192, 60)
    out = gu_main("train", "dcgan", "--data", f"mnist:{data}", "--epochs", "1", "--out",
                  tmp_path / "run", "--no-progress")
    assert "1x28x28" in out.stdout and "FID" in out.stdout
    assert np.isfinite(float(history_rows(tmp_path / "run")[0]["fid"]))
    gu_main("sample", tmp_path / "run", "--num", "4", "--out", tmp_path / "s.png")
    assert (tmp_path / "s.png").read_bytes().startswith(PNG)
