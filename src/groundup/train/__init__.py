"""Training: fit, callbacks, metrics, history, progress.

    history = gu.train.fit(model, train_loader, loss_fn, optimizer, epochs=10,
                           val_loader=val_loader, metrics=("accuracy",),
                           callbacks=[gu.train.EarlyStopping(patience=3)])

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
from .trainer import Trainer, evaluate, fit, predict

__all__ = [
    "fit", "evaluate", "predict", "Trainer", "History", "Best", "Callback", "TrainState",
    "TrainingDiverged", "EarlyStopping", "ModelCheckpoint", "LRSchedulerCallback", "CSVLogger",
    "NaNGuard", "TerminateOnNaN", "LambdaCallback", "ProgressBar", "metrics", "METRICS",
    "accuracy", "top_k_accuracy", "precision", "recall", "f1", "confusion_matrix", "mse", "rmse",
    "mae", "r2",
]
