"""Cyclic schedules: cosine annealing with warm restarts (SGDR) and cyclical learning rates.

CosineAnnealingWarmRestarts anneals the lr along a cosine from base_lr to
eta_min, then jumps back to base_lr, each period T_mult times longer than the
last; it may be stepped per epoch or, with a fractional `step(epoch)`, per
batch. CyclicLR moves the lr back and forth between base_lr and max_lr, stepped
per batch, with momentum (or Adam's beta1) cycled the opposite way. Both follow
the protocol of `scheduler_base`; import them from `lr_scheduler`.
"""

import math
import numbers

from .scheduler_base import LRScheduler, check_optimizer, per_group, set_momentum, uses_beta1

__all__ = ["CosineAnnealingWarmRestarts", "CyclicLR"]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR: cosine annealing from base_lr to eta_min, restarted every T_i epochs.

        lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2

    T_cur counts the epochs since the last restart and T_i is the current
    period: T_0 at first, multiplied by T_mult at every restart. `step()`
    advances one epoch; `step(epoch)` jumps to `epoch`, which may be fractional
    (`scheduler.step(epoch + i / iters_per_epoch)` anneals within an epoch), and
    finds T_cur and T_i from it:
        T_mult == 1: T_cur = epoch mod T_0
        T_mult > 1:  n = floor(log_{T_mult}(epoch / T_0 * (T_mult - 1) + 1)),
                     T_cur = epoch - T_0 * (T_mult^n - 1) / (T_mult - 1), T_i = T_0 * T_mult^n
    as PyTorch does. Loshchilov & Hutter, "SGDR: Stochastic Gradient Descent with
    Warm Restarts", ICLR 2017, https://arxiv.org/abs/1608.03983.

    Args:
        optimizer: the optimizer whose lrs are scheduled.
        T_0: epochs until the first restart (a positive int).
        T_mult: factor by which the period grows after each restart (an int >= 1; default 1).
        eta_min: the lowest lr (default 0).
        last_epoch: the index of the last epoch, to resume (default -1: start).

    Example:
        >>> sched = CosineAnnealingWarmRestarts(opt, T_0=10, T_mult=2, eta_min=1e-5)
        >>> for epoch in range(70):
        ...     for i, batch in enumerate(loader):
        ...         train_step(batch); sched.step(epoch + i / len(loader))
    """

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        name = "CosineAnnealingWarmRestarts"
        if not isinstance(T_0, numbers.Integral) or isinstance(T_0, bool) or T_0 <= 0:
            raise ValueError(f"{name}: T_0 must be a positive int, got {T_0!r}")
        if not isinstance(T_mult, numbers.Integral) or isinstance(T_mult, bool) or T_mult < 1:
            raise ValueError(f"{name}: T_mult must be an int >= 1, got {T_mult!r}")
        if not isinstance(eta_min, numbers.Real) or isinstance(eta_min, bool):
            raise ValueError(f"{name}: eta_min must be a float or int, got {eta_min!r}")
        self.T_0 = int(T_0)
        self.T_i = int(T_0)
        self.T_mult = int(T_mult)
        self.eta_min = eta_min
        self.T_cur = last_epoch
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        lo = self.eta_min
        return [lo + (base - lo) * (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
                for base in self.base_lrs]

    def _update_lr(self, epoch=None):
        if epoch is None and self.last_epoch < 0:
            epoch = 0
        if epoch is None:
            epoch = self.last_epoch + 1
            self.T_cur = self.T_cur + 1
            if self.T_cur >= self.T_i:  # a restart
                self.T_cur = self.T_cur % self.T_i
                self.T_i = self.T_i * self.T_mult
        else:
            if epoch < 0:
                raise ValueError(f"CosineAnnealingWarmRestarts: epoch must be >= 0, got {epoch!r}")
            if epoch >= self.T_0:
                if self.T_mult == 1:
                    self.T_cur = epoch % self.T_0
                else:
                    n = int(math.log(epoch / self.T_0 * (self.T_mult - 1) + 1, self.T_mult))
                    self.T_cur = epoch - self.T_0 * (self.T_mult**n - 1) / (self.T_mult - 1)
                    self.T_i = self.T_0 * self.T_mult**n
            else:
                self.T_i = self.T_0
                self.T_cur = epoch
        self.last_epoch = math.floor(epoch)
        self._set_lrs(self.get_lr())


class CyclicLR(LRScheduler):
    """Cyclical learning rates: the lr goes from base_lr up to max_lr and back, once per cycle.

    Stepped once per batch. A cycle lasts step_size_up + step_size_down steps;
    at step e (last_epoch):
        cycle = floor(1 + e / total),  x = 1 + e / total - cycle   (position in the cycle, [0, 1))
        s = x / r  if x <= r  else  (x - 1) / (r - 1)          (r = step_size_up / total)
        lr = base_lr + (max_lr - base_lr) * s * scale
    where scale is, by mode, 1 ("triangular"), 1 / 2^(cycle - 1) ("triangular2",
    the amplitude halves every cycle) or gamma^e ("exp_range"), or
    scale_fn(cycle) / scale_fn(e) (scale_mode "cycle" / "iterations") for a
    custom scale_fn. With cycle_momentum the momentum (or Adam's beta1) moves
    the other way: momentum = max_momentum - (max_momentum - base_momentum) * s * scale.
    Smith, "Cyclical Learning Rates for Training Neural Networks", WACV 2017,
    https://arxiv.org/abs/1506.01186.

    Args:
        optimizer: the optimizer whose lrs are scheduled (its lrs become base_lr).
        base_lr, max_lr: the bounds of the cycle, one value or one per param group.
        step_size_up: steps in the rising half of a cycle (default 2000).
        step_size_down: steps in the falling half (default: step_size_up).
        mode: "triangular", "triangular2" or "exp_range" (ignored with scale_fn).
        gamma: the base of "exp_range"'s scale (default 1.0).
        scale_fn: a custom scale, 0 <= scale_fn(x) <= 1 (not saved in state_dict).
        scale_mode: "cycle" or "iterations": what scale_fn is evaluated on.
        cycle_momentum: cycle momentum (or beta1) inversely to the lr (default True).
        base_momentum, max_momentum: the momentum bounds (defaults 0.8 and 0.9).
        last_epoch: the index of the last batch, to resume (default -1: start).

    Example:
        >>> sched = CyclicLR(opt, base_lr=0.01, max_lr=0.1, step_size_up=200)
        >>> for batch in loader:
        ...     train_step(batch); sched.step()
    """

    _not_saved = ("optimizer", "_scale_fn_custom")
    MODES = ("triangular", "triangular2", "exp_range")

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle",
                 cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1):
        name = "CyclicLR"
        check_optimizer(name, optimizer)
        self.optimizer = optimizer
        base_lrs = per_group(name, "base_lr", base_lr, optimizer)
        if last_epoch == -1:
            for lr, group in zip(base_lrs, optimizer.param_groups, strict=True):
                group["lr"] = lr
        self.max_lrs = per_group(name, "max_lr", max_lr, optimizer)
        if not isinstance(step_size_up, numbers.Real) or not step_size_up > 0:
            raise ValueError(f"{name}: step_size_up must be > 0, got {step_size_up!r}")
        if step_size_down is not None and (not isinstance(step_size_down, numbers.Real)
                                           or not step_size_down >= 0):
            raise ValueError(f"{name}: step_size_down must be >= 0 (or None), "
                             f"got {step_size_down!r}")
        step_size_up = float(step_size_up)
        step_size_down = step_size_up if step_size_down is None else float(step_size_down)
        self.total_size = step_size_up + step_size_down
        self.step_ratio = step_size_up / self.total_size
        if scale_fn is None and mode not in self.MODES:
            raise ValueError(f"{name}: mode must be one of {', '.join(map(repr, self.MODES))} "
                             f"(or give a scale_fn), got {mode!r}")
        if scale_fn is not None and not callable(scale_fn):
            raise TypeError(f"{name}: scale_fn must be callable, got {type(scale_fn).__name__}")
        if scale_mode not in ("cycle", "iterations"):
            raise ValueError(f"{name}: scale_mode must be 'cycle' or 'iterations', "
                             f"got {scale_mode!r}")
        self.mode = mode
        self.gamma = gamma
        self._scale_fn_custom = scale_fn
        self.scale_mode = scale_mode
        if scale_fn is None:  # each built-in mode fixes what its scale is a function of
            self.scale_mode = "iterations" if mode == "exp_range" else "cycle"
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = uses_beta1(name, optimizer)
            self.base_momentums = per_group(name, "base_momentum", base_momentum, optimizer)
            self.max_momentums = per_group(name, "max_momentum", max_momentum, optimizer)
            if last_epoch == -1:
                for high, low, group in zip(self.max_momentums, self.base_momentums,
                                            optimizer.param_groups, strict=True):
                    set_momentum(group, self.use_beta1, high)
                    group["max_momentum"] = high
                    group["base_momentum"] = low
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def scale_fn(self, x):
        """The amplitude scale at x (the cycle number or the step, by scale_mode)."""
        if self._scale_fn_custom is not None:
            return self._scale_fn_custom(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / (2.0 ** (x - 1))
        return self.gamma**x

    def get_lr(self):
        e = self.last_epoch
        cycle = math.floor(1 + e / self.total_size)
        x = 1.0 + e / self.total_size - cycle
        if x <= self.step_ratio:
            s = x / self.step_ratio
        else:
            s = (x - 1) / (self.step_ratio - 1)
        scale = self.scale_fn(cycle if self.scale_mode == "cycle" else e)
        lrs = [base + (top - base) * s * scale
               for base, top in zip(self.base_lrs, self.max_lrs, strict=True)]
        if self.cycle_momentum:
            pairs = zip(self.base_momentums, self.max_momentums, self.optimizer.param_groups,
                        strict=True)
            for low, high, group in pairs:
                set_momentum(group, self.use_beta1, high - (high - low) * s * scale)
        return lrs

    def load_state_dict(self, state_dict):
        state_dict = {k: v for k, v in state_dict.items() if k != "_scale_fn_custom"}
        super().load_state_dict(state_dict)
