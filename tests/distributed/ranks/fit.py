"""gu.train.fit on 2 ranks (run by tests/train/test_replicas.py), in float32.

1. 2 ranks (DistributedSampler, 8 samples each per batch) train like 1 process on the
   whole batches of 16: the same History and weights; only rank 0 prints and writes.
2. rank 1 is interrupted at batch 3 of epoch 2: every rank stops there, rank 0 saves;
   the run resumed on 2 ranks ends where the uninterrupted one does.
3. the checkpoint of epoch 1 resumes in one process to the same weights.
Argument: the folder for the files.
"""

import os
import sys

import numpy as np

import groundup as gu
import groundup.distributed as dist
from groundup.data import DataLoader, DistributedSampler, TensorDataset
from groundup.train import LambdaCallback, ResumableCheckpoint, TrainingInterrupted, fit

out = sys.argv[1]
dist.init_process_group("mpi")
r = dist.get_rank()
rng = np.random.default_rng(0)
X = rng.standard_normal((96, 6)).astype(np.float32)
Y = (X[:, 0] + X[:, 1] > 0).astype(np.int64)
DS = TensorDataset(X, Y)


def objects(world):
    gu.manual_seed(0)
    model = gu.nn.Sequential(gu.nn.Linear(6, 16), gu.nn.ReLU(), gu.nn.Linear(16, 2))
    opt = gu.optim.Adam(model.parameters(), lr=0.01)
    if world > 1:
        loader = DataLoader(DS, batch_size=8, sampler=DistributedSampler(DS, shuffle=False))
    else:
        loader = DataLoader(DS, batch_size=16)
    return model, opt, loader


def train(world, path, epochs=2, callbacks=(), resume_from=None, with_loader=True):
    model, opt, loader = objects(world)
    ckpt = ResumableCheckpoint(path, monitor=None)
    resume = None
    if resume_from is not None:
        ckpt.path = resume_from
        resume = ckpt.restore(model, opt, loader=loader if with_loader else None)["resume"]
        ckpt.path = path
    history = fit(model, loader, gu.nn.CrossEntropyLoss(), opt, epochs=epochs,
                  val_loader=(X[:32], Y[:32]), callbacks=[ckpt, *callbacks],
                  progress=gu.train.ProgressBar(bar=False), resume=resume)
    return model, history


def weights(model):
    return np.concatenate([p.numpy().ravel() for p in model.parameters()])


# 1. two ranks == one process on the whole batches; rank 0 alone prints and writes
two, h2 = train(2, os.path.join(out, f"two-{r}.safetensors"))
assert not os.path.exists(os.path.join(out, "two-1.safetensors"))
print(f"rank {r} history {h2.history['loss']}", flush=True)

# 2. interrupted on rank 1 only, inside epoch 2: all ranks stop at that batch
def stop(state):
    if r == 1 and state.epoch == 2 and state.batch == 3:
        state.interrupted = "SIGTERM"


cut = os.path.join(out, "cut.safetensors")
try:
    train(2, cut, callbacks=[LambdaCallback(on_batch_end=stop)])
    raise AssertionError("not interrupted")
except TrainingInterrupted as e:
    assert (e.reason, e.epoch, e.batch) == ("SIGTERM", 2, 3), (e.reason, e.epoch, e.batch)
resumed, hr = train(2, os.path.join(out, "resumed.safetensors"), resume_from=cut)
d_resumed = float(np.abs(weights(resumed) - weights(two)).max())
assert d_resumed == 0.0, d_resumed
assert hr.history["loss"][-1] == h2.history["loss"][-1]
print(f"rank {r} resumed on 2 ranks {d_resumed:.1e}", flush=True)

# 1-process references on rank 0, alone (the group left)
epoch1 = os.path.join(out, "epoch1.safetensors")
train(2, epoch1, epochs=1)
dist.barrier()
dist.destroy_process_group()
if r == 0:
    one, h1 = train(1, os.path.join(out, "one.safetensors"))
    d_one = float(np.abs(weights(one) - weights(two)).max())
    d_logs = max(abs(a - b) for k in h1.history for a, b in zip(h1.history[k], h2.history[k]))
    assert d_one < 1e-6 and d_logs < 1e-6, (d_one, d_logs)
    print(f"one process == two ranks {d_one:.1e} {d_logs:.1e}", flush=True)
    alone, _ = train(1, os.path.join(out, "alone.safetensors"), resume_from=epoch1,
                     with_loader=False)  # another batch size: only the epoch boundary counts
    d_alone = float(np.abs(weights(alone) - weights(two)).max())
    assert d_alone < 1e-6, d_alone
    print(f"resumed in one process {d_alone:.1e}", flush=True)
