"""Tests for groundup/random.py: the shared generator and gu.Generator (torch.Generator's API)."""

import numpy as np
import pytest

import groundup as gu
from groundup.random import _numpy_rng, get_generator


def test_generator_seeds_like_pytorch_and_draws_like_numpy():
    g = gu.Generator()
    assert g.initial_seed() == 67280421310721 and g.device == "cpu"
    assert g.manual_seed(7) is g and g.initial_seed() == 7
    np.testing.assert_array_equal(_numpy_rng(g).random(5), np.random.default_rng(7).random(5))
    assert gu.Generator().manual_seed(-1).initial_seed() == 2**64 - 1
    s = g.seed()
    assert g.initial_seed() == s and 0 <= s < 2**64
    a = _numpy_rng(gu.Generator()).random(3)
    np.testing.assert_array_equal(a, _numpy_rng(gu.Generator()).random(3))
    with pytest.raises(TypeError, match="manual_seed"):
        g.manual_seed(1.5)
    with pytest.raises(ValueError, match="cpu"):
        gu.Generator(device="cuda")


def test_generator_state_roundtrip_is_a_uint8_array():
    g = gu.Generator().manual_seed(3)
    _numpy_rng(g).random(4)
    state = g.get_state()
    assert state.dtype == np.uint8 and state.ndim == 1
    expected = _numpy_rng(g).random(6)
    other = gu.Generator().set_state(state)
    np.testing.assert_array_equal(_numpy_rng(other).random(6), expected)
    assert other.initial_seed() == 3
    assert gu.Generator().set_state(gu.tensor(state, dtype=gu.uint8)).initial_seed() == 3
    with pytest.raises(TypeError, match="uint8"):
        g.set_state(state.astype(np.int64))
    with pytest.raises(ValueError, match="not a state"):
        g.set_state(np.frombuffer(b"garbage", np.uint8))


def test_numpy_rng_and_the_shared_generator():
    gu.manual_seed(11)
    assert _numpy_rng(None) is get_generator()
    first = _numpy_rng(None).random(3)
    gu.manual_seed(11)
    np.testing.assert_array_equal(_numpy_rng(None).random(3), first)
    rng = np.random.default_rng(0)
    assert _numpy_rng(rng) is rng
    with pytest.raises(TypeError, match="groundup.Generator"):
        _numpy_rng(5, "rand: generator")
    # a private generator leaves the shared one alone
    state = gu.get_rng_state()
    _numpy_rng(gu.Generator()).random(10)
    assert gu.get_rng_state() == state
