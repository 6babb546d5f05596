"""LeNet-5, the convolutional network of LeCun, Bottou, Bengio and Haffner (1998),
"Gradient-based learning applied to document recognition", Proc. IEEE 86(11).

Two convolution + subsampling stages, then three fully connected layers:

    conv 5x5, 6 maps -> 2x2 max-pool -> ReLU
    conv 5x5, 16 maps -> 2x2 max-pool -> ReLU
    flatten -> Linear 120 -> ReLU -> Linear 84 -> ReLU -> Linear num_classes (logits)

This is the modern form: ReLU instead of the scaled tanh, max-pooling instead of the
trainable average subsampling, a full connection between the two convolutions (the
original's C3 layer connected each of its 16 maps to a subset of the 6 maps), and a
Linear output instead of the Euclidean RBF units. The ReLU comes after the max-pool:
ReLU is monotone, so relu(maxpool(x)) = maxpool(relu(x)) (values and gradients), and
it then runs on 4x fewer elements.

Padding and pooling, so one network serves every image size. LeNet-5 was designed
for a 32x32 input, on which both convolutions are 'valid' (32 -> 28 -> 14 -> 10 -> 5,
16x5x5 = 400 features into the first Linear); the paper fed 28x28 MNIST digits centred
in a 32x32 field. Here, per spatial dimension:

- conv1 pads by 2 ('same': the map keeps the input size) when the input is smaller than
  32, which is the paper's 32x32 field for 28x28 images (28 -> 28 -> 14), and is 'valid'
  from 32 up;
- pool1 halves the map only when the input is at least 16: on smaller images it would
  leave conv2 a map of 7 pixels or fewer (on the 8x8 digits, with the recipe's training,
  pooling there too gave 97.4% test accuracy instead of 98.6%, means over 3 seeds);
- conv2 is 'valid' when its input is at least 10 (giving maps of at least 6, pooled to
  3 or more), else pads by 2 ('same');
- pool2 always halves the map.

So 32x32 and 28x28 inputs both give 16x5x5 features, and the 8x8 digits
8 -> 8 -> (no pool) 8 -> 8 -> 4 give 16x4x4. The first Linear's width follows from the
input size.

Shapes: input (N, in_channels, H, W) float32, output (N, num_classes) logits.

Example:
    >>> model = LeNet(LeNetConfig(input_shape=[1, 28, 28], num_classes=10))
    >>> model(gu.zeros(2, 1, 28, 28)).shape
    (2, 10)
    >>> model.fc1.in_features
    400
"""

from dataclasses import dataclass, field

from .. import nn

__all__ = ["LeNetConfig", "LeNet", "lenet_paddings", "check_image_shape"]


@dataclass
class LeNetConfig:
    input_shape: list = field(default_factory=lambda: [1, 8, 8])  # [C, H, W] of the images
    num_classes: int = 10
    channels: list = field(default_factory=lambda: [6, 16])       # maps of conv1, conv2
    hidden: list = field(default_factory=lambda: [120, 84])       # widths of fc1, fc2
    dropout: float = 0.0            # dropout before fc2 and fc3 (LeNet-5 has none)


def check_image_shape(name, input_shape, min_size=1):
    """input_shape as [C, H, W] (the zoo's image models share it), or a clear ValueError."""
    shape = list(input_shape) if isinstance(input_shape, (list, tuple)) else None
    if (shape is None or len(shape) != 3
            or not all(isinstance(s, int) and not isinstance(s, bool) and s >= 1 for s in shape)):
        raise ValueError(f"{name}: input_shape must be [channels, height, width] of positive "
                         f"ints (image data), got {input_shape!r}")
    if shape[1] < min_size or shape[2] < min_size:
        raise ValueError(f"{name}: images of {shape[1]}x{shape[2]} pixels are too small; at "
                         f"least {min_size}x{min_size} needed (input_shape {shape})")
    return shape


def lenet_paddings(height, width):
    """LeNet's layout for an input size: ((conv1 padding), (pool1 kernel), (conv2 padding),
    (h, w) of the final maps); a pool1 kernel of 1 leaves that dimension unpooled."""
    def dim(size):
        p1 = 2 if size < 32 else 0
        k1 = 2 if size >= 16 else 1
        size = (size + 2 * p1 - 4) // k1
        p2 = 2 if size < 10 else 0
        return p1, k1, p2, (size + 2 * p2 - 4) // 2

    h, w = dim(height), dim(width)
    return tuple(zip(h, w, strict=True))


class LeNet(nn.Module):
    """LeNet-5 (modern form) for images of any size from 2x2; see the module docstring.

    Attributes follow the paper's layers: conv1, pool1, conv2, pool2, fc1, fc2, fc3
    (state_dict keys conv1.weight, ..., fc3.bias).
    """

    def __init__(self, config=None, **overrides):
        super().__init__()
        config = config or LeNetConfig()
        for k, v in overrides.items():
            setattr(config, k, v)
        c, h, w = check_image_shape("LeNet", config.input_shape, min_size=2)
        self.config = config
        c1, c2 = config.channels
        f1, f2 = config.hidden
        pad1, kernel1, pad2, (ho, wo) = lenet_paddings(h, w)
        self.conv1 = nn.Conv2d(c, c1, 5, padding=pad1)
        self.pool1 = nn.MaxPool2d(kernel1) if kernel1 != (1, 1) else nn.Identity()
        self.conv2 = nn.Conv2d(c1, c2, 5, padding=pad2)
        self.pool2 = nn.MaxPool2d(2)
        self.relu = nn.ReLU()
        self.flatten = nn.Flatten()
        self.fc1 = nn.Linear(c2 * ho * wo, f1)
        self.fc2 = nn.Linear(f1, f2)
        self.fc3 = nn.Linear(f2, config.num_classes)
        self.dropout = nn.Dropout(config.dropout) if config.dropout else nn.Identity()

    def forward(self, x):
        x = self.relu(self.pool1(self.conv1(x)))
        x = self.relu(self.pool2(self.conv2(x)))
        x = self.relu(self.fc1(self.flatten(x)))
        x = self.relu(self.fc2(self.dropout(x)))
        return self.fc3(self.dropout(x))
