"""Collectives: in a group of one (every call a no-op that keeps the data), and on 2 ranks."""

import numpy as np
import pytest

import groundup as gu
import groundup.distributed as dist

from .support import alone_in_a_group, needs_mpi, run_ranks


@pytest.fixture(autouse=True)
def alone(monkeypatch):
    yield from alone_in_a_group(monkeypatch)


@pytest.mark.parametrize("op", ["SUM", "AVG", "MAX", "MIN", "PRODUCT"])
def test_all_reduce_alone_keeps_the_values(op):
    t = gu.tensor([1.0, -2.0, 3.0])
    assert dist.all_reduce(t, op=getattr(dist.ReduceOp, op)) is None
    assert t.numpy().tolist() == [1.0, -2.0, 3.0]
    a = np.arange(4.0)
    work = dist.all_reduce(a, op=op.lower(), async_op=True)  # names are accepted too
    assert isinstance(work, dist.Work) and work.is_completed() and work.wait()
    assert a.tolist() == [0.0, 1.0, 2.0, 3.0]


def test_the_other_collectives_alone():
    b = gu.ones(2)
    dist.broadcast(b, src=0)
    assert b.numpy().tolist() == [1.0, 1.0]
    parts = [gu.zeros(2)]
    dist.all_gather(parts, gu.tensor([4.0, 5.0]))
    assert parts[0].numpy().tolist() == [4.0, 5.0]
    out = np.zeros(3)
    dist.all_gather_into_tensor(out, np.arange(3.0))
    assert out.tolist() == [0.0, 1.0, 2.0]
    o = np.zeros(2)
    dist.reduce_scatter(o, [np.full(2, 7.0)])
    assert o.tolist() == [7.0, 7.0]
    dist.reduce_scatter_tensor(o, np.array([1.0, 2.0]))
    assert o.tolist() == [1.0, 2.0]
    r = np.ones(2)
    dist.reduce(r, dst=0)
    assert r.tolist() == [1.0, 1.0]
    objs = [None]
    dist.all_gather_object(objs, {"a": (1, 2)})
    assert objs == [{"a": [1, 2]}]  # through JSON, as between ranks
    box = [1, "x"]
    dist.broadcast_object_list(box)
    assert box == [1, "x"]


def test_errors_name_the_call_and_argument():
    with pytest.raises(TypeError, match="all_reduce: tensor must be a gu.Tensor or a NumPy"):
        dist.all_reduce([1.0, 2.0])
    with pytest.raises(ValueError, match="all_reduce: op 'bor' is not supported"):
        dist.all_reduce(np.ones(2), op="bor")
    with pytest.raises(TypeError, match="AVG needs a floating-point tensor, got int64"):
        dist.all_reduce(np.ones(2, np.int64), op=dist.ReduceOp.AVG)
    ro = np.ones(2)
    ro.flags.writeable = False
    with pytest.raises(ValueError, match="broadcast: tensor is read-only"):
        dist.broadcast(ro)
    with pytest.raises(ValueError, match="src must be a rank in 0..0, got 1"):
        dist.broadcast(np.ones(2), src=1)
    with pytest.raises(ValueError, match=r"tensor_list\[0\] has shape \(3,\)"):
        dist.all_gather([np.zeros(3)], np.zeros(2))
    with pytest.raises(ValueError, match="world_size=1"):
        dist.all_gather([np.zeros(2), np.zeros(2)], np.zeros(2))
    with pytest.raises(RuntimeError, match="alone in its group"):
        dist.send(np.ones(2), dst=0)
    with pytest.raises(TypeError, match="JSON-serialisable"):
        dist.all_gather_object([None], {1j})


@needs_mpi
def test_every_collective_on_two_ranks():
    out = run_ranks("collectives.py")
    assert "rank 0 ok" in out.stdout and "rank 1 ok" in out.stdout, out.stdout + out.stderr
