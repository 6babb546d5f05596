"""Tests for groundup/data/datasets/synthetic.py: shapes, dtypes, balance, seeding."""

import numpy as np
import pytest

import groundup as gu
from groundup.data import DataLoader, TensorDataset
from groundup.data.datasets import blobs, circles, moons, sine_waves, spirals, xor

CLASSIFIERS = [
    (xor, dict(n=40, noise=0.1), 2, 2),
    (spirals, dict(n=90, classes=3), 2, 3),
    (moons, dict(n=51), 2, 2),
    (circles, dict(n=60), 2, 2),
    (blobs, dict(n=60, centers=4, dim=3), 3, 4),
]


@pytest.mark.parametrize("fn,kwargs,dim,classes", CLASSIFIERS,
                         ids=lambda v: getattr(v, "__name__", ""))
def test_classification_sets(fn, kwargs, dim, classes):
    X, y = fn(**kwargs)
    n = kwargs["n"]
    assert X.shape == (n, dim) and X.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    counts = np.bincount(y, minlength=classes)
    assert len(counts) == classes and counts.max() - counts.min() <= 1  # balanced
    assert np.isfinite(X).all()
    # seeded: the same seed gives the same data, another seed other data
    X2, y2 = fn(**kwargs)
    np.testing.assert_array_equal(X, X2)
    np.testing.assert_array_equal(y, y2)
    X3, _ = fn(**kwargs, seed=1)
    assert not np.array_equal(X, X3)
    # seed=None draws from the shared generator: reproducible under manual_seed
    gu.manual_seed(4)
    A, _ = fn(**kwargs, seed=None)
    gu.manual_seed(4)
    B, _ = fn(**kwargs, seed=None)
    np.testing.assert_array_equal(A, B)
    # feeds a DataLoader directly
    xb, yb = next(iter(DataLoader(TensorDataset(X, y), batch_size=8, shuffle=True, seed=0)))
    assert xb.shape == (8, dim) and yb.dtype == np.int64


def test_xor_truth_table():
    X, y = xor()
    np.testing.assert_array_equal(X, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [0, 1, 1, 0])
    Xn, yn = xor(n=400, noise=0.05)
    corner = np.round(Xn).astype(int)
    np.testing.assert_array_equal(corner[:, 0] ^ corner[:, 1], yn)


def test_geometry():
    X, y = circles(n=100, noise=0.0, factor=0.3)
    r = np.linalg.norm(X, axis=1)
    np.testing.assert_allclose(r[y == 0], 1.0, rtol=1e-6)
    np.testing.assert_allclose(r[y == 1], 0.3, rtol=1e-6)
    X, y = moons(n=100, noise=0.0)
    np.testing.assert_allclose(np.linalg.norm(X[y == 0], axis=1), 1.0, rtol=1e-6)
    X, y = spirals(n=200, classes=2, noise=0.0)
    assert np.linalg.norm(X, axis=1).max() <= 1.0 + 1e-6
    centers = np.array([[0.0, 0.0], [100.0, 100.0]])
    X, y = blobs(n=200, centers=centers, std=0.5)
    np.testing.assert_allclose(X[y == 1].mean(axis=0), [100, 100], atol=0.3)
    assert X[y == 0].std() < 1.0


def test_sine_waves_windows_and_targets():
    X, y = sine_waves(n=16, seq_len=20, horizon=3)
    assert X.shape == (16, 20, 1) and y.shape == (16, 3)
    assert X.dtype == np.float32 and y.dtype == np.float32
    assert np.abs(X).max() <= 1.5 + 1e-6
    # the targets continue the same waves: a longer window of the same seed holds them
    X_long, _ = sine_waves(n=16, seq_len=23, horizon=1)
    np.testing.assert_allclose(X_long[:, 20:, 0], y, rtol=1e-6, atol=1e-6)
    noisy, y_noisy = sine_waves(n=16, seq_len=20, horizon=3, noise=0.1)
    assert not np.array_equal(noisy, X)
    np.testing.assert_allclose(y_noisy, y)  # targets stay clean
    assert not np.array_equal(sine_waves(n=16, seed=1)[0], sine_waves(n=16)[0])


def test_errors():
    with pytest.raises(ValueError, match="xor: n"):
        xor(n=0)
    with pytest.raises(ValueError, match="noise"):
        moons(noise=-1)
    with pytest.raises(ValueError, match="classes"):
        spirals(classes=1)
    with pytest.raises(ValueError, match="factor"):
        circles(factor=1.5)
    with pytest.raises(ValueError, match=r"centers.*\(k, dim\)"):
        blobs(centers=np.zeros(3))
    with pytest.raises(ValueError, match="seq_len"):
        sine_waves(seq_len=0)
