"""The judge: a LeNet trained on the bundled 8x8 digits that scores generated digits.

A generative model's samples have no labels and no likelihood to check, so a
classifier trained on the real digits looks at them instead (the idea of the
inception score and of FID, with LeNet in the place of Inception-v3). For N images:

    confidence   mean over images of max_y p(y|x): how clearly each looks like a digit
    classes      how many of the 10 digits are some image's argmax: a collapsed
                 generator that draws only a few digits covers few classes
    IS           exp(E_x KL(p(y|x) || p(y))), p(y) = mean_x p(y|x): from 1 (every image
                 the same, or none recognisable) to 10 (each image sure of one digit, the
                 digits equally often)
    FID          the Frechet distance between Gaussians fitted to the judge's penultimate
                 features (84 values: fc2's ReLU) of the images and of the real test digits:
                 |mu_1 - mu_2|^2 + tr(S_1) + tr(S_2) - 2 tr((S_1 S_2)^(1/2)); 0 for the same
                 distribution, lower is better

The weights are files/judge_digits.safetensors, written by tools/build_judge.py (a
fixed seed; about 98% on the 359 test digits). The judge reads 8x8 images in [0, 1];
larger one-channel images (28x28 MNIST format) are shrunk to 8x8 by area averaging first
(judge_input), which only approximates the bundled digits' look: figures on MNIST runs
are comparable between runs, not with the digits' ones.
"""

import os

import numpy as np

from .. import io
from ..autograd import no_grad
from ..tensor import Tensor
from .lenet import LeNet, LeNetConfig

__all__ = ["JUDGE_PATH", "load_judge", "judge_input", "area_resize", "judge_outputs",
           "frechet_distance", "fid_from_features", "inception_score", "judge_metrics",
           "real_features", "METRIC_NAMES"]

JUDGE_PATH = os.path.join(os.path.dirname(__file__), "files", "judge_digits.safetensors")
METRIC_NAMES = ("confidence", "classes", "inception_score", "fid")
_CACHE = {}


def load_judge(path=None):
    """The judge LeNet (eval mode) from `path` (default: the bundled file); cached."""
    path = path or JUDGE_PATH
    if path not in _CACHE:
        if not os.path.exists(path):
            raise FileNotFoundError(f"load_judge: no judge weights at {path} (build them with "
                                    f"python tools/build_judge.py)")
        model = LeNet(LeNetConfig(input_shape=[1, 8, 8], num_classes=10))
        model.load_state_dict(io.load(path))
        model.eval()
        _CACHE[path] = model
    return _CACHE[path]


def area_resize(images, size=8):
    """images (N, H, W) -> (N, size, size): each output pixel the mean of the input area it
    covers (fractional overlaps weighted), as an image shrunk by box filtering."""
    def weights(n):
        a = np.zeros((size, n))
        edges = np.linspace(0, n, size + 1)
        for i in range(size):
            lo, hi = edges[i], edges[i + 1]
            for j in range(int(np.floor(lo)), int(np.ceil(hi))):
                a[i, j] = min(hi, j + 1) - max(lo, j)
            a[i] /= a[i].sum()
        return a

    images = np.asarray(images, dtype=np.float64)
    rows, cols = weights(images.shape[1]), weights(images.shape[2])
    return np.einsum("ih,nhw,jw->nij", rows, images, cols)


def judge_input(images):
    """images (N, 1, H, W) (or (N, H, W)) in [0, 1] as the judge's (N, 1, 8, 8) float32;
    ValueError for colour or smaller-than-8 images."""
    x = np.asarray(getattr(images, "array", images))
    if x.ndim == 3:
        x = x[:, None]
    if x.ndim != 4 or x.shape[1] != 1 or x.shape[2] < 8 or x.shape[3] < 8:
        raise ValueError(f"judge: expected one-channel images (N, 1, H, W) of at least 8x8 "
                         f"pixels; got shape {tuple(x.shape)} (the judge reads digits only)")
    if x.shape[2:] != (8, 8):
        x = area_resize(x[:, 0])[:, None]
    return np.clip(x, 0.0, 1.0).astype(np.float32)


