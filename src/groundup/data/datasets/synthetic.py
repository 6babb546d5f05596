"""Generated toy datasets: xor, spirals, moons, circles, blobs, sine_waves.

Every generator returns a pair of NumPy arrays `(X, y)`: X float32 with one
row per sample, y int64 class ids (float32 targets for sine_waves). Wrap
them as `TensorDataset(*moons())` to feed a DataLoader. `seed` is an int
(the default 0 gives the same data on every call) or None to draw from
groundup's shared generator (reproducible under gu.manual_seed).
"""

import math
import numbers

import numpy as np

from ..dataset import _generator

__all__ = ["xor", "spirals", "moons", "circles", "blobs", "sine_waves"]


def _check_n(name, n, minimum=1):
    if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < minimum:
        raise ValueError(f"{name}: n must be an int >= {minimum}; got {n!r}")
    return int(n)


def _check_noise(name, noise):
    if not isinstance(noise, numbers.Real) or noise < 0:
        raise ValueError(f"{name}: noise must be a number >= 0; got {noise!r}")
    return float(noise)


def _jitter(X, noise, rng):
    if noise > 0:
        X = X + noise * rng.standard_normal(X.shape)
    return X.astype(np.float32)


def xor(n=4, noise=0.0, seed=0):
    """The XOR problem: X (n, 2) float32 near the corners of the unit square, y (n,) int64.

    Sample i sits at corner i % 4 of [(0, 0), (0, 1), (1, 0), (1, 1)] with label
    [0, 1, 1, 0][i % 4] (the classes stay balanced), plus N(0, noise^2) jitter.
    The default `xor()` is the exact 4-point truth table.
    """
    n = _check_n("xor", n)
    noise = _check_noise("xor", noise)
    corners = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
    which = np.arange(n) % 4
    X = _jitter(corners[which], noise, _generator(seed))
    y = np.array([0, 1, 1, 0], dtype=np.int64)[which]
    return X, y


