"""models/seq2seq.py: the encoder-decoder Transformer, greedy decoding and beam search."""

import numpy as np
import pytest

import groundup as gu
from groundup.commands.task_seq2seq import (
    BOS,
    EOS,
    decode_figures,
    make_problem,
    teacher_forcing,
)
from groundup.models.seq2seq import Seq2Seq, Seq2SeqConfig, special_tokens, strip

SMALL = dict(max_len=9, width=32, heads=4, encoder_layers=1, decoder_layers=1, mlp=64)


def test_shapes_tokens_and_state_dict_names():
    gu.manual_seed(0)
    model = Seq2Seq(Seq2SeqConfig(**SMALL))
    assert (model.pad, model.bos, model.eos) == special_tokens(13) == (10, 11, 12)
    src = gu.tensor(np.arange(16).reshape(2, 8) % 10)
    logits = model(src, gu.tensor([[model.bos, 1, 2], [model.bos, 3, 4]]))
    assert logits.shape == (2, 3, 13)
    names = set(model.state_dict())
    for name in ("embed.weight", "head.weight", "head.bias",
                 "transformer.encoder.layers.0.self_attn.in_proj_weight",
                 "transformer.decoder.layers.0.multihead_attn.in_proj_weight",
                 "transformer.encoder.norm.weight", "transformer.decoder.norm.bias"):
        assert name in names, name
    assert not any(n.startswith("pos") for n in names)   # the sinusoidal table is not saved


def test_bad_input_is_named():
    model = Seq2Seq(Seq2SeqConfig(**SMALL))
    with pytest.raises(ValueError, match="Seq2Seq.encode: token ids must lie in"):
        model.encode(np.array([[13, 0]]))
    with pytest.raises(ValueError, match="more than max_len 9"):
        model.encode(np.zeros((1, 10), np.int64))
    with pytest.raises(ValueError, match=r"expected token ids \(N, L\)"):
        model.greedy(np.zeros(4, np.int64))
    with pytest.raises(ValueError, match="beam_size must be an int >= 1"):
        model.beam_search(np.zeros((1, 4), np.int64), beam_size=0)
    with pytest.raises(ValueError, match="width .* divisible by heads"):
        Seq2Seq(Seq2SeqConfig(width=30, heads=4))


def test_decoding_stops_at_eos_and_pads_after():
    tokens = np.array([[3, 4, 12, 10], [1, 2, 3, 4]])
    assert strip(tokens, 12) == [[3, 4], [1, 2, 3, 4]]
    gu.manual_seed(1)
    model = Seq2Seq(Seq2SeqConfig(**SMALL))
    out, scores = model.greedy(np.arange(16).reshape(2, 8) % 10)
    assert out.shape[0] == 2 and out.shape[1] <= 9 and scores.shape == (2,)
    assert np.all(scores <= 0)
    for row in out:
        ends = np.flatnonzero(row == model.eos)
        if ends.size:
            assert np.all(row[ends[0] + 1:] == model.pad)
        assert not np.any(row == model.bos)


def test_beam_of_one_is_greedy():
    gu.manual_seed(2)
    model = Seq2Seq(Seq2SeqConfig(**SMALL))
    src = np.random.default_rng(0).integers(0, 10, size=(20, 8))
    greedy, g_scores = model.greedy(src)
    beam, b_scores = model.beam_search(src, beam_size=1)
    np.testing.assert_array_equal(beam, greedy)
    np.testing.assert_allclose(b_scores, g_scores, rtol=1e-12)


@pytest.fixture(scope="module")
def trained():
    """A small model taught to reverse strings of 8 digits (about 5-10 s)."""
    gu.manual_seed(0)
    rng = np.random.default_rng(0)
    n, epochs, batch = 6000, 4, 64
    src, dec_in, dec_out = teacher_forcing(*make_problem("reverse", n, 8, rng), BOS, EOS)
    test = make_problem("reverse", 200, 8, rng)
    model = Seq2Seq(Seq2SeqConfig(**SMALL))
    opt = gu.optim.Adam(model.parameters(), lr=3e-3)
    steps = epochs * (n // batch)
    sched = gu.optim.lr_scheduler.LambdaLR(opt, lambda i: 0.5 * (1 + np.cos(np.pi * i / steps)))
    order = np.random.default_rng(1)
    for _ in range(epochs):
        perm = order.permutation(n)
        for i in range(0, n - batch + 1, batch):
            b = perm[i:i + batch]
            logits = model(src[b], dec_in[b])
            loss = gu.nn.functional.cross_entropy(logits.reshape(-1, 13),
                                                  gu.tensor(dec_out[b]).reshape(-1))
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
    return model, test


def test_learns_to_reverse_strings_of_8_digits(trained):
    model, (src, tgt) = trained
    figures = decode_figures(model, src, tgt)
    assert figures["exact"] >= 0.95, figures
    assert figures["token"] >= 0.99, figures
    assert model.translate(np.array([[3, 1, 4, 1, 5, 9, 2, 6]])) == [[6, 2, 9, 5, 1, 4, 1, 3]]


def test_beam_scores_at_least_as_well_as_greedy(trained):
    model, (src, tgt) = trained
    _, greedy = model.greedy(src)
    for k in (2, 4):
        tokens, beam = model.beam_search(src, beam_size=k)
        # (a tie is the same sequence scored in another batch shape: float32 rounding apart)
        assert np.all(beam >= greedy - 1e-5 * np.abs(greedy).max()), (k, np.min(beam - greedy))
        # the score returned is the sequence's log-probability under the model
        dec_in = np.concatenate([np.full((len(src), 1), model.bos), tokens[:, :-1]], axis=1)
        with gu.no_grad():
            model.eval()
            logp = gu.nn.functional.log_softmax(model(src, dec_in), dim=-1).numpy()
        picked = np.take_along_axis(logp, tokens[..., None], axis=2)[..., 0]
        np.testing.assert_allclose(picked.sum(axis=1), beam, rtol=1e-4, atol=1e-4)
    _, normed = model.beam_search(src[:10], beam_size=3, length_norm=True)
    assert normed.shape == (10,)
