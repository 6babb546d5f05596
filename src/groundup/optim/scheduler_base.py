"""The learning-rate scheduler base: the protocol every schedule follows.

A scheduler changes `group["lr"]` of every parameter group of an optimizer.
Call `scheduler.step()` once per epoch (or per batch, for OneCycleLR, CyclicLR
and warmup) after `optimizer.step()`. Constructing a scheduler performs its
first step (epoch 0) and stores each group's starting lr as
`group["initial_lr"]`; `base_lrs` are those starting values, `last_epoch`
counts the steps taken and `get_last_lr()` returns the lrs the last step set.

Most schedules are written in PyTorch's recursive ("chainable") form, the new
lr computed from the current one, so that their floating-point sequences
equal PyTorch's; those with a closed form also accept `step(epoch)`, which
jumps there. `state_dict()` holds only JSON-friendly values (numbers,
strings, lists, dicts), never the optimizer or functions.

This module imports only the Optimizer base; the schedules live in
`lr_schedules`, `lr_cyclic` and `lr_policies`, and `lr_scheduler` gathers them.
"""

from .optimizer import Optimizer

__all__ = ["LRScheduler"]


def check_optimizer(name, optimizer):
    """Raise a clear TypeError unless `optimizer` is a groundup Optimizer."""
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{name}: expected a groundup Optimizer, got {type(optimizer).__name__}")


def per_group(name, what, value, optimizer):
    """`value` for each param group: a list/tuple of one per group, or one shared value."""
    n = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != n:
            raise ValueError(f"{name}: expected {n} values for {what} (one per param group), "
                             f"got {len(value)}")
        return list(value)
    return [value] * n


def uses_beta1(name, optimizer):
    """Whether a momentum-cycling schedule moves beta1 of "betas" (True) or "momentum" (False).

    Raises a clear error for an optimizer that has neither.
    """
    defaults = optimizer.defaults
    if "momentum" not in defaults and "betas" not in defaults:
        raise ValueError(f"{name}: cycle_momentum needs an optimizer with momentum or betas "
                         f"({type(optimizer).__name__} has neither); pass cycle_momentum=False")
    return "betas" in defaults


def set_momentum(group, use_beta1, value):
    """Set a group's momentum, or the beta1 of its betas when `use_beta1`."""
    if use_beta1:
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


def plain(v):
    """A value as JSON would hold it (tuples become lists, recursively)."""
    if isinstance(v, tuple):
        return list(v)
    if isinstance(v, list):
        return [plain(x) for x in v]
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    return v


class LRScheduler:
    """Base class: subclasses implement `get_lr()` (and `_closed_form()` when they have one).

    `step()` counts the step and calls `_update_lr(epoch)`, which sets the lrs; a
    schedule whose epoch bookkeeping is its own (CosineAnnealingWarmRestarts)
    overrides `_update_lr`, so that a scheduler that hands over to it at epoch 0
    (SequentialLR, warmup) reaches the same code.
    """

    _not_saved = ("optimizer",)

    def __init__(self, optimizer, last_epoch=-1):
        check_optimizer(type(self).__name__, optimizer)
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
        self._set_lrs(values)

    def _set_lrs(self, values):
        for group, lr in zip(self.optimizer.param_groups, values, strict=True):
            group["lr"] = lr
        self._last_lr = self._current()

    def get_last_lr(self):
        """The lrs set by the last step, one per param group."""
        return list(self._last_lr)

    def state_dict(self):
        """The scheduler's state: every attribute but the optimizer (and functions)."""
        return {k: plain(v) for k, v in self.__dict__.items() if k not in self._not_saved}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)

    def __repr__(self):
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, lr={self._last_lr})"
