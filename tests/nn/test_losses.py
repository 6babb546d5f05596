"""Loss modules (nn/losses.py) against the torch.nn loss modules."""

import warnings

import numpy as np
import pytest
from helpers import randn, require_torch

import groundup as gu
from groundup import nn

W3 = np.array([0.5, 2.0, 1.5])


def targets(kind, seed=1):
    rng = np.random.default_rng(seed)
    if kind == "index":
        return rng.integers(0, 3, 4)
    if kind == "prob":
        return rng.dirichlet(np.ones(3), 4)
    if kind == "binary":
        return rng.uniform(0.05, 0.95, (4, 3))
    return randn(4, 3, seed=seed)


def cases():
    """(name, groundup module, torch module factory, input kind, target kind)."""
    return [
        ("mse", lambda: nn.MSELoss(), lambda T: T.MSELoss(), "real", "real"),
        ("mse sum", lambda: nn.MSELoss(reduction="sum"), lambda T: T.MSELoss(reduction="sum"),
         "real", "real"),
        ("l1 none", lambda: nn.L1Loss(reduction="none"), lambda T: T.L1Loss(reduction="none"),
         "real", "real"),
        ("huber", lambda: nn.HuberLoss(delta=0.5), lambda T: T.HuberLoss(delta=0.5),
         "real", "real"),
        ("smooth_l1", lambda: nn.SmoothL1Loss(beta=0.4), lambda T: T.SmoothL1Loss(beta=0.4),
         "real", "real"),
        ("bce", lambda: nn.BCELoss(weight=gu.tensor(W3)),
         lambda T: T.BCELoss(weight=_t(W3)), "binary", "binary"),
        ("bce logits", lambda: nn.BCEWithLogitsLoss(pos_weight=gu.tensor(W3)),
         lambda T: T.BCEWithLogitsLoss(pos_weight=_t(W3)), "real", "binary"),
        ("bce logits w sum", lambda: nn.BCEWithLogitsLoss(weight=gu.tensor(W3),
                                                          reduction="sum"),
         lambda T: T.BCEWithLogitsLoss(weight=_t(W3), reduction="sum"), "real", "binary"),
        ("ce", lambda: nn.CrossEntropyLoss(), lambda T: T.CrossEntropyLoss(), "real", "index"),
        ("ce full", lambda: nn.CrossEntropyLoss(weight=gu.tensor(W3), ignore_index=1,
                                                label_smoothing=0.2),
         lambda T: T.CrossEntropyLoss(weight=_t(W3), ignore_index=1, label_smoothing=0.2),
         "real", "index"),
        ("ce prob", lambda: nn.CrossEntropyLoss(label_smoothing=0.1),
         lambda T: T.CrossEntropyLoss(label_smoothing=0.1), "real", "prob"),
        ("nll", lambda: nn.NLLLoss(weight=gu.tensor(W3), reduction="none"),
         lambda T: T.NLLLoss(weight=_t(W3), reduction="none"), "real", "index"),
        ("kl batchmean", lambda: nn.KLDivLoss(reduction="batchmean"),
         lambda T: T.KLDivLoss(reduction="batchmean"), "logprob", "prob"),
        ("kl log_target", lambda: nn.KLDivLoss(reduction="sum", log_target=True),
         lambda T: T.KLDivLoss(reduction="sum", log_target=True), "logprob", "logprob"),
    ]


def _t(a):
    return require_torch().tensor(a, dtype=require_torch().float32)


def _input(kind):
    if kind == "binary":
        return targets("binary", seed=7)
    if kind == "logprob":
        return np.log(targets("prob", seed=7))
    return randn(4, 3, seed=7)


