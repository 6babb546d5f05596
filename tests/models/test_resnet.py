"""Zoo model resnet: shapes for every image size, torchvision-like names, parity with the
same network in PyTorch, learning on digits, and the build/save/load round trip."""

import numpy as np
import pytest
from helpers import check_layer, require_torch

import groundup as gu
from groundup import nn
from groundup.data import DataLoader, TensorDataset
from groundup.models.resnet import BasicBlock, ResNet, ResNetConfig
from groundup.train import fit


@pytest.mark.parametrize("shape", [(1, 8, 8), (1, 28, 28), (3, 32, 32), (2, 5, 9)])
def test_builds_for_every_image_size(shape):
    model = gu.models.build("resnet", input_shape=list(shape), num_classes=7, blocks=[1, 1, 1])
    assert model.conv1.in_channels == shape[0]
    assert model(gu.zeros(2, *shape)).shape == (2, 7)


def test_torchvision_names_and_shortcuts():
    model = ResNet(ResNetConfig(input_shape=[1, 32, 32], widths=[4, 8, 8], blocks=[2, 1, 1]))
    keys = list(model.state_dict())
    assert keys[:6] == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean",
                        "bn1.running_var", "bn1.num_batches_tracked"]
    assert "layer1.1.conv2.weight" in keys and "fc.weight" in keys
    assert model.layer1[0].downsample is None                      # identity shortcut
    assert isinstance(model.layer2[0].downsample[0], nn.Conv2d)    # 1x1 projection, stride 2
    assert model.layer2[0].downsample[0].stride == (2, 2)
    assert isinstance(model.layer3[0].downsample[1], nn.BatchNorm2d)  # stride 2, same width
    assert not hasattr(model, "layer4")


@pytest.mark.parametrize("shape,strides", [((1, 8, 8), [(1, 1), (1, 1)]),
                                           ((1, 28, 28), [(2, 2), (2, 2)]),
                                           ((3, 32, 32), [(2, 2), (2, 2)]),
                                           ((1, 12, 40), [(2, 2), (1, 2)])])
def test_layers_halve_maps_bigger_than_downsample_above(shape, strides):
    """8x8 digits keep their resolution; 28 -> 14 -> 7; 32 -> 16 -> 8; per dimension."""
    model = gu.models.build("resnet", input_shape=list(shape))
    assert [model.layer2[0].conv1.stride, model.layer3[0].conv1.stride] == strides
    assert model.layer2[0].downsample[0].stride == strides[0]    # the projection follows


def test_zero_init_residual_starts_every_block_as_the_identity_mapping():
    model = ResNet(ResNetConfig(widths=[4, 8], blocks=[1, 1], zero_init_residual=True))
    for block in (model.layer1[0], model.layer2[0]):
        assert not block.bn2.weight.numpy().any()
    x = gu.rand(2, 4, 6, 6)
    block = model.layer1[0]
    np.testing.assert_allclose(block(x).numpy(), x.relu().numpy())


def test_rejects_bad_configs():
    with pytest.raises(ValueError, match="ResNet: widths and blocks must be lists"):
        ResNet(ResNetConfig(widths=[4, 8], blocks=[1]))
    with pytest.raises(ValueError, match=r"ResNet: input_shape must be \[channels"):
        ResNet(ResNetConfig(input_shape=[64]))


