"""commands/task_text.py: `groundup train charrnn` on a text file, then `groundup sample`."""

import json

import pytest

from .support import assert_user_error

TEXT = "the cat sat on the mat, and the dog sat on the log.\n" * 60


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    from .conftest import run_quietly

    root = tmp_path_factory.mktemp("text")
    (root / "corpus.txt").write_text(TEXT, encoding="utf-8")
    rc = run_quietly("train", "charrnn", "--data", "corpus.txt", "--epochs", "1",
                     "--width", "16", "--embed", "8", "--seq-len", "16", "--batch-size", "8",
                     "--out", "run", "--no-progress", cwd=root)
    assert rc == 0
    return root / "run"


def test_train_saves_the_vocabulary_and_a_sample(run_dir):
    import groundup as gu

    meta = gu.io.load_checkpoint(run_dir / "last.safetensors", restore_rng=False)
    run = meta["extra"]["run"]
    assert run["vocab"]["kind"] == "char" and "".join(run["vocab"]["tokens"]) == \
        "".join(sorted(set(TEXT)))
    config = json.loads((run_dir / "config.json").read_text())
    assert config["seq_len"] == 16 and config["width"] == 16 and config["cell"] == "lstm"
    assert config["data"].endswith("corpus.txt") and config["data"].startswith("/")
    assert (run_dir / "sample.txt").read_text(encoding="utf-8")
    assert meta["config"]["config"]["hidden"] == 16


def test_train_prints_test_loss_in_bits_per_character(gu_main, tmp_path):
    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    out = gu_main("train", "charrnn", "--data", tmp_path / "t.txt", "--epochs", "1",
                  "--width", "8", "--embed", "4", "--seq-len", "16", "--batch-size", "8",
                  "--cell", "gru", "--val-split", "0", "--out", tmp_path / "r", "--no-progress")
    assert "bits/char" in out.stdout and "test loss" in out.stdout
    assert "characters" in out.stdout  # the data line
    assert "sample (300 characters" in out.stdout


def test_sample_writes_text_and_is_deterministic_under_seed(gu_main, run_dir, tmp_path):
    a = gu_main("sample", run_dir, "--length", "50", "--prompt", "the ", "--seed", "3",
                "--out", tmp_path / "a.txt")
    b = gu_main("sample", run_dir, "--length", "50", "--prompt", "the ", "--seed", "3",
                "--out", tmp_path / "b.txt")
    text = (tmp_path / "a.txt").read_text(encoding="utf-8")
    assert text == (tmp_path / "b.txt").read_text(encoding="utf-8")
    assert text.startswith("the ") and len(text.rstrip("\n")) >= 50
    assert a.stdout == b.stdout.replace("b.txt", "a.txt")
    gu_main("sample", run_dir, "--length", "20", "--top-k", "3", "--temperature", "0.5",
            "--num", "2", "--out", tmp_path / "c.txt")
    assert (tmp_path / "c.txt").read_text(encoding="utf-8").count("--- sample") == 2


def test_eval_reports_bits_per_character(gu_main, run_dir):
    out = gu_main("eval", run_dir, cwd=run_dir.parent)
    assert "bits/char" in out.stdout and "perplexity" in out.stdout


def test_unknown_prompt_characters_are_named(gu_main, run_dir):
    out = gu_main("sample", run_dir, "--prompt", "the Zebra", check=False)
    assert_user_error(out, "'Z'")
    assert "not in the model's vocabulary" in out.stderr


@pytest.mark.parametrize("content,fragment", [
    (None, "no such file"),
    (b"", "the file is empty"),
    (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(64), "is not text"),
])
def test_bad_text_files_are_refused_clearly(gu_main, tmp_path, content, fragment):
    path = tmp_path / "c.txt"
    if content is not None:
        path.write_bytes(content)
    out = gu_main("train", "charrnn", "--data", path, "--epochs", "1", "--out",
                  tmp_path / "r", check=False)
    assert_user_error(out, fragment)


def test_text_options_belong_to_text_models(gu_main, tmp_path):
    out = gu_main("train", "mlp", "--seq-len", "8", "--out", tmp_path / "r", check=False)
    assert_user_error(out, "--seq-len applies to text models")


