"""ResumableCheckpoint: a run that can always be continued, whatever stops it.

One file (`path`, e.g. "run/last.safetensors") holds the whole training state:
the weights, the optimizer and scheduler, the data loader's shuffling position,
groundup's random state, where the loop is (`snapshot`: the epochs done and,
inside an epoch, the batches done and the epoch's running sums) and the state of
the callbacks it tracks (EarlyStopping). It is rewritten atomically (a temporary
file, fsync, rename), so a crash or a `kill -9` leaves the previous save intact:

    at the start of training    when the file does not exist yet (epoch 0)
    at the end of every epoch
    every `every_batches` batches inside an epoch (for long epochs)
    when training is interrupted (GracefulInterrupt: Ctrl-C, SIGTERM), at that batch
    when training ends (its status: finished, stopped early or interrupted)

With `best_path`, the model of the best epoch by `monitor` (val_loss by default) is
kept beside it. `restore` loads the file back into fresh objects and returns what
`fit(..., resume=...)` needs to continue exactly, bit for bit, as if it had never
stopped:

    ckpt = ResumableCheckpoint("run/last.safetensors", best_path="run/best.safetensors")
    resume = ckpt.restore(model, optimizer, scheduler, loader)["resume"] if os.path.exists(
        ckpt.path) else None
    fit(model, loader, loss_fn, optimizer, epochs=40, val_loader=val, scheduler=scheduler,
        callbacks=[ckpt, GracefulInterrupt()], resume=resume)
"""

import math
import os

from .callback_base import Callback
from .callbacks import _Monitor, _monitored
from .trainer import snapshot

__all__ = ["ResumableCheckpoint"]


class ResumableCheckpoint(Callback):
    """Save the whole training state atomically after every epoch (and more; see above).

    path: the checkpoint file (the last state). best_path: where the best model goes
    (None: not kept). monitor / mode / min_delta: what "best" means (monitor=None: no
    best model). every_batches: also save every N batches inside an epoch. config:
    the model's JSON description (gu.models.registry.model_metadata), stored so the
    model can be rebuilt from the file. extra: a dict, or a function of the TrainState
    returning one, stored under extra["run"]. track: {name: object} whose
    state_dict() is saved with the run and given back to load_state_dict() by restore
    (e.g. {"early_stopping": EarlyStopping(...)}).

    Attributes: best, best_epoch, best_logs (all the logs of the best epoch), saves (how
    many times the file was written).
    """

    rank_zero_only = True  # under several ranks only rank 0 runs it (fit, replicas.py)

    def __init__(self, path, best_path=None, monitor="val_loss", mode="auto", min_delta=0,
                 every_batches=None, config=None, extra=None, track=None):
        if every_batches is not None and int(every_batches) < 1:
            raise ValueError(f"ResumableCheckpoint: every_batches must be >= 1 or None; got "
                             f"{every_batches}")
        self.path = os.fspath(path)
        self.best_path = None if best_path is None else os.fspath(best_path)
        self.monitor = monitor
        self.tracker = _Monitor(monitor or "loss", mode, min_delta, "ResumableCheckpoint")
        self.every_batches = None if every_batches is None else int(every_batches)
        self.config, self.extra = config, extra
        self.track = dict(track or {})
        self.saves = 0
        self.best_logs = None
        self._restored = None

    @property
    def best(self):
        return self.tracker.best

    @property
    def best_epoch(self):
        return self.tracker.best_epoch

    def state_dict(self):
        return {"monitor": self.monitor, "best": self.best, "best_epoch": self.best_epoch,
                "best_logs": self.best_logs}

    def load_state_dict(self, state):
        """Take a saved best; applied when training begins (on_train_begin resets it)."""
        self._restored = dict(state)

    # ------------------------------------------------------------------ hooks
    def on_train_begin(self, state):
        self.tracker.reset()
        self.best_logs = None
        if self._restored is not None:
            best = self._restored.get("best")
            self.tracker.best = self.tracker.best if best is None else float(best)
            self.tracker.best_epoch = self._restored.get("best_epoch")
            self.best_logs = self._restored.get("best_logs")
            self._restored = None
        if not os.path.exists(self.path):
            self.save(state)

    def on_batch_end(self, state):
        every = self.every_batches
        if every and state.batch % every == 0 and state.batch != state.num_batches:
            self.save(state)  # the epoch's last batch is saved by on_epoch_end

    def on_epoch_end(self, state):
        if self.monitor is not None:
            value = _monitored(state.logs, self.monitor, "ResumableCheckpoint")
            if math.isfinite(value) and self.tracker.improved(value):
                self.tracker.best, self.tracker.best_epoch = value, state.epoch
                self.best_logs = {k: float(v) for k, v in state.logs.items()}
                if self.best_path is not None:
                    self._save_best(state)
        self.save(state)

    def on_train_end(self, state):
        if state.outcome in ("finished", "stopped", "interrupted"):
            self.save(state)

    # ------------------------------------------------------------------ files
    def _extra(self, state):
        extra = self.extra(state) if callable(self.extra) else self.extra
        best = None
        if self.monitor is not None and self.best_epoch is not None:
            best = {"monitor": self.monitor, "value": self.best, "epoch": self.best_epoch,
                    "logs": self.best_logs}
        return {"status": state.outcome or "running", "fit": snapshot(state),
                "logs": {k: float(v) for k, v in (state.logs or {}).items()},
                "best": best, "checkpoint": self.state_dict(),
                "callbacks": {name: obj.state_dict() for name, obj in self.track.items()},
                "run": extra}

    def save(self, state):
        """Write the training state now (atomically); returns the path."""
        from .. import io

        position = snapshot(state)
        loader = state.train_loader
        loader = loader if callable(getattr(loader, "state_dict", None)) else None
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        io.save_checkpoint(self.path, state.model, optimizer=state.optimizer,
                           scheduler=state.scheduler, epoch=position["epoch"],
                           extra=self._extra(state), config=self.config, loader=loader)
        self.saves += 1
        return self.path

    def _save_best(self, state):
        from .. import io

        extra = self._extra(state)
        extra["status"] = "best"
        extra.pop("fit")
        io.save_checkpoint(self.best_path, state.model, epoch=state.epoch, extra=extra,
                           config=self.config)

    def restore(self, model, optimizer=None, scheduler=None, loader=None):
        """Load `path` into the given objects and the tracked callbacks.

        Returns the checkpoint's contents (io.load_checkpoint's dict) with "resume": the
        position to pass as fit(..., resume=...), and "run": the stored extra.
        """
        from .. import io

        result = io.load_checkpoint(self.path, model, optimizer, scheduler, loader=loader)
        extra = result.get("extra") or {}
        saved = extra.get("callbacks") or {}
        for name, obj in self.track.items():
            if name in saved:
                obj.load_state_dict(saved[name])
        if extra.get("checkpoint"):
            self.load_state_dict(extra["checkpoint"])
        result["resume"] = extra.get("fit") or {"epoch": result.get("epoch") or 0, "batch": 0}
        result["run"] = extra.get("run")
        return result
