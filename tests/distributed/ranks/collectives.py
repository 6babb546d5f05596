"""Every collective of gu.distributed on 2 ranks (run by tests/distributed/test_collectives.py)."""

import numpy as np

import groundup as gu
import groundup.distributed as dist

dist.init_process_group("mpi")
r, n = dist.get_rank(), dist.get_world_size()
assert n == 2 and dist.is_initialized() and dist.get_backend() == "mpi"
assert dist.group.WORLD.size() == 2

# all_reduce, in place, on Tensors and arrays, every op
base = np.arange(6.0).reshape(2, 3)
for op, want in [(dist.ReduceOp.SUM, base * 3), (dist.ReduceOp.AVG, base * 1.5),
                 (dist.ReduceOp.MAX, base * 2), (dist.ReduceOp.MIN, base),
                 (dist.ReduceOp.PRODUCT, base * base * 2)]:
    t = gu.tensor(base * (r + 1), dtype="float64")
    version = t._version
    assert dist.all_reduce(t, op=op) is None
    assert np.allclose(t.numpy(), want), (op, t.numpy(), want)
    assert t._version != version  # an in-place change, seen by autograd's clock
    a = (base * (r + 1)).astype(np.float32)
    dist.all_reduce(a, op=op)
    assert a.dtype == np.float32 and np.allclose(a, want)
ints = np.full(4, r + 1, np.int64)
dist.all_reduce(ints)
assert ints.tolist() == [3] * 4
strided = np.arange(12.0).reshape(3, 4) * (r + 1)
view = strided[:, ::2]  # not contiguous: the result must land in the view
dist.all_reduce(view, op=dist.ReduceOp.AVG)
assert np.allclose(strided[:, ::2], np.arange(12.0).reshape(3, 4)[:, ::2] * 1.5)
assert np.allclose(strided[:, 1::2], np.arange(12.0).reshape(3, 4)[:, 1::2] * (r + 1))

# async_op: a Work, finished by wait()
big = np.full(1 << 16, float(r + 1), np.float32)
work = dist.all_reduce(big, op=dist.ReduceOp.AVG, async_op=True)
assert isinstance(work, dist.Work)
assert work.wait() is True and work.is_completed()
assert np.all(big == 1.5)

# broadcast from rank 1
b = gu.tensor(np.full(3, float(r)))
dist.broadcast(b, src=1)
assert b.numpy().tolist() == [1.0, 1.0, 1.0]
w = dist.broadcast(np.zeros(2) + r, src=0, async_op=True)
w.wait()

# all_gather, all_gather_into_tensor
parts = [gu.zeros(2), gu.zeros(2)]
dist.all_gather(parts, gu.tensor([r, r + 10.0]))
assert [p.numpy().tolist() for p in parts] == [[0.0, 10.0], [1.0, 11.0]]
out = np.zeros((4, 2), np.float32)
dist.all_gather_into_tensor(out, np.full((2, 2), r, np.float32))
assert out[:2].sum() == 0 and np.all(out[2:] == 1)

# reduce_scatter, reduce_scatter_tensor, reduce
o = np.zeros(3)
dist.reduce_scatter(o, [np.full(3, 1.0 + r), np.full(3, 10.0 + r)])
assert np.all(o == ([3.0] * 3 if r == 0 else [21.0] * 3))
o2 = np.zeros(2)
dist.reduce_scatter_tensor(o2, np.arange(4.0) * (r + 1), op=dist.ReduceOp.AVG)
assert np.allclose(o2, np.arange(4.0)[2 * r:2 * r + 2] * 1.5)
red = np.full(2, r + 1.0)
dist.reduce(red, dst=1)
assert red.tolist() == ([1.0, 1.0] if r == 0 else [3.0, 3.0])

# point to point
if r == 0:
    dist.send(gu.tensor([1.0, 2.0, 3.0]), dst=1)
    got = np.zeros(2, np.int64)
    assert dist.recv(got, src=1, tag=7) == 1 and got.tolist() == [5, 6]
else:
    got = gu.zeros(3)
    assert dist.recv(got) == 0 and got.numpy().tolist() == [1.0, 2.0, 3.0]
    dist.isend(np.array([5, 6], np.int64), dst=0, tag=7).wait()

# objects, as JSON
objs = [None, None]
dist.all_gather_object(objs, {"rank": r, "name": "é" * r, "pair": (r, 1.5)})
assert objs == [{"rank": 0, "name": "", "pair": [0, 1.5]},
                {"rank": 1, "name": "é", "pair": [1, 1.5]}]
box = [r, {"k": [r]}] if r == 1 else [None, None]
dist.broadcast_object_list(box, src=1)
assert box == [1, {"k": [1]}]
try:
    dist.all_gather_object([None, None], object())
except TypeError as e:
    assert "JSON" in str(e)
else:
    raise AssertionError("a non-JSON object was sent")

# errors name the call and the argument
for call, kind, text in [
        (lambda: dist.all_gather([gu.zeros(2)], gu.zeros(2)), ValueError, "world_size=2"),
        (lambda: dist.broadcast(gu.zeros(2), src=2), ValueError, "src must be a rank in 0..1"),
        (lambda: dist.all_reduce(np.ones(2, np.int64), op=dist.ReduceOp.AVG), TypeError, "AVG"),
        (lambda: dist.all_reduce([1.0]), TypeError, "gu.Tensor or a NumPy array"),
        (lambda: dist.send(np.ones(1), dst=r), ValueError, "own rank")]:
    try:
        call()
    except kind as e:
        assert text in str(e), (text, str(e))
    else:
        raise AssertionError(f"no {kind.__name__} for {text}")

dist.barrier()
dist.destroy_process_group()
assert not dist.is_initialized()
print(f"rank {r} ok", flush=True)
