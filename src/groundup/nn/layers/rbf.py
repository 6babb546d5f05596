"""Radial-basis-function layer: RBF.

Each output unit k responds to the distance between the input and its centre c_k,
scaled by its width w_k: phi_k(x) = kernel((||x - c_k|| / w_k)^2). Broomhead and
Lowe (1988), "Multivariable functional interpolation and adaptive networks",
Complex Systems 2; Moody and Darken (1989), "Fast learning in networks of
locally-tuned processing units", Neural Computation 1.

The layer is composed of differentiable ops (one matrix product, elementwise
ops), so autograd gives the gradients of the input, the centres and the widths.
"""

import numpy as np

from ...autograd import no_grad
from ...backend import to_dtype
from ...ops.common import as_tensor
from ...random import _numpy_rng
from ...tensor import Tensor
from ..module import Module, Parameter

__all__ = ["RBF"]


# exp(-60) ~ 9e-27: beyond it the gaussian is 0 to any use, but its float32 values and
# gradients would be subnormal, and matrix products on subnormals run 10-30x slower
_GAUSSIAN_MAX_U = 60.0


def _gaussian(u):
    return (-u.clamp(max=_GAUSSIAN_MAX_U)).exp()


def _multiquadric(u):
    return (u + 1.0).sqrt()


def _inverse_quadratic(u):
    return (u + 1.0).pow(-1.0)


def _inverse_multiquadric(u):
    return (u + 1.0).pow(-0.5)


# kernel of u = (r / w)^2
KERNELS = {
    "gaussian": _gaussian,                            # exp(-(r/w)^2)
    "multiquadric": _multiquadric,                    # sqrt(1 + (r/w)^2)
    "inverse_quadratic": _inverse_quadratic,          # 1 / (1 + (r/w)^2)
    "inverse_multiquadric": _inverse_multiquadric,    # 1 / sqrt(1 + (r/w)^2)
}


def radial_basis(x, centres, widths, kernel="gaussian"):
    """kernel(d2 / w^2) for x (N, D), centres (K, D), widths (K,): returns (N, K).

    d2 = ||x||^2 - 2 x c^T + ||c||^2 (one matrix product), clamped at 0.
    """
    if kernel not in KERNELS:
        raise ValueError(f"radial_basis: unknown kernel {kernel!r}; supported: "
                         f"{', '.join(KERNELS)}")
    d2 = ((x * x).sum(1, keepdim=True) - 2.0 * x.matmul(centres.transpose(0, 1))
          + (centres * centres).sum(1)).clamp(min=0.0)
    return KERNELS[kernel](d2 / (widths * widths))


def _plain(data, name, dtype):
    """`data` (array-like or Tensor) as a float NumPy array of `dtype`."""
    arr = data.numpy() if isinstance(data, Tensor) else np.asarray(data)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"RBF: {name} must hold numbers; got dtype {arr.dtype}")
    return arr.astype(dtype)


def kmeans(X, k, iterations=10, rng=None):
    """Lloyd's k-means on the rows of X (N, D): returns the (k, D) centres.

    Seeds the centres by k-means++ (the first a random row, each next one a row drawn
    with probability proportional to its squared distance to the nearest centre so
    far), then alternates assigning each row to its nearest centre and moving each
    centre to the mean of its rows; a centre left with no rows stays where it is.
    """
    rng = rng if rng is not None else np.random.default_rng(0)
    X = np.asarray(X, dtype=np.float64)
    xx = (X * X).sum(1)
    centres = np.empty((k, X.shape[1]))
    centres[0] = X[rng.integers(len(X))]
    nearest_d2 = np.maximum(xx - 2.0 * X @ centres[0] + centres[0] @ centres[0], 0.0)
    for j in range(1, k):
        total = nearest_d2.sum()
        pick = rng.choice(len(X), p=nearest_d2 / total) if total > 0 else rng.integers(len(X))
        centres[j] = X[pick]
        d2 = np.maximum(xx - 2.0 * X @ centres[j] + centres[j] @ centres[j], 0.0)
        nearest_d2 = np.minimum(nearest_d2, d2)
    for _ in range(int(iterations)):
        d2 = xx[:, None] - 2.0 * X @ centres.T + (centres * centres).sum(1)
        nearest = d2.argmin(1)
        counts = np.bincount(nearest, minlength=k)
        sums = np.zeros_like(centres)
        np.add.at(sums, nearest, X)
        filled = counts > 0
        moved = centres.copy()
        moved[filled] = sums[filled] / counts[filled, None]
        if np.array_equal(moved, centres):
            break
        centres = moved
    return centres


def nearest_centre_widths(centres, scale=1.0):
    """Width of each centre: `scale` times the distance to its nearest other centre.

    A single centre, or centres that coincide, get the mean of the positive widths
    (1.0 when there is none), so no width is zero.
    """
    c = np.asarray(centres, dtype=np.float64)
    if len(c) < 2:
        return np.full(len(c), float(scale))
    d2 = (c * c).sum(1)[:, None] - 2.0 * c @ c.T + (c * c).sum(1)
    np.fill_diagonal(d2, np.inf)
    widths = np.sqrt(np.maximum(d2.min(1), 0.0))
    positive = widths > 1e-12
    fill = widths[positive].mean() if positive.any() else 1.0
    return float(scale) * np.where(positive, widths, fill)


