"""CapsNet: a convolution, primary capsules, digit capsules with routing by agreement,
and a reconstruction decoder.

Sabour, Frosst and Hinton (2017), "Dynamic routing between capsules", NeurIPS.

    image (N, C, H, W)
    -> Conv2d (conv_channels, conv_kernel) -> ReLU
    -> PrimaryCapsules (primary_types x primary_dim-D capsules per position, squashed)
    -> DigitCapsules (one digit_dim-D capsule per class, `iterations` of routing)
    -> lengths |v_k| (N, num_classes): the class scores (probabilities in [0, 1))

The decoder reconstructs the image from the digit capsules with every capsule but one
masked to zero: the true class's in training, the longest at test time; an MLP
(decoder_hidden, ReLU) with a sigmoid output (images scaled to [0, 1]). The loss
(CapsNetLoss) is the margin loss of the lengths plus recon_weight (0.0005) times the
sum of squared reconstruction errors per image (scaled by 784 / pixels, so the term
weighs the same on any image size as on the paper's 28x28), which keeps the capsules
describing the digit (its pose, stroke thickness, ...).

Sizes follow from input_shape: images of 20 pixels or more take the paper's (conv 9x9
with 256 channels; primary capsules 9x9 stride 2, 32 types of 8-D capsules, 1152 capsules
on 28x28 MNIST; 16-D digit capsules; decoder 512, 1024); smaller ones (the bundled 8x8
digits) take 3x3 kernels, stride 1 and 16 types (256 primary capsules on 8x8), the
paper's 256 convolution channels and a decoder of 128, 256. A field set in the config
wins over the derived value.

Shapes: input (N, C, H, W) float32, output (N, num_classes) capsule lengths.

Example:
    >>> model = CapsNet(CapsNetConfig(input_shape=[1, 28, 28]))
    >>> model(gu.zeros(2, 1, 28, 28)).shape
    (2, 10)
    >>> model.digits.weight.shape              # (in caps, out caps, out dim, in dim)
    (1152, 10, 16, 8)
"""

from dataclasses import dataclass, field

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..nn import functional as F
from ..ops.common import as_tensor
from .lenet import check_image_shape

__all__ = ["CapsNetConfig", "CapsNet", "CapsNetLoss", "perturb_capsule"]

PAPER_SIZE = 20   # images at least this tall and wide take the paper's sizes
PAPER_PIXELS = 784  # the paper's images (28x28), for which the reconstruction weight is given


@dataclass
class CapsNetConfig:
    input_shape: list = field(default_factory=lambda: [1, 8, 8])  # [C, H, W] of the images
    num_classes: int = 10
    conv_channels: int = 256       # channels of the first convolution (the paper's)
    conv_kernel: int = None        # None: 9 or 3
    primary_types: int = None      # capsule types of the primary layer, None: 32 or 16
    primary_dim: int = 8           # length of a primary capsule vector
    primary_kernel: int = None     # None: 9 or 3
    primary_stride: int = None     # None: 2 or 1
    digit_dim: int = 16            # length of a class capsule vector
    iterations: int = 3            # routing iterations
    detach_routing: bool = False   # stop the gradient through all but the last iteration
    decoder_hidden: list = None    # None: [512, 1024] or [128, 256]


def _derive(config):
    """Fill the None fields of `config` from its input_shape."""
    _, h, w = config.input_shape
    paper = min(h, w) >= PAPER_SIZE
    derived = {"conv_kernel": 9 if paper else 3,
               "primary_types": 32 if paper else 16, "primary_kernel": 9 if paper else 3,
               "primary_stride": 2 if paper else 1,
               "decoder_hidden": [512, 1024] if paper else [128, 256]}
    for name, value in derived.items():
        if getattr(config, name) is None:
            setattr(config, name, value)


