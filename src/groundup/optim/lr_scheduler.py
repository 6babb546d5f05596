"""Learning-rate schedulers: PyTorch's schedules, step for step.

A scheduler changes `group["lr"]` of every parameter group of an optimizer.
Call `scheduler.step()` once per epoch (or per batch, for OneCycleLR and
warmup) after `optimizer.step()`. Constructing a scheduler performs its first
step (epoch 0) and stores each group's starting lr as `group["initial_lr"]`;
`base_lrs` are those starting values, `last_epoch` counts the steps taken and
`get_last_lr()` returns the lrs the last step set.

Most schedules are written in PyTorch's recursive ("chainable") form, the new
lr computed from the current one, so that their floating-point sequences
equal PyTorch's; those with a closed form also accept `step(epoch)`, which
jumps there. `state_dict()` holds only JSON-friendly values (numbers,
strings, lists, dicts), never the optimizer or functions.

This module holds the LRScheduler base and the schedules that are a function
of the epoch alone (LambdaLR, StepLR, MultiStepLR, ExponentialLR,
CosineAnnealingLR, LinearLR). Those that run or wrap other schedulers, follow
the 1cycle policy or react to a metric (SequentialLR, OneCycleLR,
ReduceLROnPlateau, LinearWarmup, warmup) live in `lr_policies` and are
re-exported here, so every scheduler is reachable as `lr_scheduler.<name>`.
"""

import math
import numbers
from bisect import bisect_right

from .optimizer import Optimizer

__all__ = [
    "LRScheduler", "LambdaLR", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
    "LinearLR", "SequentialLR", "OneCycleLR", "ReduceLROnPlateau", "LinearWarmup", "warmup",
]


def _check_optimizer(name, optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{name}: expected a groundup Optimizer, got {type(optimizer).__name__}")


def _per_group(name, what, value, optimizer):
    """`value` for each param group: a list/tuple of one per group, or one shared value."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name}: expected {n} values for {what} (one per param group), "
                             f"got {len(value)}")
        return list(value)
    return [value] * n


class LRScheduler:
    """Base class: subclasses implement `get_lr()` (and `_closed_form()` when they have one)."""

    _not_saved = ("optimizer",)

    def __init__(self, optimizer, last_epoch=-1):
        _check_optimizer(type(self).__name__, optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"{type(self).__name__}: param group {i} has no 'initial_lr', needed to "
                        f"resume with last_epoch={last_epoch}; load the optimizer's state dict "
                        f"first (or leave last_epoch=-1 for a fresh run)"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):  # pragma: no cover - abstract
        """The lrs for epoch `self.last_epoch` (called by `step`)."""
        raise NotImplementedError

    def _current(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def step(self, epoch=None):
        """Advance one epoch (or jump to `epoch`, by the closed form when there is one)."""
        self._step_count += 1
        self._update_lr(epoch)

    def _update_lr(self, epoch=None):
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed = getattr(self, "_closed_form", None)
            values = closed() if closed is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = self._current()

    def get_last_lr(self):
        """The lrs set by the last step, one per param group."""
        return list(self._last_lr)

    def state_dict(self):
        """The scheduler's state: every attribute but the optimizer (and functions)."""
        return {k: _plain(v) for k, v in self.__dict__.items() if k not in self._not_saved}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)

    def __repr__(self):
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr})"


