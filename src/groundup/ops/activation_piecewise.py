"""Piecewise activations: hardswish, hardsigmoid, prelu, rrelu, hardshrink, softshrink, threshold.

(relu, relu6, hardtanh and leaky_relu are in ops/activation.py.) Each primitive is one
Function whose docstring states its derivative; element-wise ones map x: (*) -> y: (*)
of the same shape. At a kink the gradient is PyTorch's one-sided choice, written out in
each docstring. Integer inputs: threshold keeps them (as PyTorch); the others compute
them in float32 (PyTorch refuses them).

inplace=True (where PyTorch has it): with no graph recorded through x (x needs no
grad, or under no_grad) the result is written into x and x is returned, as in
PyTorch; when x is part of a recorded graph a new tensor is returned and x is left
as it is (groundup records no in-place ops; the gradients are the same). A leaf that
requires grad is refused, as in PyTorch.
"""

import numpy as np

from ..autograd import Function
from ..backend import move
from ..random import get_generator
from .activation import leaky_relu
from .activation_common import apply_unary, check_inplace, finish_inplace, ieee, tensor_arg
from .common import to_float

__all__ = [
    "hardswish", "hardsigmoid", "prelu", "rrelu", "hardshrink", "softshrink", "threshold",
]


class HardswishFn(Function):
    """Hard swish (MobileNetV3): x * relu6(x + 3) / 6.

    forward:   y = x * min(max(x + 3, 0), 6) / 6           x: (*) -> y: (*)
    backward:  dx = 0                     for x <= -3
               dx = dy * (x / 3 + 1/2)    for -3 < x < 3
               dx = dy                    for x >= 3       (PyTorch's sides at the kinks)
    saved:     x
    """

    @ieee
    def forward(self, x):
        xp = self.xp
        y = x + 3.0
        y = xp.clip(y, xp.asarray(0.0, x.dtype), xp.asarray(6.0, x.dtype), out=y)
        y *= x
        y /= 6.0
        if self.needs_input_grad[0]:
            self.save_for_backward(x)
        return y

    @ieee
    def backward(self, dy):
        (x,) = self.saved
        xp = self.xp
        d = x / 3.0
        d += 0.5
        d = xp.where(x < 3.0, d, 1.0)  # NaN takes this branch too, as in PyTorch
        d = xp.where(x <= -3.0, 0.0, d).astype(dy.dtype, copy=False)
        d *= dy
        return d


class HardsigmoidFn(Function):
    """Hard sigmoid: relu6(x + 3) / 6, a piecewise-linear logistic.

    forward:   y = min(max(x + 3, 0), 6) / 6                x: (*) -> y: (*)
    backward:  dx = dy / 6 * [-3 < x < 3]    (0 at both kinks, as in PyTorch)
    saved:     the boolean mask [-3 < x < 3]
    """

    def forward(self, x):
        xp = self.xp
        y = x + 3.0
        y = xp.clip(y, xp.asarray(0.0, x.dtype), xp.asarray(6.0, x.dtype), out=y)
        y /= 6.0
        if self.needs_input_grad[0]:
            self.save_for_backward((x > -3.0) & (x < 3.0))
        return y

    def backward(self, dy):
        d = dy * self.saved[0]
        d /= 6.0
        return d


class PReLUFn(Function):
    """Parametric ReLU: a leaky ReLU whose negative slope w is learned, one per channel or one.

    forward:   y = x        where x > 0
               y = w_c x    elsewhere          x: (N, C, *) or any shape with one w;
                                               w: (C,) along dim 1, or (1,) / () for all
    backward:  dx = dy * (1 where x > 0 else w_c)          (w at x == 0, as in PyTorch)
               dw_c = sum over every dim but the channel of dy * x * [x <= 0]
    saved:     x, the broadcast w and the mask [x > 0]
    """

    @ieee
    def forward(self, x, w, channel_shape):
        xp = self.xp
        wb = w.reshape(channel_shape)  # broadcasts along dim 1 (or everywhere)
        pos = x > 0
        y = xp.where(pos, x, wb * x)
        if True in self.needs_input_grad:
            self.save_for_backward(x, wb, pos)
        self.w_shape = w.shape
        return y

    @ieee
    def backward(self, dy):
        x, wb, pos = self.saved
        xp = self.xp
        dx = dw = None
        if self.needs_input_grad[0]:
            dx = dy * xp.where(pos, xp.asarray(1.0, wb.dtype), wb)
        if self.needs_input_grad[1]:
            g = xp.where(pos, xp.asarray(0.0, x.dtype), x)
            g *= dy
            axes = tuple(i for i in range(g.ndim) if i >= len(wb.shape) or wb.shape[i] == 1)
            dw = g.sum(axis=axes).reshape(self.w_shape)
        return dx, dw


