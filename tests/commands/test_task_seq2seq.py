"""commands/task_seq2seq.py: `groundup train seq2seq`, then eval and sample."""

import json

import pytest

from .support import PNG, assert_user_error, trained


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    return trained(tmp_path_factory, "seq2seq", "--epochs", "2", "--samples", "3000")


def test_train_reports_greedy_and_beam_and_draws_attention(run):
    settings = json.loads((run / "config.json").read_text())
    assert settings["problem"] == "reverse" and settings["length"] == 8
    assert settings["data"] == "generated"
    assert (run / "attention.png").read_bytes().startswith(PNG)
    assert (run / "curves.png").read_bytes().startswith(PNG)


def test_eval_prints_exact_match_and_token_accuracy(gu_main, run):
    out = gu_main("eval", run)
    assert "greedy" in out.stdout and "beam 4" in out.stdout
    assert out.stdout.count("exact match") == 2 and "token accuracy" in out.stdout
    assert_user_error(gu_main("eval", run, "--data", "digits", check=False), "generated")


def test_sample_decodes_a_prompt_deterministically(gu_main, run):
    first = gu_main("sample", run, "--prompt", "31415926").stdout
    assert first.startswith("31415926 -> ")
    assert gu_main("sample", run, "--prompt", "31415926").stdout == first
    assert gu_main("sample", run, "--prompt", "31415926", "--beam", "3").stdout \
        .startswith("31415926 -> ")
    lines = gu_main("sample", run, "--num", "3").stdout.strip().splitlines()
    assert len(lines) == 3 and all(" -> " in line for line in lines)
    assert_user_error(gu_main("sample", run, "--prompt", "31a4", check=False), "--prompt")
    assert_user_error(gu_main("sample", run, "--prompt", "1234567890", check=False),
                      "at most 9")
    assert_user_error(gu_main("sample", run, "--beam", "0", check=False), "--beam")


def test_train_output_and_options(gu_main, tmp_path):
    out = gu_main("train", "seq2seq", "--epochs", "1", "--samples", "300", "--problem", "sort",
                  "--length", "5", "--out", tmp_path / "sort", "--no-progress")
    assert "problem    sort" in out.stdout
    assert "greedy        exact match" in out.stdout and "beam 4" in out.stdout
    assert "groundup sample" in out.stdout
    again = gu_main("train", "--resume", tmp_path / "sort", "--epochs", "2", "--no-progress")
    assert "epoch 2/2" in again.stdout and "problem    sort" in again.stdout
    assert_user_error(gu_main("train", "seq2seq", "--data", "digits", "--out",
                              tmp_path / "bad", check=False), "generated digit strings")
    bad = gu_main("train", "seq2seq", "--problem", "shuffle", check=False)
    assert bad.returncode == 2 and "--problem" in bad.stderr
    assert_user_error(gu_main("train", "mlp", "--length", "5", check=False), "seq2seq")
