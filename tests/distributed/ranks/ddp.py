"""DistributedDataParallel on 2 ranks against one process (run by tests/nn/parallel/
test_distributed.py). Each rank trains on its half of every batch; rank 0 then trains
a fresh copy alone on the whole batches and compares, in float64."""

import copy

import numpy as np

import groundup as gu
import groundup.distributed as dist
from groundup.nn.parallel import DistributedDataParallel as DDP

dist.init_process_group("mpi")
r, n = dist.get_rank(), dist.get_world_size()
assert n == 2
F = gu.nn.functional
STEPS = 5


def mlp(seed):
    gu.manual_seed(seed)
    return gu.nn.Sequential(gu.nn.Linear(6, 12), gu.nn.Tanh(), gu.nn.Linear(12, 4)).double()


def cnn(seed):
    gu.manual_seed(seed)
    return gu.nn.Sequential(gu.nn.Conv2d(1, 3, 3, padding=1), gu.nn.ReLU(), gu.nn.MaxPool2d(2),
                            gu.nn.Flatten(), gu.nn.Linear(12, 4)).double()


def bn_net(seed):
    gu.manual_seed(seed)
    return gu.nn.Sequential(gu.nn.Linear(6, 12), gu.nn.BatchNorm1d(12), gu.nn.ReLU(),
                            gu.nn.Linear(12, 4)).double()


rng = np.random.default_rng(0)
DATA = {"mlp": rng.standard_normal((STEPS, 8, 6)), "cnn": rng.standard_normal((STEPS, 8, 1, 4, 4)),
        "bn": rng.standard_normal((STEPS, 8, 6))}
LABELS = rng.integers(0, 4, (STEPS, 8))
OPTIMIZERS = {"sgd": lambda ps: gu.optim.SGD(ps, lr=0.1, momentum=0.9),
              "adam": lambda ps: gu.optim.Adam(ps, lr=0.01)}


def half(a, rank):
    return a.reshape((2, -1) + a.shape[1:])[rank]


def loss_of(model, x, y):
    return F.cross_entropy(model(gu.tensor(x, dtype="float64")), gu.tensor(y))


def max_diff(a, b):
    if isinstance(a, dict):
        return max([max_diff(a[k], b[k]) for k in a] or [0.0])
    if isinstance(a, (list, tuple)):
        return max([max_diff(x, y) for x, y in zip(a, b)] or [0.0])
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return float(np.max(np.abs(np.asarray(a, float) - np.asarray(b, float)), initial=0.0))
    return 0.0 if a == b else float("inf")


def same_on_every_rank(model):
    """The largest difference between this rank's parameters and rank 0's."""
    worst = 0.0
    for p in model.parameters():
        mine = p.numpy().copy()
        theirs = mine.copy()
        dist.broadcast(theirs, src=0)
        worst = max(worst, float(np.abs(mine - theirs).max()))
    return worst


def train_ddp(build, kind, opt_name, cap_mb=25, block_bytes=None):
    model = build(seed=r)  # different weights on each rank: DDP starts from rank 0's
    ddp = DDP(model, bucket_cap_mb=cap_mb)
    if block_bytes is not None:
        ddp._reducer.block_bytes = block_bytes
    opt = OPTIMIZERS[opt_name](ddp.parameters())
    for s in range(STEPS):
        loss = loss_of(ddp, half(DATA[kind][s], r), half(LABELS[s], r))
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert same_on_every_rank(model) == 0.0
    return model, opt, ddp


def train_alone(build, kind, opt_name):
    model = build(seed=0)
    opt = OPTIMIZERS[opt_name](model.parameters())
    for s in range(STEPS):
        loss = loss_of(model, DATA[kind][s], LABELS[s])
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model, opt


def train_alone_averaging(build, opt_name):
    """BatchNorm: the gradients of the two half batches (each with its own statistics),
    averaged; the buffers are the first half's (rank 0's, which DDP broadcasts)."""
    model = build(seed=0)
    opt = OPTIMIZERS[opt_name](model.parameters())
    for s in range(STEPS):
        opt.zero_grad()
        other = copy.deepcopy(model)
        loss_of(model, half(DATA["bn"][s], 0), half(LABELS[s], 0)).backward()
        loss_of(other, half(DATA["bn"][s], 1), half(LABELS[s], 1)).backward()
        for p, q in zip(model.parameters(), other.parameters()):
            p.grad.array[...] = (p.grad.array + q.grad.array) / 2
        opt.step()
    return model, opt


