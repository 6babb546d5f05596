"""Dense autoencoder and variational autoencoder (VAE) for images scaled to [0, 1].

Autoencoder: input -> hidden -> latent -> hidden -> input, trained to reproduce
its input through a narrow latent code; it returns reconstruction logits (apply a
sigmoid for pixels in [0, 1]) and is trained with binary cross-entropy on the
logits. Hinton and Salakhutdinov (2006), "Reducing the dimensionality of data
with neural networks", Science 313.

VAE: the encoder gives the mean mu and log-variance logvar of a Gaussian
q(z | x); z = mu + exp(logvar / 2) * eps with eps ~ N(0, I) (the
reparameterisation: z depends on mu and logvar differentiably); the decoder
gives the logits of p(x | z). The loss is the negative ELBO per image,

    recon + beta * KL,  recon = sum_i BCE(logits_i, x_i),
    KL(q(z | x) || N(0, I)) = -1/2 sum_j (1 + logvar_j - mu_j^2 - exp(logvar_j)),

averaged over the batch (beta = 1 is the ELBO; beta > 1 a beta-VAE). Kingma and
Welling (2014), "Auto-encoding variational Bayes", ICLR.
"""

from dataclasses import dataclass, field

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..random import Generator, _numpy_rng
from ..tensor import Tensor

__all__ = ["AutoencoderConfig", "Autoencoder", "VAE", "VAELoss", "vae_loss_terms"]


@dataclass
class AutoencoderConfig:
    input_shape: list = field(default_factory=lambda: [1, 8, 8])  # image (C, H, W)
    hidden: list = field(default_factory=lambda: [128])  # encoder widths (decoder mirrors)
    latent: int = 8                                      # size of the latent code


def _mlp(widths):
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return layers


class _Base(nn.Module):
    def __init__(self, config, latent_out):
        super().__init__()
        config = config or AutoencoderConfig()
        if int(config.latent) < 1:
            raise ValueError(f"{type(self).__name__}: latent must be >= 1; got {config.latent}")
        self.config = config
        self.input_shape = tuple(int(d) for d in config.input_shape)
        features = int(np.prod(self.input_shape))
        hidden = [int(h) for h in config.hidden]
        # Linear + ReLU between the widths; the last Linear of each has no activation
        self.encoder = nn.Sequential(nn.Flatten(), *_mlp([features, *hidden, latent_out]))
        self.decoder = nn.Sequential(*_mlp([int(config.latent), *hidden[::-1], features]))
        self.features = features

    def decode(self, z):
        """Reconstruction logits (N, *input_shape) of latent codes z (N, latent)."""
        return self.decoder(z).reshape(z.shape[0], *self.input_shape)

    def check_input(self, x):
        if tuple(x.shape[1:]) != self.input_shape and tuple(x.shape[1:]) != (self.features,):
            raise ValueError(f"{type(self).__name__}: expected inputs (N, "
                             f"{', '.join(map(str, self.input_shape))}); got {tuple(x.shape)}")


class Autoencoder(_Base):
    """Dense autoencoder: forward(x) gives reconstruction logits shaped like x's images.

    Shape: input (N, *input_shape) (or (N, features)), output (N, *input_shape) logits;
    `reconstruct(x)` gives pixels (sigmoid of the logits), `encode(x)` the codes (N, latent).
    """

    def __init__(self, config=None):
        config = config or AutoencoderConfig()
        super().__init__(config, int(config.latent))

    def encode(self, x):
        self.check_input(x)
        return self.encoder(x)

    def forward(self, x):
        return self.decode(self.encode(x))

    def reconstruct(self, x):
        return self.forward(x).sigmoid()


class VAE(_Base):
    """Variational autoencoder: forward(x) gives (reconstruction logits, mu, logvar).

    The encoder's last layer gives 2 * latent numbers: mu and logvar. In training mode z
    is sampled with the reparameterisation (noise from the shared generator, so
    gu.manual_seed fixes it); in eval mode z = mu. `sample(n, generator)` decodes n codes
    drawn from the prior N(0, I) to pixels in [0, 1].
    """

    def __init__(self, config=None):
        config = config or AutoencoderConfig()
        super().__init__(config, 2 * int(config.latent))

    def encode(self, x):
        """(mu, logvar) of q(z | x), each (N, latent)."""
        self.check_input(x)
        h = self.encoder(x)
        k = int(self.config.latent)
        return h[:, :k], h[:, k:]

    def reparameterize(self, mu, logvar, generator=None):
        """z = mu + exp(logvar / 2) * eps, eps ~ N(0, I) drawn from `generator` (None: the
        shared one)."""
        eps = _numpy_rng(generator, "VAE.reparameterize: generator").standard_normal(mu.shape)
        eps = Tensor(eps.astype(mu.array.dtype, copy=False))
        return mu + (logvar * 0.5).exp() * eps

    def forward(self, x):
        mu, logvar = self.encode(x)
        z = self.reparameterize(mu, logvar) if self.training else mu
        return self.decode(z), mu, logvar

    def reconstruct(self, x):
        with no_grad():
            mu, _ = self.encode(x)
            return self.decode(mu).sigmoid()

    def sample(self, n, generator=None):
        """n images (n, *input_shape) in [0, 1] decoded from z ~ N(0, I); generator: a
        gu.Generator, an int seed or None (the shared generator)."""
        if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
            generator = Generator().manual_seed(int(generator))
        if int(n) < 1:
            raise ValueError(f"VAE.sample: n must be >= 1; got {n}")
        rng = _numpy_rng(generator, "VAE.sample: generator")
        dtype = self.decoder[0].weight.array.dtype
        z = Tensor(rng.standard_normal((int(n), int(self.config.latent))).astype(dtype))
        with no_grad():
            return self.decode(z).sigmoid()


def vae_loss_terms(output, target):
    """(recon, kl) Tensors of a VAE's output (logits, mu, logvar) against target images:
    the per-image summed BCE with logits and KL to N(0, I), each averaged over the batch."""
    logits, mu, logvar = output
    n = logits.shape[0]
    bce = nn.functional.binary_cross_entropy_with_logits(
        logits.reshape(n, -1), target.reshape(n, -1), reduction="sum")
    kl = ((mu * mu) + logvar.exp() - logvar - 1.0).sum() * 0.5
    return bce / n, kl / n


class VAELoss(nn.Module):
    """The loss of the autoencoders: for a VAE's (logits, mu, logvar), recon + beta * KL
    per image (vae_loss_terms); for an Autoencoder's logits, the per-image summed BCE with
    logits, averaged over the batch (the same scale as the VAE's recon term)."""

    def __init__(self, beta=1.0):
        super().__init__()
        self.beta = float(beta)

    def terms(self, output, target):
        """(loss, recon, kl) Tensors; kl is None for a plain autoencoder."""
        if isinstance(output, tuple):
            recon, kl = vae_loss_terms(output, target)
            return recon + kl * self.beta, recon, kl
        n = output.shape[0]
        recon = nn.functional.binary_cross_entropy_with_logits(
            output.reshape(n, -1), target.reshape(n, -1), reduction="sum") / n
        return recon, recon, None

    def forward(self, output, target):
        return self.terms(output, target)[0]
