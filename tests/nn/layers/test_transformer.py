"""Transformer encoder/decoder layers, stacks and nn.Transformer against PyTorch."""

import numpy as np
import pytest
from helpers import check_layer, randn, require_torch

import groundup as gu
from groundup import nn
from groundup.nn import functional as F

torch = require_torch()
pytestmark = [pytest.mark.filterwarnings("ignore:enable_nested_tensor"),
              pytest.mark.filterwarnings("ignore:Support for mismatched")]

D, H, FF, N, T, S = 8, 2, 16, 2, 4, 5


def _kw(**kw):
    return dict(dict(dim_feedforward=FF, dropout=0.0), **kw)


class Masked:
    """A module calling `m(*inputs, **masks)`, the masks built per library."""

    @staticmethod
    def make(lib, inner, **masks):
        class Wrap(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.m = inner

            def forward(self, *xs):
                kw = {k: lib.tensor(v, dtype=xs[0].dtype) if v.dtype.kind == "f" else
                      lib.tensor(v) for k, v in masks.items()}
                return self.m(*xs, **kw)

        return Wrap()


def _pair(name, *args, masks=None, train=False, **kw):
    g, t = getattr(nn, name)(*args, **kw), getattr(torch.nn, name)(*args, **kw)
    gw, tw = Masked.make(gu, g, **(masks or {})), Masked.make(torch, t, **(masks or {}))
    tw.train(train)
    return gw, tw


def _seq(T_, bf, seed=0):
    return randn(N, T_, D, seed=seed) if bf else randn(T_, N, D, seed=seed)


def _kpm(T_):
    m = np.zeros((N, T_), bool)
    m[1, T_ - 2:] = True
    return m


CAUSAL = np.triu(np.full((T, T), -np.inf), 1)


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("train", [False, True])
def test_encoder_layer(norm_first, activation, train):
    bf = train  # both layouts across the cases
    masks = {"src_mask": CAUSAL, "src_key_padding_mask": _kpm(T)} if norm_first else None
    g, t = _pair("TransformerEncoderLayer", D, H, masks=masks, train=train,
                 **_kw(norm_first=norm_first, activation=activation, batch_first=bf))
    check_layer(g, t, _seq(T, bf))


@pytest.mark.parametrize("norm_first", [False, True])
@pytest.mark.parametrize("activation", ["relu", "gelu"])
@pytest.mark.parametrize("train", [False, True])
def test_decoder_layer(norm_first, activation, train):
    bf = not train
    masks = {"tgt_mask": CAUSAL, "memory_key_padding_mask": _kpm(S)} if not norm_first else None
    g, t = _pair("TransformerDecoderLayer", D, H, masks=masks, train=train,
                 **_kw(norm_first=norm_first, activation=activation, batch_first=bf))
    check_layer(g, t, _seq(T, bf), _seq(S, bf, seed=1))


def test_decoder_layer_all_masks():
    masks = {"tgt_mask": np.triu(np.ones((T, T), bool), 1), "memory_mask": randn(T, S, seed=3),
             "tgt_key_padding_mask": _kpm(T), "memory_key_padding_mask": _kpm(S)}
    g, t = _pair("TransformerDecoderLayer", D, H, masks=masks, **_kw(batch_first=True))
    check_layer(g, t, _seq(T, True), _seq(S, True, seed=1))


def test_activation_module_and_no_bias():
    g = nn.TransformerEncoderLayer(D, H, activation=nn.GELU(), bias=False, **_kw())
    t = torch.nn.TransformerEncoderLayer(D, H, activation=torch.nn.GELU(), bias=False, **_kw())
    t.eval()
    check_layer(g, t, _seq(T, False))


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("compiled", [False, True])
def test_fused_feed_forward_equals_the_composed_ops(bias, compiled, monkeypatch):
    """With ReLU and no active dropout the block is one Function (ops/feedforward.py);
    `compiled`: its ReLU and ReLU backward by the compiled kernels (when numba is there),
    in place on its own buffers."""
    if compiled:  # else the test's small sizes keep to the references
        monkeypatch.setattr(gu.kernels.switch, "MIN_SIZE", 0)
    fused = nn.TransformerEncoderLayer(D, H, bias=bias, **_kw())
    composed = nn.TransformerEncoderLayer(D, H, bias=bias, activation=lambda x: F.relu(x),
                                          **_kw())
    composed.load_state_dict(fused.state_dict())
    x = randn(T, N, D)
    out = []
    for layer in (fused, composed):
        xt = gu.tensor(x, dtype=gu.float64, requires_grad=True)
        layer.double()
        y = layer(xt)
        (y * y).sum().backward()
        out.append([y.numpy(), xt.grad.numpy()] + [p.grad.numpy() for p in layer.parameters()])
    for a, b in zip(*out, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("norm_first", [False, True])
def test_encoder_stack_with_final_norm(norm_first):
    layer_kw = _kw(norm_first=norm_first, batch_first=True)
    g = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, **layer_kw), 2,
                              norm=nn.LayerNorm(D), enable_nested_tensor=False)
    t = torch.nn.TransformerEncoder(torch.nn.TransformerEncoderLayer(D, H, **layer_kw), 2,
                                    norm=torch.nn.LayerNorm(D), enable_nested_tensor=False)
    masks = {"mask": CAUSAL, "src_key_padding_mask": _kpm(T)}
    gw, tw = Masked.make(gu, g, **masks), Masked.make(torch, t, **masks)
    tw.train()
    check_layer(gw, tw, _seq(T, True))
    assert [n for n, _ in g.named_parameters()][:2] == ["layers.0.self_attn.in_proj_weight",
                                                       "layers.0.self_attn.in_proj_bias"]


