"""Creation functions: shapes, dtypes, requires_grad, seeding, against PyTorch's."""

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu

torch = require_torch()


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_filled_shapes_and_dtypes(name):
    f = getattr(gu, name)
    for args in [(2, 3), ((2, 3),), ([2, 3],)]:
        t = f(*args)
        assert t.shape == (2, 3) and t.dtype is gu.float32 and not t.requires_grad
    assert f(0, 4).shape == (0, 4)
    assert f(3, dtype="float64").dtype is gu.float64
    assert f(3, dtype=gu.int64).dtype is gu.int64
    assert f(3, requires_grad=True).requires_grad
    assert f(3, device="cpu").device.type == "cpu"
    assert f(gu.tensor(2), 3).shape == (2, 3)  # integer tensors work as sizes
    if name != "empty":
        np.testing.assert_array_equal(f(2, 3).numpy(), getattr(torch, name)(2, 3).numpy())


def test_size_errors():
    with pytest.raises(ValueError, match="zeros: sizes must be non-negative"):
        gu.zeros(2, -1)
    with pytest.raises(TypeError, match="ones: sizes must be integers"):
        gu.ones(2.5)
    with pytest.raises(RuntimeError, match="floating"):
        gu.zeros(2, dtype="int64", requires_grad=True)


def test_full():
    assert gu.full((2, 2), 1.5).dtype is gu.float32
    assert gu.full((2,), 3).dtype is gu.int64  # as torch.full
    assert gu.full((2,), True).dtype is gu.bool
    assert gu.full(3, 2.0).shape == (3,)
    assert gu.full((2,), 3, dtype="float64").dtype is gu.float64
    np.testing.assert_array_equal(gu.full((2, 3), 7.0).numpy(), torch.full((2, 3), 7.0).numpy())


@pytest.mark.parametrize("args", [(5,), (2, 7), (1, 10, 3), (0.0, 1.0, 0.25), (5.0,), (0,)])
def test_arange_matches_torch(args):
    got = gu.arange(*args)
    want = torch.arange(*args).numpy()
    assert got.numpy().dtype == want.dtype
    np.testing.assert_allclose(got.numpy(), want)
    assert gu.arange(np.int64(4)).dtype is gu.int64
    assert gu.arange(4, dtype="float32").dtype is gu.float32


def test_linspace_and_eye_match_torch():
    np.testing.assert_allclose(gu.linspace(-1, 1, 5).numpy(), torch.linspace(-1, 1, 5).numpy())
    assert gu.linspace(0, 1, 3).dtype is gu.float32
    np.testing.assert_array_equal(gu.eye(3).numpy(), torch.eye(3).numpy())
    np.testing.assert_array_equal(gu.eye(2, 4).numpy(), torch.eye(2, 4).numpy())
    assert gu.eye(2, dtype="float64").dtype is gu.float64


def test_random_creation_dtypes_ranges_and_seeding():
    gu.manual_seed(0)
    a, b, c = gu.rand(3, 4), gu.randn(3, 4), gu.randint(0, 10, (50,))
    gu.manual_seed(0)
    a2, b2, c2 = gu.rand(3, 4), gu.randn(3, 4), gu.randint(0, 10, (50,))
    for x, y in ((a, a2), (b, b2), (c, c2)):
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    assert a.dtype is gu.float32 and b.dtype is gu.float32 and c.dtype is gu.int64
    assert a.numpy().min() >= 0 and a.numpy().max() < 1
    assert c.numpy().min() >= 0 and c.numpy().max() < 10
    assert gu.randn(2, 2, dtype="float64").dtype is gu.float64
    assert gu.rand(2, requires_grad=True).requires_grad
    assert gu.randint(5, (3,)).shape == (3,)  # randint(high, size) as in PyTorch
    assert gu.randint(5, size=(2, 2)).numpy().max() < 5
    assert gu.randint(0, 3, (4,), dtype="int32").dtype is gu.int32
    with pytest.raises(ValueError, match="randint"):
        gu.randint(5, 5, (2,))


def test_rng_state_round_trip():
    gu.manual_seed(123)
    state = gu.get_rng_state()
    x = gu.randn(5).numpy()
    gu.randn(7)
    gu.set_rng_state(state)
    np.testing.assert_array_equal(gu.randn(5).numpy(), x)
    import json

    json.dumps(state)  # the state is plain data (checkpoints store it as JSON)


def test_like_functions():
    t = gu.tensor(np.ones((2, 3)), dtype="float64")
    for name in ("zeros_like", "ones_like", "empty_like", "rand_like", "randn_like"):
        u = getattr(gu, name)(t)
        assert u.shape == (2, 3) and u.dtype is gu.float64 and not u.requires_grad
    assert gu.zeros_like(t, dtype="float32").dtype is gu.float32
    assert gu.ones_like(t, requires_grad=True).requires_grad
    f = gu.full_like(t, 4.0)
    assert f.dtype is gu.float64
    np.testing.assert_array_equal(f.numpy(), np.full((2, 3), 4.0))
    np.testing.assert_array_equal(gu.zeros_like(gu.tensor([1, 2])).numpy(), [0, 0])
    with pytest.raises(TypeError, match="expected a Tensor"):
        gu.zeros_like(np.ones(2))


def test_tensor_with_device_and_requires_grad():
    t = gu.tensor([1.0, 2.0], requires_grad=True, device="cpu")
    assert t.requires_grad and t.is_leaf and t.device.type == "cpu"
    assert gu.as_tensor([1.0], dtype="float64").dtype is gu.float64
    with pytest.raises(TypeError, match="np.ndarray"):
        gu.from_numpy([1.0])


