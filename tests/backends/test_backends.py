"""gu.backends.cudnn / cuda / mps: PyTorch's flags and queries, with PyTorch's defaults."""

import groundup as gu
from tests.helpers import require_torch


def test_cudnn_flags_have_pytorchs_defaults_and_can_be_set():
    torch = require_torch()
    cudnn = gu.backends.cudnn
    for flag in ("enabled", "benchmark", "deterministic", "allow_tf32"):
        assert getattr(cudnn, flag) == getattr(torch.backends.cudnn, flag), flag
    assert cudnn.is_available() is False
    assert cudnn.version() is None
    old = cudnn.benchmark, cudnn.deterministic
    try:
        cudnn.benchmark, cudnn.deterministic = True, True
        assert gu.backends.cudnn.benchmark is True and gu.backends.cudnn.deterministic is True
    finally:
        cudnn.benchmark, cudnn.deterministic = old


def test_cuda_matmul_flags():
    torch = require_torch()
    assert (gu.backends.cuda.matmul.allow_tf32
            == torch.backends.cuda.matmul.allow_tf32)
    gu.backends.cuda.matmul.allow_tf32 = gu.backends.cuda.matmul.allow_tf32  # settable
    assert gu.backends.cuda.is_built() is False


def test_mps_is_neither_available_nor_built():
    torch = require_torch()
    assert gu.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert gu.backends.mps.is_built() is False
