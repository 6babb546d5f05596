"""commands/task_reconstruct.py: `groundup train vae|autoencoder`, then `groundup sample`."""

import pytest

from .support import PNG, assert_user_error, history_rows, mnist_like, trained


@pytest.fixture(scope="module")
def vae_run(tmp_path_factory):
    return trained(tmp_path_factory, "vae", "--epochs", "2")


def test_train_logs_both_terms_and_draws_the_pictures(vae_run):
    rows = history_rows(vae_run)
    assert len(rows) == 2
    for row in rows:
        assert float(row["kl"]) > 0 and float(row["recon"]) > 0
        assert float(row["loss"]) == pytest.approx(float(row["recon"]) + float(row["kl"]),
                                                   rel=1e-4)
        assert float(row["val_loss"]) > 0
        # the held-out loss split into its two terms as well (the mean code: eval mode)
        assert float(row["val_kl"]) > 0 and float(row["val_recon"]) > 0
        assert float(row["val_loss"]) == pytest.approx(
            float(row["val_recon"]) + float(row["val_kl"]), rel=1e-4)
    assert float(rows[1]["loss"]) < float(rows[0]["loss"])
    assert float(rows[1]["val_loss"]) < float(rows[0]["val_loss"])
    for name in ("curves", "reconstructions", "prior_samples", "latent", "interpolation"):
        assert (vae_run / f"{name}.png").read_bytes().startswith(PNG), name
    for path in vae_run.glob("*.png"):  # every picture: a whole PNG (header and IEND)
        data = path.read_bytes()
        assert data.startswith(PNG) and data.endswith(b"IEND\xaeB`\x82"), path


def test_eval_reports_the_elbo_and_the_judge(gu_main, vae_run):
    out = gu_main("eval", vae_run).stdout
    assert "negative ELBO" in out and "predicting the training mean image" in out
    assert "1000 samples from the prior: judge" in out and "FID" in out


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
    assert "judge" not in out.stdout  # a plain autoencoder draws nothing to judge
    rows = history_rows(tmp_path / "ae")
    assert "val_recon" in rows[-1] and "val_kl" not in rows[-1]
    evaluated = gu_main("eval", tmp_path / "ae").stdout
    assert "predicting the training mean image" in evaluated and "judge" not in evaluated
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
    rows = [history_rows(tmp_path / run)[-1] for run in ("whole", "half")]
    for key in ("loss", "recon", "kl", "val_loss"):
        assert rows[0][key] == rows[1][key], key


def test_convae_learns_and_draws_the_interpolation(gu_main, tmp_path):
    import re

    out = gu_main("train", "convae", "--epochs", "15", "--out", tmp_path / "c", "--no-progress")
    ratio = float(re.search(r"ratio ([0-9.]+)", out.stdout).group(1))
    assert ratio < 0.3, out.stdout
    assert (tmp_path / "c" / "interpolation.png").read_bytes().startswith(PNG)
    evaluated = gu_main("eval", tmp_path / "c").stdout
    assert f"ratio {ratio:.3f}" in evaluated and "test split, 359 images" in evaluated
    assert_user_error(gu_main("train", "convae", "--conditional", "--out", tmp_path / "x",
                              check=False), "--conditional applies to dcgan, gan, vae")


def test_masking_noise(gu_main, tmp_path):
    import numpy as np

    import groundup as gu
    from groundup.commands.task_reconstruct import corrupt

    x = gu.ones(200, 1, 8, 8)
    gu.manual_seed(0)
    masked = corrupt(x, mask=0.3).array
    assert set(np.unique(masked)) == {0.0, 1.0}
    assert abs((masked == 0).mean() - 0.3) < 0.02
    gu.manual_seed(0)
    np.testing.assert_array_equal(corrupt(x, mask=0.3).array, masked)
    assert corrupt(x) is x
    out = gu_main("train", "autoencoder", "--epochs", "2", "--mask", "0.3", "--out",
                  tmp_path / "m", "--no-progress", "--hidden", "32")
    assert "mask 0.3" in out.stdout and "ratio" in out.stdout
    assert_user_error(gu_main("train", "autoencoder", "--mask", "1", "--out", tmp_path / "n",
                              check=False), "--mask must be < 1")


def test_conditional_vae_samples_a_chosen_digit(gu_main, vae_run, tmp_path):
    run = tmp_path / "cvae"
    out = gu_main("train", "vae", "--conditional", "--epochs", "2", "--hidden", "32", "--out",
                  run, "--no-progress")
    assert "num_classes 10" in out.stdout and "conditional True" in out.stdout
    assert (run / "prior_samples.png").read_bytes().startswith(PNG)
    assert "negative ELBO" in gu_main("eval", run).stdout
    out = gu_main("sample", run, "--digit", "3", "--num", "8", "--out", tmp_path / "a.png")
    assert "8 samples of class 3" in out.stdout
    first = (tmp_path / "a.png").read_bytes()
    gu_main("sample", run, "--digit", "3", "--num", "8", "--out", tmp_path / "b.png")
    assert (tmp_path / "b.png").read_bytes() == first
    gu_main("sample", run, "--digit", "3", "--num", "8", "--out", tmp_path / "c.png", "--seed",
            "1")
    assert (tmp_path / "c.png").read_bytes() != first
    gu_main("sample", run, "--digit", "4", "--num", "8", "--out", tmp_path / "d.png")
    assert (tmp_path / "d.png").read_bytes() != first
    assert_user_error(gu_main("sample", run, "--digit", "10", check=False),
                      "--digit must lie in 0..9")
    assert_user_error(gu_main("sample", vae_run, "--digit", "3", check=False),
                      "--digit applies to a conditional model")


def test_convae_on_28x28_mnist_files(gu_main, tmp_path):
    data = mnist_like(tmp_path, 240, 60)
    out = gu_main("train", "convae", "--data", f"mnist:{data}", "--epochs", "2", "--out",
                  tmp_path / "run", "--no-progress")
    assert "1x28x28" in out.stdout and "ratio" in out.stdout
    assert (tmp_path / "run" / "interpolation.png").read_bytes().startswith(PNG)


def test_flag_options_take_booleans():
    from groundup.cli_common import CLIError
    from groundup.commands.task_reconstruct import TASK

    opt = TASK.options["conditional"]
    assert opt.check(True, "--conditional") is True and opt.check(None, "x") is None
    with pytest.raises(CLIError, match="conditional must be true or false"):
        opt.check("yes", "--config c.json: conditional")


def test_conditional_is_offered_only_to_the_models_that_take_it(gu_main, tmp_path):
    import json

    from groundup.cli import _parser

    text = " ".join(_parser()._subparsers._group_actions[0].choices["train"].format_help()
                    .split())
    assert "(dcgan, gan, vae; default: False)" in text
    assert_user_error(gu_main("train", "autoencoder", "--conditional", "--out", tmp_path / "a",
                              check=False), "--conditional applies to dcgan, gan, vae; "
                                            "autoencoder does not take it")
    # a config that says conditional false asks for nothing: the autoencoder takes it
    (tmp_path / "c.json").write_text(json.dumps({"conditional": False, "epochs": 1}))
    out = gu_main("train", "autoencoder", "--config", tmp_path / "c.json", "--hidden", "16",
                  "--out", tmp_path / "b", "--no-progress").stdout
    assert "conditional False" not in out and "beta 1, noise 0, mask 0\n" in out
    assert "conditional" not in json.loads((tmp_path / "b" / "config.json").read_text())