def _class_sizes(n, classes):
    """n samples dealt to `classes` classes as evenly as possible (the first ones get extra)."""
    return [n // classes + (1 if k < n % classes else 0) for k in range(classes)]


def spirals(n=300, classes=2, noise=0.1, turns=1.0, seed=0):
    """Interleaved spiral arms, one per class: X (n, 2) float32, y (n,) int64.

    Arm k: radius r from 0.05 to 1, angle 2*pi*(turns*r + k/classes) plus
    N(0, noise^2) jitter (radians, so points near the centre move least). n is
    the total number of points, dealt evenly over the classes (in class order).
    """
    n = _check_n("spirals", n)
    noise = _check_noise("spirals", noise)
    if isinstance(classes, bool) or not isinstance(classes, numbers.Integral) or classes < 2:
        raise ValueError(f"spirals: classes must be an int >= 2; got {classes!r}")
    rng = _generator(seed)
    xs, ys = [], []
    for k, m in enumerate(_class_sizes(n, classes)):
        r = np.linspace(0.05, 1.0, m)
        angle = 2 * math.pi * (turns * r + k / classes) + noise * rng.standard_normal(m)
        xs.append(np.stack([r * np.cos(angle), r * np.sin(angle)], axis=1))
        ys.append(np.full(m, k, dtype=np.int64))
    return np.concatenate(xs).astype(np.float32), np.concatenate(ys)


def moons(n=200, noise=0.1, seed=0):
    """Two interleaving half circles: X (n, 2) float32, y (n,) int64.

    Class 0: (cos t, sin t); class 1: (1 - cos t, 0.5 - sin t), t in [0, pi],
    plus N(0, noise^2) jitter. Class 0 gets the extra point when n is odd.
    """
    n = _check_n("moons", n, minimum=2)
    noise = _check_noise("moons", noise)
    rng = _generator(seed)
    n0, n1 = _class_sizes(n, 2)
    t0, t1 = np.linspace(0, math.pi, n0), np.linspace(0, math.pi, n1)
    upper = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    lower = np.stack([1 - np.cos(t1), 0.5 - np.sin(t1)], axis=1)
    X = _jitter(np.concatenate([upper, lower]), noise, rng)
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    return X, y


def circles(n=200, noise=0.05, factor=0.5, seed=0):
    """Two concentric circles: X (n, 2) float32, y (n,) int64 (0 outer, radius 1; 1 inner).

    The inner circle has radius `factor` (0 < factor < 1); N(0, noise^2) jitter.
    """
    n = _check_n("circles", n, minimum=2)
    noise = _check_noise("circles", noise)
    if not 0 < factor < 1:
        raise ValueError(f"circles: factor must lie in (0, 1); got {factor!r}")
    rng = _generator(seed)
    n0, n1 = _class_sizes(n, 2)
    t0 = np.linspace(0, 2 * math.pi, n0, endpoint=False)
    t1 = np.linspace(0, 2 * math.pi, n1, endpoint=False)
    outer = np.stack([np.cos(t0), np.sin(t0)], axis=1)
    inner = factor * np.stack([np.cos(t1), np.sin(t1)], axis=1)
    X = _jitter(np.concatenate([outer, inner]), noise, rng)
    y = np.concatenate([np.zeros(n0, np.int64), np.ones(n1, np.int64)])
    return X, y


def blobs(n=300, centers=3, std=1.0, dim=2, box=(-10.0, 10.0), seed=0):
    """Gaussian clusters: X (n, dim) float32, y (n,) int64 (the cluster of each point).

    centers: how many clusters (their means drawn uniformly in `box`^dim), or
    an array (k, dim) of means. std: the clusters' standard deviation (a
    number or one per cluster). Points are dealt evenly over the clusters.
    """
    n = _check_n("blobs", n)
    rng = _generator(seed)
    if isinstance(centers, numbers.Integral) and not isinstance(centers, bool):
        if centers < 1:
            raise ValueError(f"blobs: centers must be >= 1; got {centers}")
        means = rng.uniform(box[0], box[1], size=(int(centers), int(dim)))
    else:
        means = np.asarray(centers, dtype=np.float64)
        if means.ndim != 2:
            raise ValueError(
                f"blobs: centers must be an int or an array (k, dim); got shape {means.shape}"
            )
    k = means.shape[0]
    stds = np.broadcast_to(np.asarray(std, dtype=np.float64), (k,))
    sizes = _class_sizes(n, k)
    y = np.repeat(np.arange(k, dtype=np.int64), sizes)
    X = means[y] + stds[y, None] * rng.standard_normal((n, means.shape[1]))
    return X.astype(np.float32), y


def sine_waves(n=256, seq_len=32, horizon=1, noise=0.0, period=(8.0, 32.0), seed=0):
    """Forecasting windows over random sine waves.

    Sample i is a wave a*sin(2*pi*t/p + phi) with amplitude a in [0.5, 1.5],
    period p (in steps) uniform in `period`, phase phi in [0, 2*pi), plus
    N(0, noise^2) on the inputs. Returns
        X (n, seq_len, 1) float32: the values at t = 0 .. seq_len-1 (batch-first)
        y (n, horizon) float32:    the clean values at t = seq_len .. seq_len+horizon-1
    """
    n = _check_n("sine_waves", n)
    seq_len = _check_n("sine_waves (seq_len)", seq_len)
    horizon = _check_n("sine_waves (horizon)", horizon)
    noise = _check_noise("sine_waves", noise)
    rng = _generator(seed)
    amplitude = rng.uniform(0.5, 1.5, size=(n, 1))
    p = rng.uniform(period[0], period[1], size=(n, 1))
    phase = rng.uniform(0, 2 * math.pi, size=(n, 1))
    t = np.arange(seq_len + horizon, dtype=np.float64)
    waves = amplitude * np.sin(2 * math.pi * t / p + phase)  # (n, seq_len + horizon)
    X = _jitter(waves[:, :seq_len], noise, rng)[:, :, None]
    y = waves[:, seq_len:].astype(np.float32)
    return X, y