for kind, build in [("mlp", mlp), ("cnn", cnn), ("bn", bn_net)]:
    for opt_name in OPTIMIZERS:
        model, opt, _ = train_ddp(build, kind, opt_name)
        if r == 0:
            if kind == "bn":
                ref, ref_opt = train_alone_averaging(build, opt_name)
            else:
                ref, ref_opt = train_alone(build, kind, opt_name)
            d_params = max_diff(model.state_dict(), ref.state_dict())
            d_state = max_diff(opt.state_dict(), ref_opt.state_dict())
            assert d_params < 1e-6 and d_state < 1e-6, (kind, opt_name, d_params, d_state)
            print(f"equal {kind} {opt_name} {d_params:.1e} {d_state:.1e}", flush=True)

# weights whose gradients are sent in blocks of rows (from the second step) == one process
for kind, build in [("mlp", mlp), ("cnn", cnn)]:
    model, opt, ddp = train_ddp(build, kind, "adam", block_bytes=100)
    assert any(b.rows for b in ddp._reducer.buckets)
    if r == 0:
        ref, ref_opt = train_alone(build, kind, "adam")
        d_params = max_diff(model.state_dict(), ref.state_dict())
        assert d_params < 1e-6, (kind, d_params)
        print(f"blocks {kind} {d_params:.1e}", flush=True)

# bucketed (one parameter per bucket) == one bucket
a, _, ddp_small = train_ddp(mlp, "mlp", "adam", cap_mb=1e-6)
b, _, ddp_big = train_ddp(mlp, "mlp", "adam", cap_mb=100)
assert len(ddp_small._reducer.buckets) == 4 and len(ddp_big._reducer.buckets) == 1
assert max_diff(a.state_dict(), b.state_dict()) == 0.0
if r == 0:
    print("buckets 4 == 1", flush=True)

# no_sync: local gradients inside, then the average of the accumulated sum
model = mlp(seed=r)
ddp = DDP(model, bucket_cap_mb=1e-6)
x, y = DATA["mlp"], LABELS
with ddp.no_sync():
    loss_of(ddp, half(x[0], r), half(y[0], r)).backward()
local = [p.grad.numpy().copy() for p in model.parameters()]
theirs = [g.copy() for g in local]
for g in theirs:
    dist.broadcast(g, src=0)
assert r == 0 or max(np.abs(g - h).max() for g, h in zip(local, theirs)) > 0  # not averaged
loss_of(ddp, half(x[1], r), half(y[1], r)).backward()
synced = [p.grad.numpy() for p in model.parameters()]
if r == 0:
    ref = mlp(seed=0)
    loss_of(ref, x[0], y[0]).backward()
    loss_of(ref, x[1], y[1]).backward()
    worst = max(np.abs(g - p.grad.numpy()).max() for g, p in zip(synced, ref.parameters()))
    assert worst < 1e-12, worst
    print(f"no_sync accumulates {worst:.1e}", flush=True)
assert same_on_every_rank(model) == 0.0

# the first bucket's all-reduce starts before backward reaches the input
model = mlp(seed=0)
ddp = DDP(model, bucket_cap_mb=1e-6)
ddp._reducer.log = events = []
xt = gu.tensor(half(DATA["mlp"][0], r), dtype="float64", requires_grad=True)
h = xt * 1.0
h.register_hook(lambda g: events.append(("input",)))
F.cross_entropy(ddp(h), gu.tensor(half(LABELS[0], r))).backward()
assert events[0] == ("start", 0) and events.index(("input",)) > 0 and events[-1] == ("done",)
if r == 0:
    print("overlap", " ".join(e[0] + (str(e[1]) if len(e) > 1 else "") for e in events),
          flush=True)
dist.destroy_process_group()
