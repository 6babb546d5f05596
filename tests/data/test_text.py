"""gu.data.text: vocabularies, the held-out split and the windows for truncated BPTT."""

import json

import numpy as np
import pytest

import groundup as gu
from groundup.data import DataLoader
from groundup.data.datasets import load_shakespeare
from groundup.data.text import (
    CharVocab,
    TextWindows,
    WordVocab,
    build_vocab,
    holdout_split,
    vocab_from_dict,
)


def test_char_vocab_round_trip_and_json():
    text = load_shakespeare()
    vocab = CharVocab.from_text(text)
    assert len(vocab) == 63 and vocab.itos == sorted(set(text)) and "\n" in vocab
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert vocab.decode(ids) == text
    assert vocab.decode(gu.tensor(ids[:5])) == text[:5] and vocab.decode(int(ids[0])) == text[0]
    again = vocab_from_dict(json.loads(json.dumps(vocab.to_dict())))
    assert isinstance(again, CharVocab) and again == vocab
    np.testing.assert_array_equal(again.encode("To be"), vocab.encode("To be"))
    assert repr(vocab) == "CharVocab(63 characters)"


def test_char_vocab_unknown_characters():
    vocab = CharVocab.from_text("abc")
    with pytest.raises(KeyError, match=r"character 'z' \(position 2\) is not in the "
                                       r"vocabulary of 3 characters"):
        vocab.encode("abz")
    with pytest.raises(KeyError, match="'\\\\u00e9'|'é'"):
        vocab.encode("é")
    with_unk = CharVocab.from_text("abc", unk="?")
    assert with_unk.decode(with_unk.encode("a€b")) == "a?b"
    with pytest.raises(IndexError, match=r"ids must lie in \[0, 3\)"):
        vocab.decode([0, 3])
    with pytest.raises(ValueError, match="single characters"):
        CharVocab(["ab"])
    with pytest.raises(ValueError, match="kind='char'"):
        CharVocab.from_dict({"kind": "word", "tokens": []})


def test_word_vocab():
    text = "To be, or not to be: that is the question.\nTo be 'tis lov'd.\n"
    vocab = WordVocab.from_text(text)
    words = vocab.tokenize(text)
    assert words[:4] == ["To", "be", ",", "or"]
    assert "\n" in words and "lov'd" in words and "'tis" in words
    assert vocab.itos[0] == "<unk>" and vocab.itos[1] == "be"  # most frequent first
    ids = vocab.encode(text)
    assert vocab.decode(ids) == ("To be, or not to be: that is the question.\n"
                                 "To be 'tis lov'd.\n")
    assert vocab.decode(vocab.encode("To be, Horatio")) == "To be, <unk>"
    small = WordVocab.from_text(text, min_freq=2, lower=True)
    assert set(small.itos) == {"<unk>", "to", "be", ".", "\n"}
    assert len(WordVocab.from_text(text, max_size=3)) == 3
    again = vocab_from_dict(json.loads(json.dumps(small.to_dict())))
    assert isinstance(again, WordVocab) and again == small and again.lower
    assert isinstance(build_vocab(text, "word", min_freq=2), WordVocab)
    assert isinstance(build_vocab(text), CharVocab)
    with pytest.raises(ValueError, match="level must be 'char' or 'word'"):
        build_vocab(text, "byte")
    with pytest.raises(ValueError, match="min_freq must be an int >= 1"):
        WordVocab.from_text(text, min_freq=0)
    with pytest.raises(ValueError, match="kind 'char' or 'word'"):
        vocab_from_dict({"tokens": []})


def test_holdout_split():
    train, val = holdout_split("abcdefghij", 0.2)
    assert (train, val) == ("abcdefgh", "ij")
    ids = np.arange(10)
    a, b = holdout_split(ids, 0.25)
    assert a.tolist() == list(range(8)) and b.tolist() == [8, 9]  # round(2.5) = 2
    assert holdout_split("abc", 0) == ("abc", "")
    with pytest.raises(ValueError, match=r"fraction must be a number in \[0, 1\)"):
        holdout_split("abc", 1.0)


def test_windows_are_contiguous_across_batches():
    ids = np.arange(103)
    windows = TextWindows(ids, batch_size=4, seq_len=10)  # rows of n = 25 tokens
    assert len(windows) == 3 and windows.tokens == 100
    batches = list(windows)
    assert [tuple(x.shape) for x, _ in batches] == [(4, 10), (4, 10), (4, 5)]
    x = np.concatenate([b[0].numpy() for b in batches], axis=1)
    y = np.concatenate([b[1].numpy() for b in batches], axis=1)
    assert batches[0][0].dtype == np.int64
    np.testing.assert_array_equal(x, np.arange(100).reshape(4, 25))  # row b continues
    np.testing.assert_array_equal(y, x + 1)  # the next token
    time_major = list(TextWindows(ids, 4, 10, batch_first=False, drop_last=True))
    assert len(time_major) == 2 and tuple(time_major[0][0].shape) == (10, 4)
    np.testing.assert_array_equal(time_major[1][0].numpy(), batches[1][0].numpy().T)
    loaded = list(DataLoader(windows, batch_size=None))
    np.testing.assert_array_equal(loaded[2][1].numpy(), batches[2][1].numpy())


def test_windows_random_offset():
    ids = np.arange(205)
    windows = TextWindows(ids, batch_size=4, seq_len=10, random_offset=True, seed=0)
    offsets = set()
    for _ in range(8):
        batches = list(windows)
        assert len(batches) == len(windows) == 5  # n = (205 - 9 - 1) // 4 = 48
        x0 = batches[0][0].numpy()
        offsets.add(int(x0[0, 0]))
        np.testing.assert_array_equal(batches[0][1].numpy(), x0 + 1)
        assert int(batches[-1][1].numpy().max()) < 205
    assert len(offsets) > 1 and offsets <= set(range(10))


def test_windows_errors():
    with pytest.raises(ValueError, match="5 tokens are too few for batch_size=8"):
        TextWindows(np.arange(5), batch_size=8, seq_len=4)
    with pytest.raises(ValueError, match="seq_len must be a positive int"):
        TextWindows(np.arange(50), batch_size=2, seq_len=0)
    with pytest.raises(TypeError, match="expected integer token ids"):
        TextWindows(np.linspace(0, 1, 50), batch_size=2, seq_len=4)
