"""commands/task_text.py with a transformer: `groundup train gpt`, then `groundup sample`."""

import json

import numpy as np
import pytest

from .support import assert_user_error

TEXT = "the cat sat on the mat, and the dog sat on the log.\n" * 60
SMALL = ("--width", "16", "--layers", "1", "--heads", "2", "--seq-len", "16", "--batch-size",
         "8", "--no-progress")


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from .conftest import run_quietly

    root = tmp_path_factory.mktemp("gpt")
    (root / "corpus.txt").write_text(TEXT, encoding="utf-8")
    rc = run_quietly("train", "gpt", "--data", "corpus.txt", "--epochs", "2", *SMALL,
                     "--out", "run", cwd=root)
    assert rc == 0
    return root / "run"


def test_train_gpt_saves_its_config_and_a_sample(run_dir):
    import groundup as gu

    meta = gu.io.load_checkpoint(run_dir / "last.safetensors", restore_rng=False)
    assert meta["config"]["model"] == "gpt"
    config = meta["config"]["config"]
    assert (config["width"], config["layers"], config["heads"], config["context"]) == \
        (16, 1, 2, 128)
    settings = json.loads((run_dir / "config.json").read_text())
    assert settings["schedule"] == "warmup_cosine" and settings["seq_len"] == 16
    assert (run_dir / "sample.txt").read_text(encoding="utf-8")
    rows = (run_dir / "history.csv").read_text().strip().splitlines()
    header = rows[0].split(",")
    losses = [float(r.split(",")[header.index("loss")]) for r in rows[1:]]
    assert losses[-1] < losses[0] < np.log(len(set(TEXT))) + 0.2


def test_sample_is_seeded_and_top_p_tiny_is_greedy(gu_main, run_dir, tmp_path):
    def sample(name, *args):
        gu_main("sample", run_dir, "--length", "40", "--prompt", "the ", *args,
                "--out", tmp_path / name)
        return (tmp_path / name).read_text(encoding="utf-8")

    assert sample("a.txt", "--seed", "3", "--top-p", "0.9") == \
        sample("b.txt", "--seed", "3", "--top-p", "0.9")
    assert sample("c.txt", "--top-p", "1e-6", "--seed", "1") == sample("d.txt", "--top-k", "1")
    out = gu_main("sample", run_dir, "--top-p", "1.5", check=False)
    assert_user_error(out, "--top-p must be a number in (0, 1]")


def test_eval_reports_bits_per_character(gu_main, run_dir):
    out = gu_main("eval", run_dir, cwd=run_dir.parent)
    assert "bits/char" in out.stdout and "perplexity" in out.stdout


@pytest.mark.parametrize("args,fragment", [
    (("--context", "8"), "--context 8 is shorter than --seq-len 16"),
    (("--cell", "gru"), "--cell applies to recurrent language models"),
    (("--heads", "3"), "--width 16 must be divisible by --heads 3"),
])
def test_bad_gpt_settings_are_refused_clearly(gu_main, tmp_path, args, fragment):
    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    out = gu_main("train", "gpt", "--data", tmp_path / "t.txt", "--epochs", "1", *SMALL,
                  *args, "--out", tmp_path / "r", check=False)
    assert_user_error(out, fragment)


def test_charrnn_refuses_the_transformer_options(gu_main, tmp_path):
    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    out = gu_main("train", "charrnn", "--data", tmp_path / "t.txt", "--heads", "2",
                  "--out", tmp_path / "r", check=False)
    assert_user_error(out, "--heads applies to transformer language models (gpt)")


def test_resume_continues_a_gpt_run_exactly(gu_main, tmp_path):
    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    args = ("--data", tmp_path / "t.txt", *SMALL)
    gu_main("train", "gpt", "--epochs", "1", "--out", tmp_path / "a", *args)
    gu_main("train", "--resume", tmp_path / "a", "--epochs", "2", "--no-progress")
    gu_main("train", "gpt", "--epochs", "2", "--out", tmp_path / "b", *args)
    rows = [(tmp_path / run / "history.csv").read_text().strip().splitlines()[1:]
            for run in ("a", "b")]
    assert len(rows[0]) == 2 and rows[0] == rows[1]
