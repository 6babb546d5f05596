"""Mixture of experts: MixtureOfExperts, a gated modular network.

A gating network scores the experts for each input row, and the output is the gate-weighted
sum of the experts' outputs. Jacobs, Jordan, Nowlan and Hinton (1991), "Adaptive mixtures of
local experts", Neural Computation 3 (dense soft gating); Shazeer et al. (2017), "Outrageously
large neural networks: the sparsely-gated mixture-of-experts layer" (noisy top-k gating);
Fedus, Zoph and Shazeer (2022), "Switch Transformers" (expert capacity, the load-balancing
loss used here).

The layer is composed of differentiable ops (linear, softmax, topk, integer indexing,
scatter_add); autograd gives every gradient.
"""

import math

import numpy as np

from ...autograd import is_grad_enabled
from ...backend import array_module
from ...ops import cat, softplus
from ...ops.auxiliary import attach_aux_loss
from ...ops.common import as_tensor
from ...random import _numpy_rng
from ...tensor import Tensor
from ..module import Module
from .activation import ReLU
from .container import ModuleList, Sequential
from .linear import Linear

__all__ = ["MixtureOfExperts"]


class MixtureOfExperts(Module):
    """y = sum_i g_i(x) E_i(x): N experts mixed by a gating network.

    Gating. The gate is a linear map to one logit per expert, h(x) = x W_g^T (plus, with
    noisy_gating and in training mode only, N(0, 1) noise times softplus(x W_noise^T), a
    trainable noise scale; Shazeer et al. 2017). k=None: dense soft gating, g = softmax(h)
    over all experts, and every expert runs on every row. k=int: sparse top-k gating,
    g = softmax over the k largest logits (0 for the others, the same as the dense gates
    renormalised over the top k; renormalize=False keeps softmax(h) itself at the top k);
    each expert runs only on the rows routed to it: the rows
    are gathered by integer indexing, the expert runs on them, and its outputs, weighted by
    their gates, are added back in place by scatter_add.

    Capacity (top-k only). capacity_factor=c limits each expert to
    ceil(c * rows * k / num_experts) rows per forward, taken in row order (first come,
    first served, as in the Switch Transformer); a row over an expert's capacity gets
    nothing from that expert: its term is 0 (its other experts still count, and the gates
    are not renormalised). With k=1 a dropped row's output is 0; inside a residual block
    (x + moe(x)) it passes through unchanged. None: no limit.

    Load balancing. aux_loss = num_experts * sum_i f_i * P_i (the Switch Transformer's
    loss), f_i the fraction of the routing assignments that chose expert i (top-k; the
    argmax for dense gating; before capacity drops; no gradient) and P_i the mean router
    probability softmax(h)_i over the rows. It is 1 when the use is even and up to
    num_experts when one expert takes everything. How training sees it: in training mode
    the layer attaches aux_loss_coef * aux_loss to its output (ops.attach_aux_loss): the
    forward value is unchanged, and the backward of any loss built on the output adds the
    auxiliary term's gradient. So plain fit() (or any loop) trains with it, no special
    case; the logged loss is the main loss alone. To handle it yourself, set
    aux_loss_coef=0 and add `coef * moe.aux_loss` to your loss.

    Args:
        in_features, out_features: sizes of the last input and output dimensions.
        num_experts: N (default 4; taken from `experts` when that is a list).
        experts: None (MLPs in -> hidden -> ReLU -> out), a factory called once per
            expert with no arguments and returning a Module, or a list of Modules
            (each maps (n, in_features) to (n, out_features)).
        hidden: hidden width of the default experts.
        k: None for dense soft gating, or the number of experts per row (1..N).
        noisy_gating: add the trainable gating noise in training mode.
        renormalize: top-k gates as the softmax over the top k logits (True, Shazeer et
            al.), or the full softmax's probabilities of the chosen experts, which do not sum
            to 1 (False: the Switch Transformer's choice; with k=1 the softmax over one
            logit is always 1, so only this form lets the gate learn from the main loss).
        capacity_factor: None (unlimited) or c > 0 (top-k only).
        aux_loss_coef: weight of the load-balancing loss attached in training (0: off).
    Shape: input (*, in_features) -> output (*, out_features).
    Attributes after a forward:
        aux_loss: the unweighted load-balancing loss (a 0-d Tensor, in the graph).
        router_probs: softmax(h) over all experts, (*, N), detached.
        expert_counts: int64 (N,) NumPy array, the rows each expert ran on.
        dropped: rows-times-experts assignments dropped by the capacity limit.
    Example:
        moe = MixtureOfExperts(2, 3, num_experts=4, k=1, hidden=16)
        y = moe(gu.randn(10, 2))        # (10, 3); moe.expert_counts sums to 10
    """

    def __init__(self, in_features, out_features, num_experts=None, experts=None, hidden=32,
                 k=None, noisy_gating=False, capacity_factor=None, aux_loss_coef=0.01,
                 renormalize=True, dtype=None):
        super().__init__()
        self.in_features, self.out_features = int(in_features), int(out_features)
        if isinstance(experts, (list, tuple, ModuleList)):
            modules = list(experts)
            if num_experts is not None and int(num_experts) != len(modules):
                raise ValueError(f"MixtureOfExperts: num_experts={num_experts} but "
                                 f"{len(modules)} experts were given")
            if not all(isinstance(m, Module) for m in modules):
                raise TypeError("MixtureOfExperts: experts must all be Modules")
        else:
            n = 4 if num_experts is None else int(num_experts)
            if n < 1:
                raise ValueError(f"MixtureOfExperts: num_experts must be >= 1; got {n}")
            if experts is None:
                def experts():
                    return Sequential(Linear(in_features, hidden, dtype=dtype), ReLU(),
                                      Linear(hidden, out_features, dtype=dtype))
            elif not callable(experts):
                raise TypeError(f"MixtureOfExperts: experts must be None, a factory or a list "
                                f"of Modules; got {type(experts).__name__}")
            modules = [experts() for _ in range(n)]
            if not all(isinstance(m, Module) for m in modules):
                raise TypeError("MixtureOfExperts: the experts factory must return Modules")
        self.num_experts = len(modules)
        if self.num_experts < 1:
            raise ValueError("MixtureOfExperts: at least one expert is needed")
        if k is not None and not 1 <= int(k) <= self.num_experts:
            raise ValueError(f"MixtureOfExperts: k must be None (dense) or in 1..{self.num_experts}"
                             f"; got {k}")
        if capacity_factor is not None and not capacity_factor > 0:
            raise ValueError(f"MixtureOfExperts: capacity_factor must be None or > 0; got "
                             f"{capacity_factor}")
        self.k = None if k is None else int(k)
        self.renormalize = bool(renormalize)
        self.capacity_factor = capacity_factor
        self.aux_loss_coef = float(aux_loss_coef)
        self.noisy_gating = bool(noisy_gating)
        self.experts = ModuleList(modules)
        self.gate = Linear(in_features, self.num_experts, bias=False, dtype=dtype)
        if self.noisy_gating:
            self.noise = Linear(in_features, self.num_experts, bias=False, dtype=dtype)
            self.noise.weight.array[...] = 0      # softplus(0) = 0.69: a start of moderate noise
        self.aux_loss = self.router_probs = None
        self.expert_counts = np.zeros(self.num_experts, np.int64)
        self.dropped = 0

    def capacity(self, rows):
        """The most rows one expert takes in a forward over `rows` rows (None: no limit)."""
        if self.capacity_factor is None or self.k is None:
            return None
        return max(1, math.ceil(self.capacity_factor * rows * self.k / self.num_experts))

    def logits(self, x):
        """The gate's logits h(x) (rows, N), with the noise in training mode."""
        h = self.gate(x)
        if self.noisy_gating and self.training:
            scale = softplus(self.noise(x))
            eps = _numpy_rng(None).standard_normal(h.shape).astype(h.array.dtype)
            h = h + scale * Tensor._wrap(eps)
        return h

    def forward(self, x):
        x = x if isinstance(x, Tensor) else as_tensor(x)
        shape = tuple(x.shape)
        if len(shape) < 1 or shape[-1] != self.in_features:
            raise ValueError(f"MixtureOfExperts: expected input (*, {self.in_features}); got "
                             f"shape {shape}")
        flat = x.reshape(-1, self.in_features)
        h = self.logits(flat)
        probs = h.softmax(-1)
        if self.k is None:
            out, chosen = self._dense(flat, probs)
        else:
            out, chosen = self._sparse(flat, h, probs)
        xp = array_module(chosen)
        counts = xp.bincount(chosen.reshape(-1), minlength=self.num_experts)
        f = Tensor._wrap((counts / max(1, chosen.size)).astype(probs.array.dtype))
        aux = (probs.mean(0) * f).sum() * float(self.num_experts)
        self.aux_loss = aux
        self.router_probs = probs.detach().reshape(*shape[:-1], self.num_experts)
        if self.training and self.aux_loss_coef and is_grad_enabled():
            out = attach_aux_loss(out, aux * self.aux_loss_coef)
        return out.reshape(*shape[:-1], self.out_features)

    def _dense(self, flat, probs):
        """Every expert on every row: sum_i g_i E_i(x) with g = softmax(h)."""
        outs = [self._run(e, flat, flat.shape[0]) for e in range(self.num_experts)]
        stacked = cat([o.unsqueeze(1) for o in outs], dim=1)            # (rows, N, out)
        self.expert_counts = np.full(self.num_experts, flat.shape[0], np.int64)
        self.dropped = 0
        out = (stacked * probs.unsqueeze(-1)).sum(1)
        return out, probs.array.argmax(-1)

    def _sparse(self, flat, h, probs):
        """Each expert on its rows only: gather, run, weight by the gate, scatter_add."""
        rows = flat.shape[0]
        top, index = h.topk(self.k, dim=-1)                     # (rows, k) each
        if self.renormalize:
            gates = top.softmax(-1)                             # softmax over the top k
        else:
            gates = probs.gather(-1, index)                     # softmax(h) at the top k
        chosen = index.array
        limit = self.capacity(rows)
        xp = array_module(chosen)
        picked_rows, pieces = [], []
        counts = np.zeros(self.num_experts, np.int64)
        dropped = 0
        for e in range(self.num_experts):
            r, slot = xp.nonzero(chosen == e)                   # row order: first come first
            if limit is not None and len(r) > limit:
                dropped += int(len(r) - limit)
                r, slot = r[:limit], slot[:limit]
            counts[e] = len(r)
            if not len(r):
                continue
            y = self._run(e, flat[r], len(r))                   # (n_e, out)
            pieces.append(y * gates[r, slot].unsqueeze(-1))
            picked_rows.append(r)
        self.expert_counts, self.dropped = counts, dropped
        zeros = Tensor._wrap(xp.zeros((rows, self.out_features), dtype=flat.array.dtype))
        if not pieces:
            return zeros, chosen
        src = pieces[0] if len(pieces) == 1 else cat(pieces, dim=0)
        where = xp.concatenate(picked_rows) if len(picked_rows) > 1 else picked_rows[0]
        index = xp.broadcast_to(where[:, None], (len(where), self.out_features))
        return zeros.scatter_add(0, Tensor._wrap(xp.ascontiguousarray(index)), src), chosen

    def _run(self, e, inputs, n):
        y = self.experts[e](inputs)
        if tuple(y.shape) != (n, self.out_features):
            raise ValueError(f"MixtureOfExperts: expert {e} must map (n, {self.in_features}) to "
                             f"(n, {self.out_features}); it returned {tuple(y.shape)}")
        return y

    def extra_repr(self):
        gating = "dense" if self.k is None else f"top-{self.k}"
        return (f"{self.in_features}, {self.out_features}, num_experts={self.num_experts}, "
                f"gating={gating}, renormalize={self.renormalize}, "
                f"noisy_gating={self.noisy_gating}, capacity_factor={self.capacity_factor}, "
                f"aux_loss_coef={self.aux_loss_coef}")

