"""models/recipes.py: how each zoo model is trained, apart from the registry that lists them."""

import pytest

import groundup as gu
from groundup.models import recipes


def test_every_zoo_model_has_a_recipe():
    assert set(recipes.RECIPES) == set(gu.models.list_models())
    for name in gu.models.list_models():
        recipe = recipes.get(name)
        assert recipe.optimizer in recipes.OPTIMIZERS
        assert recipe.epochs >= 1 and recipe.batch_size >= 1 and recipe.lr > 0


def test_hparams_are_the_training_settings_without_the_data():
    hp = recipes.get("mlp").hparams()
    assert list(hp) == ["epochs", "batch_size", "lr", "optimizer", "weight_decay", "schedule",
                        "label_smoothing", "grad_clip"]
    assert hp["optimizer"] == "adamw" and recipes.get("mlp").data == "digits"
    assert hp["label_smoothing"] == 0.0  # off unless asked for


@pytest.mark.parametrize("name,cls", [("adam", "Adam"), ("adamw", "AdamW"), ("sgd", "SGD"),
                                      ("rmsprop", "RMSprop")])
def test_optimizer_scheduler_and_loss_come_from_the_settings(name, cls):
    model = gu.models.build("logreg", in_features=4, out_features=3)
    opt = recipes.optimizer(name, model.parameters(), lr=0.1, weight_decay=0.0)
    assert type(opt).__name__ == cls and opt.param_groups[0]["lr"] == 0.1
    sched = recipes.scheduler(opt, {"schedule": "cosine", "epochs": 4})
    assert type(sched).__name__ == "LambdaLR"
    loss = recipes.loss({"label_smoothing": 0.1})
    assert isinstance(loss, gu.nn.CrossEntropyLoss) and loss.label_smoothing == 0.1


def test_unknown_names_are_refused_clearly():
    with pytest.raises(ValueError, match="unknown optimizer 'lamb'; expected one of adam"):
        recipes.optimizer("lamb", [], lr=0.1)
    with pytest.raises(KeyError, match="no training recipe for model 'nosuch'"):
        recipes.get("nosuch")


@pytest.mark.parametrize("epochs", [4, 10, 200])
def test_schedules_span_the_runs_epochs(epochs):
    """The lr follows --epochs: halfway through a cosine run it is half the base rate, and the
    last epoch still trains (a fixed per-epoch decay left 2e-6 by epoch 96 of 200)."""
    model = gu.models.build("logreg", in_features=4, out_features=3)
    opt = recipes.optimizer("adam", model.parameters(), lr=1.0)
    sched = recipes.scheduler(opt, {"schedule": "cosine", "epochs": epochs})
    lrs = []
    for _ in range(epochs):
        lrs.append(opt.param_groups[0]["lr"])
        sched.step()
    assert lrs[0] == 1.0 and lrs[epochs // 2] == pytest.approx(0.5)
    assert 0 < lrs[-1] < 0.15 and all(a >= b for a, b in zip(lrs, lrs[1:]))
    assert recipes.schedule_factor("linear", epochs // 2, epochs) == pytest.approx(0.5)
    assert recipes.schedule_factor("step", epochs - 1, epochs) == pytest.approx(0.01)
    assert recipes.schedule_factor("constant", epochs, epochs) == 1.0
    with pytest.raises(ValueError, match="unknown schedule 'exp'"):
        recipes.scheduler(opt, {"schedule": "exp", "epochs": epochs})


def test_weight_decay_is_exactly_the_one_asked_for():
    model = gu.models.build("logreg", in_features=4, out_features=3)
    opt = recipes.optimizer("adamw", model.parameters(), lr=0.1, weight_decay=0.0)
    assert opt.param_groups[0]["weight_decay"] == 0.0  # was silently 0.01


def test_the_registry_lists_models_and_holds_no_training_settings():
    spec = gu.models.get("mlp")
    assert not hasattr(spec, "hparams") and not hasattr(spec, "data")


def test_warmup_cosine_warms_up_then_follows_a_cosine():
    factors = [recipes.schedule_factor("warmup_cosine", e, 20) for e in range(21)]
    assert factors[:3] == [pytest.approx(1 / 3), pytest.approx(2 / 3), 1.0]  # 2 warmup epochs
    assert factors[11] == pytest.approx(0.5) and factors[20] == pytest.approx(0.0)
    assert all(a >= b for a, b in zip(factors[2:], factors[3:]))
    assert recipes.schedule_factor("warmup_cosine", 0, 1) == pytest.approx(0.5)
    assert recipes.get("gpt").schedule == "warmup_cosine"
