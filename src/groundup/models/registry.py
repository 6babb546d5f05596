"""Registry of zoo models: name -> model class, config class and how data fills the config.

How each model is trained (default data, optimizer, epochs, ...) is its recipe, in
recipes.py. This module also saves a zoo model with its config and rebuilds it.

Registering a model (its file in models/, a @dataclass config, a Module taking
that config) is one call, plus its recipe:

    register(ModelSpec(
        "lenet", LeNet, LeNetConfig, "LeNet-5 convolutional network",
        # config fields the data decides, from the Split's attributes (data/spec.py):
        # features, classes, input_shape
        data_fields={"input_shape": "input_shape", "num_classes": "classes"},
    ))
    recipes.register("lenet", recipes.Recipe(data="digits", epochs=20, lr=1e-3))

`groundup train lenet` then works, and `groundup list` shows it. `options` names
the config fields the command line may set (`--hidden` sets "hidden").
"""

import dataclasses
from dataclasses import dataclass, field

from .. import io
from .autoencoder import VAE, Autoencoder, AutoencoderConfig
from .capsnet import CapsNet, CapsNetConfig
from .charrnn import CharRNN, CharRNNConfig
from .cnn import CNN, CNNConfig
from .convae import ConvAEConfig, ConvAutoencoder
from .forecast import ForecastConfig, Forecaster
from .gan import DCGAN, GAN, DCGANConfig, GANConfig
from .gpt import GPT, GPTConfig
from .lenet import LeNet, LeNetConfig
from .mlp import MLP, LogisticRegression, LogRegConfig, MLPConfig
from .moe import MoEClassifier, MoEConfig
from .rbfn import RBFN, RBFNConfig
from .resnet import ResNet, ResNetConfig
from .seq2seq import Seq2Seq, Seq2SeqConfig
from .seqclass import SeqClassConfig, SeqClassifier
from .vit import ViT, ViTConfig


@dataclass
class ModelSpec:
    name: str
    model_class: type
    config_class: type
    description: str
    # config fields the data decides: {"in_features": "features", "out_features": "classes"}
    data_fields: dict = field(default_factory=dict)
    # config fields the command line may set: {"hidden": "hidden"} (option -> field)
    options: dict = field(default_factory=dict)
    # what `groundup train` does with it: "classify", or another task of commands/tasks.py
    task: str = "classify"
    # config values that a checkpoint saved before a field existed stands for (its model
    # was built the old way): {"overlap": 0} for a ViT saved before overlapping patches
    saved_defaults: dict = field(default_factory=dict)


MODELS = {
    "mlp": ModelSpec(
        "mlp", MLP, MLPConfig, "multi-layer perceptron (feedforward network)",
        data_fields={"in_features": "features", "out_features": "classes"},
        options={"hidden": "hidden"},
    ),
    "logreg": ModelSpec(
        "logreg", LogisticRegression, LogRegConfig,
        "multinomial logistic regression (no hidden layer)",
        data_fields={"in_features": "features", "out_features": "classes"},
    ),
    "lenet": ModelSpec(
        "lenet", LeNet, LeNetConfig, "LeNet-5 convolutional network (LeCun et al. 1998)",
        data_fields={"input_shape": "input_shape", "num_classes": "classes"},
    ),
    "cnn": ModelSpec(
        "cnn", CNN, CNNConfig, "small VGG-style convolutional network with BatchNorm, dropout",
        data_fields={"input_shape": "input_shape", "num_classes": "classes"},
    ),
    "resnet": ModelSpec(
        "resnet", ResNet, ResNetConfig, "small residual network (He et al. 2016)",
        data_fields={"input_shape": "input_shape", "num_classes": "classes"},
    ),
    "charrnn": ModelSpec(
        "charrnn", CharRNN, CharRNNConfig,
        "character-level language model (embedding, LSTM or GRU, linear) that writes text",
        data_fields={"vocab_size": "vocab_size"}, task="text",
    ),
    "gpt": ModelSpec(
        "gpt", GPT, GPTConfig,
        "GPT-style Transformer language model (causal self-attention, key/value-cached "
        "generation) that writes text",
        data_fields={"vocab_size": "vocab_size"}, task="text",
    ),
    "rbfn": ModelSpec(
        "rbfn", RBFN, RBFNConfig,
        "radial-basis-function network (RBF layer, linear read-out); classifies, or fits a "
        "function on regression data (--data sine)",
        data_fields={"in_features": "features", "out_features": "classes"},
        options={"centres": "centres", "kernel": "kernel"}, task="rbf",
    ),
    "moe": ModelSpec(
        "moe", MoEClassifier, MoEConfig,
        "mixture of experts: small MLP experts mixed by a top-k gating network",
        data_fields={"in_features": "features", "out_features": "classes"},
        options={"hidden": "hidden"},
    ),
    "autoencoder": ModelSpec(
        "autoencoder", Autoencoder, AutoencoderConfig,
        "dense autoencoder that reconstructs images through a small latent code",
        data_fields={"input_shape": "input_shape"}, options={"hidden": "hidden"},
        task="reconstruct",
    ),
    "vae": ModelSpec(
        "vae", VAE, AutoencoderConfig,
        "variational autoencoder (Kingma and Welling 2014) that generates images",
        data_fields={"input_shape": "input_shape"}, options={"hidden": "hidden"},
        task="reconstruct",
    ),
    "convae": ModelSpec(
        "convae", ConvAutoencoder, ConvAEConfig,
        "convolutional autoencoder (Conv2d encoder, ConvTranspose2d decoder)",
        data_fields={"input_shape": "input_shape"}, task="reconstruct",
    ),
    "vit": ModelSpec(
        "vit", ViT, ViTConfig,
        "vision Transformer (Dosovitskiy et al. 2021): patches, class token, pre-norm encoder",
        data_fields={"input_shape": "input_shape", "num_classes": "classes"},
        saved_defaults={"overlap": 0, "pool": "cls"},
    ),
    "seq2seq": ModelSpec(
        "seq2seq", Seq2Seq, Seq2SeqConfig,
        "encoder-decoder Transformer that reverses or sorts digit strings (greedy, beam search)",
        data_fields={"vocab_size": "vocab_size", "max_len": "max_len"}, task="seq2seq",
    ),
    "seqclass": ModelSpec(
        "seqclass", SeqClassifier, SeqClassConfig,
        "recurrent classifier (LSTM or GRU) that reads an image row by row",
        data_fields={"input_shape": "input_shape", "num_classes": "classes"},
        options={"hidden": "hidden"},
    ),
    "capsnet": ModelSpec(
        "capsnet", CapsNet, CapsNetConfig,
        "capsule network (Sabour et al. 2017): primary and digit capsules, routing by "
        "agreement, reconstruction decoder",
        data_fields={"input_shape": "input_shape", "num_classes": "classes"}, task="capsule",
    ),
    "forecast": ModelSpec(
        "forecast", Forecaster, ForecastConfig,
        "time-series forecaster (LSTM or GRU, linear) for noisy sine waves",
        data_fields={"input_size": "input_size", "horizon": "horizon"}, task="forecast",
    ),
    "gan": ModelSpec(
        "gan", GAN, GANConfig,
        "generative adversarial network with MLP generator and discriminator (Goodfellow et "
        "al. 2014) that draws digits",
        data_fields={"input_shape": "input_shape"}, options={"hidden": "hidden"}, task="gan",
    ),
    "dcgan": ModelSpec(
        "dcgan", DCGAN, DCGANConfig,
        "deep convolutional GAN (Radford et al. 2016): transposed convolutions and BatchNorm",
        data_fields={"input_shape": "input_shape"}, task="gan",
    ),
}


