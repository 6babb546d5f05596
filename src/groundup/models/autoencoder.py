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

Conditional VAE (num_classes > 0): the encoder sees the image and its label as a
one-hot vector, the decoder the code and the one-hot label, so q(z | x, y) and
p(x | z, y); `sample(n, labels=...)` then draws images of chosen classes. Sohn, Lee
and Yan (2015), "Learning structured output representation using deep conditional
generative models", NeurIPS.
"""

from dataclasses import dataclass, field

import numpy as np

from .. import nn
from ..autograd import no_grad
from ..ops import cat
from ..random import Generator, _numpy_rng
from ..tensor import Tensor

__all__ = ["AutoencoderConfig", "Autoencoder", "VAE", "VAELoss", "vae_loss_terms", "interpolate",
           "reparameterize"]


@dataclass
class AutoencoderConfig:
    input_shape: list = field(default_factory=lambda: [1, 8, 8])  # image (C, H, W)
    hidden: list = field(default_factory=lambda: [128])  # encoder widths (decoder mirrors)
    latent: int = 8                                      # size of the latent code
    num_classes: int = 0          # VAE: > 0 conditions encoder and decoder on one-hot labels


def _mlp(widths):
    layers = []
    for i, (a, b) in enumerate(zip(widths[:-1], widths[1:])):
        layers.append(nn.Linear(a, b))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return layers


def reparameterize(mu, logvar, eps):
    """z = mu + exp(logvar / 2) * eps: a sample of N(mu, exp(logvar)) that is a differentiable
    function of mu and logvar for fixed noise eps (all (N, latent)); dz/dmu = 1,
    dz/dlogvar = eps * exp(logvar / 2) / 2."""
    return mu + (logvar * 0.5).exp() * eps


class _Base(nn.Module):
    def __init__(self, config, latent_out):
        super().__init__()
        config = config or AutoencoderConfig()
        if int(config.latent) < 1:
            raise ValueError(f"{type(self).__name__}: latent must be >= 1; got {config.latent}")
        self.config = config
        self.input_shape = tuple(int(d) for d in config.input_shape)
        self.num_classes = int(getattr(config, "num_classes", 0) or 0)
        if self.num_classes < 0:
            raise ValueError(f"{type(self).__name__}: num_classes must be >= 0; got "
                             f"{config.num_classes}")
        features = int(np.prod(self.input_shape))
        hidden = [int(h) for h in config.hidden]
        k = self.num_classes  # one-hot label inputs of a conditional model
        # Linear + ReLU between the widths; the last Linear of each has no activation
        self.encoder = nn.Sequential(nn.Flatten(), *_mlp([features + k, *hidden, latent_out]))
        self.decoder = nn.Sequential(*_mlp([int(config.latent) + k, *hidden[::-1], features]))
        self.features = features

    def one_hot(self, labels, n):
        """labels as (n, num_classes) float rows: class indices (n,) become one-hot vectors;
        float rows (n, num_classes) (mixtures of labels) are used as they are."""
        name = type(self).__name__
        if not self.num_classes:
            if labels is not None:
                raise ValueError(f"{name}: labels given to an unconditional model "
                                 f"(num_classes 0)")
            return None
        if labels is None:
            raise ValueError(f"{name}: a conditional model (num_classes {self.num_classes}) "
                             f"needs labels (n,) with the inputs")
        a = labels.array if isinstance(labels, Tensor) else np.asarray(labels)
        dtype = self.decoder[0].weight.array.dtype
        if a.ndim == 2 and a.shape == (n, self.num_classes) and a.dtype.kind == "f":
            return Tensor(a.astype(dtype, copy=False))
        if a.shape != (n,) or a.dtype.kind not in "iu":
            raise ValueError(f"{name}: expected labels as class indices ({n},) or rows ({n}, "
                             f"{self.num_classes}); got {a.dtype} {a.shape}")
        if a.size and (a.min() < 0 or a.max() >= self.num_classes):
            raise ValueError(f"{name}: labels must lie in [0, {self.num_classes}); got "
                             f"{int(a.min())}..{int(a.max())}")
        out = np.zeros((n, self.num_classes), dtype=dtype)
        out[np.arange(n), a] = 1
        return Tensor(out)

    def _with_labels(self, h, labels):
        c = self.one_hot(labels, h.shape[0])
        return h if c is None else cat([h, c], dim=1)

    def decode(self, z, labels=None):
        """Reconstruction logits (N, *input_shape) of latent codes z (N, latent) (and
        labels, for a conditional model)."""
        return self.decoder(self._with_labels(z, labels)).reshape(z.shape[0], *self.input_shape)

    def check_input(self, x):
        if tuple(x.shape[1:]) != self.input_shape and tuple(x.shape[1:]) != (self.features,):
            raise ValueError(f"{type(self).__name__}: expected inputs (N, "
                             f"{', '.join(map(str, self.input_shape))}); got {tuple(x.shape)}")

    def _encoder_input(self, x, labels):
        self.check_input(x)
        return self._with_labels(x.reshape(x.shape[0], self.features), labels)


class Autoencoder(_Base):
    """Dense autoencoder: forward(x) gives reconstruction logits shaped like x's images.

    Shape: input (N, *input_shape) (or (N, features)), output (N, *input_shape) logits;
    `reconstruct(x)` gives pixels (sigmoid of the logits), `encode(x)` the codes (N, latent).
    """

    def __init__(self, config=None):
        config = config or AutoencoderConfig()
        if int(getattr(config, "num_classes", 0) or 0):
            raise ValueError("Autoencoder: num_classes applies to the VAE (a conditional VAE); "
                             f"got {config.num_classes}")
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
    drawn from the prior N(0, I) to pixels in [0, 1]. With num_classes > 0 (a conditional
    VAE) forward, encode, decode, reconstruct and sample take the labels too: class
    indices (N,) (or rows (N, num_classes) of label weights).
    """

    def __init__(self, config=None):
        config = config or AutoencoderConfig()
        super().__init__(config, 2 * int(config.latent))

    def encode(self, x, labels=None):
        """(mu, logvar) of q(z | x), each (N, latent)."""
        h = self.encoder(self._encoder_input(x, labels))
        k = int(self.config.latent)
        return h[:, :k], h[:, k:]

    def reparameterize(self, mu, logvar, generator=None):
        """z = mu + exp(logvar / 2) * eps, eps ~ N(0, I) drawn from `generator` (None: the
        shared one)."""
        eps = _numpy_rng(generator, "VAE.reparameterize: generator").standard_normal(mu.shape)
        return reparameterize(mu, logvar, Tensor(eps.astype(mu.array.dtype, copy=False)))

    def forward(self, x, labels=None):
        mu, logvar = self.encode(x, labels)
        z = self.reparameterize(mu, logvar) if self.training else mu
        return self.decode(z, labels), mu, logvar

    def reconstruct(self, x, labels=None):
        with no_grad():
            mu, _ = self.encode(x, labels)
            return self.decode(mu, labels).sigmoid()

    def sample(self, n, generator=None, labels=None):
        """n images (n, *input_shape) in [0, 1] decoded from z ~ N(0, I); generator: a
        gu.Generator, an int seed or None (the shared generator); labels: the classes to
        draw (n,) (a conditional VAE only)."""
        if isinstance(generator, (int, np.integer)) and not isinstance(generator, bool):
            generator = Generator().manual_seed(int(generator))
        if int(n) < 1:
            raise ValueError(f"VAE.sample: n must be >= 1; got {n}")
        rng = _numpy_rng(generator, "VAE.sample: generator")
        dtype = self.decoder[0].weight.array.dtype
        z = Tensor(rng.standard_normal((int(n), int(self.config.latent))).astype(dtype))
        with no_grad():
            return self.decode(z, labels).sigmoid()


