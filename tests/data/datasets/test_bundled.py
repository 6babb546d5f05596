"""Tests for groundup/data/datasets/bundled.py: digits, iris, wine and their fixed splits."""

import os

import numpy as np
import pytest

from groundup.data import DataLoader, TensorDataset
from groundup.data import datasets as D
from groundup.data.datasets import load_digits, load_iris, load_wine, stratified_split
from groundup.data.datasets.bundled import _FILES, _bundled


def test_digits_all():
    X, y = load_digits()
    assert X.shape == (1797, 64) and X.dtype == np.float32
    assert y.shape == (1797,) and y.dtype == np.int64
    assert X.min() == 0.0 and X.max() == 1.0
    assert sorted(np.unique(y)) == list(range(10))
    np.testing.assert_array_equal(np.bincount(y),
                                  [178, 182, 177, 183, 181, 182, 181, 179, 174, 180])
    raw, _ = load_digits(normalize=False)
    assert raw.max() == 16 and np.array_equal(raw, np.round(raw))
    np.testing.assert_allclose(raw / 16, X)
    images, _ = load_digits(as_images=True)
    assert images.shape == (1797, 1, 8, 8)
    np.testing.assert_array_equal(images.reshape(1797, 64), X)
    # the first image is a zero, as in the UCI file
    assert y[0] == 0 and raw[0, :8].tolist() == [0, 0, 5, 13, 9, 1, 0, 0]


def test_digits_split_is_fixed_stratified_and_disjoint():
    Xtr, ytr = load_digits(split="train")
    Xte, yte = load_digits(split="test")
    assert len(ytr) == 1438 and len(yte) == 359
    counts = np.bincount(yte, minlength=10)
    assert counts.min() >= 35 and counts.max() <= 37
    _, y = load_digits()
    train, test = stratified_split(y, 0.2, 0)
    assert not set(train) & set(test) and len(train) + len(test) == 1797
    X, _ = load_digits()
    np.testing.assert_array_equal(Xtr, X[train])
    np.testing.assert_array_equal(Xte, X[test])
    again, _ = load_digits(split="test")
    np.testing.assert_array_equal(again, Xte)
    other, _ = load_digits(split="test", seed=1)
    assert other.shape == Xte.shape and not np.array_equal(other, Xte)
    assert len(load_digits(split="test", test_fraction=0.5)[1]) == 901  # halves rounded up
    with pytest.raises(ValueError, match="split"):
        load_digits(split="val")
    with pytest.raises(ValueError, match="test_fraction"):
        load_digits(split="train", test_fraction=1.0)


def test_iris_and_wine():
    X, y = load_iris()
    assert X.shape == (150, 4) and X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(np.bincount(y), [50, 50, 50])
    np.testing.assert_allclose(X[0], [5.1, 3.5, 1.4, 0.2], rtol=1e-6)
    assert [len(load_iris(split=s)[1]) for s in ("train", "test")] == [120, 30]
    X, y = load_wine()
    assert X.shape == (178, 13) and np.bincount(y).tolist() == [59, 71, 48]
    assert X[:, -1].max() == 1680.0
    assert [len(load_wine(split=s)[1]) for s in ("train", "test")] == [142, 36]
    for name, classes, features in (("iris", D.IRIS_CLASSES, D.IRIS_FEATURES),
                                    ("wine", D.WINE_CLASSES, D.WINE_FEATURES)):
        arrays = _bundled(name)
        assert tuple(arrays["class_names"].tolist()) == classes
        assert tuple(arrays["feature_names"].tolist()) == features


def test_standardize_uses_training_statistics():
    Xtr, _ = load_wine(split="train", standardize=True)
    np.testing.assert_allclose(Xtr.mean(axis=0), 0, atol=1e-5)
    np.testing.assert_allclose(Xtr.std(axis=0), 1, atol=1e-5)
    Xte, _ = load_wine(split="test", standardize=True)
    assert Xte.dtype == np.float32 and np.abs(Xte.mean(axis=0)).max() > 1e-3
    X, _ = load_iris(standardize=True)
    np.testing.assert_allclose(X.std(axis=0), 1, atol=1e-5)


def test_bundled_arrays_are_protected_and_results_independent():
    X, _ = load_digits()
    X[...] = 5
    assert load_digits()[0].max() == 1.0
    assert not _bundled("digits")["images"].flags.writeable


def test_files_notice_and_registry():
    names = sorted(os.listdir(_FILES))
    assert names == ["digits.npz", "iris.npz", "shakespeare.txt.gz", "wine.npz"]
    for n in [n for n in names if n.endswith(".npz")]:
        with np.load(os.path.join(_FILES, n), allow_pickle=False) as f:
            assert all(f[k].dtype != object for k in f.files)
    notice = open(os.path.join(os.path.dirname(_FILES), "NOTICE")).read()
    for words in ("scikit-learn", "1.9.1", "CC BY 4.0", "Alpaydin", "Kaynak", "1998", "Fisher"):
        assert words in notice
    assert set(D.DATASETS) >= {"xor", "spirals", "moons", "circles", "blobs", "sine_waves",
                               "digits", "iris", "wine"}
    for name, fn in D.DATASETS.items():
        X, y = fn()
        assert len(X) == len(y) and X.dtype == np.float32, name
    assert set(D.FILE_LOADERS) == {"csv", "npz", "mnist", "text"}
    xb, yb = next(iter(DataLoader(TensorDataset(*load_digits(split="train")), batch_size=32)))
    assert xb.shape == (32, 64) and yb.shape == (32,)
