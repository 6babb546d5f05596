"""Text for language models: vocabularies, a held-out split, and windows for truncated BPTT.

    text = gu.data.datasets.load_shakespeare()           # or load_text("my.txt")
    train, val = holdout_split(text, 0.1)                 # the last 10% held out
    vocab = CharVocab.from_text(train)                    # or WordVocab.from_text(train)
    batches = TextWindows(vocab.encode(train), batch_size=32, seq_len=64)
    h = None
    for x, y in batches:                                  # (32, 64) int64 each, y = x shifted
        logits, h = model(x, h)                           # row b continues row b of the
        h = h.detach()                                    # window before: carry the state,
        ...                                               # cut the graph

A vocabulary maps tokens to ids 0..len-1 and back; `to_dict()` is plain JSON (save it with a
checkpoint) and `vocab_from_dict(d)` rebuilds it. CharVocab works on characters (the
default for character language models), WordVocab on words and punctuation.
"""

import collections
import math
import numbers
import re

import numpy as np

from ..tensor import Tensor
from .dataset import IterableDataset, _generator

__all__ = ["CharVocab", "WordVocab", "vocab_from_dict", "build_vocab", "holdout_split",
           "TextWindows"]


def _ids(values, what):
    """A 1-D int64 NumPy array of token ids from a Tensor, array, list or int."""
    a = values.array if isinstance(values, Tensor) else values
    a = np.asarray(a)
    if a.size and a.dtype.kind not in "iu":
        raise TypeError(f"{what}: expected integer token ids, got dtype {a.dtype}")
    return a.reshape(-1).astype(np.int64)


def _check_dict(cls, d):
    if not isinstance(d, dict) or d.get("kind") != cls.kind or "tokens" not in d:
        raise ValueError(f"{cls.__name__}.from_dict: expected a dict with kind={cls.kind!r} "
                         f"and its tokens (as written by to_dict), got "
                         f"{d if not isinstance(d, dict) else sorted(d)!r}")


class CharVocab:
    """Characters <-> ids. `CharVocab.from_text(text)` takes every distinct character of the
    text, sorted. encode(str) -> int64 array; decode(ids) -> str.

    unk: a character of the vocabulary that stands for characters it lacks (None: encoding
    an unknown character raises a KeyError naming it and its position).
    """

    kind = "char"

    def __init__(self, chars, unk=None):
        self.itos = list(chars)
        if any(not isinstance(c, str) or len(c) != 1 for c in self.itos):
            raise ValueError("CharVocab: the tokens must be single characters")
        if len(set(self.itos)) != len(self.itos):
            raise ValueError("CharVocab: the characters must be distinct")
        self.stoi = {c: i for i, c in enumerate(self.itos)}
        if unk is not None and unk not in self.stoi:
            raise ValueError(f"CharVocab: unk {unk!r} is not one of the characters")
        self.unk = unk
        top = max((ord(c) for c in self.itos), default=0)
        self._table = np.full(top + 1, -1, np.int64)  # code point -> id (-1: unknown)
        self._table[[ord(c) for c in self.itos]] = np.arange(len(self.itos))

    @classmethod
    def from_text(cls, text, unk=None):
        """The sorted distinct characters of `text` (plus unk, when given)."""
        chars = set(text) | ({unk} if unk is not None else set())
        return cls(sorted(chars), unk)

    def __len__(self):
        return len(self.itos)

    def __contains__(self, token):
        return token in self.stoi

    def __repr__(self):
        return f"CharVocab({len(self)} characters)"

    def __eq__(self, other):
        return isinstance(other, CharVocab) and self.to_dict() == other.to_dict()

    def encode(self, text):
        """The ids of the characters of `text` as an int64 array (len(text),)."""
        if not isinstance(text, str):
            raise TypeError(f"CharVocab.encode: expected a str, got {type(text).__name__}")
        points = np.frombuffer(text.encode("utf-32-le"), np.uint32).astype(np.int64)
        ids = self._table[np.minimum(points, len(self._table) - 1)]
        unknown = (ids < 0) | (points >= len(self._table))
        if unknown.any():
            if self.unk is None:
                k = int(np.argmax(unknown))
                raise KeyError(f"CharVocab.encode: character {text[k]!r} (position {k}) is not "
                               f"in the vocabulary of {len(self)} characters; build the "
                               f"vocabulary from this text too, or give an unk character")
            ids[unknown] = self.stoi[self.unk]
        return ids

    def decode(self, ids):
        """The text of token ids (a Tensor, array, list or one int)."""
        ids = _ids(ids, "CharVocab.decode")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise IndexError(f"CharVocab.decode: ids must lie in [0, {len(self)}), got "
                             f"{ids.min()} .. {ids.max()}")
        return "".join([self.itos[i] for i in ids.tolist()])

    def to_dict(self):
        """A JSON-ready description: {"kind": "char", "tokens": [...], "unk": ...}."""
        return {"kind": self.kind, "tokens": list(self.itos), "unk": self.unk}

    @classmethod
    def from_dict(cls, d):
        _check_dict(cls, d)
        return cls(d["tokens"], d.get("unk"))


