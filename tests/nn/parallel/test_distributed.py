"""DistributedDataParallel: in one process (a group of one), and on 2 ranks under mpiexec
(tests/distributed/ranks/ddp.py: equal to one process on the whole batch)."""

import gc

import numpy as np
import pytest

import groundup as gu
import groundup.distributed as dist
from groundup.autograd import gradients
from groundup.nn.parallel import DistributedDataParallel as DDP
from tests.distributed.support import alone_in_a_group, needs_mpi, run_ranks

F = gu.nn.functional


@pytest.fixture
def group(monkeypatch):
    yield from alone_in_a_group(monkeypatch)


def _mlp(seed=0):
    gu.manual_seed(seed)
    return gu.nn.Sequential(gu.nn.Linear(5, 8), gu.nn.ReLU(), gu.nn.Linear(8, 3))


def _data():
    rng = np.random.default_rng(0)
    return gu.tensor(rng.standard_normal((6, 5))), gu.tensor(rng.integers(0, 3, 6))


def test_needs_a_process_group_and_a_module():
    if dist.is_initialized():
        dist.destroy_process_group()
    with pytest.raises(ValueError, match="call gu.distributed.init_process_group"):
        DDP(_mlp())


def test_wrong_arguments_are_refused(group):
    with pytest.raises(TypeError, match="module must be a gu.nn.Module, got function"):
        DDP(lambda x: x)
    with pytest.raises(ValueError, match="bucket_cap_mb must be a positive number"):
        DDP(_mlp(), bucket_cap_mb=0)


def test_module_and_state_dict_keys_as_pytorch(group):
    model = _mlp()
    ddp = DDP(model)
    assert ddp.module is model
    assert list(ddp.state_dict()) == ["module." + k for k in model.state_dict()]
    bare = _mlp(seed=1)
    bare.load_state_dict({k[len("module."):]: v for k, v in ddp.state_dict().items()})
    assert all(np.array_equal(a, b) for a, b in zip(bare.state_dict().values(),
                                                    model.state_dict().values()))
    assert len(list(ddp.parameters())) == 4
    assert "DistributedDataParallel" in repr(ddp) and "buckets=1" in repr(ddp)


def test_alone_the_gradients_are_the_module_s(group):
    x, y = _data()
    ref = _mlp()
    F.cross_entropy(ref(x), y).backward()
    ddp = DDP(_mlp(), bucket_cap_mb=1e-5)
    F.cross_entropy(ddp(x), y).backward()
    for p, q in zip(ddp.module.parameters(), ref.parameters()):
        assert np.array_equal(p.grad.numpy(), q.grad.numpy())
    opt = gu.optim.SGD(ddp.parameters(), lr=0.1)
    opt.step()  # the optimizer sees ordinary gradients


def test_buckets_in_reverse_order_by_size_and_dtype(group):
    model = gu.nn.Sequential(gu.nn.Linear(100, 100), gu.nn.Linear(100, 10))  # 40 KB, 4 KB
    buckets = DDP(model, bucket_cap_mb=41_000 / 2**20)._reducer.buckets
    params = list(model.parameters())
    assert [b.params for b in buckets] == [params[:1:-1] + [params[1]], [params[0]]]
    model.add_module("head", gu.nn.Linear(10, 2).double())
    buckets = DDP(model)._reducer.buckets
    assert sorted(b.buffer.dtype.name for b in buckets) == ["float32", "float64"]


def test_the_default_bucket_is_at_most_a_quarter_of_the_gradients(group):
    """25 MiB as PyTorch, but a small model still gets several buckets (at least 64 KiB)."""
    model = gu.nn.Sequential(gu.nn.Linear(256, 512), gu.nn.ReLU(), gu.nn.Linear(512, 256),
                             gu.nn.ReLU(), gu.nn.Linear(256, 10))  # 2 x 512 KiB + 10 KiB
    total = sum(p.array.nbytes for p in model.parameters())
    ddp = DDP(model)  # [b3, W3, b2] [W2] [b1] [W1]: a bucket closes before it would overflow
    assert ddp.bucket_bytes_cap == total // 4 and len(ddp._reducer.buckets) == 4
    assert len(DDP(model, bucket_cap_mb=25)._reducer.buckets) == 1  # as asked
    assert DDP(_mlp()).bucket_bytes_cap == 64 * 1024  # a tiny model: one bucket of 64 KiB
    assert len(DDP(_mlp())._reducer.buckets) == 1
    with pytest.raises(ValueError, match="bucket_cap_mb must be a positive number"):
        DDP(model, bucket_cap_mb=True)


