"""Convolutional autoencoder for images scaled to [0, 1].

The encoder is a stack of stride-2 3x3 convolutions (each halves the height and
width, rounding up) with ReLUs, flattened into a linear map to the latent code;
the decoder mirrors it: a linear map back to the smallest feature map, then
stride-2 transposed convolutions that double the size again, the last one giving
the reconstruction logits. The shapes follow from input_shape: 8x8 digits go
8 -> 4 -> 2 and back, 28x28 MNIST images 28 -> 14 -> 7 and back (a transposed
convolution's output_padding picks the even or odd size on the way up). Trained,
like the dense one, with the binary cross-entropy of the logits summed per image.
Masci et al. (2011), "Stacked convolutional auto-encoders for hierarchical feature
extraction", ICANN.
"""

from dataclasses import dataclass, field

import numpy as np

from .. import nn
from .autoencoder import Autoencoder

__all__ = ["ConvAEConfig", "ConvAutoencoder", "conv_sizes"]


@dataclass
class ConvAEConfig:
    input_shape: list = field(default_factory=lambda: [1, 8, 8])  # image (C, H, W)
    channels: list = field(default_factory=lambda: [32, 64])  # encoder channels (decoder mirrors)
    latent: int = 16                                         # size of the latent code


def conv_sizes(size, n):
    """The sizes [size, ...] of n stride-2, padding-1, 3x3 convolutions: s -> (s + 1) // 2."""
    sizes = [int(size)]
    for _ in range(n):
        sizes.append((sizes[-1] + 1) // 2)
    return sizes


class ConvAutoencoder(Autoencoder):
    """Convolutional autoencoder: forward(x) gives reconstruction logits (N, C, H, W).

    encoder: [Conv2d(c_in, c, 3, stride 2, padding 1), ReLU] per channel count, Flatten,
        Linear(c_last * h * w, latent)
    decoder: Linear(latent, c_last * h * w), ReLU, Unflatten, then per step back up
        ConvTranspose2d(c, c_prev, 3, stride 2, padding 1, output_padding 0 or 1) with a
        ReLU between them (none after the last: logits)
    Shape: input (N, *input_shape) (or (N, C*H*W)), output (N, *input_shape) logits;
    `encode(x)` (N, latent), `decode(z)` logits, `reconstruct(x)` pixels in [0, 1].
    Example:
        m = ConvAutoencoder(ConvAEConfig(input_shape=[1, 28, 28]))
        m(gu.rand(2, 1, 28, 28)).shape   # (2, 1, 28, 28)
    """

    def __init__(self, config=None):
        config = config or ConvAEConfig()
        nn.Module.__init__(self)
        if int(config.latent) < 1:
            raise ValueError(f"ConvAutoencoder: latent must be >= 1; got {config.latent}")
        shape = tuple(int(d) for d in config.input_shape)
        if len(shape) != 3 or min(shape) < 1:
            raise ValueError(f"ConvAutoencoder: input_shape must be (C, H, W); got "
                             f"{list(config.input_shape)}")
        channels = [int(c) for c in config.channels]
        if not channels or min(channels) < 1:
            raise ValueError(f"ConvAutoencoder: channels must be one or more positive "
                             f"counts; got {list(config.channels)}")
        self.config, self.input_shape, self.num_classes = config, shape, 0
        self.features = int(np.prod(shape))
        c_in, height, width = shape
        hs, ws = conv_sizes(height, len(channels)), conv_sizes(width, len(channels))
        widths = [c_in, *channels]
        inner = channels[-1] * hs[-1] * ws[-1]  # the smallest feature map, flattened
        enc = []
        for a, b in zip(widths[:-1], widths[1:]):
            enc += [nn.Conv2d(a, b, 3, stride=2, padding=1), nn.ReLU()]
        self.encoder = nn.Sequential(*enc, nn.Flatten(), nn.Linear(inner, int(config.latent)))
        dec = [nn.Linear(int(config.latent), inner), nn.ReLU(),
               nn.Unflatten(1, (channels[-1], hs[-1], ws[-1]))]
        for i in range(len(channels), 0, -1):  # back up: size s -> 2 s - 1 + output_padding
            pad = (hs[i - 1] - (2 * hs[i] - 1), ws[i - 1] - (2 * ws[i] - 1))
            dec.append(nn.ConvTranspose2d(widths[i], widths[i - 1], 3, stride=2, padding=1,
                                          output_padding=pad))
            if i > 1:
                dec.append(nn.ReLU())
        self.decoder = nn.Sequential(*dec)

    def encode(self, x):
        self.check_input(x)
        return self.encoder(x.reshape(x.shape[0], *self.input_shape))

    def decode(self, z, labels=None):
        """Reconstruction logits (N, C, H, W) of latent codes z (N, latent)."""
        self.one_hot(labels, z.shape[0])  # refuses labels: this model is unconditional
        return self.decoder(z)