class WordVocab:
    """Words <-> ids, for word-level language models.

    Text is split into words (letters, digits and inner apostrophes: "lov'd", "'tis"), single
    punctuation marks and newlines; `WordVocab.from_text(text, min_freq, max_size)` keeps
    the words seen at least min_freq times, the most frequent first (at most max_size
    tokens, unk included), and maps every other word to unk ("<unk>", id 0). lower=True
    lower-cases the text first. decode joins the words with spaces (none before
    punctuation, none around newlines): it keeps the words, not the exact spacing.
    """

    kind = "word"
    TOKEN = re.compile(r"'?\w+(?:'\w+)*'?|\n|[^\w\s]")
    _NO_SPACE_BEFORE = frozenset(",.;:!?)]}\n")

    def __init__(self, tokens, unk="<unk>", lower=False):
        tokens = list(tokens)
        if unk not in tokens:
            tokens.insert(0, unk)
        if len(set(tokens)) != len(tokens):
            raise ValueError("WordVocab: the tokens must be distinct")
        self.itos = tokens
        self.stoi = {t: i for i, t in enumerate(tokens)}
        self.unk = unk
        self.lower = bool(lower)

    @classmethod
    def from_text(cls, text, min_freq=1, max_size=None, lower=False, unk="<unk>"):
        """The words of `text` seen at least min_freq times, most frequent first (ties in
        sorted order), at most max_size tokens with unk."""
        if isinstance(min_freq, bool) or not isinstance(min_freq, numbers.Integral) \
                or min_freq < 1:
            raise ValueError(f"WordVocab.from_text: min_freq must be an int >= 1, got "
                             f"{min_freq!r}")
        if max_size is not None and (not isinstance(max_size, numbers.Integral)
                                     or max_size < 2):
            raise ValueError(f"WordVocab.from_text: max_size must be None or an int >= 2 (unk "
                             f"and one word), got {max_size!r}")
        counts = collections.Counter(cls._split(text, lower))
        counts.pop(unk, None)
        words = sorted((w for w, c in counts.items() if c >= min_freq),
                       key=lambda w: (-counts[w], w))
        if max_size is not None:
            words = words[:max_size - 1]
        return cls([unk] + words, unk, lower)

    @classmethod
    def _split(cls, text, lower):
        if not isinstance(text, str):
            raise TypeError(f"WordVocab: expected a str, got {type(text).__name__}")
        return cls.TOKEN.findall(text.lower() if lower else text)

    def tokenize(self, text):
        """The list of words, punctuation marks and newlines of `text`."""
        return self._split(text, self.lower)

    def __len__(self):
        return len(self.itos)

    def __contains__(self, token):
        return token in self.stoi

    def __repr__(self):
        return f"WordVocab({len(self)} words{', lower' if self.lower else ''})"

    def __eq__(self, other):
        return isinstance(other, WordVocab) and self.to_dict() == other.to_dict()

    def encode(self, text):
        """The ids of the words of `text` (unknown words: unk's id) as an int64 array."""
        unk = self.stoi[self.unk]
        return np.array([self.stoi.get(t, unk) for t in self.tokenize(text)], np.int64)

    def decode(self, ids):
        """Text from token ids: words joined by spaces, none before punctuation or around
        newlines."""
        ids = _ids(ids, "WordVocab.decode")
        if ids.size and (ids.min() < 0 or ids.max() >= len(self)):
            raise IndexError(f"WordVocab.decode: ids must lie in [0, {len(self)}), got "
                             f"{ids.min()} .. {ids.max()}")
        out = []
        for t in (self.itos[i] for i in ids.tolist()):
            if out and out[-1] != "\n" and t not in self._NO_SPACE_BEFORE:
                out.append(" ")
            out.append(t)
        return "".join(out)

    def to_dict(self):
        """A JSON-ready description: {"kind": "word", "tokens": [...], "unk", "lower"}."""
        return {"kind": self.kind, "tokens": list(self.itos), "unk": self.unk,
                "lower": self.lower}

    @classmethod
    def from_dict(cls, d):
        _check_dict(cls, d)
        return cls(d["tokens"], d.get("unk", "<unk>"), d.get("lower", False))


_VOCABS = {CharVocab.kind: CharVocab, WordVocab.kind: WordVocab}