class RReLUFn(Function):
    """Randomized leaky ReLU while training: a random slope per element on the negative side.

    forward:   r ~ U(lower, upper) where x <= 0, r = 1 where x > 0 (one draw per element,
               from groundup's generator);  y = x * r             x: (*) -> y: (*)
    backward:  dx = dy * r
    saved:     r
    """

    def forward(self, x, lower, upper):
        xp = self.xp
        u = get_generator().random(x.shape, dtype=np.float64)
        r = (lower + (upper - lower) * u).astype(x.dtype)
        if xp is not np:
            r = move(r, "cuda")
        r = xp.where(x <= 0, r, xp.asarray(1.0, x.dtype))  # NaN: slope 1, as in PyTorch
        if self.needs_input_grad[0]:
            self.save_for_backward(r)
        return x * r

    def backward(self, dy):
        return dy * self.saved[0]


class _ShrinkFn(Function):
    """The shared backward of hardshrink and softshrink: dx = dy * m, m the saved 0/1 mask
    [x < -lambd or x > lambd] (0 at x = +-lambd, as in PyTorch)."""

    def backward(self, dy):
        return dy * self.saved[0]


class HardshrinkFn(_ShrinkFn):
    """Hard shrinkage: keep x outside [-lambd, lambd], zero it inside.

    forward:   m = not (-lambd <= x <= lambd),  y = x * m        x: (*) -> y: (*)
    backward:  dx = dy * m                       (0 at x = +-lambd, as in PyTorch)
    saved:     m (booleans)
    """

    @ieee
    def forward(self, x, lambd):
        m = ~((x >= -lambd) & (x <= lambd))
        if self.needs_input_grad[0]:
            self.save_for_backward(m)
        return x * m


class SoftshrinkFn(_ShrinkFn):
    """Soft shrinkage: move x towards 0 by lambd, to 0 inside [-lambd, lambd].

    forward:   y = x - clip(x, -lambd, lambd)   (x - lambd above, x + lambd below, 0 inside)
               x: (*) -> y: (*)
    backward:  dx = dy * m,  m = not (-lambd <= x <= lambd)   (0 at x = +-lambd)
    saved:     m (booleans)
    """

    @ieee
    def forward(self, x, lambd):
        xp = self.xp
        y = xp.clip(x, xp.asarray(-lambd, x.dtype), xp.asarray(lambd, x.dtype))
        xp.subtract(x, y, out=y)
        if self.needs_input_grad[0]:
            self.save_for_backward(~((x >= -lambd) & (x <= lambd)))
        return y


class ThresholdFn(Function):
    """Replace x by `value` where x <= threshold.

    forward:   m = not (x <= threshold),  y = x where m else value     x: (*) -> y: (*)
    backward:  dx = dy * m                (0 at x == threshold; NaN passes, as in PyTorch)
    saved:     m (booleans)
    """

    def forward(self, x, threshold, value):
        xp = self.xp
        m = ~(x <= threshold)
        if self.needs_input_grad[0]:
            self.save_for_backward(m)
        return xp.where(m, x, xp.asarray(value, x.dtype))

    def backward(self, dy):
        return dy * self.saved[0]


# ----------------------------------------------------------- functions


