"""NamedOptimizers: several optimizers that train one model, seen as one.

A GAN trains its generator and its discriminator with an optimizer each, in turns;
fit(), the checkpoints and the learning-rate schedulers expect one optimizer. This holds
the named optimizers and is an Optimizer itself where that matters:

    opt = NamedOptimizers(generator=Adam(G.parameters(), ...),
                          discriminator=Adam(D.parameters(), ...))
    opt["generator"].step()          # a custom fit step updates one part at a time
    opt.param_groups                 # every optimizer's groups (the same dicts), in order:
                                     # a scheduler over opt sets every learning rate
    opt.state_dict()                 # {"optimizers": {name: state dict}, "param_groups"}
    opt.load_state_dict(sd)          # each optimizer loads its own part
    opt.zero_grad(); opt.step()      # every optimizer in turn

It has no update math of its own. The state dict keeps each optimizer's own state dict
under its name, so a checkpoint stores them all (arrays under
optimizer.optimizers.<name>.state...); its "param_groups" list is the concatenation,
which the checkpoint checks against the optimizer it restores into.
"""

from .optimizer import Optimizer

__all__ = ["NamedOptimizers"]


class NamedOptimizers(Optimizer):
    """Named optimizers behaving as one (see the module docstring)."""

    def __init__(self, **optimizers):
        if not optimizers:
            raise ValueError("NamedOptimizers: give at least one optimizer, e.g. "
                             "NamedOptimizers(generator=..., discriminator=...)")
        for name, opt in optimizers.items():
            if not isinstance(opt, Optimizer):
                raise TypeError(f"NamedOptimizers: {name} must be a groundup Optimizer; got "
                                f"{type(opt).__name__}")
        self.optimizers = dict(optimizers)
        self.defaults = dict(next(iter(optimizers.values())).defaults)
        self.state = {}
        self._work = {}

    @property
    def param_groups(self):
        return [g for opt in self.optimizers.values() for g in opt.param_groups]

    def __getitem__(self, name):
        try:
            return self.optimizers[name]
        except KeyError:
            raise KeyError(f"NamedOptimizers: no optimizer {name!r}; it holds "
                           f"{', '.join(self.optimizers)}") from None

    def zero_grad(self, set_to_none=True):
        for opt in self.optimizers.values():
            opt.zero_grad(set_to_none)

    def step(self, closure=None):
        loss = closure() if closure is not None else None
        for opt in self.optimizers.values():
            opt.step()
        return loss

    def add_param_group(self, param_group):
        raise TypeError("NamedOptimizers: add the group to one of its optimizers "
                        "(opt[name].add_param_group(...))")

    def state_dict(self):
        parts = {name: opt.state_dict() for name, opt in self.optimizers.items()}
        return {"optimizers": parts,
                "param_groups": [g for sd in parts.values() for g in sd["param_groups"]]}

    def load_state_dict(self, state_dict):
        parts = state_dict.get("optimizers") if isinstance(state_dict, dict) else None
        if not isinstance(parts, dict) or set(parts) != set(self.optimizers):
            have = sorted(parts) if isinstance(parts, dict) else "none"
            raise ValueError(f"NamedOptimizers.load_state_dict: expected the states of "
                             f"{sorted(self.optimizers)}; got {have}")
        for name, opt in self.optimizers.items():
            opt.load_state_dict(parts[name])

    def __repr__(self):
        inner = ", ".join(f"{name}={type(opt).__name__}" for name, opt in self.optimizers.items())
        return f"NamedOptimizers({inner})"
