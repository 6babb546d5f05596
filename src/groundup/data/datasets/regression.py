"""Generated regression sets: a noisy sine (1-D) and a smooth surface (2-D).

Each returns (X, t): X (n, d) float32 inputs, t (n, 1) float32 targets; seeded.
"""

import numpy as np

__all__ = ["noisy_sine", "surface"]


def _check(name, n, noise):
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"{name}: n must be a positive int; got {n!r}")
    if not noise >= 0:
        raise ValueError(f"{name}: noise must be >= 0; got {noise!r}")


def noisy_sine(n=300, noise=0.1, low=-3.0, high=3.0, seed=0):
    """t = sin(x) + N(0, noise^2), x uniform in [low, high]: X (n, 1), t (n, 1)."""
    _check("noisy_sine", n, noise)
    rng = np.random.default_rng(seed)
    x = rng.uniform(low, high, size=(n, 1))
    t = np.sin(x) + noise * rng.standard_normal((n, 1))
    return x.astype(np.float32), t.astype(np.float32)


def surface(n=600, noise=0.05, seed=0):
    """t = sin(x1) cos(x2) + N(0, noise^2), (x1, x2) uniform in [-3, 3]^2: X (n, 2),
    t (n, 1)."""
    _check("surface", n, noise)
    rng = np.random.default_rng(seed)
    X = rng.uniform(-3.0, 3.0, size=(n, 2))
    t = np.sin(X[:, :1]) * np.cos(X[:, 1:]) + noise * rng.standard_normal((n, 1))
    return X.astype(np.float32), t.astype(np.float32)
