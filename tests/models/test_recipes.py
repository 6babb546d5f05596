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
    assert list(hp) == ["epochs", "batch_size", "lr", "optimizer", "weight_decay", "lr_gamma",
                        "label_smoothing"]
    assert hp["optimizer"] == "adamw" and recipes.get("mlp").data == "digits"


@pytest.mark.parametrize("name,cls", [("adam", "Adam"), ("adamw", "AdamW"), ("sgd", "SGD"),
                                      ("rmsprop", "RMSprop")])
def test_optimizer_scheduler_and_loss_come_from_the_settings(name, cls):
    model = gu.models.build("logreg", in_features=4, out_features=3)
    opt = recipes.optimizer(name, model.parameters(), lr=0.1, weight_decay=0.0)
    assert type(opt).__name__ == cls and opt.param_groups[0]["lr"] == 0.1
    sched = recipes.scheduler(opt, {"lr_gamma": 0.5})
    assert type(sched).__name__ == "ExponentialLR"
    loss = recipes.loss({"label_smoothing": 0.1})
    assert isinstance(loss, gu.nn.CrossEntropyLoss) and loss.label_smoothing == 0.1


def test_unknown_names_are_refused_clearly():
    with pytest.raises(ValueError, match="unknown optimizer 'lamb'; expected one of adam"):
        recipes.optimizer("lamb", [], lr=0.1)
    with pytest.raises(KeyError, match="no training recipe for model 'gpt'"):
        recipes.get("gpt")


def test_the_registry_lists_models_and_holds_no_training_settings():
    spec = gu.models.get("mlp")
    assert not hasattr(spec, "hparams") and not hasattr(spec, "data")
