"""MultiheadAttention against PyTorch (weights through state_dict, both ways)."""

import numpy as np
import pytest
from helpers import check_layer, randn, require_torch

import groundup as gu
from groundup import nn

torch = require_torch()

E, H, N, L, S = 8, 2, 3, 4, 5


class Call:
    """A module calling `m(q, k, v, **kw)` with q, k, v picked from its inputs: 'self' (x, x, x),
    'cross' (x, mem, mem) or 'qkv'; masks built per library. Outputs without the None."""

    @staticmethod
    def make(lib, inner, mode, **kw):
        class Wrap(lib.nn.Module):
            def __init__(self):
                super().__init__()
                self.m = inner

            def forward(self, *xs):
                q, k, v = {"self": lambda: (xs[0],) * 3, "cross": lambda: (xs[0], xs[1], xs[1]),
                           "qkv": lambda: xs}[mode]()
                out, w = self.m(q, k, v, **{a: _mask(lib, b, q) for a, b in kw.items()})
                return out if w is None else (out, w)

        return Wrap()


def _mask(lib, value, like):
    if isinstance(value, np.ndarray):
        if value.dtype.kind == "f":  # the float masks in the input's dtype
            return lib.tensor(value, dtype=like.dtype)
        return lib.tensor(value)
    return value


def _check(mode, ctor=None, call=None, inputs=None, train=False):
    ctor, call = dict(ctor or {}), dict(call or {})
    g, t = nn.MultiheadAttention(E, H, **ctor), torch.nn.MultiheadAttention(E, H, **ctor)
    bf = ctor.get("batch_first", False)
    if inputs is None:
        kd, vd = ctor.get("kdim", E), ctor.get("vdim", E)
        shape = (lambda T, F: (N, T, F)) if bf else (lambda T, F: (T, N, F))
        inputs = {"self": [randn(*shape(L, E))],
                  "cross": [randn(*shape(L, E)), randn(*shape(S, kd), seed=1)],
                  "qkv": [randn(*shape(L, E)), randn(*shape(S, kd), seed=1),
                          randn(*shape(S, vd), seed=2)]}[mode]
    gw, tw = Call.make(gu, g, mode, **call), Call.make(torch, t, mode, **call)
    tw.train(train)
    check_layer(gw, tw, *inputs)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("call", [{}, {"need_weights": False},
                                  {"average_attn_weights": False}])
def test_self_attention(batch_first, call):
    _check("self", {"batch_first": batch_first}, call)


@pytest.mark.parametrize("batch_first", [False, True])
def test_cross_attention_and_separate_inputs(batch_first):
    _check("cross", {"batch_first": batch_first}, {"need_weights": False})
    _check("qkv", {"batch_first": batch_first})


@pytest.mark.parametrize("need_weights", [True, False])
def test_kdim_vdim_separate_projections(need_weights):
    _check("qkv", {"kdim": 6, "vdim": 3, "batch_first": True}, {"need_weights": need_weights})
    g = nn.MultiheadAttention(E, H, kdim=6, vdim=3)
    assert [n for n, _ in g.named_parameters()] == [
        "q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "out_proj.weight",
        "out_proj.bias"]


def _kpm():
    m = np.zeros((N, S), bool)
    m[0, 3:] = True
    m[2, 0] = True
    return m


@pytest.mark.parametrize("need_weights", [True, False])
def test_masks(need_weights):
    am = np.triu(np.ones((L, S), bool), 2)
    _check("cross", {}, {"key_padding_mask": _kpm(), "need_weights": need_weights})
    _check("cross", {}, {"attn_mask": am, "need_weights": need_weights})
    _check("cross", {"batch_first": True},
           {"attn_mask": am, "key_padding_mask": _kpm(), "need_weights": need_weights})
    fm = randn(N * H, L, S, seed=5)
    _check("cross", {}, {"attn_mask": fm, "need_weights": need_weights})
    kpf = np.where(_kpm(), -np.inf, 0.0)
    _check("cross", {}, {"key_padding_mask": kpf, "need_weights": need_weights})


def test_causal_hint_with_its_mask():
    causal = np.triu(np.ones((L, L), bool), 1)
    _check("self", {"batch_first": True},
           {"attn_mask": causal, "is_causal": True, "need_weights": False})


