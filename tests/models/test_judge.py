"""models/judge.py: the bundled judge, the Frechet distance, the inception score."""

import numpy as np
import pytest

from groundup.data.datasets import load_digits
from groundup.models import judge


def test_frechet_distance_known_answers():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((6, 6))
    s = a @ a.T + 0.1 * np.eye(6)
    mu = rng.standard_normal(6)
    assert judge.frechet_distance(mu, s, mu, s) == pytest.approx(0, abs=1e-8)
    shift = np.array([1.0, -2.0, 0.5, 0, 0, 3.0])
    assert judge.frechet_distance(mu, s, mu + shift, s) == pytest.approx(shift @ shift, rel=1e-8)
    d1, d2 = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])  # diagonal: closed form
    expected = ((np.sqrt(d1) - np.sqrt(d2)) ** 2).sum()
    assert judge.frechet_distance(np.zeros(3), np.diag(d1), np.zeros(3), np.diag(d2)) == \
        pytest.approx(expected, rel=1e-10)
    # a rotation of both keeps the distance (the cross term is not diagonal any more)
    q, _ = np.linalg.qr(rng.standard_normal((3, 3)))
    assert judge.frechet_distance(np.ones(3), q @ np.diag(d1) @ q.T, np.ones(3),
                                  q @ np.diag(d2) @ q.T) == pytest.approx(expected, rel=1e-8)
    # rank-deficient covariances stay finite and non-negative
    low = np.outer(shift, shift)
    assert judge.frechet_distance(mu, low, mu, low) == pytest.approx(0, abs=1e-6)


def test_fid_from_samples_of_gaussians():
    rng = np.random.default_rng(1)
    x = rng.standard_normal((4000, 4))
    y = rng.standard_normal((4000, 4)) + np.array([2.0, 0, 0, 0])
    assert judge.fid_from_features(x, x) == pytest.approx(0, abs=1e-8)
    assert judge.fid_from_features(x, y) == pytest.approx(4.0, rel=0.05)
    with pytest.raises(ValueError, match="fid_from_features"):
        judge.fid_from_features(x, y[:, :3])


def test_inception_score_bounds():
    sure = np.eye(10)[np.arange(100) % 10]
    assert judge.inception_score(sure) == pytest.approx(10, rel=1e-6)
    assert judge.inception_score(np.full((50, 10), 0.1)) == pytest.approx(1, rel=1e-6)
    assert judge.inception_score(np.eye(10)[np.zeros(20, int)]) == pytest.approx(1, rel=1e-6)


def test_judge_reads_real_digits_and_fid_grows_with_noise():
    X, y = load_digits(split="test", as_images=True)
    probs, feats = judge.judge_outputs(X)
    assert (probs.argmax(1) == y).mean() > 0.9
    assert feats.shape == (len(X), 84)
    real = judge.judge_metrics(X)
    assert real["fid"] == pytest.approx(0, abs=1e-6) and real["classes"] == 10
    assert real["confidence"] > 0.9 and real["inception_score"] > 8
    rng = np.random.default_rng(0)
    fids = [judge.judge_metrics(np.clip(X + rng.normal(0, s, X.shape), 0, 1))["fid"]
            for s in (0.05, 0.2, 0.5)]
    assert 0 < fids[0] < fids[1] < fids[2]


def test_28x28_images_are_area_averaged_to_8x8():
    X, y = load_digits(split="test", as_images=True)
    big = np.kron(X[:, 0], np.ones((4, 4)))[:, None]  # 32x32, then 28x28 by cropping
    np.testing.assert_allclose(judge.judge_input(big), X, atol=1e-6)
    assert judge.judge_input(np.zeros((2, 1, 28, 28))).shape == (2, 1, 8, 8)
    small = judge.area_resize(np.ones((1, 28, 28)))
    np.testing.assert_allclose(small, 1.0)
    with pytest.raises(ValueError, match="one-channel"):
        judge.judge_input(np.zeros((2, 3, 8, 8)))
