"""Generative adversarial networks (Goodfellow et al. 2014, arXiv:1406.2661): GAN and DCGAN.

A generator G maps noise z ~ N(0, I) (latent,) to an image; a discriminator D maps an
image to one logit, "real" when positive. Both are submodules of one Module, so one
state dict and one checkpoint hold the pair (keys generator.* and discriminator.*); the
training game itself (two optimizers, alternating updates) is commands/task_gan.py's.

GAN: multi-layer perceptrons.
    generator      Linear(latent [+ embed], h) ReLU ... Linear(h, C*H*W) Tanh, Unflatten
    discriminator  Flatten [cat label embedding] Linear(C*H*W [+ embed], h) LeakyReLU(0.2)
                   ... Linear(h, 1)
DCGAN (Radford et al. 2016, arXiv:1511.06434): convolutions with BatchNorm.
    generator      Linear(latent [+ embed], c0 * s * s), BatchNorm1d, ReLU, Unflatten to
                   (c0, s, s); per further channel count ConvTranspose2d(4, stride 2,
                   padding 1) (doubles the size), BatchNorm2d, ReLU; the last one to C
                   channels, then Tanh
    discriminator  [label embedding broadcast as extra input maps] Conv2d(4, stride 2,
                   padding 1) per channel count in reverse (halves the size), LeakyReLU(0.2),
                   BatchNorm2d after all but the first; Flatten, Linear(c0 * s * s, 1)
    The image size H x W must be s * 2^len(channels) (8x8 digits with two channel counts
    start from 2x2; 28x28 MNIST images from 7x7).

Images are in [-1, 1] inside the game (the tanh output; data x in [0, 1] enters as
2x - 1); `sample` returns them in [0, 1]. With num_classes > 0 the pair is
class-conditional (Mirza and Osindero 2014, arXiv:1411.1784): an Embedding of the label
is concatenated to z and shown to D. With spectral_norm every weight of D is spectrally
normalised (Miyato et al. 2018) and D's BatchNorms are left out.

Shapes: generator(z (N, latent)[, labels (N,) int]) -> (N, C, H, W);
discriminator(x (N, C, H, W)[, labels]) -> (N,) logits; forward = generator.
"""

from dataclasses import dataclass, field

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..nn.utils.spectral_norm import spectral_norm as _spectral_norm
from ..ops import cat
from ..random import Generator, _numpy_rng
from ..tensor import Tensor
from .lenet import check_image_shape

__all__ = ["GANConfig", "DCGANConfig", "GAN", "DCGAN"]


@dataclass
class GANConfig:
    input_shape: list = field(default_factory=lambda: [1, 8, 8])  # image (C, H, W)
    latent: int = 32                       # size of the noise vector z
    hidden: list = field(default_factory=lambda: [128, 256])  # G's widths (D: reversed)
    num_classes: int = 0                   # > 0: class-conditional generator and discriminator
    embed: int = 16                        # size of the label embedding (conditional)
    spectral_norm: bool = False            # spectrally normalise D's weights


@dataclass
class DCGANConfig:
    input_shape: list = field(default_factory=lambda: [1, 8, 8])
    latent: int = 32
    channels: list = field(default_factory=lambda: [64, 32])  # G's maps, smallest size first
    num_classes: int = 0
    embed: int = 16
    spectral_norm: bool = False


class _Generator(nn.Module):
    def __init__(self, body, num_classes, embed, latent):
        super().__init__()
        self.num_classes, self.latent = int(num_classes), int(latent)
        self.embedding = nn.Embedding(num_classes, embed) if num_classes else None
        self.body = body

    def forward(self, z, labels=None):
        if z.ndim != 2 or z.shape[1] != self.latent:
            raise ValueError(f"generator: expected noise of shape (N, {self.latent}); got "
                             f"{tuple(z.shape)}")
        if self.embedding is not None:
            z = cat([z, self.embedding(_labels(labels, z.shape[0], self.num_classes))], dim=1)
        return self.body(z)


class _Discriminator(nn.Module):
    def __init__(self, body, head, input_shape, num_classes, embed, maps):
        super().__init__()
        self.input_shape, self.num_classes, self.maps = tuple(input_shape), num_classes, maps
        self.embedding = nn.Embedding(num_classes, embed) if num_classes else None
        self.body, self.head = body, head

    def forward(self, x, labels=None):
        if tuple(x.shape[1:]) != self.input_shape:
            raise ValueError(f"discriminator: expected images (N, "
                             f"{', '.join(map(str, self.input_shape))}); got {tuple(x.shape)}")
        n = x.shape[0]
        e = self.embedding(_labels(labels, n, self.num_classes)) if self.embedding else None
        if e is not None and self.maps:  # the label as extra constant input maps
            h, w = self.input_shape[1:]
            x = cat([x, e.reshape(n, -1, 1, 1).expand(n, e.shape[1], h, w)], dim=1)
        features = self.body(x)
        if e is not None and not self.maps:
            features = cat([features, e], dim=1)
        return self.head(features).reshape(n)


def _labels(labels, n, classes):
    if labels is None:
        raise ValueError("a conditional GAN needs labels (N,) of ints in 0..num_classes-1")
    labels = labels if isinstance(labels, Tensor) else Tensor(np.asarray(labels, np.int64))
    if labels.shape != (n,):
        raise ValueError(f"conditional GAN: expected labels of shape ({n},); got "
                         f"{tuple(labels.shape)}")
    values = labels.array
    if values.size and (int(values.min()) < 0 or int(values.max()) >= classes):
        raise ValueError(f"conditional GAN: labels must lie in 0..{classes - 1}; got "
                         f"{int(values.min())}..{int(values.max())}")
    return labels


