"""SyncBatchNorm: BatchNorm in one process; on 2 ranks under mpiexec equal to BatchNorm on
the whole batch (tests/distributed/ranks/sync_batch_norm.py)."""

import numpy as np
import pytest

import groundup as gu
from tests.distributed.support import alone_in_a_group, needs_mpi, run_ranks


@pytest.fixture
def group(monkeypatch):
    yield from alone_in_a_group(monkeypatch)


@pytest.mark.parametrize("grouped", [False, True])
def test_in_one_process_it_is_batch_norm(request, grouped):
    if grouped:
        request.getfixturevalue("group")
    x = gu.randn(6, 4, 3, 3)
    sync, ref = gu.nn.SyncBatchNorm(4, momentum=None), gu.nn.BatchNorm2d(4, momentum=None)
    for _ in range(2):
        xs, xr = x.detach().requires_grad_(), x.detach().requires_grad_()
        ys, yr = sync(xs), ref(xr)
        ys.sum().backward()
        yr.sum().backward()
        assert np.array_equal(ys.numpy(), yr.numpy())
        assert np.array_equal(xs.grad.numpy(), xr.grad.numpy())
    for a, b in zip(sync.state_dict().values(), ref.state_dict().values()):
        assert np.array_equal(a, b)
    sync.eval()
    ref.eval()
    assert np.array_equal(sync(x).numpy(), ref(x).numpy())


def test_convert_shares_parameters_and_buffers_and_skips_instance_norm():
    bn = gu.nn.BatchNorm2d(3).double()
    model = gu.nn.Sequential(gu.nn.Conv2d(1, 3, 3), bn, gu.nn.InstanceNorm2d(3),
                             gu.nn.Sequential(gu.nn.BatchNorm1d(5, affine=False)))
    bn.eval()
    keys = list(model.state_dict())
    out = gu.nn.SyncBatchNorm.convert_sync_batchnorm(model)
    assert out is model
    assert type(model[1]) is gu.nn.SyncBatchNorm and type(model[2]) is gu.nn.InstanceNorm2d
    assert type(model[3][0]) is gu.nn.SyncBatchNorm and model[3][0].weight is None
    assert model[1].weight is bn.weight and model[1].running_var is bn.running_var
    assert model[1].weight.dtype == gu.float64 and not model[1].training
    assert list(model.state_dict()) == keys
    alone = gu.nn.SyncBatchNorm.convert_sync_batchnorm(gu.nn.BatchNorm1d(2))
    assert type(alone) is gu.nn.SyncBatchNorm


def test_bad_input_is_named():
    with pytest.raises(ValueError, match=r"SyncBatchNorm\(4.*expected 4 channels"):
        gu.nn.SyncBatchNorm(4)(gu.randn(2, 3))
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        gu.nn.SyncBatchNorm(4)(gu.randn(4))


@needs_mpi
def test_two_ranks_with_half_batches_equal_batch_norm_on_the_whole_batch():
    out = run_ranks("sync_batch_norm.py").stdout
    for what in ("layer 2-D", "layer 3-D", "layer 4-D", "ddp cnn"):
        assert f"equal {what}" in out, out
