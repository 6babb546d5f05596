"""Multi-layer perceptron (a feedforward network) and logistic regression.

The MLP is the classic fully connected network: Linear -> activation ->
(Dropout) for each hidden layer, then a Linear to the outputs (logits).
Rumelhart, Hinton and Williams (1986), "Learning representations by
back-propagating errors", Nature 323.
"""

from dataclasses import dataclass, field

from .. import nn

_ACTIVATIONS = {
    "relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU,
    "silu": nn.SiLU, "elu": nn.ELU, "leaky_relu": nn.LeakyReLU,
}


@dataclass
class MLPConfig:
    in_features: int = 64          # 8x8 digits
    hidden: list = field(default_factory=lambda: [256, 128])  # widths of the hidden layers
    out_features: int = 10         # classes (or regression targets)
    activation: str = "relu"       # one of relu tanh sigmoid gelu silu elu leaky_relu
    dropout: float = 0.0           # dropout after each hidden activation


class MLP(nn.Module):
    """in_features -> hidden[0] -> ... -> hidden[-1] -> out_features, returning logits.

    Shape: input (N, in_features) (or (N, *) flattened), output (N, out_features).
    Example:
        >>> model = MLP(MLPConfig(in_features=2, hidden=[8], out_features=2))
        >>> model(gu.zeros(4, 2)).shape
        (4, 2)
    """

    def __init__(self, config=None, **overrides):
        super().__init__()
        config = config or MLPConfig()
        for k, v in overrides.items():
            setattr(config, k, v)
        if config.activation not in _ACTIVATIONS:
            raise ValueError(
                f"MLP: unknown activation {config.activation!r}; "
                f"expected one of {sorted(_ACTIVATIONS)}"
            )
        self.config = config
        layers = [nn.Flatten()]
        width = config.in_features
        for h in config.hidden:
            layers += [nn.Linear(width, h), _ACTIVATIONS[config.activation]()]
            if config.dropout:
                layers.append(nn.Dropout(config.dropout))
            width = h
        layers.append(nn.Linear(width, config.out_features))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


@dataclass
class LogRegConfig:
    in_features: int = 64          # 8x8 digits
    out_features: int = 10         # classes


class LogisticRegression(nn.Module):
    """Multinomial logistic regression: one Linear layer giving class logits (no hidden layer)."""

    def __init__(self, config=None, **overrides):
        super().__init__()
        config = config or LogRegConfig()
        for k, v in overrides.items():
            setattr(config, k, v)
        self.config = config
        self.flatten = nn.Flatten()
        self.linear = nn.Linear(config.in_features, config.out_features)

    def forward(self, x):
        return self.linear(self.flatten(x))