def test_each_bucket_starts_during_backward(group):
    ddp = DDP(_mlp(), bucket_cap_mb=1e-5)  # one parameter per bucket
    ddp._reducer.log = events = []
    x, y = _data()
    x.requires_grad_()
    h = x * 1.0
    h.register_hook(lambda g: events.append(("input",)))
    F.cross_entropy(ddp(h), y).backward()
    assert events == [("start", 0), ("start", 1), ("start", 2), ("start", 3), ("input",),
                      ("done",)]


def test_no_sync_accumulates_and_the_next_backward_keeps_the_sum(group):
    x, y = _data()
    ref = _mlp()
    F.cross_entropy(ref(x), y).backward()
    F.cross_entropy(ref(x * 2.0), y).backward()
    ddp = DDP(_mlp())
    ddp._reducer.log = events = []
    with ddp.no_sync():
        F.cross_entropy(ddp(x), y).backward()
    assert events == []
    F.cross_entropy(ddp(x * 2.0), y).backward()
    assert events[-1] == ("done",)
    for p, q in zip(ddp.module.parameters(), ref.parameters()):
        assert np.allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-7)


def test_a_parameter_without_gradient_gets_zeros(group):
    model = gu.nn.ModuleDict({"used": gu.nn.Linear(3, 2), "unused": gu.nn.Linear(3, 2)})
    ddp = DDP(model, bucket_cap_mb=1e-5)
    ddp.module["used"](gu.ones(2, 3)).sum().backward()
    assert np.all(model["unused"].weight.grad.numpy() == 0)
    assert model["used"].weight.grad.numpy().tolist() == [[2.0] * 3] * 2


def test_attached_keeps_the_module_unwrapped_and_unhooks_after(group):
    gc.collect()  # wrappers dropped by earlier tests unhook when collected
    model = _mlp()
    before = len(gradients._post_accumulate)
    with DDP.attached(model) as ddp:
        assert ddp.module is model and "0.weight" in model.state_dict()
        assert len(gradients._post_accumulate) == before + 4
        assert model._forward_pre_hooks  # the buffer broadcast runs before each forward
    assert len(gradients._post_accumulate) == before
    assert not model.__dict__.get("_forward_pre_hooks")


def test_a_dropped_wrapper_unhooks_its_module(group):
    """As in PyTorch: once the DistributedDataParallel is gone, the module's backward no
    longer reduces for it (a second wrapper of the same module does not reduce twice)."""
    gc.collect()  # wrappers dropped by earlier tests
    model = _mlp()
    before = len(gradients._post_accumulate)
    ddp = DDP(model)
    ddp = DDP(model)  # the first one is dropped here
    gc.collect()
    assert sum(len(gradients._post_hooks_of(p)) for p in model.parameters()) == 4
    x, y = _data()
    F.cross_entropy(ddp(x), y).backward()
    del ddp
    gc.collect()
    assert len(gradients._post_accumulate) == before
    assert all(not gradients._post_hooks_of(p) for p in model.parameters())


def test_buffers_are_left_alone_without_grad(group):
    model = gu.nn.Sequential(gu.nn.Linear(3, 4), gu.nn.BatchNorm1d(4))
    ddp = DDP(model)
    with gu.no_grad():
        ddp(gu.randn(5, 3))
    assert int(model[1].num_batches_tracked.item()) == 1


@needs_mpi
def test_two_ranks_equal_one_process_on_the_whole_batch():
    out = run_ranks("ddp.py").stdout
    for kind in ("mlp", "cnn", "bn"):
        for opt in ("sgd", "adam"):
            assert f"equal {kind} {opt}" in out, out
    assert "buckets 4 == 1" in out and "no_sync accumulates" in out
    assert "overlap start0 start1 start2 start3 input done" in out
    assert "blocks mlp" in out and "blocks cnn" in out


