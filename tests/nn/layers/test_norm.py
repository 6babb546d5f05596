"""BatchNorm1d/2d, LayerNorm, GroupNorm against PyTorch, train and eval."""

import numpy as np
import pytest
from helpers import check_layer, randn, require_torch

import groundup as gu
from groundup import nn

torch = require_torch()
T = torch.nn


def _steps(g, t, shapes, train=True):
    """Several float32 forward steps on both, then compare outputs and state."""
    g.float()
    t.float()
    g.train(train)
    t.train(train)
    for i, shape in enumerate(shapes):
        x = (randn(*shape, seed=i) * 3 + 1).astype(np.float32)
        gy, ty = g(gu.tensor(x)), t(torch.tensor(x))
        np.testing.assert_allclose(gy.numpy(), ty.detach().numpy(), rtol=1e-4, atol=1e-5)
    gs, ts = g.state_dict(), t.state_dict()
    assert list(gs) == list(ts)
    for k, v in ts.items():
        np.testing.assert_allclose(gs[k], v.numpy(), rtol=1e-5, atol=1e-6, err_msg=k)


BN1 = [((6, 4), {}), ((6, 4, 3), {}), ((5, 4), dict(affine=False)),
       ((5, 4), dict(momentum=0.3, eps=1e-3)), ((5, 4, 2), dict(track_running_stats=False)),
      ((5, 4), dict(bias=False))]


@pytest.mark.parametrize("shape,kw", BN1)
@pytest.mark.parametrize("train", [True, False])
def test_batchnorm1d_matches_torch(shape, kw, train):
    g, t = nn.BatchNorm1d(4, **kw), T.BatchNorm1d(4, **kw)
    with torch.no_grad():  # non-trivial statistics and affine parameters
        if t.track_running_stats:
            t.running_mean.uniform_(-1, 1)
            t.running_var.uniform_(0.5, 2)
        for p in t.parameters():
            p.uniform_(0.5, 1.5)
    t.train(train)
    check_layer(g, t, randn(*shape))
    assert repr(g) == repr(t)


@pytest.mark.parametrize("kw", [{}, dict(momentum=None), dict(momentum=0.5)])
def test_batchnorm_running_stats_after_steps(kw):
    g, t = nn.BatchNorm1d(3, **kw), T.BatchNorm1d(3, **kw)
    _steps(g, t, [(8, 3), (5, 3), (9, 3), (4, 3, 2)])
    assert int(g.num_batches_tracked.item()) == 4
    assert g.num_batches_tracked.dtype == gu.int64
    _steps(g, t, [(2, 3), (1, 3)], train=False)  # eval: running stats used and unchanged
    assert int(g.num_batches_tracked.item()) == 4


def test_batchnorm2d_matches_torch():
    g, t = nn.BatchNorm2d(3), T.BatchNorm2d(3)
    check_layer(g, t, randn(2, 3, 4, 4))
    _steps(g, t, [(2, 3, 4, 4), (3, 3, 2, 5)])
    t.eval()
    check_layer(g, t, randn(2, 3, 4, 4, seed=1))
    check_layer(nn.BatchNorm3d(2), T.BatchNorm3d(2), randn(2, 2, 2, 2, 3))


def test_batchnorm_state_dict_keys_and_torch_load():
    g, t = nn.BatchNorm1d(5), T.BatchNorm1d(5)
    assert list(g.state_dict()) == list(t.state_dict()) == [
        "weight", "bias", "running_mean", "running_var", "num_batches_tracked"]
    assert [n for n, _ in g.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert list(nn.BatchNorm1d(5, affine=False, track_running_stats=False).state_dict()) == []
    t.load_state_dict({k: torch.from_numpy(v) for k, v in g.state_dict().items()})


def test_batchnorm_reset_and_double():
    g = nn.BatchNorm1d(2)
    g(gu.randn(4, 2) + 3)
    g.reset_running_stats()
    assert not g.running_mean.numpy().any() and int(g.num_batches_tracked.item()) == 0
    g.double()
    assert g.running_var.dtype == gu.float64 and g.num_batches_tracked.dtype == gu.int64
    assert g(gu.randn(4, 2, dtype=gu.float64)).dtype == gu.float64


def test_batchnorm_errors():
    with pytest.raises(ValueError, match=r"BatchNorm1d\(4.*expected 2-D \(N, C\) or 3-D"):
        nn.BatchNorm1d(4)(gu.randn(2, 4, 3, 3))
    with pytest.raises(ValueError, match=r"expected 4 channels.*\(2, 5\)"):
        nn.BatchNorm1d(4)(gu.randn(2, 5))
    with pytest.raises(ValueError, match="4-D"):
        nn.BatchNorm2d(4)(gu.randn(2, 4))
    with pytest.raises(ValueError, match="more than 1 value per channel"):
        nn.BatchNorm1d(4)(gu.randn(1, 4))


LN = [((4, 6), 6, {}), ((2, 3, 4), (3, 4), {}), ((2, 3, 4), 4, dict(elementwise_affine=False)),
      ((3, 5), 5, dict(bias=False)), ((3, 5), 5, dict(eps=1e-2))]


@pytest.mark.parametrize("shape,ns,kw", LN)
def test_layernorm_matches_torch(shape, ns, kw):
    g, t = nn.LayerNorm(ns, **kw), T.LayerNorm(ns, **kw)
    with torch.no_grad():
        for p in t.parameters():
            p.uniform_(0.5, 1.5)
    check_layer(g, t, randn(*shape))
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())