def _inplace(name, x, inplace, fn):
    """fn() computed out of place, then finished as inplace=True asks (see the module doc)."""
    if not inplace:
        return fn()
    check_inplace(name, x)
    return finish_inplace(name, x, fn())


def hardswish(input, inplace=False):
    """x * relu6(x + 3) / 6 element-wise (gradient 0 at x = -3 and 1 at x = 3, as PyTorch)."""
    return _inplace("hardswish", input, inplace,
                    lambda: apply_unary(HardswishFn, to_float(input, "hardswish")))


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6 element-wise (gradient 1/6 strictly inside (-3, 3), else 0)."""
    return _inplace("hardsigmoid", input, inplace,
                    lambda: apply_unary(HardsigmoidFn, to_float(input, "hardsigmoid")))


def _prelu_channel_shape(x, w):
    """The shape w takes to broadcast along dim 1 of x, with PyTorch's checks."""
    if w.ndim > 1:
        raise ValueError(f"prelu: weight must be 0-d or 1-d (one slope, or one per channel); "
                         f"got shape {tuple(w.shape)}")
    n = w.size
    if n == 1:
        return (1,) * x.ndim
    channels = x.shape[1] if x.ndim >= 2 else 1
    if x.ndim == 0 or n != channels:
        raise ValueError(
            f"prelu: weight has {n} elements but the input of shape {tuple(x.shape)} has "
            f"{channels} channel(s) along dim 1 (expected 1 or {channels})")
    return (1, n) + (1,) * (x.ndim - 2)


def prelu(input, weight):
    """x where x > 0 else weight * x, with one slope or one per channel (dim 1) in `weight`.

    Both input and weight get gradients. An integer input is computed in weight's dtype;
    float input and weight must have the same dtype (as in PyTorch).
    """
    w = tensor_arg(weight)
    if w.array.dtype.kind != "f":
        raise TypeError(f"prelu: weight must be a floating-point tensor, got {w.array.dtype}")
    x = tensor_arg(input)
    if x.array.dtype.kind != "f":
        x = to_float(x, "prelu")
        if x.array.dtype != w.array.dtype:
            x = type(x)._wrap(x.array.astype(w.array.dtype))
    if x.array.dtype != w.array.dtype:
        raise TypeError(f"prelu: input ({x.array.dtype}) and weight ({w.array.dtype}) must "
                        f"have the same dtype")
    shape = _prelu_channel_shape(x.array, w.array)
    return PReLUFn.apply(x, w, channel_shape=shape)


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False):
    """Randomized leaky ReLU: slope ~ U(lower, upper) per element while training; in eval
    (training=False) the fixed mean slope (lower + upper) / 2, as leaky_relu. The random
    slopes come from groundup's shared generator, so gu.manual_seed makes them reproducible."""
    if lower > upper:
        raise ValueError(f"rrelu: lower ({lower}) must not exceed upper ({upper})")
    if not training:
        return _inplace("rrelu", input, inplace,
                        lambda: leaky_relu(input, (lower + upper) / 2.0))
    return _inplace("rrelu", input, inplace, lambda: apply_unary(
        RReLUFn, to_float(input, "rrelu"), lower=float(lower), upper=float(upper)))


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0."""
    return apply_unary(HardshrinkFn, to_float(input, "hardshrink"), lambd=float(lambd))


def softshrink(input, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, 0 between (lambd >= 0)."""
    if not lambd >= 0:
        raise ValueError(f"softshrink: lambd must be >= 0, got {lambd}")
    return apply_unary(SoftshrinkFn, to_float(input, "softshrink"), lambd=float(lambd))


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else value. Integer tensors stay integer (threshold and value
    are then truncated to integers, as in PyTorch)."""
    def run():
        x = tensor_arg(input)
        kind = x.array.dtype.kind
        if kind == "b":
            raise TypeError("threshold: bool tensors are not supported; expected a numeric tensor")
        t, v = (float(threshold), float(value)) if kind == "f" else (int(threshold), int(value))
        return apply_unary(ThresholdFn, x, threshold=t, value=v)

    return _inplace("threshold", input, inplace, run)
