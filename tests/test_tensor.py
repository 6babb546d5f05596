"""Tensor: construction dtype rules, conversions, properties, devices, in-place rules."""

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu
from groundup import backend

torch = require_torch()


# ------------------------------------------------------------- dtype rules
@pytest.mark.parametrize("data,dtype", [
    (np.zeros(3), gu.float32),                    # float64 ndarray -> float32
    (np.zeros(3, np.float32), gu.float32),
    (np.zeros(3, np.float16), gu.float16),
    ([1.0, 2.5], gu.float32),                     # Python floats
    (1.5, gu.float32),
    ([1, 2], gu.int64),                           # Python ints
    (3, gu.int64),
    (np.zeros(3, np.int32), gu.int32),            # integer arrays keep their dtype
    (np.zeros(3, np.uint8), gu.uint8),
    ([True, False], gu.bool),
    (np.array([True]), gu.bool),
    ([[1, 2.0]], gu.float32),
])
def test_default_dtypes(data, dtype):
    t = gu.tensor(data)
    assert t.dtype is dtype
    assert t.numpy().dtype == np.dtype(dtype)


@pytest.mark.parametrize("spec,dtype", [
    ("float64", gu.float64), ("double", gu.float64), (np.float64, gu.float64),
    (np.dtype("float64"), gu.float64), (gu.float64, gu.float64),
    ("float32", gu.float32), ("float", gu.float32), ("half", gu.float16),
    ("int64", gu.int64), ("long", gu.int64), ("int32", gu.int32), ("int", gu.int32),
    ("bool", gu.bool), (np.int8, gu.int8), ("uint8", gu.uint8),
])
def test_dtype_argument(spec, dtype):
    assert gu.tensor(np.ones(2), dtype=spec).dtype is dtype
    assert gu.tensor([1, 0], dtype=spec).dtype is dtype


def test_float64_kept_on_request_and_values_exact():
    a = np.array([0.1, 1e-300])
    t = gu.tensor(a, dtype="float64")
    np.testing.assert_array_equal(t.numpy(), a)
    assert gu.from_numpy(a).dtype is gu.float64


def test_tensor_copies_but_as_tensor_and_from_numpy_share():
    a = np.ones(3, np.float32)
    t = gu.tensor(a)
    a[0] = 5
    assert t.numpy()[0] == 1
    s = gu.as_tensor(a)
    f = gu.from_numpy(a)
    a[1] = 7
    assert s.numpy()[1] == 7 and f.numpy()[1] == 7
    u = gu.tensor(t)
    assert not np.shares_memory(u.numpy(), t.numpy())
    assert gu.as_tensor(t) is t


@pytest.mark.parametrize("bad", ["abc", ["a", "b"], [1, "a"], object(), None, [object()],
                                 1 + 2j, np.array([1 + 1j]), {"a": 1}])
def test_non_numeric_data_is_refused(bad):
    with pytest.raises(TypeError, match="cannot make a tensor"):
        gu.tensor(bad)


def test_ragged_and_bad_dtypes_are_refused():
    with pytest.raises(ValueError, match="cannot make a tensor"):
        gu.tensor([[1, 2], [3]])
    with pytest.raises(TypeError, match="unknown dtype"):
        gu.tensor([1.0], dtype="floaty")
    with pytest.raises(TypeError, match="unsupported tensor dtype"):
        gu.tensor([1.0], dtype=np.complex64)


def test_requires_grad_on_integer_tensor_is_refused():
    with pytest.raises(RuntimeError, match="floating-point.*int64"):
        gu.tensor([1, 2], requires_grad=True)
    with pytest.raises(RuntimeError, match="floating-point"):
        gu.tensor([True], requires_grad=True)
    assert gu.tensor([1, 2], dtype="float32", requires_grad=True).requires_grad


# ------------------------------------------------------- info and conversion
def test_properties_and_conversions():
    t = gu.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3) and t.ndim == 2 and t.dim() == 2
    assert t.size() == (2, 3) and t.size(1) == 3 and t.numel() == 6 and len(t) == 2
    assert t.dtype is gu.float32 and t.device.type == "cpu"
    assert isinstance(t.array, np.ndarray)
    assert isinstance(t.numpy(), np.ndarray) and t.numpy().dtype == np.float32
    assert t.tolist() == [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]
    assert np.asarray(t).shape == (2, 3)
    assert np.asarray(t, dtype=np.float64).dtype == np.float64
    assert t.is_leaf and t.grad is None and t.grad_fn is None and not t.requires_grad


