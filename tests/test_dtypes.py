"""dtype names (gu.float, gu.long, ...) and the legacy typed constructors (gu.FloatTensor, ...)."""

import numpy as np
import pytest

import groundup as gu
from tests.helpers import require_torch

NAMES = {"float": np.float32, "double": np.float64, "half": np.float16, "long": np.int64,
         "int": np.int32, "short": np.int16, "bool": np.bool_, "float16": np.float16,
         "float32": np.float32, "float64": np.float64, "int8": np.int8, "int16": np.int16,
         "int32": np.int32, "int64": np.int64, "uint8": np.uint8}


@pytest.mark.parametrize("name", sorted(NAMES))
def test_dtype_names_are_numpys_types_and_match_pytorchs(name):
    torch = require_torch()
    dtype = getattr(gu, name)
    assert dtype is NAMES[name]
    # the same width and kind as PyTorch's dtype of that name
    t = torch.zeros(1, dtype=getattr(torch, name))
    assert np.dtype(dtype) == t.numpy().dtype


@pytest.mark.parametrize("name", sorted(NAMES))
def test_every_dtype_argument_accepts_the_names(name):
    dtype = getattr(gu, name)
    assert gu.zeros(2, dtype=dtype).dtype is dtype
    assert gu.tensor([1, 0], dtype=dtype).dtype is dtype
    assert gu.ones(2).to(dtype).dtype is dtype
    assert gu.ones(2).to("cpu", dtype).dtype is dtype
    assert gu.ones(2).to(dtype=dtype).dtype is dtype
    assert gu.full((2,), 1, dtype=dtype).dtype is dtype


def test_short_methods_and_module_casts():
    x = gu.tensor([1.5, 2.5])
    assert x.double().dtype is gu.double and x.long().dtype is gu.long
    assert x.int().dtype is gu.int and x.bool().dtype is gu.bool
    m = gu.nn.Linear(2, 2).to(gu.double)
    assert m.weight.dtype is gu.float64
    assert gu.get_default_dtype() is gu.float32 is gu.float


CONSTRUCTORS = [("FloatTensor", np.float32), ("DoubleTensor", np.float64),
                ("HalfTensor", np.float16), ("LongTensor", np.int64), ("IntTensor", np.int32),
                ("ShortTensor", np.int16), ("CharTensor", np.int8), ("ByteTensor", np.uint8),
                ("BoolTensor", np.bool_)]


@pytest.mark.parametrize("name,dtype", CONSTRUCTORS)
def test_legacy_constructors_match_pytorchs(name, dtype):
    torch = require_torch()
    gu_type, t_type = getattr(gu, name), getattr(torch, name)
    for args in [(2, 3), (4,), (0,)]:  # sizes: uninitialised data of that shape
        x = gu_type(*args)
        assert isinstance(x, gu.Tensor) and x.shape == tuple(t_type(*args).shape)
        assert x.dtype is dtype and not x.requires_grad
    assert gu_type().shape == (0,) == tuple(t_type().shape)
    for data in ([1, 0, 2], [[1, 2], [3, 0]], (2, 3), np.array([1.7, 0.0, 2.0]), []):
        x, t = gu_type(data), t_type(data)
        assert x.dtype is dtype and x.shape == tuple(t.shape)
        np.testing.assert_array_equal(x.numpy(), t.numpy())


@pytest.mark.parametrize("name,dtype", CONSTRUCTORS)
def test_isinstance_checks_the_dtype_as_pytorch_does(name, dtype):
    torch = require_torch()
    x = gu.zeros(2, dtype=dtype)
    assert isinstance(x, getattr(gu, name))
    assert isinstance(torch.zeros(2, dtype=getattr(torch, str(np.dtype(dtype)))),
                      getattr(torch, name))
    others = [n for n, d in CONSTRUCTORS if d is not dtype]
    assert not any(isinstance(x, getattr(gu, n)) for n in others)
    assert not isinstance(x.numpy(), getattr(gu, name))
    assert not issubclass(getattr(gu, name), gu.Tensor)  # nor are PyTorch's
    assert repr(getattr(gu, name)) == f"<class 'groundup.{name}'>"


def test_legacy_constructor_from_a_tensor_shares_or_refuses():
    x = gu.zeros(3)
    y = gu.FloatTensor(x)
    y.array[0] = 5.0
    assert x.numpy()[0] == 5.0  # same data, as PyTorch's
    with pytest.raises(TypeError, match="expected a tensor of dtype float32, got int64"):
        gu.FloatTensor(gu.arange(3))


@pytest.mark.parametrize("args,error,message", [
    ((2.5,), TypeError, "must be a sequence"),
    ((2, [1]), TypeError, "expected sizes"),
    ((2, -1), ValueError, "non-negative"),
])
def test_legacy_constructor_errors(args, error, message):
    with pytest.raises(error, match=message):
        gu.FloatTensor(*args)


def test_legacy_constructors_are_cpu_only():
    assert gu.FloatTensor(2, device="cpu").shape == (2,)
    with pytest.raises(RuntimeError, match="CPU tensors"):
        gu.FloatTensor(2, device="cuda")