def _torch_resnet(torch, channels, widths, blocks, strides, classes):
    """The same network in PyTorch (as torchvision's ResNet with a 3x3 stem, no max-pool)."""
    tnn = torch.nn

    class TorchBlock(tnn.Module):
        def __init__(self, inplanes, planes, stride):
            super().__init__()
            self.conv1 = tnn.Conv2d(inplanes, planes, 3, stride, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(planes)
            self.relu = tnn.ReLU()
            self.conv2 = tnn.Conv2d(planes, planes, 3, 1, 1, bias=False)
            self.bn2 = tnn.BatchNorm2d(planes)
            self.downsample = None
            if stride != (1, 1) or inplanes != planes:
                self.downsample = tnn.Sequential(
                    tnn.Conv2d(inplanes, planes, 1, stride, bias=False), tnn.BatchNorm2d(planes))

        def forward(self, x):
            identity = x if self.downsample is None else self.downsample(x)
            out = self.relu(self.bn1(self.conv1(x)))
            return self.relu(self.bn2(self.conv2(out)) + identity)

    class TorchResNet(tnn.Module):
        def __init__(self):
            super().__init__()
            self.conv1 = tnn.Conv2d(channels, widths[0], 3, 1, 1, bias=False)
            self.bn1 = tnn.BatchNorm2d(widths[0])
            self.relu = tnn.ReLU()
            inplanes = widths[0]
            for i, (w, n, stride) in enumerate(zip(widths, blocks, strides, strict=True)):
                layer = [TorchBlock(inplanes, w, stride)]
                layer += [TorchBlock(w, w, (1, 1)) for _ in range(n - 1)]
                setattr(self, f"layer{i + 1}", tnn.Sequential(*layer))
                inplanes = w
            self.avgpool = tnn.AdaptiveAvgPool2d((1, 1))
            self.fc = tnn.Linear(inplanes, classes)

        def forward(self, x):
            x = self.relu(self.bn1(self.conv1(x)))
            for i in range(len(widths)):
                x = getattr(self, f"layer{i + 1}")(x)
            return self.fc(self.avgpool(x).flatten(1))

    return TorchResNet()


def _randomise_batchnorm(torch, model):
    """Non-trivial affine parameters and running statistics, so eval mode is tested too."""
    gen = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                c = m.num_features
                m.weight.copy_(0.5 + torch.rand(c, generator=gen))
                m.bias.copy_(0.2 * torch.randn(c, generator=gen))
                m.running_mean.copy_(0.1 * torch.randn(c, generator=gen))
                m.running_var.copy_(0.5 + torch.rand(c, generator=gen))


@pytest.mark.parametrize("shape,strides", [((3, 8, 8), [(1, 1), (2, 2), (1, 1)]),
                                           ((1, 7, 9), [(1, 1), (2, 2), (1, 2)])])
def test_matches_pytorch(shape, strides):
    """Outputs, every parameter's gradient and the running statistics equal PyTorch's with
    the weights copied through state_dict (strictly, both ways), in train and eval mode;
    identity shortcuts, projections with stride 2, 1 and (1, 2), odd sizes."""
    torch = require_torch()
    torch.manual_seed(0)
    widths, blocks = [4, 8, 12], [2, 1, 1]
    ref = _torch_resnet(torch, shape[0], widths, blocks, strides, 5)
    _randomise_batchnorm(torch, ref)
    model = gu.models.build("resnet", input_shape=list(shape), num_classes=5, widths=widths,
                            blocks=blocks, downsample_above=4)
    assert [layer[0].conv1.stride for layer in (model.layer1, model.layer2, model.layer3)] \
        == strides
    x = np.random.default_rng(1).standard_normal((4,) + shape)
    for mode in (False, True):   # eval first: train mode moves the running statistics
        ref.train(mode)
        check_layer(model, ref, x, float64=shape == (3, 8, 8))
    ref.load_state_dict({k: torch.tensor(v) for k, v in model.state_dict().items()}, strict=True)


def test_learns_digits_quickly():
    X, y = gu.data.datasets.load_digits(split="train", as_images=True)
    gu.manual_seed(0)
    model = gu.models.build("resnet", widths=[16, 32, 32])
    loader = DataLoader(TensorDataset(X[:320], y[:320]), batch_size=32, shuffle=True, seed=0)
    opt = gu.optim.AdamW(model.parameters(), lr=5e-3, weight_decay=1e-2)
    history = fit(model, loader, gu.nn.CrossEntropyLoss(), opt, epochs=5, progress=False)
    assert history.history["loss"][-1] < 0.5 < np.log(10)    # chance is ln 10 = 2.30


def test_build_save_and_load_round_trip(tmp_path):
    gu.manual_seed(2)
    model = gu.models.build("resnet", input_shape=[3, 12, 12], num_classes=4, widths=[4, 8],
                            blocks=[1, 1])
    model.train()
    model(gu.randn(8, 3, 12, 12))          # running statistics away from their start
    path = tmp_path / "resnet.safetensors"
    gu.models.save(model, path)
    loaded = gu.models.load(path)
    assert isinstance(loaded, ResNet) and loaded.config == model.config
    assert isinstance(loaded.layer2[0], BasicBlock)
    x = gu.randn(2, 3, 12, 12)
    np.testing.assert_array_equal(loaded(x).numpy(), model.eval()(x).numpy())
