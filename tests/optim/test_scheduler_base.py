"""The scheduler base and the structure of gu.optim: one-way imports, public re-exports."""

import ast
import os

import numpy as np
import pytest

import groundup as gu
from groundup import optim
from groundup.optim import SGD, lr_scheduler, scheduler_base
from groundup.optim.scheduler_base import LRScheduler, per_group, set_momentum, uses_beta1

OPTIM_DIR = os.path.dirname(optim.__file__)


def _sibling_imports(path):
    """The optim modules a file imports (relative imports within the package)."""
    with open(path, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(a.name for a in node.names)
    return found


def test_no_two_optim_modules_import_each_other():
    names = [f[:-3] for f in os.listdir(OPTIM_DIR) if f.endswith(".py") and f != "__init__.py"]
    graph = {n: _sibling_imports(os.path.join(OPTIM_DIR, n + ".py")) & set(names) for n in names}

    def reaches(start, goal, seen=()):
        return any(n == goal or (n not in seen and reaches(n, goal, (*seen, n)))
                   for n in graph[start])
    cycles = [n for n in names if reaches(n, n)]
    assert not cycles, f"import cycles inside groundup.optim through {cycles}: {graph}"
    assert graph["scheduler_base"] == {"optimizer"}
    assert graph["lr_scheduler"] <= {"scheduler_base", "lr_schedules", "lr_cyclic", "lr_policies"}


def test_lr_scheduler_re_exports_every_schedule():
    for name in lr_scheduler.__all__:
        cls = getattr(lr_scheduler, name)
        if isinstance(cls, type):
            assert issubclass(cls, LRScheduler)
    assert lr_scheduler.LRScheduler is scheduler_base.LRScheduler
    assert gu.optim.lr_scheduler.PolynomialLR.__module__ == "groundup.optim.lr_schedules"


def test_every_optimizer_is_exported():
    for name in ("SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta", "Adamax", "NAdam",
                 "RAdam", "ASGD", "LBFGS", "Optimizer"):
        assert isinstance(getattr(gu.optim, name), type)


def opt(lr=0.1, **kw):
    return SGD([{"params": [gu.tensor(np.zeros(2), requires_grad=True)]},
                {"params": [gu.tensor(np.zeros(2), requires_grad=True)], "lr": 0.05}],
               lr=lr, **kw)


def test_per_group():
    o = opt()
    assert per_group("X", "max_lr", 0.3, o) == [0.3, 0.3]
    assert per_group("X", "max_lr", (0.3, 0.4), o) == [0.3, 0.4]
    with pytest.raises(ValueError, match="X: expected 2 values for max_lr"):
        per_group("X", "max_lr", [0.3], o)


def test_momentum_helpers():
    o = opt(momentum=0.5)
    assert uses_beta1("X", o) is False
    set_momentum(o.param_groups[0], False, 0.8)
    assert o.param_groups[0]["momentum"] == 0.8
    a = gu.optim.Adam([gu.tensor(np.zeros(2), requires_grad=True)])
    assert uses_beta1("X", a) is True
    set_momentum(a.param_groups[0], True, 0.7)
    assert a.param_groups[0]["betas"] == (0.7, 0.999)


def test_a_base_subclass_needs_only_get_lr():
    class Halve(LRScheduler):
        def get_lr(self):
            return [lr / 2 for lr in self._current()]
    o = opt()
    s = Halve(o)
    assert s.get_last_lr() == [0.05, 0.025] and s.last_epoch == 0
    s.step()
    assert s.get_last_lr() == [0.025, 0.0125]
    assert s.state_dict()["base_lrs"] == [0.1, 0.05]
