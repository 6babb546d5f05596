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
    assert t.dtype is gu.float32 and t.device == "cpu"
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
        assert t.grad.device == "cpu"
    with pytest.raises(ValueError, match="unknown device"):
        t.to("tpu")


def test_to_dtype_and_device_together():
    t = gu.tensor([1.0, 2.0])
    u = t.to("cpu", dtype="float64")
    assert u.dtype is gu.float64 and u.device == "cpu"
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
