"""Tests for groundup/data/wire.py: batches cross a pipe as raw arrays, never pickled."""

import collections
import multiprocessing

import numpy as np
import pytest

import groundup as gu
from groundup.data import wire

Pair = collections.namedtuple("Pair", "a b")


def _roundtrip(batch):
    read, write = multiprocessing.Pipe(duplex=False)
    try:
        wire.send(write, {"task": 3}, batch)
        return wire.receive(read)
    finally:
        read.close()
        write.close()


def test_a_batch_tree_survives_the_pipe():
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    batch = {
        "x": gu.tensor(x), "t": x.T, "y": np.array([1, 2], np.int64), "mask": np.array([True]),
        "s": np.float16(2.5), "u8": np.zeros((2, 0, 3), np.uint8), "names": ["a", "b"],
        "nums": (1, 2.5, float("nan"), None, True), 7: b"raw", "pair": Pair(np.int32(1), "z"),
        "words": np.array(["ab", "c"]),
    }
    meta, out = _roundtrip(batch)
    assert meta == {"task": 3}
    assert list(out) == list(batch)
    assert isinstance(out["x"], gu.Tensor) and out["x"].dtype == np.float32
    np.testing.assert_array_equal(out["x"].numpy(), x)
    np.testing.assert_array_equal(out["t"], x.T)  # a non-contiguous array arrives whole
    assert out["y"].dtype == np.int64 and out["mask"].dtype == np.bool_
    assert isinstance(out["s"], np.float16) and out["s"] == np.float16(2.5)
    assert out["u8"].shape == (2, 0, 3) and out["names"] == ["a", "b"]
    assert out["nums"][:2] == (1, 2.5) and np.isnan(out["nums"][2])
    assert out["nums"][3:] == (None, True) and out[7] == b"raw"
    assert isinstance(out["pair"], Pair) and out["pair"] == (1, "z")
    assert out["words"].tolist() == ["ab", "c"]
    out["y"][0] = 5  # the arrays are fresh and writable
    assert out["y"].flags.writeable and batch["y"][0] == 1


def test_what_cannot_cross_is_refused_before_anything_is_sent():
    read, write = multiprocessing.Pipe(duplex=False)
    for batch, words in [
        ([1, {"k": object()}], r"batch\[1\]\['k'\] is of type object"),
        (np.array([object()]), "dtype object"),
        ({(1, 2): 3}, "key of type tuple"),
        (np.zeros(2, dtype=[("a", "f4")]), "cannot be sent"),
    ]:
        with pytest.raises(TypeError, match=words):
            wire.send(write, {}, batch)
    assert not read.poll()
    read.close()
    write.close()