def judge_outputs(images, judge=None, batch=512):
    """(probabilities (N, 10), features (N, 84)) of the judge for images in [0, 1]."""
    judge = judge or load_judge()
    x = judge_input(images)
    probs, feats = [], []
    with no_grad():
        for i in range(0, len(x), batch):
            t = Tensor(x[i:i + batch])
            h = judge.relu(judge.pool1(judge.conv1(t)))
            h = judge.relu(judge.pool2(judge.conv2(h)))
            h = judge.relu(judge.fc1(judge.flatten(h)))
            h = judge.relu(judge.fc2(h))
            logits = judge.fc3(h).array.astype(np.float64)
            e = np.exp(logits - logits.max(axis=1, keepdims=True))
            probs.append(e / e.sum(axis=1, keepdims=True))
            feats.append(h.array.astype(np.float64))
    return np.concatenate(probs), np.concatenate(feats)


def _sqrt_psd(s):
    """The symmetric square root of a symmetric positive semi-definite matrix (eigh; the
    eigenvalues rounding makes slightly negative are set to 0)."""
    s = (s + s.T) / 2
    w, v = np.linalg.eigh(s)
    return (v * np.sqrt(np.clip(w, 0, None))) @ v.T


def frechet_distance(mu1, sigma1, mu2, sigma2):
    """|mu1 - mu2|^2 + tr(S1) + tr(S2) - 2 tr((S1 S2)^(1/2)) for two Gaussians.

    S1 S2 is not symmetric, but it is similar to the symmetric PSD matrix
    M = S1^(1/2) S2 S1^(1/2) (conjugate by S1^(1/2)), so tr((S1 S2)^(1/2)) is the sum of
    the square roots of M's eigenvalues: two symmetric eigendecompositions, no general
    matrix square root and no complex round-off. Computed in float64."""
    mu1, mu2 = np.asarray(mu1, np.float64), np.asarray(mu2, np.float64)
    s1, s2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(
        np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or s1.shape != s2.shape or s1.shape != (mu1.size, mu1.size):
        raise ValueError(f"frechet_distance: means {mu1.shape} and {mu2.shape} and covariances "
                         f"{s1.shape} and {s2.shape} do not match")
    root = _sqrt_psd(s1)
    m = root @ s2 @ root
    eig = np.linalg.eigvalsh((m + m.T) / 2)
    cross = float(np.sqrt(np.clip(eig, 0, None)).sum())
    d = mu1 - mu2
    return max(float(d @ d + np.trace(s1) + np.trace(s2) - 2 * cross), 0.0)


def fid_from_features(a, b):
    """The Frechet distance between Gaussians fitted (mean, covariance with ddof 1) to the
    rows of feature matrices a (N, D) and b (M, D)."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1] or min(len(a), len(b)) < 2:
        raise ValueError(f"fid_from_features: expected (N, D) and (M, D) with N, M >= 2; got "
                         f"{a.shape} and {b.shape}")
    return frechet_distance(a.mean(0), np.cov(a, rowvar=False), b.mean(0),
                            np.cov(b, rowvar=False))


def inception_score(probs, eps=1e-12):
    """exp(mean_x KL(p(y|x) || p(y))) of class probabilities (N, K), p(y) their mean."""
    p = np.asarray(probs, np.float64)
    marginal = p.mean(axis=0, keepdims=True)
    kl = (p * (np.log(p + eps) - np.log(marginal + eps))).sum(axis=1)
    return float(np.exp(kl.mean()))


def real_features(judge=None):
    """The judge's features of the bundled test digits (359 images); cached."""
    key = ("real", id(judge))
    if key not in _CACHE:
        from ..data.datasets import load_digits

        X, _ = load_digits(split="test", as_images=True)
        _CACHE[key] = judge_outputs(X, judge)[1]
    return _CACHE[key]


def judge_metrics(images, reference=None, judge=None):
    """{"confidence", "classes", "inception_score", "fid"} of images (N, 1, H, W) in [0, 1];
    reference: the real features FID compares with (default: the test digits')."""
    probs, feats = judge_outputs(images, judge)
    reference = real_features(judge) if reference is None else reference
    return {"confidence": float(probs.max(axis=1).mean()),
            "classes": int(len(np.unique(probs.argmax(axis=1)))),
            "inception_score": inception_score(probs),
            "fid": fid_from_features(feats, reference)}
