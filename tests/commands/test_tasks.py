"""The task seam of `groundup train` (commands/tasks.py): task-only settings, a task's own
step and report, `groundup sample` on a model that does not generate."""

import json

import pytest

import groundup as gu
from groundup.cli_common import CLIError
from groundup.commands import settings, tasks
from groundup.models import recipes, registry

from .support import assert_user_error


class Doubled(tasks.Task):
    """Classification with its own step (the loss counted twice) and one option, `scale`."""

    name = "doubled"
    options = {"scale": tasks.Option(float, 2.0, "the loss multiplier", low=0.0)}

    def step(self, s, model):
        def step(state, inputs, target):
            out = state.model(*inputs)
            loss = s["scale"] * state.loss_fn(out, target)
            state.optimizer.zero_grad()
            loss.backward()
            state.optimizer.step()
            return {"loss": loss, "output": out}
        return step

    def report(self, out, s, data, model, best_model, ckpt, test_loader):
        print(f"doubled report: scale {s['scale']:g}")


@pytest.fixture
def doubled(monkeypatch):
    monkeypatch.setitem(tasks.MODULES, "doubled", "unused")
    monkeypatch.setitem(tasks._LOADED, "doubled", Doubled())
    spec = registry.ModelSpec("logreg2", gu.models.mlp.LogisticRegression,
                              gu.models.mlp.LogRegConfig, "logreg with a doubled loss",
                              data_fields={"in_features": "features",
                                           "out_features": "classes"}, task="doubled")
    monkeypatch.setitem(registry.MODELS, "logreg2", spec)
    monkeypatch.setitem(recipes.RECIPES, "logreg2",
                        recipes.Recipe(epochs=1, options={"scale": 3.0}))
    return spec


def test_option_check_names_the_setting():
    opt = tasks.Option(int, 8, "width", low=1)
    assert opt.check(4.0, "--width") == 4
    with pytest.raises(CLIError, match="--width must be >= 1; got 0"):
        opt.check(0, "--width")
    with pytest.raises(CLIError, match="--width must be an integer; got 'x'"):
        opt.check("x", "--width")
    mode = tasks.Option(str, "a", "mode", choices=("a", "b"))
    with pytest.raises(CLIError, match="--mode must be one of a, b; got 'c'"):
        mode.check("c", "--mode")


def test_task_options_resolve_from_recipe_and_command_line(doubled):
    assert settings.resolve("logreg2")["scale"] == 3.0  # the recipe's, over the default 2
    assert settings.resolve("logreg2", {"scale": 0.5})["scale"] == 0.5
    assert "scale" not in settings.resolve("logreg")
    with pytest.raises(CLIError, match="--scale applies to doubled models; logreg is a "
                                       "classify model"):
        settings.resolve("logreg", {"scale": 1.0})


def test_a_task_runs_its_step_and_report_and_saves_its_option(gu_main, doubled, tmp_path):
    out = gu_main("train", "logreg2", "--scale", "0.5", "--out", tmp_path / "run",
                  "--no-progress")
    assert "doubled report: scale 0.5" in out.stdout
    assert "doubled    scale 0.5" in out.stdout  # the header shows the task's settings
    assert json.loads((tmp_path / "run" / "config.json").read_text())["scale"] == 0.5
    bad = gu_main("train", "logreg2", "--scale", "-1", "--out", tmp_path / "bad", check=False)
    assert_user_error(bad, "--scale must be >= 0; got -1")


def test_sample_refuses_a_classifier(gu_main, tmp_path):
    gu_main("train", "logreg", "--epochs", 1, "--out", tmp_path / "run", "--no-progress")
    out = gu_main("sample", tmp_path / "run", check=False)
    assert_user_error(out, "logreg is a classify model: it does not generate samples")
    out = gu_main("eval", tmp_path / "run")
    assert "accuracy" in out.stdout
