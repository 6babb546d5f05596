"""SyncBatchNorm on 2 ranks, each with half of the batch, against BatchNorm in one process
on the whole batch, in float64 (run by tests/nn/layers/test_sync_batch_norm.py)."""

import numpy as np

import groundup as gu
import groundup.distributed as dist
from groundup.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi")
r, n = dist.get_rank(), dist.get_world_size()
F = gu.nn.functional
rng = np.random.default_rng(0)


def part(a):
    return a.reshape((n, -1) + a.shape[1:])[r]


def worst(a, b):
    return float(np.max(np.abs(np.asarray(a) - np.asarray(b))))


# one layer: outputs, input gradients, weight gradients, running statistics
for shape, layer in [((8, 3), gu.nn.BatchNorm1d), ((8, 3, 5), gu.nn.BatchNorm1d),
                     ((4, 3, 4, 4), gu.nn.BatchNorm2d)]:
    xs = rng.standard_normal(shape) * 2 + 0.5
    rs = rng.standard_normal(shape)  # loss = sum(y * R): the ranks' losses add up to it
    gu.manual_seed(0)
    ref = layer(3).double()
    ref.weight.array[...] = rng.standard_normal(3)
    ref.bias.array[...] = rng.standard_normal(3)
    sync = gu.nn.SyncBatchNorm.convert_sync_batchnorm(layer(3).double())
    sync.load_state_dict(ref.state_dict())
    diffs = []
    for step in range(2):  # the second step starts from the updated running statistics
        x_full = gu.tensor(xs + step, dtype="float64", requires_grad=True)
        y_full = ref(x_full)
        (y_full * gu.tensor(rs, dtype="float64")).sum().backward()
        x = gu.tensor(part(xs + step), dtype="float64", requires_grad=True)
        y = sync(x)
        (y * gu.tensor(part(rs), dtype="float64")).sum().backward()
        grads = [p.grad.numpy().copy() for p in sync.parameters()]
        for g in grads:
            dist.all_reduce(g)  # this rank's part of the weight gradients: they add up
        diffs += [worst(y.numpy(), part(y_full.numpy())),
                  worst(x.grad.numpy(), part(x_full.grad.numpy())),
                  max(worst(g, p.grad.numpy()) for g, p in zip(grads, ref.parameters())),
                  worst(sync.running_mean.numpy(), ref.running_mean.numpy()),
                  worst(sync.running_var.numpy(), ref.running_var.numpy())]
        for p in list(sync.parameters()) + list(ref.parameters()):
            p.grad = None
    assert max(diffs) < 1e-10, (shape, diffs)
    sync.eval()
    ref.eval()
    assert worst(sync(gu.tensor(part(xs), dtype="float64")).numpy(),
                 part(ref(gu.tensor(xs, dtype="float64")).numpy())) < 1e-12
    if r == 0:
        print(f"equal layer {len(shape)}-D {max(diffs):.1e}", flush=True)


# a CNN with BatchNorm2d, converted and wrapped in DDP: 3 SGD steps == one process
def cnn():
    gu.manual_seed(0)
    return gu.nn.Sequential(gu.nn.Conv2d(1, 4, 3, padding=1), gu.nn.BatchNorm2d(4), gu.nn.ReLU(),
                            gu.nn.Flatten(), gu.nn.Linear(64, 3), gu.nn.BatchNorm1d(3)).double()


xs = rng.standard_normal((3, 8, 1, 4, 4))
ys = rng.integers(0, 3, (3, 8))
ref = cnn()
ref_opt = gu.optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
model = DDP(gu.nn.SyncBatchNorm.convert_sync_batchnorm(cnn()))
opt = gu.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
for s in range(3):
    for net, o, x, y in [(ref, ref_opt, xs[s], ys[s]), (model, opt, part(xs[s]), part(ys[s]))]:
        o.zero_grad()
        F.cross_entropy(net(gu.tensor(x, dtype="float64")), gu.tensor(y)).backward()
        o.step()
d = max(worst(a, b) for a, b in zip(model.module.state_dict().values(),
                                                     ref.state_dict().values()))
assert d < 1e-10, d
if r == 0:
    print(f"equal ddp cnn {d:.1e}", flush=True)
dist.destroy_process_group()
