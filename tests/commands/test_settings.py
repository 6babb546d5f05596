"""The settings of a run (commands/settings.py): recipe < --config FILE < command line."""

import json

import pytest

from groundup.cli_common import SETTINGS, CLIError
from groundup.commands import settings


def test_resolve_layers_recipe_config_and_command_line():
    s = settings.resolve("mlp", {"epochs": 7, "lr": 0.5}, {"lr": 0.1})
    assert list(s) == list(SETTINGS)
    assert (s["epochs"], s["lr"], s["optimizer"], s["val_split"], s["seed"]) == \
        (7, 0.1, "adamw", 0.1, 0)
    assert s["label_smoothing"] == 0.0 and s["early_stopping"] is None


@pytest.mark.parametrize("key, value, normalised", [
    ("hidden", "64, 32", [64, 32]), ("hidden", [8], [8]), ("delimiter", "tab", "\t"),
    ("delimiter", ";", ";"), ("epochs", 3.0, 3), ("grad_clip", None, None), ("lr", 1, 1.0),
])
def test_values_are_normalised(key, value, normalised):
    assert settings.check(key, value) == normalised


@pytest.mark.parametrize("key, value, message", [
    ("epochs", True, "--epochs must be an integer"), ("batch_size", 0, "must be >= 1"),
    ("optimizer", "lamb", "must be one of adam, adamw"), ("schedule", "exp", "cosine"),
    ("seed", -1, "--seed must be >= 0"), ("weight_decay", -1.0, "must be >= 0"),
    ("model", "gpt9", "unknown model 'gpt9'"), ("hidden", "a,b", "widths like 256,128"),
])
def test_bad_values_name_the_option(key, value, message):
    with pytest.raises(CLIError, match=message):
        settings.check(key, value)


def test_config_files_round_trip_and_are_checked(tmp_path):
    s = settings.resolve("mlp", {"hidden": [16], "delimiter": "\t"})
    path = settings.write_config(str(tmp_path), s)
    assert settings.read_config(path) == s
    (tmp_path / "x.json").write_text("[1, 2]")
    with pytest.raises(CLIError, match="expected a JSON object"):
        settings.read_config(tmp_path / "x.json")
    (tmp_path / "x.json").write_text("{not json")
    with pytest.raises(CLIError, match="not a JSON config file"):
        settings.read_config(tmp_path / "x.json")
    (tmp_path / "x.json").write_text(json.dumps({"batch_size": "big"}))
    with pytest.raises(CLIError, match="x.json: batch_size must be an integer"):
        settings.read_config(tmp_path / "x.json")
    with pytest.raises(CLIError, match="no such file"):
        settings.read_config(tmp_path / "none.json")
