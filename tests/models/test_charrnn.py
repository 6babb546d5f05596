"""models/charrnn.py: the character language model and its step-by-step generation."""

import math

import numpy as np
import pytest

import groundup as gu
from groundup.models.charrnn import CharRNN, CharRNNConfig


def _model(cell="lstm", layers=2):
    gu.manual_seed(0)
    return CharRNN(CharRNNConfig(vocab_size=11, embed=8, hidden=16, layers=layers, cell=cell))


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_forward_shapes_and_carried_state(cell):
    model = _model(cell)
    x = gu.tensor(np.arange(24).reshape(3, 8) % 11)
    logits = model(x)
    assert logits.shape == (3, 8, 11)
    # two windows with the state carried equal one long window
    a, hidden = model(x[:, :5], return_hidden=True)
    b = model(x[:, 5:], hidden)
    np.testing.assert_allclose(np.concatenate([a.array, b.array], axis=1), logits.array,
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_generate_carries_the_state_like_rereading_the_prefix(cell):
    model = _model(cell)
    out = model.generate([1, 2, 3], 12, top_k=1)  # greedy: deterministic without a seed
    assert out.shape == (12,) and out.dtype == np.int64 and out.min() >= 0 and out.max() < 11
    seq = [1, 2, 3]
    for _ in range(12):  # re-running the whole prefix each step gives the same choices
        seq.append(int(model(gu.tensor([seq])).array[0, -1].argmax()))
    assert seq[3:] == out.tolist()


def test_generate_is_deterministic_under_a_seed():
    model = _model()
    a = model.generate([4], 30, temperature=1.5, generator=gu.Generator().manual_seed(7))
    b = model.generate([4], 30, temperature=1.5, generator=7)
    c = model.generate([4], 30, temperature=1.5, generator=8)
    assert a.tolist() == b.tolist() and a.tolist() != c.tolist()
    assert model.generate([], 5, generator=0).shape == (5,)
    assert model.generate([2], 0).shape == (0,)
    assert model.training  # the mode is restored


def test_top_k_keeps_the_likeliest():
    model = _model()
    logits = model(gu.tensor([[3]])).array[0, -1]
    top2 = set(np.argsort(logits)[-2:].tolist())
    drawn = model.generate([3], 1, top_k=2, generator=0)
    assert int(drawn[0]) in top2
    for seed in range(20):
        assert int(model.generate([3], 1, top_k=2, generator=seed)[0]) in top2


def test_bad_arguments_are_refused_clearly():
    with pytest.raises(ValueError, match="unknown cell 'rnn2'"):
        CharRNN(CharRNNConfig(cell="rnn2"))
    model = _model()
    with pytest.raises(ValueError, match=r"expected character ids of shape \(N, T\)"):
        model(gu.tensor([1, 2]))
    with pytest.raises(ValueError, match=r"prompt ids must lie in \[0, 11\)"):
        model.generate([11], 3)
    with pytest.raises(ValueError, match="temperature must be > 0"):
        model.generate([1], 3, temperature=0)
    with pytest.raises(ValueError, match="top_k must be None or an int >= 1"):
        model.generate([1], 3, top_k=0)


def test_a_short_run_learns_a_repetitive_text():
    """The loss falls well below log(vocab) (chance) in a few seconds."""
    from groundup.data.text import CharVocab, TextWindows

    text = "the quick brown fox jumps over the lazy dog. " * 40
    vocab = CharVocab.from_text(text)
    gu.manual_seed(0)
    model = CharRNN(CharRNNConfig(vocab_size=len(vocab), embed=16, hidden=64, layers=1))
    opt = gu.optim.Adam(model.parameters(), lr=1e-2)
    windows = TextWindows(vocab.encode(text), batch_size=8, seq_len=32)
    losses = []
    for _ in range(6):
        hidden = None
        for x, y in windows:
            logits, hidden = model(x, hidden, return_hidden=True)
            hidden = tuple(h.detach() for h in hidden)
            loss = gu.nn.functional.cross_entropy(logits.reshape(-1, len(vocab)),
                                                  y.reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
    chance = math.log(len(vocab))
    assert np.mean(losses[-5:]) < 0.25 * chance, (chance, losses[-5:])
    ids = model.generate(vocab.encode("the quick "), 20, top_k=1)
    assert vocab.decode(ids).startswith("brown fox")