def test_resume_continues_a_text_run(gu_main, tmp_path):
    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    args = ("--data", tmp_path / "t.txt", "--width", "8", "--embed", "4", "--seq-len", "16",
            "--batch-size", "8", "--no-progress")
    gu_main("train", "charrnn", "--epochs", "1", "--out", tmp_path / "r", *args)
    out = gu_main("train", "--resume", tmp_path / "r", "--epochs", "2", "--no-progress")
    assert "epoch 2/2" in out.stdout
    rows = (tmp_path / "r" / "history.csv").read_text().strip().splitlines()[1:]
    assert [r.split(",")[0] for r in rows] == ["1", "2"]


def test_word_tokens_train_and_sample_words(gu_main, tmp_path):
    """--tokens word: the vocabulary is the corpus's words, kept with the checkpoint, and
    `groundup sample` writes words of it."""
    import groundup as gu

    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    out = gu_main("train", "charrnn", "--tokens", "word", "--data", tmp_path / "t.txt",
                  "--epochs", "1", "--width", "16", "--embed", "8", "--seq-len", "8",
                  "--batch-size", "8", "--out", tmp_path / "r", "--no-progress")
    assert "bits/word" in out.stdout and "test words" in out.stdout
    run = gu.io.load_checkpoint(tmp_path / "r" / "last.safetensors",
                                restore_rng=False)["extra"]["run"]
    words = {"the", "cat", "sat", "on", "mat", ",", "and", "dog", "log", ".", "\n"}
    assert run["vocab"]["kind"] == "word" and set(run["vocab"]["tokens"]) == words | {"<unk>"}
    assert json.loads((tmp_path / "r" / "config.json").read_text())["tokens"] == "word"
    text = gu_main("sample", tmp_path / "r", "--length", "20", "--seed", "1",
                   "--out", tmp_path / "s.txt").stdout
    tokens = gu.data.text.WordVocab(sorted(words)).tokenize(text.split("\n-> ")[0])
    assert len(tokens) >= 20 and set(tokens) <= words | {"<", "unk", ">"}


def test_word_prompts_are_read_as_words(gu_main, tmp_path):
    """--tokens word: `groundup sample --prompt` splits the prompt into the run's words (not
    characters), continues it with spacing of words, and reads a word the vocabulary lacks
    as <unk>, naming it on stderr."""
    import groundup as gu

    (tmp_path / "t.txt").write_text(TEXT, encoding="utf-8")
    gu_main("train", "charrnn", "--tokens", "word", "--data", tmp_path / "t.txt", "--epochs",
            "1", "--width", "16", "--embed", "8", "--seq-len", "8", "--batch-size", "8",
            "--out", tmp_path / "r", "--no-progress")
    words = {"the", "cat", "sat", "on", "mat", ",", "and", "dog", "log", ".", "\n", "<unk>"}
    out = gu_main("sample", tmp_path / "r", "--prompt", "the cat sat", "--length", "12",
                  "--seed", "2", "--out", tmp_path / "s.txt")
    text = (tmp_path / "s.txt").read_text(encoding="utf-8")
    assert out.stderr == "" and text.startswith("the cat sat")
    assert text[len("the cat sat")] in " ,.\n"   # words follow the prompt's last one apart
    tokens = gu.data.text.WordVocab(sorted(words)).tokenize(text.replace("<unk>", "unk"))
    assert len(tokens) >= 3 + 12 and set(tokens) <= words | {"unk"}
    again = gu_main("sample", tmp_path / "r", "--prompt", "the cat sat", "--length", "12",
                    "--seed", "2", "--out", tmp_path / "s2.txt")
    assert (tmp_path / "s2.txt").read_text(encoding="utf-8") == text and again.returncode == 0
    out = gu_main("sample", tmp_path / "r", "--prompt", "the zebra sat on a mat",
                  "--length", "5", "--out", tmp_path / "z.txt")
    assert "'a', 'zebra'" in out.stderr and "read as <unk>" in out.stderr
    assert (tmp_path / "z.txt").read_text(encoding="utf-8").startswith("the zebra sat on a mat")
