"""gu.cuda, gu.mps, gu.accelerator: PyTorch's device queries, answered truthfully."""

import pytest

import groundup as gu
from groundup import backend
from tests.helpers import require_torch

NO_GPU = backend._get_cupy() is None


@pytest.mark.skipif(not NO_GPU, reason="a GPU is usable here")
def test_cuda_answers_as_pytorch_does_without_a_gpu():
    torch = require_torch()
    if torch.cuda.is_available():
        pytest.skip("the oracle sees a GPU")
    assert gu.cuda.is_available() is torch.cuda.is_available() is False
    assert gu.cuda.device_count() == torch.cuda.device_count() == 0
    assert gu.cuda.is_initialized() is False
    assert gu.cuda.memory_allocated() == 0
    for fn in (gu.cuda.current_device, gu.cuda.get_device_name, lambda: gu.cuda.set_device(0)):
        with pytest.raises(RuntimeError, match="no GPU is available"):
            fn()


def test_cuda_seeding_and_housekeeping_are_harmless():
    gu.manual_seed(3)
    expected = gu.rand(4).numpy()
    gu.manual_seed(3)
    gu.cuda.manual_seed(0)
    gu.cuda.manual_seed_all(1)
    gu.cuda.seed()
    gu.cuda.seed_all()
    gu.cuda.empty_cache()
    gu.cuda.synchronize()
    assert (gu.rand(4).numpy() == expected).all()  # the CPU generator is untouched
    with pytest.raises(TypeError, match="seed must be an int"):
        gu.cuda.manual_seed("0")


def test_the_usual_device_choice_picks_the_cpu_here():
    device = gu.device("cuda" if gu.cuda.is_available() else "cpu")
    x = gu.randn(2, 3).to(device)
    assert x.device == device
    if NO_GPU:
        assert device == gu.device("cpu")


def test_mps_answers_as_pytorch_does_without_one():
    torch = require_torch()
    assert gu.mps.is_available() is False
    assert gu.mps.device_count() == torch.mps.device_count() == 0
    gu.mps.manual_seed(0)
    gu.mps.seed()
    gu.mps.synchronize()
    gu.mps.empty_cache()


@pytest.mark.skipif(not NO_GPU, reason="a GPU is usable here")
def test_accelerator_answers_as_pytorch_does_without_one():
    torch = require_torch()
    if torch.accelerator.is_available():
        pytest.skip("the oracle sees an accelerator")
    assert gu.accelerator.is_available() is torch.accelerator.is_available() is False
    assert gu.accelerator.current_accelerator() is torch.accelerator.current_accelerator() is None
    assert gu.accelerator.device_count() == torch.accelerator.device_count() == 0
    gu.accelerator.synchronize()
    with pytest.raises(RuntimeError, match="no accelerator"):
        gu.accelerator.current_device_index()
    device = gu.accelerator.current_accelerator() or gu.device("cpu")
    assert device == gu.device("cpu")