@pytest.mark.parametrize("case", cases(), ids=[c[0] for c in cases()])
def test_module_matches_torch(case):
    torch = require_torch()
    _, make, make_torch, xkind, tkind = case
    x = _input(xkind).astype(np.float32)
    t = np.log(targets("prob")) if tkind == "logprob" else targets(tkind)
    if t.dtype.kind == "f":
        t = t.astype(np.float32)
    g = gu.tensor(x, requires_grad=True)
    out = make()(g, gu.tensor(t))
    xt = torch.tensor(x, requires_grad=True)
    ref = make_torch(torch.nn)(xt, torch.tensor(t))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-5, atol=1e-6)
    up = np.random.default_rng(0).standard_normal(out.shape).astype(np.float32)
    (out * gu.tensor(up)).sum().backward()
    (ref * torch.tensor(up)).sum().backward()
    np.testing.assert_allclose(g.grad.numpy(), xt.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_cosine_embedding_module():
    torch = require_torch()
    a, b = randn(5, 4).astype(np.float32), randn(5, 4, seed=1).astype(np.float32)
    y = np.array([1, -1, -1, 1, -1])
    ga = gu.tensor(a, requires_grad=True)
    out = nn.CosineEmbeddingLoss(margin=0.1)(ga, gu.tensor(b), gu.tensor(y))
    out.backward()
    ta = torch.tensor(a, requires_grad=True)
    ref = torch.nn.CosineEmbeddingLoss(margin=0.1)(ta, torch.tensor(b), torch.tensor(y))
    ref.backward()
    np.testing.assert_allclose(out.item(), ref.item(), rtol=1e-5)
    np.testing.assert_allclose(ga.grad.numpy(), ta.grad.numpy(), rtol=1e-5, atol=1e-6)


def test_state_dict_keys_match_torch_and_load():
    torch = require_torch()
    pairs = [
        (nn.CrossEntropyLoss(weight=gu.tensor(W3)), torch.nn.CrossEntropyLoss(weight=_t(W3))),
        (nn.CrossEntropyLoss(), torch.nn.CrossEntropyLoss()),
        (nn.BCEWithLogitsLoss(weight=gu.ones(3), pos_weight=gu.tensor(W3)),
         torch.nn.BCEWithLogitsLoss(weight=torch.ones(3), pos_weight=_t(W3))),
        (nn.NLLLoss(weight=gu.tensor(W3)), torch.nn.NLLLoss(weight=_t(W3))),
        (nn.MSELoss(), torch.nn.MSELoss()),
    ]
    for ours, theirs in pairs:
        assert list(ours.state_dict()) == list(theirs.state_dict())
        ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    loss = nn.CrossEntropyLoss(weight=gu.ones(3))
    loss.load_state_dict({"weight": W3.astype(np.float32)})
    x, y = randn(4, 3).astype(np.float32), targets("index")
    ref = torch.nn.CrossEntropyLoss(weight=_t(W3))(torch.tensor(x), torch.tensor(y))
    np.testing.assert_allclose(loss(gu.tensor(x), gu.tensor(y)).item(), ref.item(), rtol=1e-6)


def test_module_follows_input_dtype():
    loss = nn.CrossEntropyLoss(weight=gu.tensor(W3)).double()
    x = gu.tensor(randn(4, 3), dtype=gu.float64)
    assert loss(x, gu.tensor(targets("index"))).dtype == gu.float64
    x32 = gu.tensor(randn(4, 3))
    assert loss(x32, gu.tensor(targets("index"))).dtype == gu.float32


def test_repr():
    assert repr(nn.MSELoss()) == "MSELoss()"
    assert repr(nn.L1Loss(reduction="sum")) == "L1Loss(reduction='sum')"
    assert repr(nn.HuberLoss(delta=2.0)) == "HuberLoss(delta=2.0)"
    assert repr(nn.SmoothL1Loss(beta=0.5)) == "SmoothL1Loss(beta=0.5)"
    assert (repr(nn.CrossEntropyLoss(ignore_index=0, label_smoothing=0.1))
            == "CrossEntropyLoss(ignore_index=0, label_smoothing=0.1)")
    assert repr(nn.NLLLoss(reduction="none")) == "NLLLoss(reduction='none')"
    assert (repr(nn.KLDivLoss(reduction="batchmean", log_target=True))
            == "KLDivLoss(reduction='batchmean', log_target=True)")
    assert repr(nn.CosineEmbeddingLoss(margin=0.5)) == "CosineEmbeddingLoss(margin=0.5)"
    assert repr(nn.BCEWithLogitsLoss()) == "BCEWithLogitsLoss()"


def test_legacy_reduction_arguments():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        assert nn.MSELoss(size_average=False).reduction == "sum"
        assert nn.MSELoss(reduce=False).reduction == "none"
        assert nn.CrossEntropyLoss(size_average=True, reduce=True).reduction == "mean"
    with pytest.warns(DeprecationWarning):
        nn.L1Loss(size_average=False)


def test_bad_reduction_fails_at_construction():
    with pytest.raises(ValueError, match=r"MSELoss: reduction must be one of 'mean', 'sum', "
                                         r"'none'; got 'avg'"):
        nn.MSELoss(reduction="avg")
    with pytest.raises(ValueError, match=r"CrossEntropyLoss: reduction"):
        nn.CrossEntropyLoss(reduction="batchmean")
    nn.KLDivLoss(reduction="batchmean")


def test_losses_have_no_parameters_and_reach_parameters():
    loss = nn.CrossEntropyLoss(weight=gu.tensor(W3))
    assert list(loss.parameters()) == []
    logits = nn.Parameter(gu.tensor(randn(8, 3)))
    loss(logits, gu.tensor(np.arange(8) % 3)).backward()
    assert logits.grad is not None and logits.grad.shape == (8, 3)
