"""Zoo model cnn (VGG-style): shapes for every image size, where it pools, parity with the
same network in PyTorch, learning on digits, and the build/save/load round trip."""

import numpy as np
import pytest
from helpers import check_layer, require_torch

import groundup as gu
from groundup import nn
from groundup.data import DataLoader, TensorDataset
from groundup.models.cnn import CNN, CNNConfig
from groundup.train import fit


@pytest.mark.parametrize("shape,maps", [((1, 8, 8), (2, 2)), ((1, 28, 28), (3, 3)),
                                        ((3, 32, 32), (4, 4)), ((2, 5, 12), (2, 1)),
                                        ((1, 1, 1), (1, 1))])
def test_builds_for_every_image_size(shape, maps):
    model = gu.models.build("cnn", input_shape=list(shape), num_classes=7)
    assert model.features[0].in_channels == shape[0]
    assert model.classifier[2].in_features == 128 * maps[0] * maps[1]
    assert model(gu.zeros(3, *shape)).shape == (3, 7)


def test_blocks_are_conv_bn_relu_twice_then_pool():
    model = CNN(CNNConfig(input_shape=[1, 8, 8], channels=[4, 8], hidden=16))
    kinds = [type(m).__name__ for m in model.features]
    block = ["Conv2d", "BatchNorm2d", "ReLU", "Conv2d", "BatchNorm2d", "MaxPool2d", "ReLU"]
    assert kinds == block + block
    assert all(m.bias is None for m in model.features if isinstance(m, nn.Conv2d))
    assert [type(m).__name__ for m in model.classifier] == [
        "Dropout", "Flatten", "Linear", "ReLU", "Dropout", "Linear"]
    assert model.classifier[2].in_features == 8 * 2 * 2


def test_rejects_bad_configs():
    with pytest.raises(ValueError, match="CNN: channels must list at least one block"):
        CNN(CNNConfig(channels=[]))
    with pytest.raises(ValueError, match=r"CNN: input_shape must be \[channels"):
        CNN(CNNConfig(input_shape=[1, 8]))


def _torch_cnn(torch, model):
    """The same layers in PyTorch, one for one (so the state_dict keys match)."""
    tnn = torch.nn
    same = {"ReLU": lambda m: tnn.ReLU(), "Flatten": lambda m: tnn.Flatten(),
            "Dropout": lambda m: tnn.Dropout(m.p),
            "BatchNorm2d": lambda m: tnn.BatchNorm2d(m.num_features),
            "MaxPool2d": lambda m: tnn.MaxPool2d(m.kernel_size),
            "Conv2d": lambda m: tnn.Conv2d(m.in_channels, m.out_channels, 3, padding=1,
                                           bias=False),
            "Linear": lambda m: tnn.Linear(m.in_features, m.out_features)}

    class TorchCNN(tnn.Module):
        def __init__(self):
            super().__init__()
            self.features = tnn.Sequential(*[same[type(m).__name__](m) for m in model.features])
            self.classifier = tnn.Sequential(*[same[type(m).__name__](m)
                                               for m in model.classifier])

        def forward(self, x):
            return self.classifier(self.features(x))

    return TorchCNN()


def test_matches_pytorch():
    """Outputs, parameter gradients and running statistics equal PyTorch's, train and eval."""
    torch = require_torch()
    torch.manual_seed(0)
    model = gu.models.build("cnn", input_shape=[2, 8, 6], num_classes=4, channels=[4, 6],
                            hidden=8, dropout=0.0)
    ref = _torch_cnn(torch, model)
    x = np.random.default_rng(1).standard_normal((4, 2, 8, 6))
    for mode in (True, False):
        ref.train(mode)
        check_layer(model, ref, x)
    ref.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()}, strict=True)


def test_learns_digits_quickly():
    X, y = gu.data.datasets.load_digits(split="train", as_images=True)
    gu.manual_seed(0)
    model = gu.models.build("cnn", channels=[16, 32, 32], hidden=64)
    loader = DataLoader(TensorDataset(X[:320], y[:320]), batch_size=32, shuffle=True, seed=0)
    opt = gu.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=1e-2)
    history = fit(model, loader, gu.nn.CrossEntropyLoss(), opt, epochs=5, progress=False)
    assert history.history["loss"][-1] < 0.5 < np.log(10)    # chance is ln 10 = 2.30


def test_build_save_and_load_round_trip(tmp_path):
    gu.manual_seed(2)
    model = gu.models.build("cnn", input_shape=[3, 32, 32], num_classes=5, channels=[4, 8],
                            hidden=16)
    model.train()
    model(gu.randn(8, 3, 32, 32))          # running statistics away from their start
    path = tmp_path / "cnn.safetensors"
    gu.models.save(model, path)
    loaded = gu.models.load(path)
    assert isinstance(loaded, CNN) and loaded.config == model.config
    x = gu.randn(2, 3, 32, 32)
    np.testing.assert_array_equal(loaded(x).numpy(), model.eval()(x).numpy())