def _plain(v):
    if isinstance(v, tuple):
        return list(v)
    if isinstance(v, list):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(epoch), one function or one per param group.

    Example:
        >>> sched = LambdaLR(opt, lambda epoch: 0.95 ** epoch)
    """

    _not_saved = ("optimizer", "lr_lambdas")

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        _check_optimizer("LambdaLR", optimizer)
        self.optimizer = optimizer
        self.lr_lambdas = _per_group("LambdaLR", "lr_lambda", lr_lambda, optimizer)
        for fn in self.lr_lambdas:
            if not callable(fn):
                raise TypeError(f"LambdaLR: lr_lambda must be callable, got {type(fn).__name__}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        pairs = zip(self.lr_lambdas, self.base_lrs, strict=True)
        return [base * fn(self.last_epoch) for fn, base in pairs]


class StepLR(LRScheduler):
    """Multiply the lr by gamma every step_size epochs: lr = base_lr * gamma^(epoch // step_size).

    Example:
        >>> sched = StepLR(opt, step_size=30, gamma=0.1)
    """

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if not isinstance(step_size, numbers.Integral) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive int, got {step_size!r}")
        self.step_size = step_size
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return self._current()
        return [lr * self.gamma for lr in self._current()]

    def _closed_form(self):
        return [base * self.gamma ** (self.last_epoch // self.step_size) for base in self.base_lrs]


class MultiStepLR(LRScheduler):
    """Multiply the lr by gamma at each milestone epoch (a repeated milestone counts twice).

    Example:
        >>> sched = MultiStepLR(opt, milestones=[30, 80], gamma=0.1)
    """

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones = sorted(int(m) for m in milestones)
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        hits = self.milestones.count(self.last_epoch)
        if hits == 0:
            return self._current()
        return [lr * self.gamma**hits for lr in self._current()]

    def _closed_form(self):
        n = bisect_right(self.milestones, self.last_epoch)
        return [base * self.gamma**n for base in self.base_lrs]


class ExponentialLR(LRScheduler):
    """Multiply the lr by gamma every epoch: lr = base_lr * gamma^epoch.

    Example:
        >>> sched = ExponentialLR(opt, gamma=0.95)
    """

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self._is_initial:
            return self._current()
        return [lr * self.gamma for lr in self._current()]

    def _closed_form(self):
        return [base * self.gamma**self.last_epoch for base in self.base_lrs]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing from base_lr to eta_min over T_max epochs (SGDR without restarts).

    Closed form: lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2.
    Stepping uses PyTorch's recursive form (so the sequence equals PyTorch's,
    and another scheduler may change the lr in between); past T_max the lr
    rises again along the same cosine. Loshchilov & Hutter, "SGDR: Stochastic
    Gradient Descent with Warm Restarts", ICLR 2017.

    Example:
        >>> sched = CosineAnnealingLR(opt, T_max=100, eta_min=1e-5)
    """

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        if T_max <= 0:
            raise ValueError(f"CosineAnnealingLR: T_max must be > 0, got {T_max!r}")
        self.T_max = T_max
        self.eta_min = eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        e, T, lo = self.last_epoch, self.T_max, self.eta_min
        if self._is_initial:
            return self._current()
        if self._step_count == 1 and e > 0:
            return [lo + (base - lo) * (1 + math.cos(e * math.pi / T)) / 2
                    for base in self.base_lrs]
        if (e - 1 - T) % (2 * T) == 0:
            return [lr + (base - lo) * (1 - math.cos(math.pi / T)) / 2
                    for base, lr in zip(self.base_lrs, self._current(), strict=True)]
        return [(1 + math.cos(math.pi * e / T)) / (1 + math.cos(math.pi * (e - 1) / T))
                * (lr - lo) + lo for lr in self._current()]

    def _closed_form(self):
        return [self.eta_min + (base - self.eta_min)
                * (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
                for base in self.base_lrs]


class LinearLR(LRScheduler):
    """Scale the lr linearly from start_factor to end_factor over total_iters epochs.

    lr = base_lr * (start + (end - start) * min(epoch, total_iters) / total_iters),
    stepped in PyTorch's recursive form.

    Example:
        >>> sched = LinearLR(opt, start_factor=0.1, total_iters=10)
    """

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        if not 0 < start_factor <= 1:
            raise ValueError(f"LinearLR: start_factor must be in (0, 1], got {start_factor!r}")
        if not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: end_factor must be in [0, 1], got {end_factor!r}")
        self.start_factor = start_factor
        self.end_factor = end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        s, f, n, e = self.start_factor, self.end_factor, self.total_iters, self.last_epoch
        if e == 0:
            return [lr * s for lr in self._current()]
        if self._is_initial or e > n:
            return self._current()
        return [lr * (1.0 + (f - s) / (n * s + (e - 1) * (f - s))) for lr in self._current()]

    def _closed_form(self):
        s, f = self.start_factor, self.end_factor
        return [base * (s + (f - s) * min(self.total_iters, self.last_epoch) / self.total_iters)
                for base in self.base_lrs]


# lr_policies subclasses LRScheduler (and uses the helpers) above: import it once they exist
from .lr_policies import (  # noqa: E402
    LinearWarmup,
    OneCycleLR,
    ReduceLROnPlateau,
    SequentialLR,
    warmup,
)