def test_is_causal_alone_builds_the_mask():
    """PyTorch asks for the mask with is_causal; groundup builds it."""
    rng = np.random.default_rng(0)
    m = nn.MultiheadAttention(E, H, batch_first=True)
    x = gu.tensor(rng.standard_normal((N, L, E)).astype(np.float32))
    mask = gu.tensor(np.triu(np.ones((L, L), bool), 1))
    a = m(x, x, x, is_causal=True, need_weights=False)[0]
    b = m(x, x, x, attn_mask=mask, need_weights=False)[0]
    np.testing.assert_allclose(a.numpy(), b.numpy(), rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("ctor", [{"add_bias_kv": True}, {"add_zero_attn": True},
                                  {"add_bias_kv": True, "add_zero_attn": True},
                                  {"bias": False}])
def test_extra_keys_and_no_bias(ctor):
    _check("self", ctor)
    _check("cross", dict(ctor, batch_first=True),
           {"key_padding_mask": _kpm(), "attn_mask": np.triu(np.ones((L, S), bool), 2),
            "need_weights": False})


def test_unbatched_input():
    _check("self", {}, inputs=[randn(L, E)])
    _check("cross", {"batch_first": True}, {"need_weights": False},
           inputs=[randn(L, E), randn(S, E, seed=1)])


def test_train_mode_with_dropout_zero():
    _check("self", {"batch_first": True}, {"need_weights": False}, train=True)
    _check("cross", {}, {}, train=True)


def test_fully_masked_query_gives_zeros_on_both_paths():
    """PyTorch gives zeros with need_weights=False and NaN with need_weights=True."""
    m = nn.MultiheadAttention(E, H)
    x = gu.tensor(randn(L, N, E), requires_grad=True)
    kpm = gu.tensor(np.ones((N, L), bool))
    for need in (False, True):
        out, w = m(x, x, x, key_padding_mask=kpm, need_weights=need)
        assert np.isfinite(out.numpy()).all()
        np.testing.assert_allclose(out.numpy(), np.broadcast_to(m.out_proj.bias.numpy(),
                                                                out.shape))
        if need:
            assert np.all(w.numpy() == 0)
        out.sum().backward()
        assert np.isfinite(x.grad.numpy()).all()


def test_state_dict_moves_to_pytorch_strictly():
    g = nn.MultiheadAttention(E, H, add_bias_kv=True, kdim=6, vdim=5)
    t = torch.nn.MultiheadAttention(E, H, add_bias_kv=True, kdim=6, vdim=5)
    t.load_state_dict({k: torch.tensor(v) for k, v in g.state_dict().items()}, strict=True)
    q, k, v = randn(L, N, E), randn(S, N, 6, seed=1), randn(S, N, 5, seed=2)
    go = g(*(gu.tensor(a) for a in (q, k, v)))[0].numpy()
    to = t(*(torch.tensor(a, dtype=torch.float32) for a in (q, k, v)))[0].detach().numpy()
    np.testing.assert_allclose(go, to, rtol=1e-5, atol=1e-6)


def test_dropout_on_weights_is_seeded_and_off_in_eval():
    m = nn.MultiheadAttention(E, H, dropout=0.5, batch_first=True)
    x = gu.tensor(randn(N, L, E))
    gu.manual_seed(1)
    a = m(x, x, x)[0].numpy()
    gu.manual_seed(1)
    np.testing.assert_array_equal(a, m(x, x, x)[0].numpy())
    m.eval()
    ref = m(x, x, x)[0].numpy()
    assert not np.allclose(a, ref)
    np.testing.assert_allclose(m(x, x, x, need_weights=False)[0].numpy(), ref, rtol=1e-5,
                               atol=1e-6)


def test_functional_form_matches_pytorch():
    t = torch.nn.MultiheadAttention(E, H)
    p = {k: v.detach() for k, v in t.state_dict().items()}
    q, k = randn(L, N, E), randn(S, N, E, seed=1)
    kpm = _kpm()
    go, gw = gu.nn.functional.multi_head_attention_forward(
        gu.tensor(q), gu.tensor(k), gu.tensor(k), E, H, gu.tensor(p["in_proj_weight"].numpy()),
        gu.tensor(p["in_proj_bias"].numpy()), None, None, False, 0.0,
        gu.tensor(p["out_proj.weight"].numpy()), gu.tensor(p["out_proj.bias"].numpy()),
        key_padding_mask=gu.tensor(kpm))
    tq, tk = torch.tensor(q, dtype=torch.float32), torch.tensor(k, dtype=torch.float32)
    to, tw = torch.nn.functional.multi_head_attention_forward(
        tq, tk, tk, E, H, p["in_proj_weight"], p["in_proj_bias"], None, None, False, 0.0,
        p["out_proj.weight"], p["out_proj.bias"], key_padding_mask=torch.tensor(kpm))
    np.testing.assert_allclose(go.numpy(), to.numpy(), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(gw.numpy(), tw.numpy(), rtol=1e-5, atol=1e-6)


def test_default_initialisation_follows_pytorch():
    m = nn.MultiheadAttention(16, 4, add_bias_kv=True)
    assert np.all(m.in_proj_bias.numpy() == 0) and np.all(m.out_proj.bias.numpy() == 0)
    bound = np.sqrt(6 / (16 + 48))
    assert np.abs(m.in_proj_weight.numpy()).max() <= bound
    assert m.bias_k.shape == (1, 1, 16) and m.in_proj_weight.dtype == np.float32


@pytest.mark.parametrize("build, call, match", [
    (lambda: nn.MultiheadAttention(10, 3), None, "divisible by num_heads"),
    (lambda: nn.MultiheadAttention(8, 0), None, "num_heads"),
    (lambda: nn.MultiheadAttention(8, 2), {"attn_mask": np.zeros((3, 3), bool)}, "2-D attn_mask"),
    (lambda: nn.MultiheadAttention(8, 2), {"attn_mask": np.zeros((5, 4, 4), bool)},
     "3-D attn_mask"),
    (lambda: nn.MultiheadAttention(8, 2), {"key_padding_mask": np.zeros((3, 4), bool)},
     "key_padding_mask"),
    (lambda: nn.MultiheadAttention(8, 2), {"x": np.zeros((4, 3, 6), np.float32)}, "E = 8"),
    (lambda: nn.MultiheadAttention(8, 2), {"x": np.zeros((2, 3, 4, 8), np.float32)}, "3-D"),
])
def test_errors_name_the_layer_and_shapes(build, call, match):
    with pytest.raises(ValueError, match=match) as e:
        m = build()
        call = dict(call)
        x = gu.tensor(call.pop("x", np.zeros((4, 2, 8), np.float32)))
        m(x, x, x, **{k: gu.tensor(v) for k, v in call.items()})
    assert "MultiheadAttention" in str(e.value)
