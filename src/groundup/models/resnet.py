"""A small residual network: He, Zhang, Ren and Sun (2016), "Deep residual learning for
image recognition", CVPR (the CIFAR-10 networks of its section 4.2).

A residual block learns a correction F(x) to its input instead of a whole mapping,
y = relu(F(x) + shortcut(x)), so the gradient reaches early layers through the
identity path undiminished and deep stacks train. The basic block is

    F(x) = bn2(conv2(relu(bn1(conv1(x)))))     two 3x3 convolutions with BatchNorm

and the shortcut is the identity, or, where the block halves the map (stride 2) or
changes the width, a 1x1 convolution with stride and BatchNorm (`downsample`, option B
of the paper). The network:

    stem:   conv 3x3 (widths[0]) -> BatchNorm2d -> ReLU
    layer1: blocks[0] basic blocks of width widths[0], stride 1
    layer2: blocks[1] basic blocks of width widths[1], the first with stride 2
            where the map is bigger than `downsample_above` (8), else stride 1
    ...     (one layer per entry of widths, each like layer2)
    global average pooling -> flatten -> Linear num_classes (logits)

The defaults (widths 32, 64, 128, one block per layer: 8 layers with weights, a
"ResNet-8") are the paper's CIFAR network made shallower and twice as wide. The stem
keeps the input size (no 7x7 stride-2 convolution or max-pool as for ImageNet), and a
layer halves its map (per dimension) only while the map is bigger than 8, so the last
maps are about 8x8 or smaller whatever the input: 32x32 CIFAR images go 32 -> 16 -> 8,
28x28 MNIST 28 -> 14 -> 7, and the 8x8 digits keep 8x8 throughout (halving them to
4x4 and 2x2 as the paper's rule would gave 98.6% test accuracy instead of 99.3%, means
over 3 seeds with the recipe's training). Global average pooling makes the
classifier independent of the input size. Names follow torchvision's ResNet (conv1,
bn1, layer1.0.conv1, layer2.0.downsample.0, fc, ...), so the state_dict keys are the
same.

Shapes: input (N, in_channels, H, W) float32, output (N, num_classes) logits.

Example:
    >>> model = ResNet(ResNetConfig(input_shape=[3, 32, 32], num_classes=10))
    >>> model(gu.zeros(2, 3, 32, 32)).shape
    (2, 10)
    >>> sorted(k for k in model.state_dict() if k.startswith("layer2.0.downsample"))[:2]
    ['layer2.0.downsample.0.weight', 'layer2.0.downsample.1.bias']
"""

from dataclasses import dataclass, field

from .. import nn
from ..nn import init
from .lenet import check_image_shape

__all__ = ["BasicBlock", "ResNetConfig", "ResNet"]


def conv3x3(in_planes, out_planes, stride=1):
    """3x3 convolution with padding 1 and no bias (a BatchNorm follows)."""
    return nn.Conv2d(in_planes, out_planes, 3, stride=stride, padding=1, bias=False)


class BasicBlock(nn.Module):
    """Residual block y = relu(bn2(conv2(relu(bn1(conv1(x))))) + shortcut(x)).

    `downsample` is the shortcut: None for the identity (same width, stride 1), else a
    module mapping x to the block's output shape (a 1x1 convolution with `stride` and a
    BatchNorm). Arguments and attribute names as torchvision's BasicBlock.

    Shapes: input (N, inplanes, H, W), output (N, planes, ceil(H / stride), ceil(W / stride)).

    Example:
        >>> block = BasicBlock(16, 32, stride=2, downsample=nn.Sequential(
        ...     nn.Conv2d(16, 32, 1, stride=2, bias=False), nn.BatchNorm2d(32)))
        >>> block(gu.zeros(2, 16, 8, 8)).shape
        (2, 32, 4, 4)
    """

    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU()
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x if self.downsample is None else self.downsample(x)
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + identity)


@dataclass
class ResNetConfig:
    input_shape: list = field(default_factory=lambda: [1, 8, 8])  # [C, H, W] of the images
    num_classes: int = 10
    widths: list = field(default_factory=lambda: [32, 64, 128])  # channels of each layer
    blocks: list = field(default_factory=lambda: [1, 1, 1])      # basic blocks per layer
    downsample_above: int = 8         # layers 2.. halve (stride 2) only maps bigger than this
    zero_init_residual: bool = False  # start each block's bn2 at zero (block = identity)


class ResNet(nn.Module):
    """Small residual network for images of any size; see the module docstring.

    Layers are attributes conv1, bn1, relu, layer1 ... layerK (Sequentials of BasicBlock),
    avgpool, fc, as in torchvision. Initialisation as torchvision's: convolutions
    Kaiming-normal (fan_out, ReLU gain), BatchNorm weight 1 and bias 0, the Linear as
    PyTorch's default.
    """

    def __init__(self, config=None, **overrides):
        super().__init__()
        config = config or ResNetConfig()
        for k, v in overrides.items():
            setattr(config, k, v)
        c, h, w = check_image_shape("ResNet", config.input_shape)
        widths, blocks = list(config.widths), list(config.blocks)
        if not widths or len(widths) != len(blocks) or min(blocks) < 1:
            raise ValueError(f"ResNet: widths and blocks must be lists of the same length with "
                             f"at least one block per layer, got widths {config.widths!r}, "
                             f"blocks {config.blocks!r}")
        self.config = config
        self.conv1 = conv3x3(c, widths[0])
        self.bn1 = nn.BatchNorm2d(widths[0])
        self.relu = nn.ReLU()
        self.inplanes = widths[0]
        self.num_layers = len(widths)
        for i, (width, n) in enumerate(zip(widths, blocks, strict=True)):
            stride = (1, 1) if i == 0 else tuple(
                2 if size > config.downsample_above else 1 for size in (h, w))
            h, w = (h - 1) // stride[0] + 1, (w - 1) // stride[1] + 1
            self.add_module(f"layer{i + 1}", self._make_layer(width, n, stride))
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.flatten = nn.Flatten()
        self.fc = nn.Linear(self.inplanes, config.num_classes)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, nn.BatchNorm2d):
                init.ones_(m.weight)
                init.zeros_(m.bias)
        if config.zero_init_residual:
            for m in self.modules():
                if isinstance(m, BasicBlock):
                    init.zeros_(m.bn2.weight)

    def _make_layer(self, planes, n, stride):
        downsample = None
        if stride != (1, 1) or self.inplanes != planes:
            downsample = nn.Sequential(
                nn.Conv2d(self.inplanes, planes, 1, stride=stride, bias=False),
                nn.BatchNorm2d(planes))
        layers = [BasicBlock(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes
        layers += [BasicBlock(planes, planes) for _ in range(n - 1)]
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.relu(self.bn1(self.conv1(x)))
        for i in range(1, self.num_layers + 1):
            x = getattr(self, f"layer{i}")(x)
        return self.fc(self.flatten(self.avgpool(x)))
