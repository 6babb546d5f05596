"""gu.device: PyTorch's device objects (type, index, str, repr, equality, hashing)."""


import numpy as np
import pytest

import groundup as gu
from tests.helpers import require_torch

SPECS = [("cpu",), ("cpu", 0), ("cuda",), ("cuda", 0), ("cuda", 1), ("cuda:0",), ("cuda:3",),
         ("mps",), ("meta",), ("cpu:1",)]


@pytest.mark.parametrize("spec", SPECS)
def test_device_reads_like_pytorchs(spec):
    torch = require_torch()
    d, t = gu.device(*spec), torch.device(*spec)
    assert (d.type, d.index) == (t.type, t.index)
    assert str(d) == str(t)
    assert repr(d) == repr(t)
    assert gu.device(str(d)) == d and gu.device(d) == d


def test_device_equality_and_hash_follow_pytorch():
    torch = require_torch()
    pairs = [("cpu", "cpu"), ("cuda", "cuda:0"), ("cuda:0", "cuda:0"), ("cuda:0", "cuda:1"),
             ("cpu", "cpu:0"), ("cpu", "cuda")]
    for a, b in pairs:
        assert (gu.device(a) == gu.device(b)) == (torch.device(a) == torch.device(b)), (a, b)
        assert (gu.device(a) != gu.device(b)) == (torch.device(a) != torch.device(b)), (a, b)
    # a device never equals a string, in either order (as in PyTorch)
    for s in ("cpu", "cuda:0"):
        assert (gu.device(s) == s) == (torch.device(s) == s) is False
        assert (s == gu.device(s)) == (s == torch.device(s)) is False
    assert gu.device("cpu") != 0 and gu.device("cpu") is not None
    assert len({gu.device("cpu"), gu.device("cpu"), gu.device("cuda", 0), gu.device("cuda:0")}) == 2
    assert {gu.device("cuda:1"): 1}[gu.device("cuda", 1)] == 1


def test_device_is_immutable():
    d = gu.device("cpu")
    with pytest.raises(AttributeError):
        d.index = 1
    with pytest.raises(AttributeError):
        d.type = "cuda"


@pytest.mark.parametrize("args,error,message", [
    (("tpu",), ValueError, "unknown device type 'tpu'"),
    (("CPU",), ValueError, "invalid device string 'CPU'"),
    (("cuda:x",), ValueError, "invalid device string 'cuda:x'"),
    (("cuda:-1",), ValueError, "invalid device string"),
    (("cuda:01",), ValueError, "invalid device string"),
    (("cpu:0:1",), ValueError, "invalid device string"),
    ((" cpu",), ValueError, "invalid device string"),
    (("cuda", -1), ValueError, "must not be negative"),
    (("cuda:0", 1), ValueError, "must not include an index"),
    (("cpu", "x"), TypeError, "index must be an int, got str"),
    (("cuda", True), TypeError, "index must be an int, got bool"),
    ((None,), TypeError, "got NoneType"),
    ((0,), RuntimeError, "no(ne| accelerator)"),
])
def test_bad_devices_are_refused_as_pytorch_refuses_them(args, error, message):
    torch = require_torch()
    with pytest.raises(error, match=message):
        gu.device(*args)
    with pytest.raises((RuntimeError, TypeError)):
        torch.device(*args)


def test_keyword_arguments():
    assert gu.device(type="cuda", index=1) == gu.device("cuda:1")


def test_tensor_device_is_a_device_object():
    x = gu.tensor([1.0, 2.0])
    assert isinstance(x.device, gu.device)
    assert x.device == gu.device("cpu") and x.device.type == "cpu" and x.device.index is None
    assert str(x.device) == "cpu"
    assert x.is_cuda is False
    assert "device" not in repr(x)


@pytest.mark.parametrize("where", ["cpu", gu.device("cpu"), "cpu:0", gu.device("cpu", 0)])
def test_tensor_to_accepts_device_objects_and_strings(where):
    x = gu.tensor([1.0, 2.0], requires_grad=True)
    assert x.to(where) is x
    assert x.cpu() is x
    y = x.to(where, gu.float64)
    assert y.dtype is gu.float64 and y.device == gu.device("cpu")
    y.sum().backward()
    assert x.grad.dtype is gu.float32


def test_tensor_to_another_tensor_and_copy():
    x = gu.tensor([1.0, 2.0])
    other = gu.zeros(1, dtype=gu.double)
    y = x.to(other)
    assert y.dtype is gu.float64 and y.device == other.device
    z = x.to("cpu", copy=True)
    assert z is not x and np.shares_memory(z.numpy(), x.numpy()) is False
    assert x.to("cpu", non_blocking=True) is x


@pytest.mark.parametrize("where", ["cuda", "cuda:0", gu.device("cuda"), "mps"])
def test_moving_to_an_absent_device_raises_clearly(where):
    if gu.cuda.is_available() and str(where).startswith("cuda"):
        pytest.skip("a GPU is available here")
    x = gu.tensor([1.0])
    with pytest.raises(RuntimeError, match="is not available"):
        x.to(where)
    with pytest.raises(RuntimeError, match="is not available"):
        gu.tensor([1.0], device=where)
    with pytest.raises(RuntimeError, match="is not available"):
        gu.zeros(2, device=where)
    with pytest.raises(RuntimeError, match="is not available"):
        gu.nn.Linear(2, 2).to(where)
    if str(where).startswith("cuda"):
        with pytest.raises(RuntimeError, match="is not available"):
            x.cuda()
        with pytest.raises(RuntimeError, match="'cuda:1' is not available"):
            x.cuda(1)


@pytest.mark.parametrize("make", [
    lambda d: gu.tensor([1, 2], device=d),
    lambda d: gu.as_tensor(np.ones(2), device=d),
    lambda d: gu.zeros(2, 3, device=d),
    lambda d: gu.ones(2, device=d),
    lambda d: gu.empty(2, device=d),
    lambda d: gu.full((2,), 1.5, device=d),
    lambda d: gu.arange(3, device=d),
    lambda d: gu.linspace(0, 1, 3, device=d),
    lambda d: gu.eye(2, device=d),
    lambda d: gu.rand(2, device=d),
    lambda d: gu.randn(2, device=d),
    lambda d: gu.randint(0, 5, (2,), device=d),
])
def test_creation_functions_accept_device_objects(make):
    for d in ("cpu", gu.device("cpu"), gu.device("cpu:0")):
        assert make(d).device == gu.device("cpu")


def test_module_to_accepts_device_objects_dtypes_and_tensors():
    m = gu.nn.Linear(2, 3)
    assert m.to(gu.device("cpu")) is m and m.weight.device == gu.device("cpu")
    assert m.to("cpu", gu.double) is m and m.weight.dtype is gu.float64
    m.to(gu.zeros(1))  # a tensor: its device and dtype
    assert m.weight.dtype is gu.float32
    m.to("float64")
    assert m.weight.dtype is gu.float64
    m.to(device=gu.device("cpu"), dtype=gu.float, non_blocking=True)
    assert m.weight.dtype is gu.float32
    assert m.cpu() is m
    with pytest.raises(TypeError, match="floating-point"):
        m.to(gu.long)
