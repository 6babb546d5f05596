"""gu.nn.DataParallel on the CPU: wraps and calls the module, as PyTorch does without GPUs."""

import numpy as np
import pytest

import groundup as gu
from tests.helpers import require_torch


def test_data_parallel_calls_the_module_and_keeps_pytorchs_keys():
    torch = require_torch()
    gu.manual_seed(0)
    inner = gu.nn.Sequential(gu.nn.Linear(4, 3), gu.nn.ReLU(), gu.nn.Linear(3, 2))
    model = gu.nn.DataParallel(inner, device_ids=[0, 1], output_device=0)
    assert model.module is inner
    assert model.device_ids == [] and model.output_device is None and model.dim == 0
    assert gu.nn.parallel.DataParallel is gu.nn.DataParallel

    t_inner = torch.nn.Sequential(torch.nn.Linear(4, 3), torch.nn.ReLU(), torch.nn.Linear(3, 2))
    t_model = torch.nn.DataParallel(t_inner)
    assert list(model.state_dict()) == list(t_model.state_dict())
    t_model.load_state_dict({k: torch.from_numpy(v) for k, v in model.state_dict().items()})

    x = np.random.default_rng(0).standard_normal((5, 4)).astype(np.float32)
    out = model(gu.tensor(x))
    np.testing.assert_allclose(out.numpy(), t_model(torch.from_numpy(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)
    out.sum().backward()
    assert inner[0].weight.grad is not None
    assert [p for p in model.parameters()] == [p for p in inner.parameters()]
    assert repr(model).startswith("DataParallel(\n  (module): Sequential(")


def test_data_parallel_passes_keyword_arguments_and_checks_its_input():
    class Scale(gu.nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor

    model = gu.nn.DataParallel(Scale())
    assert model(gu.ones(2), factor=3.0).numpy().tolist() == [3.0, 3.0]
    with pytest.raises(TypeError, match="DataParallel: module must be a gu.nn.Module"):
        gu.nn.DataParallel(lambda x: x)