def test_decoder_stack_with_final_norm():
    g = nn.TransformerDecoder(nn.TransformerDecoderLayer(D, H, **_kw()), 2, norm=nn.LayerNorm(D))
    t = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(D, H, **_kw()), 2,
                                    norm=torch.nn.LayerNorm(D))
    masks = {"tgt_mask": CAUSAL, "memory_key_padding_mask": _kpm(S)}
    gw, tw = Masked.make(gu, g, **masks), Masked.make(torch, t, **masks)
    tw.train()
    check_layer(gw, tw, _seq(T, False), _seq(S, False, seed=1))


@pytest.mark.parametrize("batch_first", [False, True])
def test_transformer(batch_first):
    kw = dict(d_model=D, nhead=H, num_encoder_layers=2, num_decoder_layers=1, dim_feedforward=FF,
              dropout=0.0, batch_first=batch_first, norm_first=batch_first)
    masks = {"tgt_mask": CAUSAL, "src_key_padding_mask": _kpm(S),
             "memory_key_padding_mask": _kpm(S)}
    g, t = _pair("Transformer", masks=masks, train=batch_first, **kw)
    check_layer(g, t, _seq(S, batch_first), _seq(T, batch_first, seed=1), float64=False)


def test_state_dict_keys_match_and_move_back_to_pytorch():
    kw = dict(d_model=D, nhead=H, num_encoder_layers=1, num_decoder_layers=1,
              dim_feedforward=FF, dropout=0.0)
    g, t = nn.Transformer(**kw), torch.nn.Transformer(**kw)
    assert list(g.state_dict()) == list(t.state_dict())
    t.load_state_dict({k: torch.tensor(v) for k, v in g.state_dict().items()}, strict=True)
    src, tgt = _seq(S, False), _seq(T, False, seed=1)
    go = g(gu.tensor(src), gu.tensor(tgt)).numpy()
    t.eval()
    with torch.no_grad():
        to = t(torch.tensor(src, dtype=torch.float32), torch.tensor(tgt, dtype=torch.float32))
    np.testing.assert_allclose(go, to.numpy(), rtol=1e-4, atol=1e-5)


def test_generate_square_subsequent_mask():
    g = nn.Transformer.generate_square_subsequent_mask(5)
    t = torch.nn.Transformer.generate_square_subsequent_mask(5)
    np.testing.assert_array_equal(g.numpy(), t.numpy())
    assert g.dtype == np.float32


def test_layers_are_independent_copies_and_initialised_as_pytorch():
    enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(D, H, **_kw()), 3)
    a, b = enc.layers[0].linear1.weight, enc.layers[1].linear1.weight
    assert a is not b and np.array_equal(a.numpy(), b.numpy())
    model = nn.Transformer(D, H, 1, 1, FF)
    bound = np.sqrt(6 / (FF + D))
    assert np.abs(model.encoder.layers[0].linear1.weight.numpy()).max() <= bound


def test_dropout_trains_and_is_off_in_eval():
    layer = nn.TransformerEncoderLayer(D, H, FF, dropout=0.5)
    x = gu.tensor(_seq(T, False))
    gu.manual_seed(0)
    a = layer(x).numpy()
    gu.manual_seed(0)
    np.testing.assert_array_equal(a, layer(x).numpy())
    layer.eval()
    assert not np.allclose(a, layer(x).numpy())


@pytest.mark.parametrize("build, match", [
    (lambda: nn.TransformerEncoderLayer(10, 3), "divisible by nhead"),
    (lambda: nn.TransformerDecoderLayer(8, 2, activation="tanh"), "relu' or 'gelu"),
    (lambda: nn.TransformerEncoderLayer(8, 2, dropout=2.0), "dropout"),
])
def test_constructor_errors_name_the_layer(build, match):
    with pytest.raises(ValueError, match=match) as e:
        build()
    assert "Transformer" in str(e.value)


def test_wrong_input_shapes_are_refused():
    model = nn.Transformer(D, H, 1, 1, FF)
    with pytest.raises(ValueError, match="batch size"):
        model(gu.randn(S, 3, D), gu.randn(T, 2, D))
    with pytest.raises(ValueError, match="d_model"):
        model(gu.randn(S, 2, 6), gu.randn(T, 2, 6))
    layer = nn.TransformerEncoderLayer(D, H, FF)
    with pytest.raises(ValueError, match="src_mask|2-D attn_mask"):
        layer(gu.randn(T, N, D), src_mask=gu.zeros(T + 1, T))