def test_layernorm_error():
    msg = r"LayerNorm\(\(4,\).*expected input \(\.\.\., 4\), got \(2, 5\)"
    with pytest.raises(ValueError, match=msg):
        nn.LayerNorm(4)(gu.randn(2, 5))


GN = [((2, 6, 3), 3, 6, {}), ((2, 4, 2, 2), 2, 4, {}), ((3, 4), 2, 4, dict(affine=False)),
      ((2, 6, 2, 2), 1, 6, dict(eps=1e-3)), ((2, 4, 3), 2, 4, dict(bias=False))]


@pytest.mark.parametrize("shape,groups,channels,kw", GN)
def test_groupnorm_matches_torch(shape, groups, channels, kw):
    g, t = nn.GroupNorm(groups, channels, **kw), T.GroupNorm(groups, channels, **kw)
    with torch.no_grad():
        for p in t.parameters():
            p.uniform_(0.5, 1.5)
    check_layer(g, t, randn(*shape))
    assert repr(g) == repr(t)


def test_groupnorm_errors():
    with pytest.raises(ValueError, match="divisible"):
        nn.GroupNorm(4, 6)
    with pytest.raises(ValueError, match=r"GroupNorm\(2, 4.*expected input \(N, 4, \*\)"):
        nn.GroupNorm(2, 4)(gu.randn(2, 6))


# ------------------------------------------------------------ image shapes, instance norm
IN = [(nn.InstanceNorm1d, T.InstanceNorm1d, (2, 3, 5), {}),
      (nn.InstanceNorm1d, T.InstanceNorm1d, (3, 6), dict(affine=True)),
      (nn.InstanceNorm2d, T.InstanceNorm2d, (2, 3, 4, 5), {}),
      (nn.InstanceNorm2d, T.InstanceNorm2d, (2, 3, 4, 4), dict(affine=True, eps=1e-3)),
      (nn.InstanceNorm2d, T.InstanceNorm2d, (3, 4, 4), dict(affine=True, bias=False)),
      (nn.InstanceNorm2d, T.InstanceNorm2d, (2, 3, 4, 4),
       dict(affine=True, track_running_stats=True, momentum=0.3))]


@pytest.mark.parametrize("gcls, tcls, shape, kw", IN)
@pytest.mark.parametrize("train", [True, False])
def test_instancenorm_matches_torch(gcls, tcls, shape, kw, train):
    g, t = gcls(3, **kw), tcls(3, **kw)
    with torch.no_grad():
        for p in t.parameters():
            p.uniform_(0.5, 1.5)
        if t.track_running_stats:
            t.running_mean.uniform_(-1, 1)
            t.running_var.uniform_(0.5, 2)
    t.train(train)
    check_layer(g, t, randn(*shape) * 2 + 1)
    assert repr(g) == repr(t)
    assert list(g.state_dict()) == list(t.state_dict())


def test_instancenorm_running_stats_after_steps():
    kw = dict(affine=True, track_running_stats=True)
    g, t = nn.InstanceNorm2d(3, **kw), T.InstanceNorm2d(3, **kw)
    _steps(g, t, [(4, 3, 5, 5), (2, 3, 3, 4)])
    _steps(g, t, [(2, 3, 4, 4)], train=False)


def test_instancenorm_errors():
    with pytest.raises(ValueError, match=r"InstanceNorm2d\(3.*expected 3-D \(C, H, W\) or "
                                         r"4-D .*\(2, 3\)"):
        nn.InstanceNorm2d(3)(gu.randn(2, 3))
    with pytest.raises(ValueError, match=r"expected 3 channels in dimension 1.*\(2, 4, 5, 5\)"):
        nn.InstanceNorm2d(3, affine=True)(gu.randn(2, 4, 5, 5))
    with pytest.warns(UserWarning, match="num_features is unused"):
        nn.InstanceNorm2d(3)(gu.randn(2, 4, 5, 5))


@pytest.mark.parametrize("train", [True, False])
def test_norms_on_image_shapes(train):
    """BatchNorm2d, GroupNorm, LayerNorm over (C, H, W) and InstanceNorm2d on (N, C, H, W)
    images, including a batch-innermost view as a convolution may return."""
    x = randn(4, 6, 5, 7) * 3 + 2
    pairs = [(nn.BatchNorm2d(6), T.BatchNorm2d(6)), (nn.GroupNorm(3, 6), T.GroupNorm(3, 6)),
             (nn.GroupNorm(6, 6), T.GroupNorm(6, 6)), (nn.LayerNorm((6, 5, 7)),
                                                       T.LayerNorm((6, 5, 7))),
             (nn.LayerNorm(7), T.LayerNorm(7)),
             (nn.InstanceNorm2d(6, affine=True), T.InstanceNorm2d(6, affine=True))]
    for g, t in pairs:
        with torch.no_grad():
            for p in t.parameters():
                p.uniform_(0.5, 1.5)
        t.train(train)
        check_layer(g, t, x)
        g.train(train)
        chwn = np.ascontiguousarray(x.transpose(1, 2, 3, 0))
        y = g(gu.tensor(chwn, dtype=gu.float64).permute(3, 0, 1, 2))  # check_layer left float64
        np.testing.assert_allclose(y.numpy(), t(torch.tensor(x)).detach().numpy(), rtol=1e-10,
                                   atol=1e-10)
