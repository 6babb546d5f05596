"""Zoo models: MLP and logistic regression build, learn, and round-trip through checkpoints."""

import numpy as np
import pytest

import groundup as gu
from groundup import nn
from groundup.data import DataLoader, TensorDataset
from groundup.models.mlp import MLP, LogisticRegression, MLPConfig
from groundup.train import fit


def test_mlp_layers_and_shapes():
    model = MLP(MLPConfig(in_features=4, hidden=[8, 6], out_features=3, dropout=0.1))
    kinds = [type(m).__name__ for m in model.net]
    assert kinds == ["Flatten", "Linear", "ReLU", "Dropout", "Linear", "ReLU", "Dropout",
                     "Linear"]
    assert model(gu.zeros(5, 4)).shape == (5, 3)
    assert model(gu.zeros(5, 2, 2)).shape == (5, 3)  # flattened
    n = sum(p.numel() for p in model.parameters())
    assert n == (4 * 8 + 8) + (8 * 6 + 6) + (6 * 3 + 3)


def test_mlp_rejects_unknown_activation():
    with pytest.raises(ValueError, match="unknown activation 'swish'"):
        MLP(MLPConfig(activation="swish"))


def test_logistic_regression_is_one_linear_layer():
    model = LogisticRegression(in_features=3, out_features=2)
    assert [name for name, _ in model.named_parameters()] == ["linear.weight", "linear.bias"]


def _train(model, X, y, epochs, lr):
    loader = DataLoader(TensorDataset(X, y), batch_size=32, shuffle=True, seed=0)
    opt = gu.optim.Adam(model.parameters(), lr=lr)
    return fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=epochs, progress=False)


def test_mlp_learns_xor_but_logistic_regression_cannot():
    X, y = gu.data.datasets.xor(n=200, noise=0.05, seed=0)
    gu.manual_seed(0)
    mlp = _train(gu.models.build("mlp", in_features=2, hidden=[16], out_features=2), X, y,
                 epochs=40, lr=0.02)
    gu.manual_seed(0)
    lin = _train(gu.models.build("logreg", in_features=2, out_features=2), X, y, epochs=40,
                 lr=0.02)
    assert mlp.history["accuracy"][-1] > 0.97
    assert mlp.history["loss"][-1] < 0.2
    assert lin.history["accuracy"][-1] < 0.8          # a line cannot separate XOR
    assert lin.history["loss"][-1] > 0.6              # stays near log 2 = 0.693


def test_mlp_learns_digits_on_a_small_budget():
    X, y = gu.data.datasets.load_digits(split="train")
    Xt, yt = gu.data.datasets.load_digits(split="test")
    gu.manual_seed(0)
    model = gu.models.build("mlp", hidden=[64])
    history = _train(model, X, y, epochs=8, lr=3e-3)
    assert history.history["loss"][-1] < 0.3 < np.log(10)   # far below chance (2.30)
    acc = gu.train.evaluate(model, DataLoader(TensorDataset(Xt, yt), batch_size=256),
                            metrics=("accuracy",))["accuracy"]
    assert acc > 0.9


def test_build_save_and_load_round_trip(tmp_path):
    gu.manual_seed(3)
    model = gu.models.build("mlp", in_features=5, hidden=[7], out_features=3)
    path = tmp_path / "m.safetensors"
    gu.models.save(model, path)
    loaded = gu.models.load(path)
    assert loaded.config == model.config
    assert not loaded.training
    x = gu.randn(4, 5)
    np.testing.assert_array_equal(loaded(x).numpy(), model.eval()(x).numpy())


def test_build_errors():
    with pytest.raises(KeyError, match="unknown model 'nosuchmodel'"):
        gu.models.build("nosuchmodel")
    with pytest.raises(TypeError, match="unknown config field"):
        gu.models.build("mlp", width=3)


def test_load_refuses_files_without_zoo_metadata(tmp_path):
    path = tmp_path / "w.safetensors"
    gu.save({"w": np.zeros(3, np.float32)}, path)
    with pytest.raises(ValueError, match="no zoo model metadata"):
        gu.models.load(path)


def test_load_rebuilds_from_a_training_checkpoint(tmp_path):
    gu.manual_seed(0)
    model = gu.models.build("logreg", in_features=3, out_features=2)
    opt = gu.optim.SGD(model.parameters(), lr=0.1)
    path = tmp_path / "ckpt.safetensors"
    gu.io.save_checkpoint(path, model, opt, epoch=1,
                          config=gu.models.registry.model_metadata(model))
    loaded = gu.models.load(path)
    np.testing.assert_array_equal(loaded.linear.weight.numpy(), model.linear.weight.numpy())
