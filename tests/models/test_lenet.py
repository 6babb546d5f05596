"""Zoo model lenet: shapes for every image size, parity with the same network in PyTorch,
learning on digits, and the build/save/load round trip."""

import numpy as np
import pytest
from helpers import check_layer, require_torch

import groundup as gu
from groundup.data import DataLoader, TensorDataset
from groundup.models.lenet import LeNet, LeNetConfig, lenet_paddings
from groundup.train import fit

SHAPES = [(1, 8, 8), (1, 28, 28), (3, 32, 32)]


@pytest.mark.parametrize("shape,features", [((1, 8, 8), 16 * 4 * 4), ((1, 28, 28), 16 * 5 * 5),
                                            ((3, 32, 32), 16 * 5 * 5), ((1, 2, 2), 16),
                                            ((2, 12, 33), 16 * 4 * 5)])
def test_builds_for_every_image_size(shape, features):
    model = gu.models.build("lenet", input_shape=list(shape), num_classes=7)
    assert model.fc1.in_features == features
    assert model(gu.zeros(3, *shape)).shape == (3, 7)
    assert model.conv1.in_channels == shape[0]


def test_layout_follows_lenet5():
    """(conv1 padding, pool1 kernel, conv2 padding, final map size) per input size."""
    assert lenet_paddings(32, 32) == ((0, 0), (2, 2), (0, 0), (5, 5))  # the paper's input
    assert lenet_paddings(28, 28) == ((2, 2), (2, 2), (0, 0), (5, 5))  # MNIST in a 32x32 field
    assert lenet_paddings(8, 8) == ((2, 2), (1, 1), (2, 2), (4, 4))    # small: no pool1
    model = gu.models.build("lenet", input_shape=[1, 8, 8])
    assert type(model.pool1).__name__ == "Identity"
    model = gu.models.build("lenet", input_shape=[1, 8, 28])
    assert model.pool1.kernel_size == (1, 2) and model.fc1.in_features == 16 * 4 * 5


def test_rejects_what_is_not_an_image_shape():
    with pytest.raises(ValueError, match=r"LeNet: input_shape must be \[channels, height"):
        LeNet(LeNetConfig(input_shape=[64]))
    with pytest.raises(ValueError, match="LeNet: images of 1x5 pixels are too small"):
        LeNet(LeNetConfig(input_shape=[1, 1, 5]))
    model = LeNet(LeNetConfig(input_shape=[1, 8, 8]))
    with pytest.raises(ValueError, match="expected input with 1 channels"):
        model(gu.zeros(2, 3, 8, 8))


def _torch_lenet(torch, channels, classes, pad1, kernel1, pad2, features):
    """The same network in PyTorch, in the textbook order conv -> ReLU -> pool (groundup's
    pool -> ReLU is the same function)."""
    tnn = torch.nn

    class TorchLeNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Conv2d(channels, 6, 5, padding=pad1)
            self.conv2 = tnn.Conv2d(6, 16, 5, padding=pad2)
            self.fc1 = tnn.Linear(features, 120)
            self.fc2 = tnn.Linear(120, 84)
            self.fc3 = tnn.Linear(84, classes)

        def forward(self, x):
            f = tnn.functional
            x = f.max_pool2d(f.relu(self.conv1(x)), kernel1)
            x = f.max_pool2d(f.relu(self.conv2(x)), 2)
            x = f.relu(self.fc1(x.flatten(1)))
            return self.fc3(f.relu(self.fc2(x)))

    return TorchLeNet()


@pytest.mark.parametrize("shape", SHAPES)
def test_matches_pytorch(shape):
    """Outputs and every parameter's gradient equal PyTorch's with the weights copied
    through state_dict (strictly, both ways), in train and eval mode."""
    torch = require_torch()
    torch.manual_seed(0)
    model = gu.models.build("lenet", input_shape=list(shape), num_classes=10)
    pad1, kernel1, pad2, _ = lenet_paddings(*shape[1:])
    ref = _torch_lenet(torch, shape[0], 10, pad1, kernel1, pad2, model.fc1.in_features)
    x = np.random.default_rng(1).random((4,) + shape)
    for mode in (True, False):
        ref.train(mode)
        check_layer(model, ref, x, float64=shape == (1, 8, 8))
    ref.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()}, strict=True)


def test_learns_digits_quickly():
    X, y = gu.data.datasets.load_digits(split="train", as_images=True)
    gu.manual_seed(0)
    model = gu.models.build("lenet")
    loader = DataLoader(TensorDataset(X[:640], y[:640]), batch_size=32, shuffle=True, seed=0)
    opt = gu.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=1e-2)
    history = fit(model, loader, gu.nn.CrossEntropyLoss(), opt, epochs=6, progress=False)
    assert history.history["loss"][-1] < 0.5 < np.log(10)    # chance is ln 10 = 2.30


def test_build_save_and_load_round_trip(tmp_path):
    gu.manual_seed(2)
    model = gu.models.build("lenet", input_shape=[3, 32, 32], num_classes=5)
    path = tmp_path / "lenet.safetensors"
    gu.models.save(model, path)
    loaded = gu.models.load(path)
    assert isinstance(loaded, LeNet) and loaded.config == model.config
    x = gu.randn(2, 3, 32, 32)
    np.testing.assert_array_equal(loaded(x).numpy(), model.eval()(x).numpy())
