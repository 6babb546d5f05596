"""Mixture-of-experts classifier: small MLP experts mixed by a gating network.

logits = sum_i g_i(x) E_i(x), g from a linear gate on the input (top-k or dense
softmax), each expert an MLP in_features -> hidden... -> out_features. The gate is a
linear map with no bias, so on 2-D data each expert's region is a wedge from the origin:
on the spirals each expert learns a few pieces of arm instead of the whole picture.
Jacobs, Jordan, Nowlan and Hinton (1991); Shazeer et al. (2017).

The load-balancing loss (aux_loss_coef) rides on the output (see nn.MixtureOfExperts), so
the plain training loop trains it.
"""

from dataclasses import dataclass, field

from .. import nn


@dataclass
class MoEConfig:
    in_features: int = 2           # features of the data
    out_features: int = 3          # classes
    experts: int = 4               # number of experts
    k: int = 2                     # experts per input (None or 0: dense soft gating)
    hidden: list = field(default_factory=lambda: [8])   # hidden widths of each expert
    renormalize: bool = True       # top-k gates: softmax over the top k (False: softmax(h))
    noisy_gating: bool = False     # trainable gating noise in training
    capacity_factor: float = None  # None: unlimited
    aux_loss_coef: float = 0.01    # weight of the load-balancing loss


def expert_mlp(in_features, hidden, out_features):
    """Linear -> ReLU for each hidden width, then Linear: one expert."""
    layers, width = [], in_features
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    return nn.Sequential(*layers, nn.Linear(width, out_features))


class MoEClassifier(nn.Module):
    """in_features -> MixtureOfExperts(experts MLPs) -> out_features logits.

    Shape: input (N, in_features) (or (N, *) flattened), output (N, out_features).
    Attributes: moe (the MixtureOfExperts: router_probs, expert_counts, aux_loss).
    Example:
        >>> model = MoEClassifier(MoEConfig(in_features=2, out_features=3))
        >>> model(gu.zeros(4, 2)).shape
        (4, 3)
    """

    def __init__(self, config=None, **overrides):
        super().__init__()
        config = config or MoEConfig()
        for k, v in overrides.items():
            setattr(config, k, v)
        self.config = config
        hidden = [int(h) for h in (config.hidden if isinstance(config.hidden, (list, tuple))
                                   else [config.hidden])]
        self.flatten = nn.Flatten()
        self.moe = nn.MixtureOfExperts(
            config.in_features, config.out_features, num_experts=config.experts,
            experts=lambda: expert_mlp(config.in_features, hidden, config.out_features),
            k=config.k or None, renormalize=config.renormalize, noisy_gating=config.noisy_gating,
            capacity_factor=config.capacity_factor, aux_loss_coef=config.aux_loss_coef)

    def forward(self, x):
        return self.moe(self.flatten(x))
