"""Positional encodings: sinusoidal, learned and rotary (groundup additions, checked against
their definitions; PyTorch has none)."""

import math

import numpy as np
import pytest
from helpers import randn

import groundup as gu
from groundup import nn


def _table(T, d, base=10000.0, offset=0):
    """PyTorch's tutorial PositionalEncoding, in NumPy."""
    pos = np.arange(offset, offset + T)[:, None]
    div = np.exp(np.arange(0, d, 2) * (-math.log(base) / d))
    pe = np.zeros((T, d))
    pe[:, 0::2] = np.sin(pos * div)
    pe[:, 1::2] = np.cos(pos * div[: d // 2])
    return pe


@pytest.mark.parametrize("d", [8, 7])
def test_sinusoidal_table(d):
    np.testing.assert_allclose(nn.sinusoidal_positional_encoding(6, d, offset=3).numpy(),
                               _table(6, d, offset=3), rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("batch_first", [False, True])
def test_sinusoidal_adds_along_the_sequence(batch_first):
    pe = nn.SinusoidalPositionalEncoding(8, max_len=20, batch_first=batch_first)
    x = randn(2, 5, 8) if batch_first else randn(5, 2, 8)
    y = pe(gu.tensor(x), offset=2).numpy()
    table = _table(5, 8, offset=2)
    want = x + (table[None] if batch_first else table[:, None])
    np.testing.assert_allclose(y, want, rtol=1e-5, atol=1e-6)
    assert pe.state_dict() == {}  # a constant, not state
    np.testing.assert_allclose(pe(gu.tensor(randn(5, 8))).numpy(), randn(5, 8) + _table(5, 8),
                               rtol=1e-5, atol=1e-6)


def test_sinusoidal_gradient_passes_through_and_errors():
    pe = nn.SinusoidalPositionalEncoding(4, max_len=6)
    x = gu.tensor(randn(3, 2, 4), requires_grad=True)
    pe(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.ones((3, 2, 4), np.float32))
    with pytest.raises(ValueError, match="max_len=6"):
        pe(x, offset=4)
    with pytest.raises(ValueError, match=r"\(\.\.\., 4\)"):
        pe(gu.randn(3, 2, 5))


def test_learned_embedding_adds_rows_and_trains_them():
    pe = nn.LearnedPositionalEmbedding(10, 4, batch_first=True)
    assert [n for n, _ in pe.named_parameters()] == ["weight"]
    assert pe.weight.shape == (10, 4) and abs(pe.weight.numpy().std() - 0.02) < 0.02
    x = gu.tensor(randn(3, 5, 4), requires_grad=True)
    y = pe(x, offset=2)
    np.testing.assert_allclose(y.numpy(), x.numpy() + pe.weight.numpy()[2:7], rtol=1e-6)
    y.sum().backward()
    g = pe.weight.grad.numpy()
    np.testing.assert_array_equal(g[2:7], np.full((5, 4), 3.0))
    assert np.all(g[:2] == 0) and np.all(g[7:] == 0)
    with pytest.raises(ValueError, match="max_len=10"):
        pe(x, offset=6)


def _rope_reference(x, offset=0, base=10000.0):
    T, d = x.shape[-2], x.shape[-1]
    h = d // 2
    ang = (np.arange(offset, offset + T)[:, None] * base ** (-np.arange(0, d, 2) / d))
    c, s = np.cos(ang), np.sin(ang)
    x1, x2 = x[..., :h], x[..., h:]
    return np.concatenate([x1 * c - x2 * s, x2 * c + x1 * s], -1)


def test_rotary_matches_its_definition_and_module():
    x = randn(2, 3, 5, 8)
    got = nn.rotary_embedding(gu.tensor(x, dtype=gu.float64), offset=4).numpy()
    np.testing.assert_allclose(got, _rope_reference(x, 4), rtol=1e-12, atol=1e-12)
    rope = nn.RotaryEmbedding(8, max_len=6)  # grows its table for offset 4 + 5 positions
    np.testing.assert_allclose(rope(gu.tensor(x), offset=4).numpy(), _rope_reference(x, 4),
                               rtol=1e-5, atol=1e-6)
    assert rope.state_dict() == {}


def test_rotary_scores_depend_on_relative_position_only():
    rng = np.random.default_rng(0)
    q, k = rng.standard_normal(8), rng.standard_normal(8)
    rope = nn.RotaryEmbedding(8)

    def at(v, t):
        return rope(gu.tensor(v[None], dtype=gu.float64), offset=t).numpy()[0]

    a = at(q, 7) @ at(k, 3)
    b = at(q, 14) @ at(k, 10)
    np.testing.assert_allclose(a, b, rtol=1e-10)
    np.testing.assert_allclose(np.linalg.norm(at(q, 5)), np.linalg.norm(q), rtol=1e-12)


def test_rotary_offset_equals_slicing_and_gradient():
    x = randn(2, 6, 4)
    full = nn.rotary_embedding(gu.tensor(x)).numpy()
    step = nn.rotary_embedding(gu.tensor(x[:, 4:5]), offset=4).numpy()
    np.testing.assert_allclose(step, full[:, 4:5], rtol=1e-5, atol=1e-6)
    xt = gu.tensor(x, dtype=gu.float64, requires_grad=True)
    assert gu.gradcheck(lambda t: nn.rotary_embedding(t, offset=1), (xt,))


def test_rotary_errors():
    with pytest.raises(ValueError, match="even"):
        nn.RotaryEmbedding(7)
    with pytest.raises(ValueError, match="even d"):
        nn.rotary_embedding(gu.randn(2, 3, 5))
    with pytest.raises(ValueError, match=r"RotaryEmbedding\(8\)"):
        nn.RotaryEmbedding(8)(gu.randn(2, 3, 6))