def interpolate(model, a, b, steps=10, labels=None):
    """Images (steps, *input_shape) in [0, 1] decoded from the points (1 - t) z_a + t z_b,
    t = 0, 1/(steps - 1), ..., 1, on the line between the codes of images a and b (each
    (*input_shape)); a VAE's codes are its means. labels: the two images' classes (a
    conditional VAE; its one-hot label is interpolated along with the code)."""
    if int(steps) < 2:
        raise ValueError(f"interpolate: steps must be >= 2; got {steps}")
    x = Tensor(np.stack([np.asarray(getattr(a, "array", a)), np.asarray(getattr(b, "array", b))]))
    t = np.linspace(0.0, 1.0, int(steps))[:, None]
    was_training = model.training
    model.eval()
    try:
        with no_grad():
            c = None
            if labels is not None:
                c = model.one_hot(np.asarray(labels, dtype=np.int64), 2).array
                z = model.encode(x, c)
            else:
                z = model.encode(x)
            z = (z[0] if isinstance(z, tuple) else z).array
            line = ((1 - t) * z[0] + t * z[1]).astype(z.dtype)          # (steps, latent)
            if c is None:
                return model.decode(Tensor(line)).sigmoid()
            mixed = ((1 - t) * c[0] + t * c[1]).astype(c.dtype)         # (steps, classes)
            return model.decode(Tensor(line), mixed).sigmoid()
    finally:
        model.train(was_training)


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
