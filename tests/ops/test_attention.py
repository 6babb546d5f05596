"""scaled_dot_product_attention against PyTorch, finite differences and its own definition."""

import math

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu
from groundup.nn import functional as F

torch = require_torch()
TF = torch.nn.functional

Q, K, V = (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 7)


def _sdpa(lib, **kw):
    f = F.scaled_dot_product_attention if lib is gu else TF.scaled_dot_product_attention
    return lambda q, k, v, *m: f(q, k, v, *m, **kw)


@pytest.mark.parametrize("kw", [{}, {"is_causal": True}, {"scale": 0.3}])
def test_matches_pytorch(kw):
    check_op(_sdpa(gu, **kw), _sdpa(torch, **kw), randn(*Q), randn(*K, seed=1),
             randn(*V, seed=2))


def test_causal_with_more_keys_than_queries_is_top_left_aligned():
    check_op(_sdpa(gu, is_causal=True), _sdpa(torch, is_causal=True), randn(2, 3, 5),
             randn(2, 7, 5, seed=1), randn(2, 7, 4, seed=2), gradcheck=False)


def test_bool_mask_broadcast_over_leading_dims():
    m = np.random.default_rng(3).random((4, 6)) > 0.3
    m[:, 0] = True  # every query keeps one key
    check_op(_sdpa(gu), _sdpa(torch), randn(*Q), randn(*K, seed=1), randn(*V, seed=2), m)


def test_additive_mask_and_its_gradient():
    # a float mask given as an array becomes a leaf that requires grad: dM = dA
    check_op(_sdpa(gu), _sdpa(torch), randn(*Q), randn(*K, seed=1), randn(*V, seed=2),
             randn(3, 4, 6, seed=4))


def test_constant_additive_mask_with_minus_inf():
    m = np.zeros((4, 6))
    m[:, 2] = -np.inf
    m[1, 4] = -np.inf

    def g(q, k, v):
        return F.scaled_dot_product_attention(q, k, v, gu.tensor(m, dtype=q.dtype))

    def t(q, k, v):
        return TF.scaled_dot_product_attention(q, k, v, torch.tensor(m, dtype=q.dtype))

    check_op(g, t, randn(*Q), randn(*K, seed=1), randn(*V, seed=2))


def test_fully_masked_rows_give_zeros_not_nan():
    """PyTorch's function gives zeros here too (its MultiheadAttention's need_weights path
    gives NaN); the gradient through such a row is zero."""
    m = np.ones((4, 6), bool)
    m[1] = False
    m[3, :5] = False
    check_op(_sdpa(gu), _sdpa(torch), randn(*Q), randn(*K, seed=1), randn(*V, seed=2), m)
    q = gu.tensor(randn(*Q), requires_grad=True)
    out = F.scaled_dot_product_attention(q, gu.tensor(randn(*K)), gu.tensor(randn(*V)),
                                         gu.tensor(m))
    assert np.all(out.numpy()[:, :, 1] == 0) and np.isfinite(out.numpy()).all()
    out.sum().backward()
    assert np.all(q.grad.numpy()[:, :, 1] == 0)


def test_a_nan_or_inf_score_makes_its_row_nan_as_pytorch():
    m = np.zeros((4, 6))
    m[1, 2] = np.inf  # +inf in a float mask
    q = randn(*Q)
    q[0, 0, 3, 0] = np.nan  # a nan query: its scores are nan
    want = F.scaled_dot_product_attention(gu.tensor(q), gu.tensor(randn(*K, seed=1)),
                                          gu.tensor(randn(*V, seed=2)), gu.tensor(m)).numpy()
    got = TF.scaled_dot_product_attention(torch.tensor(q), torch.tensor(randn(*K, seed=1)),
                                          torch.tensor(randn(*V, seed=2)),
                                          torch.tensor(m)).numpy()
    np.testing.assert_array_equal(np.isnan(want), np.isnan(got))
    assert np.isnan(want[:, :, 1]).all() and np.isnan(want[0, 0, 3]).all()
    np.testing.assert_allclose(want, got, rtol=1e-6, atol=1e-7)


def test_rows_far_below_the_block_maximum_stay_exact():
    """The softmax shifts by one maximum per block; a row far below it is redone with its
    own maximum instead of underflowing to 0/0."""
    q = randn(1, 1, 4, 5)
    q[0, 0, 0] *= 300.0  # one query with huge scores, the others small
    q[0, 0, 2] *= -300.0
    check_op(_sdpa(gu), _sdpa(torch), q, randn(1, 1, 6, 5, seed=1), randn(1, 1, 6, 3, seed=2),
             gradcheck=False, rtol=1e-3)


def test_leading_dims_broadcast_and_unbatched():
    check_op(_sdpa(gu), _sdpa(torch), randn(2, 3, 4, 5), randn(3, 6, 5, seed=1),
             randn(1, 3, 6, 2, seed=2), gradcheck=False)
    check_op(_sdpa(gu), _sdpa(torch), randn(4, 5), randn(6, 5, seed=1), randn(6, 2, seed=2))


def test_grouped_query_attention():
    check_op(_sdpa(gu, enable_gqa=True), _sdpa(torch, enable_gqa=True), randn(2, 4, 3, 5),
             randn(2, 2, 6, 5, seed=1), randn(2, 2, 6, 3, seed=2), gradcheck=False)


