"""Sequence data: the bundled Shakespeare corpus and generated sequence tasks.

    load_shakespeare(split=None)   the default English corpus (about 1 M characters, 8 plays;
                                   see NOTICE), as one str in the "NAME:\\nline" layout
    adding_problem(n, seq_len)     the adding problem (long-range memory), (X, y) float32
    sequential_digits(split)       the bundled 8x8 digits read row by row (8 steps of 8
                                   pixels) or pixel by pixel (64 steps of 1)
Sine-wave forecasting is `sine_waves` (synthetic.py). Text from your own file: load_text.
"""

import functools
import gzip
import os

import numpy as np

from ..dataset import _generator
from .bundled import load_digits
from .synthetic import _check_n

__all__ = ["load_shakespeare", "adding_problem", "sequential_digits", "SHAKESPEARE_PLAYS"]

_CORPUS = os.path.join(os.path.dirname(os.path.abspath(__file__)), "files",
                       "shakespeare.txt.gz")
SHAKESPEARE_PLAYS = ("Hamlet", "Macbeth", "King Lear", "Othello", "Romeo and Juliet",
                     "Julius Caesar", "A Midsummer Night's Dream", "The Tempest")


@functools.lru_cache(maxsize=1)
def _shakespeare():
    try:
        with gzip.open(_CORPUS, "rb") as f:
            return f.read().decode("utf-8")
    except FileNotFoundError:
        raise FileNotFoundError(
            f"the bundled corpus {_CORPUS} is missing: the groundup installation is "
            f"incomplete (reinstall it; package data data/datasets/files/* must be included)"
        ) from None


def load_shakespeare(split=None, val_fraction=0.1):
    """Eight Shakespeare plays (SHAKESPEARE_PLAYS, 987,378 characters, 63 distinct) as one
    str: each speech is "NAME:" on its own line, then its lines, then a blank line.

    split: None (all of it), "train" (all but the last val_fraction) or "val" (the last
    val_fraction, round(val_fraction * length) characters: text the model never reads).

    Example:
        text = load_shakespeare()
        vocab = gu.data.text.CharVocab.from_text(text)
    """
    text = _shakespeare()
    if split in (None, "all"):
        return text
    if split not in ("train", "val"):
        raise ValueError(f"load_shakespeare: split must be None, 'train' or 'val', got "
                         f"{split!r}")
    if not 0 < val_fraction < 1:
        raise ValueError(f"load_shakespeare: val_fraction must lie strictly between 0 and 1, "
                         f"got {val_fraction!r}")
    cut = len(text) - int(round(val_fraction * len(text)))
    return text[:cut] if split == "train" else text[cut:]


def adding_problem(n=1000, seq_len=50, seed=0):
    """The adding problem (Hochreiter and Schmidhuber, 1997; as in Le et al., 2015): each
    step has a value uniform in [0, 1) and a marker; exactly two steps are marked, one in
    the first half and one in the second, and the target is the sum of their values.

    Returns X (n, seq_len, 2) float32 (batch-first; [..., 0] values, [..., 1] markers) and
    y (n, 1) float32. Always answering 1 scores a mean squared error of about 1/6; a model
    must remember the first marked value over at least seq_len / 2 steps to beat it.
    """
    n = _check_n("adding_problem", n)
    seq_len = _check_n("adding_problem (seq_len)", seq_len, minimum=2)
    rng = _generator(seed)
    values = rng.uniform(0.0, 1.0, size=(n, seq_len))
    half = seq_len // 2
    first = rng.integers(0, half, size=n)
    second = rng.integers(half, seq_len, size=n)
    rows = np.arange(n)
    markers = np.zeros((n, seq_len))
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    X = np.stack([values, markers], axis=-1).astype(np.float32)
    y = (values[rows, first] + values[rows, second]).astype(np.float32)[:, None]
    return X, y


def sequential_digits(split=None, by="rows", test_fraction=0.2, seed=0, normalize=True):
    """The bundled 8x8 digits (load_digits, same split) as sequences, for recurrent
    classifiers: by="rows" gives X (N, 8, 8) (8 steps, the pixels of one row each, top to
    bottom); by="pixels" gives X (N, 64, 1) (one pixel per step, row by row). X float32
    (batch-first, pixels in [0, 1] unless normalize=False), y int64 (N,)."""
    if by not in ("rows", "pixels"):
        raise ValueError(f"sequential_digits: by must be 'rows' or 'pixels', got {by!r}")
    X, y = load_digits(split=split, test_fraction=test_fraction, seed=seed,
                       normalize=normalize)
    return X.reshape(-1, 8, 8) if by == "rows" else X.reshape(-1, 64, 1), y
