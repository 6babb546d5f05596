"""train/callback_base.py: the Callback base imports nothing from the package; the public
callback modules build on it and re-export it."""

import ast

import groundup.train.callback_base as base
from groundup import train
from groundup.train import callbacks, monitors, progress, trainer


def test_the_base_module_imports_nothing():
    with open(base.__file__, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    assert not [n for n in ast.walk(tree) if isinstance(n, (ast.Import, ast.ImportFrom))]


def test_one_callback_class_everywhere():
    assert callbacks.Callback is monitors.Callback is base.Callback is train.Callback
    assert progress.Callback is base.Callback and trainer.Callback is base.Callback
    assert callbacks.TrainState is base.TrainState is train.TrainState
    assert callbacks.HOOKS is base.HOOKS
    for name in ("CSVLogger", "NaNGuard", "TerminateOnNaN", "TrainingDiverged"):
        assert getattr(callbacks, name) is getattr(monitors, name) is getattr(train, name)


def test_the_base_callback_does_nothing_at_every_hook():
    cb, state = base.Callback(), base.TrainState(epoch=3)
    assert state.epoch == 3 and state.stop_training is False
    for hook in base.HOOKS:
        assert getattr(cb, hook)(state) is None