def register(spec):
    """Add (or replace) a zoo model; returns the spec."""
    if not isinstance(spec, ModelSpec):
        raise TypeError(f"registry.register: expected a ModelSpec, got {type(spec).__name__}")
    MODELS[spec.name] = spec
    return spec


def get(name):
    """The ModelSpec registered under `name`, with a clear error for unknown names."""
    try:
        return MODELS[name]
    except KeyError:
        raise KeyError(f"unknown model {name!r}; available: {', '.join(sorted(MODELS))}") from None


def list_models():
    return sorted(MODELS)


def build(name, **config):
    """Build zoo model `name` with config overrides, e.g. build("mlp", hidden=[32])."""
    spec = get(name)
    fields = {f.name for f in dataclasses.fields(spec.config_class)}
    unknown = set(config) - fields
    if unknown:
        raise TypeError(
            f"{name}: unknown config field(s) {sorted(unknown)}; expected some of {sorted(fields)}"
        )
    model = spec.model_class(spec.config_class(**config))
    model.zoo_name = name
    return model


def model_metadata(model):
    """The JSON metadata that rebuilds a zoo model: its name and config."""
    name = getattr(model, "zoo_name", None)
    if name is None or not dataclasses.is_dataclass(getattr(model, "config", None)):
        raise TypeError("models.save: only zoo models (built with gu.models.build) carry a config")
    return {"model": name, "config": dataclasses.asdict(model.config)}


def save(model, path, metadata=None):
    """Save a zoo model's weights with its name and config, so load(path) can rebuild it."""
    meta = dict(metadata or {})
    meta.update(model_metadata(model))
    io.save(model.state_dict(), path, metadata=meta)


def from_metadata(meta, path="checkpoint"):
    """Build (untrained) the zoo model described by checkpoint metadata."""
    if not isinstance(meta, dict) or "model" not in meta or "config" not in meta:
        raise ValueError(f"{path}: no zoo model metadata (model name and config) in this file")
    spec = get(meta["model"])
    return build(meta["model"], **{**spec.saved_defaults, **meta["config"]})


def load(path):
    """Rebuild a saved zoo model from its metadata and weights (no code is executed).

    Reads files written by `save` and training checkpoints written by
    `io.save_checkpoint(..., config=model_metadata(model))` (what `groundup train` saves).
    """
    meta = io.load_metadata(path)
    if isinstance(meta, dict) and meta.get("format") == io.CHECKPOINT_FORMAT:
        checkpoint = io.load_checkpoint(path, restore_rng=False)
        model = from_metadata(checkpoint.get("config"), path)
        state = checkpoint["model"]
    else:
        model = from_metadata(meta, path)
        state = io.load(path)
    model.load_state_dict(state)
    model.eval()
    return model
