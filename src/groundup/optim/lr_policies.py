"""Learning-rate policies: schedulers that run or wrap others, cycle, or follow a metric.

SequentialLR runs schedulers one after another, switching at milestone epochs;
`warmup` (a LinearWarmup) ramps the lr up linearly before handing over to
another scheduler; OneCycleLR is the 1cycle policy over a whole run, stepped per
batch, with momentum (or Adam's beta1) cycled the opposite way; ReduceLROnPlateau
lowers the lr when a metric stops improving. They follow the LRScheduler protocol
of `scheduler_base` (see its docstring); import them from `lr_scheduler`.
"""

import math
import numbers
from bisect import bisect_right

from .scheduler_base import (
    LRScheduler,
    check_optimizer,
    per_group,
    set_momentum,
    uses_beta1,
)

__all__ = ["SequentialLR", "OneCycleLR", "ReduceLROnPlateau", "LinearWarmup", "warmup"]


def _rewind(scheduler):
    """Undo the construction-time step of a scheduler (and of any it contains)."""
    inner = getattr(scheduler, "_schedulers", None)
    if inner is not None:
        for s in inner:
            _rewind(s)
    scheduler.last_epoch -= 1


class SequentialLR(LRScheduler):
    """Run `schedulers` one after another, switching at the `milestones` epochs.

    At milestone k the next scheduler starts from its own epoch 0 (with the
    closed form when it has one), as in PyTorch.

    Example:
        >>> warm = LinearLR(opt, start_factor=0.1, total_iters=4)
        >>> decay = ExponentialLR(opt, gamma=0.9)
        >>> sched = SequentialLR(opt, [warm, decay], milestones=[5])
    """

    _not_saved = ("optimizer", "_schedulers")

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        check_optimizer("SequentialLR", optimizer)
        schedulers = list(schedulers)
        if not schedulers:
            raise ValueError("SequentialLR: expected at least one scheduler")
        for i, s in enumerate(schedulers):
            if isinstance(s, ReduceLROnPlateau):
                raise ValueError(f"SequentialLR: scheduler {i} is a ReduceLROnPlateau, which "
                                 f"needs a metric in step(); use warmup(..., after=) instead")
            if getattr(s, "optimizer", None) is not optimizer:
                raise ValueError(f"SequentialLR: scheduler {i} ({type(s).__name__}) belongs to "
                                 f"a different optimizer")
        milestones = [int(m) for m in milestones]
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: expected {len(schedulers) - 1} milestone(s) for "
                             f"{len(schedulers)} schedulers, got {len(milestones)}")
        self.optimizer = optimizer
        self._schedulers = schedulers
        self._milestones = milestones
        self.last_epoch = last_epoch + 1
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        for group in optimizer.param_groups:
            group["lr"] = group["initial_lr"]
        for s in schedulers:
            _rewind(s)
        first = schedulers[bisect_right(milestones, 0)]
        first._initial_step()
        self._last_lr = first.get_last_lr()

    def step(self):
        self.last_epoch += 1
        self._advance()

    def _advance(self):
        idx = bisect_right(self._milestones, self.last_epoch)
        scheduler = self._schedulers[idx]
        if idx > 0 and self._milestones[idx - 1] == self.last_epoch:
            scheduler._update_lr(0)
        else:
            scheduler.step()
        self._last_lr = scheduler.get_last_lr()

    def _update_lr(self, epoch=None):
        # used when this SequentialLR is itself handed over to (epoch 0)
        if epoch is None:
            self.last_epoch += 1
            self._advance()
            return
        self.last_epoch = epoch
        idx = bisect_right(self._milestones, epoch)
        start = self._milestones[idx - 1] if idx > 0 else 0
        scheduler = self._schedulers[idx]
        scheduler._update_lr(epoch - start)
        self._last_lr = scheduler.get_last_lr()

    def state_dict(self):
        sd = super().state_dict()
        sd["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return sd

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        inner = state_dict.pop("_schedulers")
        self.__dict__.update(state_dict)
        for s, sd in zip(self._schedulers, inner, strict=True):
            s.load_state_dict(sd)


class OneCycleLR(LRScheduler):
    """The 1cycle policy: lr up from max_lr/div_factor to max_lr, then down to a tiny minimum.

    Stepped once per batch, total_steps times (or epochs * steps_per_epoch).
    Phases (pct_start of the steps for the rise):
        two-phase:   initial_lr -> max_lr -> min_lr
        three_phase: initial_lr -> max_lr -> initial_lr -> min_lr
    where initial_lr = max_lr / div_factor and min_lr = initial_lr / final_div_factor,
    each phase annealed by cosine or linearly. With cycle_momentum the momentum
    (or Adam's beta1) moves the opposite way between max_momentum and
    base_momentum. Smith & Topin, "Super-Convergence", 2017,
    https://arxiv.org/abs/1708.07120.

    Example:
        >>> sched = OneCycleLR(opt, max_lr=0.1, total_steps=1000)
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1):
        name = "OneCycleLR"
        check_optimizer(name, optimizer)
        self.optimizer = optimizer
        if total_steps is not None:
            if not isinstance(total_steps, numbers.Integral) or total_steps <= 0:
                raise ValueError(f"{name}: total_steps must be a positive int, got {total_steps!r}")
            self.total_steps = total_steps
        elif epochs is not None and steps_per_epoch is not None:
            for what, v in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
                if not isinstance(v, numbers.Integral) or v <= 0:
                    raise ValueError(f"{name}: {what} must be a positive int, got {v!r}")
            self.total_steps = epochs * steps_per_epoch
        else:
            raise ValueError(f"{name}: give total_steps, or both epochs and steps_per_epoch")
        if not isinstance(pct_start, (int, float)) or not 0 <= pct_start <= 1:
            raise ValueError(f"{name}: pct_start must be a float in [0, 1], got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"{name}: anneal_strategy must be 'cos' or 'linear', "
                             f"got {anneal_strategy!r}")
        self.anneal_strategy = anneal_strategy
        rise = float(pct_start * self.total_steps) - 1
        if three_phase:
            self._phases = [
                [rise, "initial_lr", "max_lr", "max_momentum", "base_momentum"],
                [float(2 * pct_start * self.total_steps) - 2, "max_lr", "initial_lr",
                 "base_momentum", "max_momentum"],
                [self.total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum"],
            ]
        else:
            self._phases = [
                [rise, "initial_lr", "max_lr", "max_momentum", "base_momentum"],
                [self.total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum"],
            ]
        max_lrs = per_group(name, "max_lr", max_lr, optimizer)
        if last_epoch == -1:
            for top, group in zip(max_lrs, optimizer.param_groups, strict=True):
                group["initial_lr"] = top / div_factor
                group["max_lr"] = top
                group["min_lr"] = group["initial_lr"] / final_div_factor
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = uses_beta1(name, optimizer)
            highs = per_group(name, "max_momentum", max_momentum, optimizer)
            lows = per_group(name, "base_momentum", base_momentum, optimizer)
            if last_epoch == -1:
                for high, low, group in zip(highs, lows, optimizer.param_groups, strict=True):
                    set_momentum(group, self.use_beta1, high)
                    group["max_momentum"] = high
                    group["base_momentum"] = low
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def get_lr(self):
        step = self.last_epoch
        if step > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {step} times, but total_steps is "
                             f"{self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr_from, lr_to, mom_from, mom_to) in enumerate(self._phases):
                if step <= end or i == len(self._phases) - 1:
                    pct = (step - start) / (end - start)
                    lrs.append(self._anneal(group[lr_from], group[lr_to], pct))
                    if self.cycle_momentum:
                        mom = self._anneal(group[mom_from], group[mom_to], pct)
                        set_momentum(group, self.use_beta1, mom)
                    break
                start = end
        return lrs


class ReduceLROnPlateau(LRScheduler):
    """Multiply the lr by `factor` when a metric stops improving for `patience` epochs.

    `step(metric)` once per epoch. An epoch improves when the metric beats the
    best so far by the threshold: in "min" mode, metric < best * (1 - threshold)
    ("rel") or metric < best - threshold ("abs"); in "max" mode the mirror image.
    After more than `patience` epochs without improvement each group's lr
    becomes max(lr * factor, min_lr) (ignored if that changes it by less than
    eps), then `cooldown` epochs pass before bad epochs count again.

    Example:
        >>> sched = ReduceLROnPlateau(opt, mode="min", factor=0.5, patience=3)
        >>> sched.step(val_loss)
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        name = "ReduceLROnPlateau"
        check_optimizer(name, optimizer)
        if factor >= 1.0:
            raise ValueError(f"{name}: factor must be < 1.0, got {factor!r}")
        if mode not in ("min", "max"):
            raise ValueError(f"{name}: mode must be 'min' or 'max', got {mode!r}")
        if threshold_mode not in ("rel", "abs"):
            raise ValueError(f"{name}: threshold_mode must be 'rel' or 'abs', "
                             f"got {threshold_mode!r}")
        self.optimizer = optimizer
        self.factor = factor
        self.min_lrs = per_group(name, "min_lr", min_lr, optimizer)
        self.patience = patience
        self.cooldown = cooldown
        self.eps = eps
        self.mode = mode
        self.threshold = threshold
        self.threshold_mode = threshold_mode
        self.last_epoch = 0
        self._last_lr = self._current()
        self.best = math.inf if mode == "min" else -math.inf
        self.cooldown_counter = 0
        self.num_bad_epochs = 0

    def _is_better(self, a, best):
        if self.mode == "min":
            if self.threshold_mode == "rel":
                return a < best * (1.0 - self.threshold)
            return a < best - self.threshold
        if self.threshold_mode == "rel":
            return a > best * (self.threshold + 1.0)
        return a > best + self.threshold

    @property
    def in_cooldown(self):
        return self.cooldown_counter > 0

    def step(self, metrics, epoch=None):
        current = float(metrics.item() if hasattr(metrics, "item") else metrics)
        self.last_epoch = self.last_epoch + 1 if epoch is None else epoch
        if self._is_better(current, self.best):
            self.best = current
            self.num_bad_epochs = 0
        else:
            self.num_bad_epochs += 1
        if self.in_cooldown:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, floor in zip(self.optimizer.param_groups, self.min_lrs, strict=True):
                old = float(group["lr"])
                new = max(old * self.factor, floor)
                if old - new > self.eps:
                    group["lr"] = new
            self.cooldown_counter = self.cooldown
            self.num_bad_epochs = 0
        self._last_lr = self._current()


class LinearWarmup(LRScheduler):
    """Linear warmup for `warmup_steps` steps, then hand over to `after` (see `warmup`)."""

    _not_saved = ("optimizer", "after")

    def __init__(self, optimizer, warmup_steps, after=None):
        check_optimizer("warmup", optimizer)
        if not isinstance(warmup_steps, numbers.Integral) or warmup_steps < 1:
            raise ValueError(f"warmup: warmup_steps must be a positive int, got {warmup_steps!r}")
        if after is not None and getattr(after, "optimizer", None) is not optimizer:
            raise ValueError(f"warmup: the `after` scheduler ({type(after).__name__}) belongs to "
                             f"a different optimizer")
        self.warmup_steps = warmup_steps
        self.after = after
        for group in optimizer.param_groups:
            # `after` was built first and already set its epoch-0 lr: start from the base lr
            group["lr"] = group.get("initial_lr", group["lr"])
        if after is not None and not isinstance(after, ReduceLROnPlateau):
            _rewind(after)
        super().__init__(optimizer)

    def get_lr(self):
        e = self.last_epoch
        if e < self.warmup_steps:
            return [base * (e + 1) / self.warmup_steps for base in self.base_lrs]
        return list(self.base_lrs)

    def step(self, metrics=None):
        """Advance one step; `metrics` is passed on to an `after` ReduceLROnPlateau."""
        after = self.after
        if after is None or self.last_epoch + 1 < self.warmup_steps:
            return super().step()
        self._step_count += 1
        self.last_epoch += 1
        if isinstance(after, ReduceLROnPlateau):
            if self.last_epoch == self.warmup_steps:
                for group, base in zip(self.optimizer.param_groups, self.base_lrs, strict=True):
                    group["lr"] = base
            elif metrics is not None:
                after.step(metrics)
            self._last_lr = self._current()
            return None
        if self.last_epoch == self.warmup_steps:
            after._update_lr(0)
        else:
            after.step()
        self._last_lr = after.get_last_lr()
        return None

    def state_dict(self):
        sd = super().state_dict()
        sd["after"] = None if self.after is None else self.after.state_dict()
        return sd

    def load_state_dict(self, state_dict):
        state_dict = dict(state_dict)
        inner = state_dict.pop("after", None)
        self.__dict__.update(state_dict)
        if inner is not None and self.after is not None:
            self.after.load_state_dict(inner)


def warmup(optimizer, warmup_steps, after=None):
    """Linear learning-rate warmup, then another schedule.

    For the first `warmup_steps` steps (epochs 0 .. warmup_steps-1) the lr of
    each group is base_lr * (epoch + 1) / warmup_steps: it starts at
    base_lr / warmup_steps and reaches base_lr on the last warmup step, so no
    step is wasted at lr 0. From epoch `warmup_steps` on, `after` takes over from
    its own epoch 0 (a scheduler built on the same optimizer beforehand; None
    keeps base_lr). With a ReduceLROnPlateau as `after`, pass the metric to
    `step(metric)`: it is ignored during warmup and forwarded afterwards.

    Returns the scheduler to step (a `LinearWarmup`).

    Example:
        >>> cosine = CosineAnnealingLR(opt, T_max=90)
        >>> sched = warmup(opt, 10, after=cosine)   # 10 warmup steps, then 90 of cosine
        >>> for epoch in range(100):
        ...     train_one_epoch(); sched.step()
    """
    return LinearWarmup(optimizer, warmup_steps, after)