def test_after_the_first_pass_a_large_weight_is_sent_in_blocks_of_rows(group):
    x, y = _data()
    ref = _mlp()
    ddp = DDP(_mlp())
    ddp._reducer.block_bytes = 60  # Linear(5, 8).weight: 160 bytes, 3 rows of 20 a block
    for model in (ref, ddp):
        for _ in range(2):
            model.zero_grad()
            F.cross_entropy(model(x), y).backward()
    # in the order the gradients came: last layer's, first weight (in blocks), first bias
    assert [(len(b.params), b.rows) for b in ddp._reducer.buckets] == [(2, 0), (1, 3), (1, 0)]
    ddp._reducer.log = events = []
    ddp.zero_grad()
    F.cross_entropy(ddp(x), y).backward()
    assert events == [("start", 0), ("start", 1, 0, 15), ("start", 1, 15, 30),
                      ("start", 1, 30, 40), ("start", 2), ("done",)]
    for p, q in zip(ddp.module.parameters(), ref.parameters()):
        assert np.allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-7)
    ddp.zero_grad()
    with ddp.no_sync():  # a gradient that accumulates goes whole
        F.cross_entropy(ddp(x), y).backward()
    ddp._reducer.log = events = []
    F.cross_entropy(ddp(x), y).backward()
    assert events == [("start", 0), ("start", 1), ("start", 2), ("done",)]


def test_gradient_as_bucket_view_gives_the_same_gradients_without_a_copy(group):
    x, y = _data()
    plain, viewed = DDP(_mlp()), DDP(_mlp(), gradient_as_bucket_view=True)
    for _ in range(2):
        for ddp in (plain, viewed):
            ddp.module.zero_grad()
            F.cross_entropy(ddp(x), y).backward()
        for p, q in zip(plain.module.parameters(), viewed.module.parameters()):
            assert np.array_equal(p.grad.numpy(), q.grad.numpy())
    buffers = {id(b.buffer) for b in viewed._reducer.buckets}
    assert all(id(p.grad.array.base) in buffers for p in viewed.module.parameters())


class _Twice(gu.nn.Module):
    def __init__(self):
        super().__init__()
        gu.manual_seed(0)
        self.a, self.b = gu.nn.Linear(5, 5), gu.nn.Linear(5, 3)

    def forward(self, x):
        return self.b(F.relu(self.a(F.relu(self.a(x)))))


def test_a_weight_used_twice_sends_its_summed_gradient_whole(group):
    x, y = _data()
    ref, ddp = _Twice(), DDP(_Twice())
    ddp._reducer.block_bytes = 40  # a.weight: 100 bytes, 2 rows of 20 a block
    for _ in range(3):
        for model in (ref, ddp):
            model.zero_grad()
            F.cross_entropy(model(x), y).backward()
        for p, q in zip(ddp.module.parameters(), ref.parameters()):
            assert np.allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-6, atol=1e-7)
    assert any(b.rows for b in ddp._reducer.buckets)


def test_autograd_grad_leaves_the_gradients_alone(group):
    x, y = _data()
    ddp = DDP(_mlp())
    ddp._reducer.block_bytes = 60
    for _ in range(2):
        ddp.zero_grad()
        F.cross_entropy(ddp(x), y).backward()
    ddp.zero_grad()
    weight = ddp.module[0].weight
    (g,) = gu.autograd.grad(F.cross_entropy(ddp(x), y), [weight])
    assert g.shape == weight.shape and all(p.grad is None for p in ddp.parameters())


def test_the_weight_gradient_sinks_go_with_the_reducer(group):
    from groundup.ops import linalg

    x, y = _data()
    before = len(linalg._weight_grad_sinks)
    with DDP.attached(_mlp(), bucket_cap_mb=25) as ddp:
        ddp._reducer.block_bytes = 60
        for _ in range(2):
            F.cross_entropy(ddp.module(x), y).backward()
        assert len(linalg._weight_grad_sinks) == before + 1
    assert len(linalg._weight_grad_sinks) == before
