"""viz/attention.py: recording attention weights and drawing them."""

import numpy as np
import pytest

import groundup as gu
from groundup import nn, viz

PNG = b"\x89PNG\r\n\x1a\n"


def _encoder():
    gu.manual_seed(0)
    layer = nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True, norm_first=True)
    return nn.TransformerEncoder(layer, 2, enable_nested_tensor=False)


def test_record_attention_keeps_outputs_and_restores_the_layers():
    model = _encoder().eval()
    x = gu.randn(3, 5, 16)
    plain = model(x).numpy()
    with viz.record_attention(model) as maps:
        recorded = model(x).numpy()
    np.testing.assert_allclose(recorded, plain, rtol=1e-5, atol=1e-6)
    assert sorted(maps) == ["layers.0.self_attn", "layers.1.self_attn"]
    for w in maps.values():
        assert w.shape == (3, 4, 5, 5)
        np.testing.assert_allclose(w.sum(axis=-1), 1.0, rtol=1e-5)
    attn = model.layers[0].self_attn
    assert "forward" not in attn.__dict__
    with viz.record_attention(model) as maps:
        pass
    assert maps == {}


def test_record_attention_matches_the_weights_the_layer_returns():
    gu.manual_seed(0)
    mha = nn.MultiheadAttention(8, 2, batch_first=True)
    q, k = gu.randn(2, 3, 8), gu.randn(2, 4, 8)
    _, per_head = mha(q, k, k, average_attn_weights=False)
    with viz.record_attention(mha) as maps:
        out, averaged = mha(q, k, k)          # the caller asked for averaged weights
        _, none = mha(q, k, k, None, False)   # need_weights=False, positionally
    np.testing.assert_allclose(maps[""], per_head.numpy(), rtol=1e-6)
    np.testing.assert_allclose(averaged.numpy(), per_head.numpy().mean(axis=1), rtol=1e-5)
    assert none is None and out.shape == (2, 3, 8)


def test_plot_attention_writes_a_png(tmp_path):
    w = np.random.default_rng(0).random((2, 3, 4))
    path = viz.plot_attention(w, tmp_path / "one.png", labels=("abc", "wxyz"), title="t")
    assert (tmp_path / "one.png").read_bytes().startswith(PNG) and path.endswith("one.png")
    maps = {"enc": w, "dec": gu.tensor(w[0])}
    viz.plot_attention(maps, tmp_path / "two.png", labels={"enc": ("abc", "wxyz")})
    assert (tmp_path / "two.png").read_bytes().startswith(PNG)
    with pytest.raises(ValueError, match=r"plot_attention: enc: expected \(L, S\)"):
        viz.plot_attention({"enc": np.zeros((1, 2, 3, 4))}, tmp_path / "bad.png")
    with pytest.raises(ValueError, match="no attention weights"):
        viz.plot_attention({}, tmp_path / "bad.png")


def test_plot_model_attention(tmp_path):
    model = _encoder()
    path = viz.plot_model_attention(model, gu.randn(1, 5, 16), tmp_path / "a.png")
    assert (tmp_path / "a.png").read_bytes().startswith(PNG) and path
    assert model.training                      # the mode is given back
    assert viz.plot_model_attention(nn.Linear(2, 2), gu.randn(1, 2), tmp_path / "b.png") is None
    assert not (tmp_path / "b.png").exists()
