"""Learning-rate schedulers: PyTorch's schedules, step for step (`gu.optim.lr_scheduler`).

This public module only gathers them; see `scheduler_base` for the protocol
they share (step, get_last_lr, state_dict, step(epoch) by the closed form).
  - lr_schedules: LambdaLR, StepLR, MultiStepLR, ExponentialLR, CosineAnnealingLR,
    LinearLR, PolynomialLR (functions of the epoch alone);
  - lr_cyclic: CosineAnnealingWarmRestarts, CyclicLR;
  - lr_policies: SequentialLR, OneCycleLR, ReduceLROnPlateau, LinearWarmup, warmup.

Example:
    >>> from groundup.optim import lr_scheduler
    >>> sched = lr_scheduler.StepLR(opt, step_size=30, gamma=0.1)
"""

from .lr_cyclic import CosineAnnealingWarmRestarts, CyclicLR
from .lr_policies import LinearWarmup, OneCycleLR, ReduceLROnPlateau, SequentialLR, warmup
from .lr_schedules import (
    CosineAnnealingLR,
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiStepLR,
    PolynomialLR,
    StepLR,
)
from .scheduler_base import LRScheduler

__all__ = [
    "LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
    "LinearLR", "PolynomialLR", "CosineAnnealingWarmRestarts", "CyclicLR", "SequentialLR",
    "OneCycleLR", "ReduceLROnPlateau", "LinearWarmup", "warmup",
]