class CapsNet(nn.Module):
    """conv -> primary capsules -> digit capsules (routing) -> lengths, plus `decoder`;
    see the module docstring."""

    def __init__(self, config=None, **overrides):
        super().__init__()
        config = config or CapsNetConfig()
        for k, v in overrides.items():
            setattr(config, k, v)
        c, h, w = check_image_shape("CapsNet", config.input_shape)
        _derive(config)
        self.config = config
        self.input_shape = (c, h, w)
        self.num_classes = config.num_classes
        k = config.conv_kernel
        if h - k + 1 < config.primary_kernel or w - k + 1 < config.primary_kernel:
            raise ValueError(f"CapsNet: images of {h}x{w} are too small for a {k}x{k} conv "
                             f"followed by {config.primary_kernel}x{config.primary_kernel} "
                             f"primary capsules")
        self.conv = nn.Conv2d(c, config.conv_channels, k)
        self.primary = nn.PrimaryCapsules(config.conv_channels, config.primary_types,
                                          config.primary_dim, config.primary_kernel,
                                          stride=config.primary_stride)
        in_caps = self.primary.output_capsules(h - k + 1, w - k + 1)
        self.digits = nn.DigitCapsules(in_caps, config.primary_dim, config.num_classes,
                                       config.digit_dim, iterations=config.iterations,
                                       detach_routing=config.detach_routing)
        layers, width = [], config.num_classes * config.digit_dim
        for hidden in config.decoder_hidden:
            layers += [nn.Linear(width, hidden), nn.ReLU()]
            width = hidden
        layers += [nn.Linear(width, c * h * w), nn.Sigmoid()]
        self.decoder = nn.Sequential(*layers)

    def capsules(self, x):
        """The digit capsules v (N, num_classes, digit_dim) of images x (N, C, H, W)."""
        x = as_tensor(x)
        if x.ndim != 4 or tuple(x.shape[1:]) != self.input_shape:
            shape = ", ".join(map(str, self.input_shape))
            raise ValueError(f"CapsNet: expected images (N, {shape}), got {tuple(x.shape)}")
        return self.digits(self.primary(self.conv(x).relu()))

    def forward(self, x):
        return lengths(self.capsules(x))

    def decode(self, v, labels):
        """Images (N, C, H, W) reconstructed from capsules v (N, K, D), every capsule but the
        one of `labels` (N,) set to zero."""
        N, K, D = v.shape
        mask = F.one_hot(as_tensor(labels), K).to(v.dtype)               # (N, K)
        flat = (v * mask.unsqueeze(2)).reshape(N, K * D)                 # (N, K*D)
        return self.decoder(flat).reshape(N, *self.input_shape)

    def forward_with_reconstruction(self, x, labels=None):
        """(lengths (N, K), reconstructions (N, C, H, W)); the decoder sees the capsule of
        `labels` (the true classes, in training) or, when None, of the longest capsule."""
        v = self.capsules(x)
        scores = lengths(v)
        if labels is None:
            labels = scores.array.argmax(axis=1)
        return scores, self.decode(v, labels)


def lengths(v, eps=1e-9):
    """|v| along the last dim, sqrt(sum v^2 + eps) (finite gradient at v = 0)."""
    return ((v * v).sum(dim=-1) + eps).sqrt()


def perturb_capsule(model, x, steps=11, span=0.25):
    """The reconstructions of image x (C, H, W) with one dimension of its predicted class's
    capsule moved by each of `steps` values in [-span, span]: (digit_dim * steps, C, H, W),
    row d holding dimension d's sweep (the paper's Figure 4)."""
    with no_grad():
        v = model.capsules(as_tensor(x).reshape(1, *model.input_shape))   # (1, K, D)
        label = int(lengths(v).array.argmax())
        D = v.shape[2]
        deltas = np.linspace(-span, span, steps).astype(v.array.dtype)
        batch = np.repeat(v.array, D * steps, axis=0)                      # (D*steps, K, D)
        for d in range(D):
            batch[d * steps:(d + 1) * steps, label, d] += deltas
        labels = np.full(D * steps, label, dtype=np.int64)
        return model.decode(as_tensor(batch), labels)


class CapsNetLoss(nn.Module):
    """The margin loss of the capsule lengths (forward: what validation and test report)
    and, with `terms`, the training loss: margin + recon_weight * 784 / P * (sum of squared
    reconstruction errors over an image's P pixels), averaged over the batch.

    recon_weight is the paper's 0.0005 for its 784-pixel (28x28) images; scaled by 784 / P
    the reconstruction term keeps the same share of the loss on images of any size (on the
    64-pixel digits each summed squared error is weighted 0.006125)."""

    def __init__(self, recon_weight=0.0005):
        super().__init__()
        self.recon_weight = recon_weight
        self.margin = nn.MarginLoss()

    def forward(self, scores, target):
        return self.margin(scores, target)

    def terms(self, scores, reconstruction, images, target):
        """(total, margin, reconstruction error): the reconstruction error is the squared
        error summed over each image's pixels, averaged over the batch."""
        margin = self.margin(scores, target)
        diff = reconstruction - images
        N = diff.shape[0]
        pixels = diff.numel() // max(N, 1)
        recon = (diff * diff).reshape(N, -1).sum(dim=1).mean()
        return margin + self.recon_weight * PAPER_PIXELS / pixels * recon, margin, recon

    def extra_repr(self):
        return f"recon_weight={self.recon_weight}"