def test_item_and_python_numbers():
    assert gu.tensor(2.5).item() == 2.5 and isinstance(gu.tensor(2.5).item(), float)
    assert gu.tensor([7]).item() == 7 and isinstance(gu.tensor([7]).item(), int)
    assert gu.tensor([[True]]).item() is True
    assert float(gu.tensor([1.5])) == 1.5 and int(gu.tensor(3.0)) == 3
    assert [10, 20, 30][gu.tensor(1)] == 20
    assert bool(gu.tensor([1.0])) and not bool(gu.tensor(0.0))
    with pytest.raises(ValueError, match=r"one-element.*\(2,\)"):
        gu.tensor([1.0, 2.0]).item()
    with pytest.raises(RuntimeError, match="ambiguous"):
        bool(gu.tensor([1.0, 2.0]))
    with pytest.raises(TypeError, match="integer"):
        [1, 2][gu.tensor(1.0)]
    with pytest.raises(TypeError, match="0-d"):
        len(gu.tensor(1.0))


def test_repr_matches_torch_style():
    assert repr(gu.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(gu.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(gu.tensor([1.0], dtype="float64")) == "tensor([1.], dtype=float64)"
    assert repr(gu.tensor([1, 2], dtype="int32")) == "tensor([1, 2], dtype=int32)"
    assert repr(gu.tensor([1.0], requires_grad=True)) == "tensor([1.], requires_grad=True)"
    x = gu.tensor([1.0], requires_grad=True)
    assert repr(x * 2.0) == "tensor([2.], grad_fn=<MulFnBackward>)"
    assert "dtype=int64" in repr(gu.zeros(0, dtype="int64"))


def test_iteration_and_T():
    t = gu.tensor([[1.0, 2.0], [3.0, 4.0]])
    rows = list(t)
    assert len(rows) == 2 and rows[1].tolist() == [3.0, 4.0]
    np.testing.assert_array_equal(t.T.numpy(), t.numpy().T)


def test_hashable_identity():
    a, b = gu.tensor([1.0]), gu.tensor([1.0])
    d = {a: 1, b: 2}
    assert d[a] == 1 and d[b] == 2 and len({a, b}) == 2


def test_contiguous():
    t = gu.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    assert t.contiguous() is t
    nc = gu.tensor(np.arange(6.0).reshape(2, 3).T)  # tensor() copies into contiguous
    assert nc.contiguous() is nc
    view = gu.Tensor._wrap(np.arange(6.0, dtype=np.float32).reshape(2, 3).T)
    c = view.contiguous()
    assert c.array.flags.c_contiguous and c is not view
    np.testing.assert_array_equal(c.numpy(), view.numpy())


# -------------------------------------------------------------------- devices
def test_to_cpu_is_a_no_op_and_cuda_needs_cupy():
    t = gu.tensor([1.0, 2.0], requires_grad=True)
    assert t.to("cpu") is t and t.cpu() is t
    if backend._get_cupy() is None:
        with pytest.raises(RuntimeError, match="cuda.*not available.*CuPy"):
            t.to("cuda")
        with pytest.raises(RuntimeError, match="CuPy"):
            t.cuda()
    else:  # a GPU machine: the move works and is differentiable
        g = t.to("cuda")
        assert g.device == "cuda"
        (g * 2.0).sum().backward()
        assert t.grad.device.type == "cpu"
    with pytest.raises(ValueError, match="unknown device"):
        t.to("tpu")


def test_to_dtype_and_device_together():
    t = gu.tensor([1.0, 2.0])
    u = t.to("cpu", dtype="float64")
    assert u.dtype is gu.float64 and u.device.type == "cpu"
    assert t.to(dtype=gu.float32) is t
    assert t.type(gu.float64).dtype is gu.float64


# ---------------------------------------------------------------- errors
def test_broadcast_incompatible_pair_names_both_shapes():
    with pytest.raises(ValueError, match=r"\(2, 3\) and \(2,\)"):
        gu.ones(2, 3) * gu.ones(2)
    with pytest.raises(ValueError, match=r"sub: .*\(4, 1, 3\) and \(2, 2\)"):
        gu.ones(4, 1, 3) - gu.ones(2, 2)
    with pytest.raises(ValueError, match=r"\(3,\) and \(4,\)"):
        gu.tensor([1.0, 2.0, 3.0], requires_grad=True) + np.ones(4)


# ------------------------------------------------------------------ in-place
def test_in_place_refused_on_tensors_that_require_grad():
    x = gu.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2.0
    for t in (x, y):
        for op in (lambda t: t.zero_(), lambda t: t.fill_(1.0), lambda t: t.add_(1.0),
                   lambda t: t.mul_(2.0), lambda t: t.sub_(1.0), lambda t: t.copy_(np.ones(2))):
            with pytest.raises(RuntimeError, match="in-place.*requires grad.*no_grad"):
                op(t)
        with pytest.raises(RuntimeError, match="__setitem__"):
            t[0] = 3.0


def test_in_place_allowed_under_no_grad_and_on_plain_tensors():
    x = gu.tensor([1.0, 2.0], requires_grad=True)
    with gu.no_grad():
        x.add_(gu.tensor([1.0, 1.0]), alpha=2)
        x.mul_(2.0)
        x[0] = 0.5
    np.testing.assert_allclose(x.numpy(), [0.5, 8.0])
    assert x.requires_grad and x.is_leaf
    t = gu.zeros(3)
    t.fill_(2.0).add_(1.0)
    t[1] = 7.0
    t[gu.tensor([2])] = -1.0
    np.testing.assert_array_equal(t.numpy(), [3.0, 7.0, -1.0])
    t.copy_(gu.ones(3)).zero_()
    np.testing.assert_array_equal(t.numpy(), [0.0, 0.0, 0.0])


def test_gradient_after_no_grad_update_uses_new_values():
    w = gu.tensor([1.0, 2.0], requires_grad=True)
    (w * w).sum().backward()
    with gu.no_grad():
        w.sub_(w.grad * 0.5)
    w.grad = None
    (w * w).sum().backward()
    np.testing.assert_allclose(w.grad.numpy(), [0.0, 0.0])


# ------------------------------------------------------ shape keyword forms, new_*, fills
def test_reshape_and_view_forms():
    t = gu.arange(6.0)
    for y in (t.reshape(2, 3), t.reshape((2, 3)), t.reshape(shape=(2, 3)), t.reshape([2, -1]),
              t.view(2, 3), t.view((2, 3)), t.view(size=(2, 3)), t.view(size=[-1, 3])):
        assert y.shape == (2, 3)
    assert t.reshape(shape=6).shape == (6,)
    other = gu.zeros(3, 2)
    assert t.view_as(other).shape == t.reshape_as(other).shape == (3, 2)
    assert gu.ones(1, 2).expand_as(gu.zeros(3, 2)).shape == (3, 2)
    bits = gu.tensor([1.0], dtype=gu.float32).view(gu.int32)
    assert bits.dtype is gu.int32
    assert bits.item() == torch.tensor([1.0]).view(torch.int32).item()
    assert gu.zeros(2, 4).view("float64").shape == (2, 2)
    with pytest.raises(TypeError, match=r"reshape\(\): unexpected keyword argument 'size'"):
        t.reshape(size=(2, 3))
    with pytest.raises(TypeError, match=r"view\(\): give the shape positionally or as size="):
        t.view(2, size=(3,))
    with pytest.raises(ValueError, match=r"view\(int64\): cannot view a float32 tensor"):
        gu.zeros(3).view(gu.int64)


def test_new_tensors_follow_self():
    t = gu.zeros(2, dtype=gu.float64)
    for y in (t.new_zeros(2, 3), t.new_zeros((2, 3)), t.new_ones([2, 3]), t.new_empty(2, 3),
              t.new_full((2, 3), 7)):
        assert y.shape == (2, 3) and y.dtype is gu.float64 and not y.requires_grad
    np.testing.assert_array_equal(t.new_full((2,), 7).numpy(), [7.0, 7.0])
    np.testing.assert_array_equal(t.new_ones(2).numpy(), [1.0, 1.0])
    assert t.new_zeros(2, dtype=gu.int64).dtype is gu.int64
    assert t.new_zeros(2, requires_grad=True).requires_grad
    assert t.new_zeros(2, device="cpu").device.type == "cpu"
    n = t.new_tensor([1, 2])  # self's dtype even for int data, as in PyTorch
    assert n.dtype is gu.float64 and n.dtype == torch.zeros(1, dtype=torch.float64).new_tensor(
        [1, 2]).numpy().dtype
    src = gu.tensor([1.0, 2.0])
    copy = src.new_tensor(src)
    copy.array[0] = 9.0
    assert src.tolist() == [1.0, 2.0]
    assert gu.tensor([1]).new_tensor([1.5], dtype=gu.float32).dtype is gu.float32
    with pytest.raises(ValueError, match=r"new_zeros\(\): sizes must be non-negative"):
        t.new_zeros(-1)
    with pytest.raises(TypeError, match=r"new_ones\(\): sizes must be integers"):
        t.new_ones(1.5)


def test_random_fills_in_place():
    gu.manual_seed(0)
    t = gu.zeros(20000)
    assert t.normal_(1.0, 2.0) is t and t.dtype is gu.float32
    assert abs(t.numpy().mean() - 1.0) < 0.1 and abs(t.numpy().std() - 2.0) < 0.1
    t.uniform_(-2.0, 3.0)
    assert t.numpy().min() >= -2.0 and t.numpy().max() < 3.0
    assert abs(t.numpy().mean() - 0.5) < 0.1
    t.uniform_(**{"from": 5.0, "to": 6.0})
    assert t.numpy().min() >= 5.0
    t.exponential_(4.0)
    assert t.numpy().min() >= 0 and abs(t.numpy().mean() - 0.25) < 0.02
    t.bernoulli_(0.25)
    assert set(np.unique(t.numpy())) <= {0.0, 1.0} and abs(t.numpy().mean() - 0.25) < 0.02
    p = gu.tensor([0.0, 1.0])
    np.testing.assert_array_equal(gu.zeros(3, 2).bernoulli_(p).numpy(), [[0, 1]] * 3)
    a = gu.zeros(5).normal_(generator=gu.Generator().manual_seed(4))
    b = gu.zeros(5).normal_(generator=gu.Generator().manual_seed(4))
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    gu.manual_seed(7)
    c = gu.zeros(5).uniform_()
    gu.manual_seed(7)
    np.testing.assert_array_equal(gu.zeros(5).uniform_().numpy(), c.numpy())
    w = gu.zeros(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="normal_: in-place change of a tensor that requires"):
        w.normal_()
    w.data.normal_(0.0, 0.02)  # the DCGAN initialisation: through .data, not recorded
    assert w.numpy().std() > 0
    with pytest.raises(TypeError, match=r"uniform_\(\): unexpected keyword argument 'low'"):
        t.uniform_(low=0.0)
    with pytest.raises(ValueError, match="exponential_: lambd must be positive"):
        t.exponential_(0.0)
    with pytest.raises(ValueError, match="bernoulli_: p must lie in"):
        t.bernoulli_(2.0)


METHODS = [  # (method call, the same as a gu function call)
    (lambda x: x.tril(-1), lambda x: gu.tril(x, -1)),
    (lambda x: x.triu(diagonal=1), lambda x: gu.triu(x, 1)),
    (lambda x: x.roll(1, 0), lambda x: gu.roll(x, 1, 0)),
    (lambda x: x.sign(), gu.sign),
    (lambda x: x.movedim(0, 1), lambda x: gu.movedim(x, 0, 1)),
    (lambda x: x.narrow(1, 1, 2), lambda x: gu.narrow(x, 1, 1, 2)),
    (lambda x: x.t(), gu.t),
    (lambda x: x.tile(2), lambda x: gu.tile(x, (2,))),
    (lambda x: x.flip(1), lambda x: gu.flip(x, 1)),
    (lambda x: x.repeat(1, 2), lambda x: gu.repeat(x, 1, 2)),
    (lambda x: x.repeat_interleave(2), lambda x: gu.repeat_interleave(x, 2)),
    (lambda x: x.clone(), gu.clone),
    (lambda x: x.gather(1, gu.tensor([[0], [2]])),
     lambda x: gu.gather(x, 1, gu.tensor([[0], [2]]))),
    (lambda x: x.norm(), gu.norm),
    (lambda x: x.cumsum(1), lambda x: gu.cumsum(x, 1)),
    (lambda x: x.cumprod(0), lambda x: gu.cumprod(x, 0)),
    (lambda x: x.sort(1).values, lambda x: gu.sort(x, 1).values),
    (lambda x: x.argsort(), gu.argsort),
    (lambda x: x.topk(2).values, lambda x: gu.topk(x, 2).values),
    (lambda x: x.index_select(1, gu.tensor([2, 0])),
     lambda x: gu.index_select(x, 1, gu.tensor([2, 0]))),
    (lambda x: x.masked_select(x > 0), lambda x: gu.masked_select(x, x > 0)),
    (lambda x: x.scatter(1, gu.tensor([[0], [1]]), 0.0),
     lambda x: gu.scatter(x, 1, gu.tensor([[0], [1]]), 0.0)),
    (lambda x: x.scatter_add(1, gu.tensor([[0], [1]]), x[:, :1]),
     lambda x: gu.scatter_add(x, 1, gu.tensor([[0], [1]]), x[:, :1])),
    (lambda x: x.isnan(), gu.isnan),
    (lambda x: x.isinf(), gu.isinf),
    (lambda x: x.isfinite(), gu.isfinite),
    (lambda x: x.isclose(x), lambda x: gu.isclose(x, x)),
]


@pytest.mark.parametrize("method, function", METHODS)
def test_methods_are_the_functions(method, function):
    x = gu.tensor(np.random.default_rng(0).standard_normal((2, 3)))
    np.testing.assert_array_equal(method(x).numpy(), function(x).numpy())
    assert x.allclose(x) is True and x.equal(x) is True