def vocab_from_dict(d):
    """The vocabulary described by `to_dict()` (a CharVocab or a WordVocab, by its kind)."""
    kind = d.get("kind") if isinstance(d, dict) else None
    if kind not in _VOCABS:
        raise ValueError(f"vocab_from_dict: expected a dict with kind 'char' or 'word', got "
                         f"kind {kind!r}")
    return _VOCABS[kind].from_dict(d)


def build_vocab(text, level="char", **options):
    """CharVocab.from_text(text) (level 'char') or WordVocab.from_text(text, **options)
    (level 'word': min_freq, max_size, lower, unk)."""
    if level not in _VOCABS:
        raise ValueError(f"build_vocab: level must be 'char' or 'word', got {level!r}")
    return _VOCABS[level].from_text(text, **options)


def holdout_split(sequence, fraction=0.1):
    """(train, held_out): the held-out part is the last `fraction` of a text or token
    sequence (never shuffled: a language model is validated on text it has not read),
    round(fraction * len) items of it."""
    if isinstance(fraction, bool) or not isinstance(fraction, numbers.Real) \
            or not 0 <= fraction < 1:
        raise ValueError(f"holdout_split: fraction must be a number in [0, 1), got "
                         f"{fraction!r}")
    cut = len(sequence) - int(round(fraction * len(sequence)))
    return sequence[:cut], sequence[cut:]


class TextWindows(IterableDataset):
    """Contiguous (batch, seq) windows over a token stream, for truncated backpropagation
    through time with the hidden state carried from one window to the next.

    The stream (N ids) is cut into batch_size rows of n = (N - 1) // batch_size consecutive
    tokens each (the few left over are dropped), and window k is columns [k*seq_len,
    (k+1)*seq_len) of every row: x the tokens, y the tokens one step later. Row b of window
    k+1 continues row b of window k, so a model keeps its (detached) state between windows
    and resets it each pass. The last window is shorter when seq_len does not divide n
    (drop_last=True leaves it out).

    Yields (x, y) int64 Tensors (batch_size, seq_len), or (seq_len, batch_size) with
    batch_first=False. random_offset=True starts every pass at a random offset in
    [0, seq_len) (seeded by `seed`), so the window boundaries move from pass to pass.
    A DataLoader takes it with batch_size=None; len() is the number of windows of a pass.
    """

    def __init__(self, ids, batch_size, seq_len, batch_first=True, drop_last=False,
                 random_offset=False, seed=None):
        self.ids = _ids(ids, "TextWindows")
        for name, v in (("batch_size", batch_size), ("seq_len", seq_len)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 1:
                raise ValueError(f"TextWindows: {name} must be a positive int, got {v!r}")
        self.batch_size, self.seq_len = int(batch_size), int(seq_len)
        need = self.batch_size + 1 + (self.seq_len - 1 if random_offset else 0)
        if self.ids.size < need:
            extra = " and seq_len - 1 for the random offset" if random_offset else ""
            raise ValueError(f"TextWindows: {self.ids.size} tokens are too few for "
                             f"batch_size={batch_size}: at least {need} are needed (one per "
                             f"row, one more for the last target{extra})")
        self.batch_first = bool(batch_first)
        self.drop_last = bool(drop_last)
        self.random_offset = bool(random_offset)
        self._rng = _generator(seed) if random_offset else None

    def _steps(self, offset=0):
        """n: the tokens per row from `offset` (the largest offset when random)."""
        return (self.ids.size - offset - 1) // self.batch_size

    def __len__(self):
        n = self._steps(self.seq_len - 1 if self.random_offset else 0)
        return n // self.seq_len if self.drop_last else math.ceil(n / self.seq_len)

    @property
    def tokens(self):
        """The number of predicted tokens per pass (batch_size * n, without an offset)."""
        return self.batch_size * self._steps()

    def __iter__(self):
        offset = int(self._rng.integers(self.seq_len)) if self.random_offset else 0
        n = self._steps(self.seq_len - 1) if self.random_offset else self._steps()
        B = self.batch_size
        x = self.ids[offset:offset + B * n].reshape(B, n)  # row b: tokens b*n .. b*n+n-1
        y = self.ids[offset + 1:offset + B * n + 1].reshape(B, n)
        for k in range(len(self)):
            xs, ys = x[:, k * self.seq_len:(k + 1) * self.seq_len], \
                y[:, k * self.seq_len:(k + 1) * self.seq_len]
            if not self.batch_first:
                xs, ys = xs.T, ys.T
            yield Tensor._wrap(np.ascontiguousarray(xs)), Tensor._wrap(np.ascontiguousarray(ys))

    def __repr__(self):
        return (f"TextWindows({self.ids.size} tokens, batch_size={self.batch_size}, "
                f"seq_len={self.seq_len}: {len(self)} windows)")