def test_dropout_drops_weights_reproducibly():
    """With v = I the output is the dropped weights: each is 0 or P / (1 - p)."""
    rng = np.random.default_rng(0)
    q, k = (gu.tensor(rng.standard_normal((2, 8, 6)).astype(np.float32)) for _ in range(2))
    eye = gu.tensor(np.broadcast_to(np.eye(8, dtype=np.float32), (2, 8, 8)).copy())
    p_full = F.scaled_dot_product_attention(q, k, eye).numpy()
    gu.manual_seed(5)
    a = F.scaled_dot_product_attention(q, k, eye, dropout_p=0.4).numpy()
    gu.manual_seed(5)
    b = F.scaled_dot_product_attention(q, k, eye, dropout_p=0.4).numpy()
    np.testing.assert_array_equal(a, b)
    kept = a != 0
    assert 0.4 < kept.mean() < 0.8
    np.testing.assert_allclose(a[kept], p_full[kept] / 0.6, rtol=1e-5)


def test_dropout_gradient_is_exact_for_a_fixed_mask():
    q, k, v = (gu.tensor(randn(2, 3, 4, seed=s), dtype=gu.float64, requires_grad=True)
               for s in range(3))

    def f(q, k, v):
        gu.manual_seed(7)  # the same mask on every call
        return F.scaled_dot_product_attention(q, k, v, dropout_p=0.3)

    assert gu.gradcheck(f, (q, k, v))


def test_input_gradients_only_where_needed():
    q = gu.tensor(randn(*Q), requires_grad=True)
    k, v = gu.tensor(randn(*K)), gu.tensor(randn(*V))
    F.scaled_dot_product_attention(q, k, v).sum().backward()
    assert q.grad is not None and k.grad is None and v.grad is None


def test_float32_stays_float32_and_default_scale():
    q, k, v = (gu.tensor(randn(2, 3, 4, seed=s)) for s in range(3))
    out = F.scaled_dot_product_attention(q, k, v)
    assert out.dtype == np.float32
    s = q.numpy() @ k.numpy().transpose(0, 2, 1) / math.sqrt(4)
    p = np.exp(s - s.max(-1, keepdims=True))
    p /= p.sum(-1, keepdims=True)
    np.testing.assert_allclose(out.numpy(), p @ v.numpy(), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("args, kw, match", [
    (((2, 3, 4), (2, 5, 3), (2, 5, 4)), {}, "expected query"),
    (((2, 3, 4), (2, 5, 4), (2, 6, 4)), {}, "expected query"),
    (((2, 3, 4), (3, 5, 4), (3, 5, 4)), {}, "do not broadcast"),
    (((4,), (5, 4), (5, 4)), {}, "at least 2 dims"),
    (((2, 3, 4), (2, 5, 4), (2, 5, 4)), {"attn_mask": np.ones((3, 4), bool)}, "attn_mask"),
    (((2, 3, 4), (2, 5, 4), (2, 5, 4)), {"attn_mask": np.ones((3, 5), bool),
                                         "is_causal": True}, "not both"),
    (((2, 3, 4), (2, 5, 4), (2, 5, 4)), {"dropout_p": 1.5}, "dropout_p"),
])
def test_errors_name_the_function_and_shapes(args, kw, match):
    q, k, v = (gu.tensor(np.zeros(s, np.float32)) for s in args)
    with pytest.raises((ValueError, TypeError), match=match) as e:
        F.scaled_dot_product_attention(q, k, v, **kw)
    assert "scaled_dot_product_attention" in str(e.value)


def test_dtype_mismatch_is_refused():
    q = gu.tensor(np.zeros((2, 3), np.float32))
    k = gu.tensor(np.zeros((2, 3)), dtype=gu.float64)
    with pytest.raises(TypeError, match="one dtype"):
        F.scaled_dot_product_attention(q, k, k)


def test_values_with_more_batch_entries_than_queries_and_keys():
    check_op(_sdpa(gu), _sdpa(torch), randn(3, 4, 5), randn(3, 6, 5, seed=1),
             randn(2, 3, 6, 2, seed=2), gradcheck=False)


def test_batch_halves_in_two_threads_equal_one_pass(monkeypatch):
    """At 2+ threads MultiheadAttention's core runs each batch half in its own thread."""
    from groundup.ops import attention

    m = gu.nn.MultiheadAttention(8, 2, batch_first=True)
    x = randn(4, 6, 8)
    kpm = gu.tensor(np.arange(6)[None, :] >= np.array([6, 5, 3, 6])[:, None])
    results = []
    for split in (False, True):
        if split:
            monkeypatch.setattr(attention, "_SPLIT_MIN", 0)
            monkeypatch.setattr(attention, "_HALVES", True)
            monkeypatch.setattr(attention.threads, "get_num_threads", lambda: 2)
        xt = gu.tensor(x, requires_grad=True)
        m.zero_grad()
        gu.manual_seed(0)
        m.train()
        m.dropout = 0.25
        y = m(xt, xt, xt, key_padding_mask=kpm, need_weights=False)[0]
        (y * y).sum().backward()
        results.append([y.numpy(), xt.grad.numpy(), m.in_proj_weight.grad.numpy()])
    for a, b in zip(*results, strict=True):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