class RBF(Module):
    """Radial-basis-function layer: y_k = kernel((||x - c_k|| / w_k)^2).

    Kernels of u = (r / w)^2: gaussian exp(-u), multiquadric sqrt(1 + u),
    inverse_quadratic 1 / (1 + u), inverse_multiquadric 1 / sqrt(1 + u).
    The squared distances come from one matrix product,
    ||x||^2 - 2 x c^T + ||c||^2, clamped at 0 against rounding. The gaussian's u is
    capped at 60 (exp(-60) ~ 9e-27, with zero gradient beyond), which keeps float32
    values and gradients off the slow subnormal range.

    Args:
        in_features: size of the last input dimension.
        num_centres: number of centres (output features).
        kernel: one of gaussian, multiquadric, inverse_quadratic, inverse_multiquadric.
        centres: initial centres (num_centres, in_features); default standard normal
            draws (suits standardised inputs), or use init_from_data.
        widths: initial widths, a number or (num_centres,); default the
            nearest-centre heuristic on the initial centres.
        trainable_centres, trainable_widths: learn them (default True); fixed ones are
            Parameters with requires_grad=False.
        dtype: parameter dtype (default float32).
    Shape: input (*, in_features) -> output (*, num_centres).
    Attributes:
        centres: (num_centres, in_features). widths: (num_centres,).
    Example:
        m = RBF(2, 16).init_from_data(X, method="kmeans")
        phi = m(gu.tensor(X))    # (N, 16)
    """

    def __init__(self, in_features, num_centres, kernel="gaussian", centres=None, widths=None,
                 trainable_centres=True, trainable_widths=True, dtype=None):
        super().__init__()
        if kernel not in KERNELS:
            raise ValueError(f"RBF: unknown kernel {kernel!r}; supported: "
                             f"{', '.join(KERNELS)}")
        self.in_features, self.num_centres = int(in_features), int(num_centres)
        if self.in_features < 1 or self.num_centres < 1:
            raise ValueError(f"RBF: in_features and num_centres must be positive; got "
                             f"{in_features} and {num_centres}")
        self.kernel = kernel
        dt = np.dtype(to_dtype(dtype) or to_dtype("float32"))
        shape = (self.num_centres, self.in_features)
        if centres is None:
            c = _numpy_rng(None).standard_normal(shape)
        else:
            c = _plain(centres, "centres", np.float64)
            if c.shape != shape:
                raise ValueError(f"RBF: centres must have shape {shape} (num_centres, "
                                 f"in_features); got {c.shape}")
        if widths is None:
            w = nearest_centre_widths(c)
        else:
            w = _plain(widths, "widths", np.float64)
            if w.ndim == 0:
                w = np.full(self.num_centres, float(w))
            if w.shape != (self.num_centres,):
                raise ValueError(f"RBF: widths must be a number or have shape "
                                 f"({self.num_centres},); got {w.shape}")
            if not (w != 0).all():
                raise ValueError("RBF: widths must be non-zero")
        self.centres = Parameter(Tensor._wrap(c.astype(dt)),
                                 requires_grad=bool(trainable_centres))
        self.widths = Parameter(Tensor._wrap(w.astype(dt)), requires_grad=bool(trainable_widths))

    def init_from_data(self, X, method="random", generator=None, iterations=10,
                       width_scale=1.0):
        """Place the centres on the data X (N, in_features), then set the widths by the
        nearest-centre heuristic (times width_scale). Returns the layer.

        method: "random" (num_centres distinct rows of X) or "kmeans" (k-means++
        seeding, then `iterations` rounds of Lloyd's algorithm). Draws come from `generator`
        (a gu.Generator; None: the shared one, fixed by gu.manual_seed).
        """
        if method not in ("random", "kmeans"):
            raise ValueError(f"RBF.init_from_data: unknown method {method!r}; supported: "
                             f"random, kmeans")
        data = _plain(X, "X", np.float64)
        if data.ndim != 2 or data.shape[1] != self.in_features:
            raise ValueError(f"RBF.init_from_data: X must have shape (N, {self.in_features}); "
                             f"got {data.shape}")
        if len(data) < self.num_centres:
            raise ValueError(f"RBF.init_from_data: X has {len(data)} rows, fewer than the "
                             f"{self.num_centres} centres")
        rng = _numpy_rng(generator, "RBF.init_from_data: generator")
        if method == "random":
            c = data[rng.choice(len(data), size=self.num_centres, replace=False)]
        else:
            c = kmeans(data, self.num_centres, iterations=iterations, rng=rng)
        with no_grad():
            self.centres.array[...] = c
            self.widths.array[...] = nearest_centre_widths(c, width_scale)
        return self

    def forward(self, x):
        x = x if isinstance(x, Tensor) else as_tensor(x)
        shape = x.shape
        if len(shape) < 1 or shape[-1] != self.in_features:
            raise ValueError(f"{self!r}: expected input (*, {self.in_features}); got shape "
                             f"{tuple(shape)}")
        if x.array.dtype != self.centres.array.dtype:
            raise TypeError(f"{self!r}: input dtype {x.array.dtype} does not match the "
                            f"centres dtype {self.centres.array.dtype}")
        phi = radial_basis(x.reshape(-1, self.in_features), self.centres, self.widths,
                           self.kernel)
        return phi.reshape(*shape[:-1], self.num_centres)

    def extra_repr(self):
        return (f"{self.in_features}, {self.num_centres}, kernel={self.kernel!r}, "
                f"trainable_centres={self.centres.requires_grad}, "
                f"trainable_widths={self.widths.requires_grad}")
