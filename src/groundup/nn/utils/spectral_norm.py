"""Spectral normalisation of a layer's weight (Miyato et al. 2018, arXiv:1802.05957).

`spectral_norm(module)` divides the weight by its largest singular value sigma, so the
layer is 1-Lipschitz in that weight's matrix norm: a GAN's discriminator built from such
layers cannot grow arbitrarily steep, which steadies the game. As in PyTorch
(torch.nn.utils.spectral_norm):

    W_mat = weight_orig with dimension `dim` moved to the front, reshaped (h, w)
    in training mode, n_power_iterations times (no gradient):
        v = normalize(W_mat^T u),  u = normalize(W_mat v)      (normalize: x / max(|x|, eps))
    sigma = u . (W_mat v)           (u and v held constant: the gradient flows through W_mat)
    weight = weight_orig / sigma

The trainable parameter becomes `weight_orig`; the vectors u (h,) and v (w,) are the
buffers `weight_u` and `weight_v` (in the state dict, PyTorch's keys), updated in place by
each forward in training mode; in eval mode they are left as they are. `weight` is then a
plain attribute recomputed before each forward. dim defaults to 0, and to 1 for the
transposed convolutions (their weight is (in, out, ...)).
"""

import numpy as np

from ...tensor import Tensor
from ..module import Parameter

__all__ = ["spectral_norm", "remove_spectral_norm", "SpectralNorm"]


def _normalize(x, eps):
    return x / max(float(np.sqrt(float((x.astype(np.float64) ** 2).sum()))), eps)


class SpectralNorm:
    """The forward pre-hook that recomputes module.<name> = <name>_orig / sigma."""

    def __init__(self, name="weight", n_power_iterations=1, dim=0, eps=1e-12):
        if n_power_iterations <= 0:
            raise ValueError(f"spectral_norm: n_power_iterations must be positive; got "
                             f"{n_power_iterations}")
        self.name, self.n_power_iterations, self.dim, self.eps = \
            name, int(n_power_iterations), int(dim), float(eps)

    def matrix(self, weight):
        """weight (a Tensor) as the (h, w) matrix: dimension dim first, the rest flattened."""
        if self.dim != 0:
            order = [self.dim] + [d for d in range(weight.ndim) if d != self.dim]
            weight = weight.permute(*order)
        return weight.reshape(weight.shape[0], -1)

    def compute_weight(self, module, do_power_iteration):
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        mat = self.matrix(weight)
        if do_power_iteration:
            w = mat.array
            for _ in range(self.n_power_iterations):
                v.array[...] = _normalize(w.T @ u.array, self.eps)
                u.array[...] = _normalize(w @ v.array, self.eps)
        u_t, v_t = Tensor._wrap(u.array.copy()), Tensor._wrap(v.array.copy())
        sigma = (u_t.reshape(1, -1) @ (mat @ v_t.reshape(-1, 1))).reshape(())
        return weight / sigma

    def __call__(self, module, args):
        module.__dict__[self.name] = self.compute_weight(module, module.training)
        return None


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Spectrally normalise `module.<name>` (see the module docstring); returns the module.

    module: a layer with a weight Parameter (Linear, Conv2d, ConvTranspose2d, ...).
    dim: the output dimension of the weight (default 0; 1 for ConvTranspose layers).
    """
    weight = module.__dict__.get(name)
    if not isinstance(weight, Parameter):
        raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter {name!r}")
    for hook in module.__dict__.get("_forward_pre_hooks", {}).values():
        if isinstance(hook, SpectralNorm) and hook.name == name:
            raise RuntimeError(f"spectral_norm: {type(module).__name__}.{name} is spectrally "
                               f"normalised already")
    if dim is None:
        dim = 1 if type(module).__name__.startswith("ConvTranspose") else 0
    fn = SpectralNorm(name, n_power_iterations, dim, eps)
    from ...creation import randn

    w = fn.matrix(weight).array
    h, wd = w.shape
    u = _normalize(randn(h, dtype=weight.dtype).array, eps).astype(w.dtype)
    v = _normalize(randn(wd, dtype=weight.dtype).array, eps).astype(w.dtype)
    del module.__dict__[name]
    module.__dict__[name + "_orig"] = weight
    module.__dict__[name] = Tensor._wrap(weight.array.copy())
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module, name="weight"):
    """Undo spectral_norm: `name` becomes a Parameter holding the normalised weight."""
    hooks = module.__dict__.get("_forward_pre_hooks", {})
    for key, hook in list(hooks.items()):
        if isinstance(hook, SpectralNorm) and hook.name == name:
            weight = hook.compute_weight(module, False)
            del hooks[key]
            for suffix in ("_orig", "_u", "_v"):
                module.__dict__.pop(name + suffix, None)
                module.__dict__.get("_buffers", {}).pop(name + suffix, None)
            module.__dict__[name] = Parameter(weight.detach())
            return module
    raise ValueError(f"remove_spectral_norm: spectral_norm of {name!r} not found in "
                     f"{type(module).__name__}")