def _normalise(module):
    """Spectral normalisation of every Linear / Conv2d inside `module`."""
    for m in list(module.modules()):
        if isinstance(m, (nn.Linear, nn.Conv2d)):
            _spectral_norm(m)


class _Pair(nn.Module):
    """What GAN and DCGAN share: forward (the generator), sample, the config checks."""

    def _setup(self, config, name):
        self.config = config
        self.input_shape = tuple(check_image_shape(name, list(config.input_shape)))
        self.num_classes = int(config.num_classes or 0)
        if int(config.latent) < 1:
            raise ValueError(f"{name}: latent must be >= 1; got {config.latent}")
        if self.num_classes < 0 or (self.num_classes and int(config.embed) < 1):
            raise ValueError(f"{name}: num_classes must be >= 0 and embed >= 1; got "
                             f"{config.num_classes}, {config.embed}")
        self.latent = int(config.latent)
        return self.input_shape, self.num_classes, (int(config.embed) if self.num_classes
                                                    else 0)

    def forward(self, z, labels=None):
        return self.generator(z, labels)

    def noise(self, n, generator=None):
        """z (n, latent) ~ N(0, I) from `generator` (a gu.Generator, an int seed or None)."""
        if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
            generator = Generator().manual_seed(int(generator))
        if int(n) < 1:
            raise ValueError(f"{type(self).__name__}.sample: n must be >= 1; got {n}")
        rng = _numpy_rng(generator, f"{type(self).__name__}.sample: generator")
        return Tensor(rng.standard_normal((int(n), self.latent)).astype(np.float32))

    def sample(self, n, generator=None, labels=None, z=None):
        """n images (n, C, H, W) in [0, 1] from the generator in eval mode; generator: a
        gu.Generator, an int seed or None (the shared one); labels (n,): the classes to
        draw (conditional models); z: the noise itself instead of drawing it."""
        z = self.noise(n, generator) if z is None else z
        was = self.generator.training
        self.generator.eval()
        try:
            with no_grad():
                return (self.generator(z, labels) + 1.0) * 0.5
        finally:
            self.generator.train(was)


class GAN(_Pair):
    """GAN with multi-layer perceptrons for G and D; see the module docstring."""

    def __init__(self, config=None):
        super().__init__()
        config = config or GANConfig()
        shape, classes, embed = self._setup(config, "GAN")
        hidden = [int(h) for h in config.hidden]
        if not hidden or min(hidden) < 1:
            raise ValueError(f"GAN: hidden must be one or more positive widths; got "
                             f"{list(config.hidden)}")
        features = int(np.prod(shape))
        layers, width = [], self.latent + embed
        for h in hidden:
            layers += [nn.Linear(width, h), nn.ReLU()]
            width = h
        layers += [nn.Linear(width, features), nn.Tanh(), nn.Unflatten(1, shape)]
        self.generator = _Generator(nn.Sequential(*layers), classes, embed, self.latent)
        layers, width = [], features + embed  # D: the image (+ label) through the MLP
        for h in reversed(hidden):
            layers += [nn.Linear(width, h), nn.LeakyReLU(0.2)]
            width = h
        body, head = nn.Flatten(), nn.Sequential(*layers, nn.Linear(width, 1))
        self.discriminator = _Discriminator(body, head, shape, classes, embed, maps=False)
        if config.spectral_norm:
            _normalise(self.discriminator)


class DCGAN(_Pair):
    """Deep convolutional GAN (transposed convolutions up, convolutions down)."""

    def __init__(self, config=None):
        super().__init__()
        config = config or DCGANConfig()
        (c_img, height, width), classes, embed = self._setup(config, "DCGAN")
        channels = [int(c) for c in config.channels]
        if not channels or min(channels) < 1:
            raise ValueError(f"DCGAN: channels must be one or more positive counts; got "
                             f"{list(config.channels)}")
        steps = 2 ** len(channels)
        if height % steps or width % steps:
            raise ValueError(f"DCGAN: with {len(channels)} channel counts the image size must "
                             f"be a multiple of {steps}; got {height}x{width} (give fewer "
                             f"channels)")
        sh, sw = height // steps, width // steps
        c0 = channels[0]
        g = [nn.Linear(self.latent + embed, c0 * sh * sw), nn.BatchNorm1d(c0 * sh * sw),
             nn.ReLU(), nn.Unflatten(1, (c0, sh, sw))]
        outs = channels[1:] + [c_img]
        for i, (a, b) in enumerate(zip(channels, outs)):
            g.append(nn.ConvTranspose2d(a, b, 4, stride=2, padding=1))
            g += [nn.Tanh()] if i == len(outs) - 1 else [nn.BatchNorm2d(b), nn.ReLU()]
        self.generator = _Generator(nn.Sequential(*g), classes, embed, self.latent)
        sn = bool(config.spectral_norm)
        d, c_in = [], c_img + embed
        for i, c in enumerate(reversed(channels)):
            d.append(nn.Conv2d(c_in, c, 4, stride=2, padding=1))
            if i and not sn:
                d.append(nn.BatchNorm2d(c))
            d.append(nn.LeakyReLU(0.2))
            c_in = c
        d.append(nn.Flatten())
        head = nn.Linear(c0 * sh * sw, 1)
        self.discriminator = _Discriminator(nn.Sequential(*d), head, (c_img, height, width),
                                            classes, embed, maps=True)
        if sn:
            _normalise(self.discriminator)
