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
    assert f(3, device="cpu").device == "cpu"
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
    assert t.requires_grad and t.is_leaf and t.device == "cpu"
    assert gu.as_tensor([1.0], dtype="float64").dtype is gu.float64
    with pytest.raises(TypeError, match="np.ndarray"):
        gu.from_numpy([1.0])
