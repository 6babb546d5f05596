"""models/gpt.py: the GPT language model, its key/value-cached generation and sampling."""

import math

import numpy as np
import pytest

import groundup as gu
from groundup.models.gpt import GPT, GPTConfig, KVCache
from groundup.models.sampling import draw


def small(**overrides):
    gu.manual_seed(0)
    config = dict(vocab_size=20, context=24, width=32, layers=2, heads=4)
    config.update(overrides)
    return GPT(GPTConfig(**config))


def ids(*shape, vocab=20, seed=0):
    return gu.tensor(np.random.default_rng(seed).integers(0, vocab, shape))


def test_shapes_and_weight_tying():
    model = small()
    assert model(ids(3, 7)).shape == (3, 7, 20)
    assert model.head.weight is model.token_embedding.weight
    names = [n for n, _ in model.named_parameters()]
    assert "head.weight" not in names  # one parameter, counted (and optimized) once
    assert len(names) == len(set(id(p) for p in model.parameters()))
    model(ids(2, 5)).sum().backward()
    assert model.token_embedding.weight.grad is not None


def test_state_dict_names_and_round_trip(tmp_path):
    model = small()
    keys = list(model.state_dict())
    assert keys[:2] == ["token_embedding.weight", "position_embedding.weight"]
    for key in ("blocks.0.ln_1.weight", "blocks.0.attn.qkv.weight", "blocks.0.attn.proj.bias",
                "blocks.1.ln_2.bias", "blocks.1.mlp.fc.weight", "blocks.1.mlp.proj.weight",
                "ln_f.weight", "head.weight"):
        assert key in keys
    assert model.state_dict()["blocks.0.attn.qkv.weight"].shape == (96, 32)
    assert model.state_dict()["blocks.0.mlp.fc.weight"].shape == (128, 32)
    gu.models.save(gu.models.build("gpt", vocab_size=20, context=24, width=32, layers=2,
                                   heads=4), tmp_path / "m.safetensors")
    loaded = gu.models.load(tmp_path / "m.safetensors")
    assert loaded.head.weight is loaded.token_embedding.weight
    assert isinstance(loaded.blocks[0].mlp, gu.nn.Module)  # the feed-forward block, swappable


def test_causal_a_future_token_changes_no_earlier_logit():
    model = small()
    x = ids(2, 10)
    before = model(x).numpy()
    changed = x.numpy().copy()
    changed[:, 6] = (changed[:, 6] + 1) % 20
    after = model(gu.tensor(changed)).numpy()
    np.testing.assert_array_equal(before[:, :6], after[:, :6])
    assert np.abs(before[:, 6:] - after[:, 6:]).max() > 1e-4


def test_the_cache_gives_the_logits_of_the_whole_text():
    model = small().eval()
    x = ids(2, 12)
    full = model(x).numpy()
    cache = KVCache(2)
    parts = [model(x[:, :5], cache), model(x[:, 5:6], cache), model(x[:, 6:12], cache)]
    assert cache.length == 12
    np.testing.assert_allclose(np.concatenate([p.numpy() for p in parts], axis=1), full,
                               rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("sampling", [dict(top_k=1), dict(), dict(temperature=0.7, top_k=5),
                                      dict(top_p=0.8)])
def test_generation_with_the_cache_equals_without(sampling):
    model = small()
    prompt = [[3, 1, 4, 1, 5], [9, 2, 6, 5, 3]]
    a = model.generate(prompt, 15, use_cache=True, generator=7, **sampling)
    b = model.generate(prompt, 15, use_cache=False, generator=7, **sampling)
    assert a.shape == (2, 15) and a.dtype == np.int64
    np.testing.assert_array_equal(a, b)
    np.testing.assert_array_equal(a, model.generate(prompt, 15, generator=7, **sampling))


def test_generation_goes_past_the_context_and_greedy_is_argmax():
    model = small(context=8)
    out = model.generate([1, 2, 3], 20, top_k=1)
    assert out.shape == (20,) and out.min() >= 0 and out.max() < 20
    text = np.array([1, 2, 3])
    for _ in range(4):  # within the context: each token is the argmax of the full forward
        nxt = int(model(gu.tensor(text[None])).numpy()[0, -1].argmax())
        text = np.append(text, nxt)
    np.testing.assert_array_equal(out[:4], text[3:])
    assert model.generate([], 5, generator=1).shape == (5,)


def test_top_p_tiny_is_greedy_and_sampling_is_seeded():
    model = small()
    greedy = model.generate([1, 2], 12, top_k=1)
    np.testing.assert_array_equal(model.generate([1, 2], 12, top_p=1e-6, generator=3), greedy)
    a = model.generate([1, 2], 12, top_p=0.9, generator=5)
    np.testing.assert_array_equal(a, model.generate([1, 2], 12, top_p=0.9, generator=5))
    rng = np.random.default_rng(0)
    logits = np.log([0.5, 0.3, 0.15, 0.05])
    counts = np.bincount([draw(logits, 1.0, None, 0.7, rng) for _ in range(2000)], minlength=4)
    assert counts[2:].sum() == 0 and 0.5 < counts[0] / 2000 < 0.75  # 0.5 / 0.8 = 0.625
    counts = np.bincount([draw(logits, 1.0, 3, 0.95, rng) for _ in range(500)], minlength=4)
    assert counts[3] == 0 and counts[2] > 0


def test_bad_input_is_refused_clearly():
    model = small()
    with pytest.raises(ValueError, match=r"GPT: expected token ids.*\(B, T\)"):
        model(gu.zeros(2, 3))
    with pytest.raises(ValueError, match="exceed the context of 24"):
        model(ids(1, 25))
    with pytest.raises(ValueError, match="top_p must be None or a number in"):
        model.generate([1], 3, top_p=0.0)
    with pytest.raises(ValueError, match=r"ids must lie in \[0, 20\)"):
        model.generate([25], 3)
    with pytest.raises(ValueError, match="width .32. must be divisible by heads .3."):
        small(heads=3)


def test_learns_shakespeare_well_below_the_unigram_entropy():
    from groundup.data.datasets import load_shakespeare
    from groundup.data.text import CharVocab

    text = load_shakespeare()[:30_000]
    vocab = CharVocab.from_text(text)
    data = vocab.encode(text)
    freq = np.bincount(data, minlength=len(vocab)) / data.size
    unigram = -(freq[freq > 0] * np.log(freq[freq > 0])).sum()  # about 3.3 nats
    gu.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=len(vocab), context=32, width=48, layers=2, heads=4))
    opt = gu.optim.AdamW(model.parameters(), lr=3e-3, weight_decay=0.0)
    rng = np.random.default_rng(0)
    losses = []
    for _ in range(120):
        start = rng.integers(0, data.size - 33, 16)
        x = gu.tensor(np.stack([data[s:s + 32] for s in start]))
        y = gu.tensor(np.stack([data[s + 1:s + 33] for s in start]))
        loss = gu.nn.functional.cross_entropy(model(x).reshape(-1, len(vocab)), y.reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[0] > math.log(len(vocab)) - 0.3
    assert np.mean(losses[-10:]) < unigram - 0.6, (unigram, losses[-10:])
