"""Training: fit, callbacks, metrics, history, progress.

    history = gu.train.fit(model, train_loader, loss_fn, optimizer, epochs=10,
                           val_loader=val_loader, metrics=("accuracy",),
                           callbacks=[gu.train.EarlyStopping(patience=3)])

A run that must survive Ctrl-C, `kill` and crashes adds a ResumableCheckpoint
(the whole training state, saved atomically every epoch) and GracefulInterrupt
(Ctrl-C / SIGTERM stop after the current batch); `fit(..., resume=...)` continues
it bit for bit. `fit(..., step=fn)` replaces the training step (two optimizers,
auxiliary losses, state carried across batches) and keeps the rest of the loop.

tqdm is imported only when a progress bar is drawn, matplotlib only by plots.
"""

from . import metrics
from .callbacks import (
                        Callback,
                        EarlyStopping,
                        LambdaCallback,
                        LRSchedulerCallback,
                        ModelCheckpoint,
                        TrainState,
)
from .checkpointing import ResumableCheckpoint
from .history import Best, History
from .metrics import (
                        METRICS,
                        accuracy,
                        confusion_matrix,
                        f1,
                        mae,
                        mse,
                        precision,
                        r2,
                        recall,
                        rmse,
                        top_k_accuracy,
)
from .monitors import CSVLogger, NaNGuard, TerminateOnNaN, TrainingDiverged
from .progress import ProgressBar
from .signals import GracefulInterrupt, TrainingInterrupted
from .trainer import Trainer, evaluate, fit, predict, snapshot

__all__ = [
    "fit", "evaluate", "predict", "Trainer", "History", "Best", "Callback", "TrainState",
    "TrainingDiverged", "EarlyStopping", "ModelCheckpoint", "LRSchedulerCallback", "CSVLogger",
    "NaNGuard", "TerminateOnNaN", "LambdaCallback", "ProgressBar", "metrics", "METRICS",
    "accuracy", "top_k_accuracy", "precision", "recall", "f1", "confusion_matrix", "mse", "rmse",
    "mae", "r2", "ResumableCheckpoint", "GracefulInterrupt", "TrainingInterrupted", "snapshot",
]