# ------------------------------------------------------------- sampling
def test_randperm():
    gu.manual_seed(3)
    p = gu.randperm(10)
    assert p.dtype is gu.int64 and p.dtype == torch.randperm(10).numpy().dtype
    assert sorted(p.tolist()) == list(range(10))
    gu.manual_seed(3)
    np.testing.assert_array_equal(gu.randperm(10).numpy(), p.numpy())
    g1, g2 = gu.Generator().manual_seed(5), gu.Generator().manual_seed(5)
    np.testing.assert_array_equal(gu.randperm(8, generator=g1).numpy(),
                                  gu.randperm(8, generator=g2).numpy())
    assert gu.randperm(4, dtype=gu.int32).dtype is gu.int32
    assert gu.randperm(0).shape == (0,)
    with pytest.raises(ValueError, match="randperm: n must be non-negative"):
        gu.randperm(-1)
    with pytest.raises(TypeError, match="randperm: generator must be a groundup.Generator"):
        gu.randperm(3, generator=1)


def test_multinomial_with_replacement_distribution():
    p = np.array([0.1, 0.0, 0.6, 0.3])
    gu.manual_seed(0)
    s = gu.multinomial(gu.tensor(p * 5), 40000, replacement=True)  # unnormalised weights
    assert s.shape == (40000,) and s.dtype is gu.int64
    freq = np.bincount(s.numpy(), minlength=4) / 40000
    np.testing.assert_allclose(freq, p, atol=0.01)
    assert freq[1] == 0
    rows = gu.multinomial(gu.tensor([[0.0, 1.0], [1.0, 0.0]]), 5, True)
    np.testing.assert_array_equal(rows.numpy(), [[1] * 5, [0] * 5])


def test_multinomial_without_replacement_distribution():
    # the second draw without replacement: P(j) = sum over i != j of p_i p_j / (1 - p_i)
    p = np.array([0.1, 0.0, 0.6, 0.3])
    want = [sum(p[i] * p[j] / (1 - p[i]) for i in range(4) if i != j) for j in range(4)]
    gu.manual_seed(1)
    s = gu.multinomial(gu.tensor(np.tile(p, (20000, 1))), 2).numpy()
    assert s.shape == (20000, 2) and (s[:, 0] != s[:, 1]).all()
    np.testing.assert_allclose(np.bincount(s[:, 0], minlength=4) / 20000, p, atol=0.015)
    np.testing.assert_allclose(np.bincount(s[:, 1], minlength=4) / 20000, want, atol=0.015)
    full = gu.multinomial(gu.tensor([1.0, 2.0, 3.0]), 3)
    assert sorted(full.tolist()) == [0, 1, 2]
    g = gu.Generator().manual_seed(2)
    a = gu.multinomial(gu.tensor(p), 3, generator=g)
    b = gu.multinomial(gu.tensor(p), 3, generator=gu.Generator().manual_seed(2))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert 1 not in a.tolist()


def test_multinomial_errors():
    with pytest.raises(ValueError, match="multinomial: cannot draw 3 samples without "
                                         "replacement from 2 categories of nonzero weight"):
        gu.multinomial(gu.tensor([1.0, 0.0, 1.0]), 3)
    with pytest.raises(ValueError, match="multinomial: weights must be finite and non-negative"):
        gu.multinomial(gu.tensor([1.0, -1.0]), 1)
    with pytest.raises(ValueError, match="a row of input sums to 0"):
        gu.multinomial(gu.tensor([[1.0, 1.0], [0.0, 0.0]]), 1)
    with pytest.raises(ValueError, match="multinomial: input must be a 1-D or 2-D"):
        gu.multinomial(gu.ones(2, 2, 2), 1)
    with pytest.raises(ValueError, match="num_samples must be positive"):
        gu.multinomial(gu.ones(2), 0)


def test_normal_and_bernoulli():
    gu.manual_seed(0)
    x = gu.normal(2.0, 3.0, (20000,))
    assert x.dtype is gu.float32 and x.shape == (20000,)
    assert abs(x.numpy().mean() - 2.0) < 0.1 and abs(x.numpy().std() - 3.0) < 0.1
    m = gu.tensor([[0.0], [10.0]], dtype=gu.float64)
    y = gu.normal(m, gu.full((1, 3), 0.5))
    assert y.shape == (2, 3) and y.dtype is gu.float64
    assert y.shape == torch.normal(torch.zeros(2, 1), torch.ones(1, 3)).shape
    assert abs(y.numpy()[1].mean() - 10.0) < 2.0
    assert gu.normal(gu.zeros(4)).shape == (4,)
    z1 = gu.normal(0.0, 1.0, (3,), generator=gu.Generator().manual_seed(1))
    z2 = gu.normal(0.0, 1.0, (3,), generator=gu.Generator().manual_seed(1))
    np.testing.assert_array_equal(z1.numpy(), z2.numpy())
    with pytest.raises(ValueError, match="normal: with a number mean and std, pass size="):
        gu.normal(0.0, 1.0)
    with pytest.raises(ValueError, match="normal: std must be non-negative"):
        gu.normal(gu.zeros(2), -1.0)
    b = gu.bernoulli(gu.tensor([0.0, 1.0, 0.5] * 1000))
    assert b.dtype is gu.float32 and set(b.tolist()) <= {0.0, 1.0}
    assert b.numpy()[0::3].sum() == 0 and b.numpy()[1::3].sum() == 1000
    with pytest.raises(ValueError, match="bernoulli: probabilities must lie in"):
        gu.bernoulli(gu.tensor([1.5]))
