"""The Transformer's position-wise feed-forward block, linear -> ReLU -> linear, as one Function.

Written as three ops (linear, relu, linear) the block allocates the ReLU's output and, in the
backward, the ReLU's input gradient: two fresh arrays of the hidden size (4x the model width)
per layer and step, each one more pass through memory. Fused, the ReLU runs in place on the
first GEMM's output and its backward in place on the GEMM that produced dh. The layers use it
when the activation is ReLU and no dropout sits between the two linears (evaluation, or
dropout 0); otherwise they compose the ops.
"""

import math

from .. import kernels
from ..autograd import Function
from ..backend import cached_constant
from .activation_common import relu_array

__all__ = []


def _rows(a):
    return a if a.ndim == 2 else a.reshape(math.prod(a.shape[:-1]), a.shape[-1])


class FeedForwardFn(Function):
    """y = relu(x W1^T + b1) W2^T + b2 (nn.Linear's layouts, the biases optional).

    Shapes: x (..., d), W1 (f, d), b1 (f,), W2 (e, f), b2 (e,) -> y (..., e); x2 is x as
    (N, d), N = prod(...).
    forward:   h = max(x2 W1^T + b1, 0)      (N, f), the ReLU in place on the GEMM output
               y = h W2^T + b2               (N, e)
    backward:  db2 = 1^T dy     dW2 = dy^T h     dh = (dy W2) * [h > 0]   (in place)
               db1 = 1^T dh     dW1 = dh^T x2    dx = dh W1
               (each only when needed; dh only when something before it needs a gradient)
    saved:     x, h, W1, W2 (references; h is the block's own buffer).
    """

    def forward(self, x, w1, *rest, has_b1, has_b2):
        xp = self.xp
        b1 = rest[0] if has_b1 else None
        w2 = rest[1 if has_b1 else 0]
        b2 = rest[-1] if has_b2 else None
        x2 = _rows(x)
        h = x2 @ w1.T
        if b1 is not None:
            h += b1
        if kernels.relu_forward(h, out=h) is None:  # compiled: one threaded pass
            relu_array(xp, h, out=h)
        y = h @ w2.T
        if b2 is not None:
            y += b2
        if True in self.needs_input_grad:
            self.save_for_backward(x, h, w1, w2)
            self.has = (has_b1, has_b2)
        return y.reshape(x.shape[:-1] + (w2.shape[0],))

    def backward(self, dy):
        x, h, w1, w2 = self.saved
        has_b1, has_b2 = self.has
        needs = list(self.needs_input_grad)
        need_x, need_w1 = needs[0], needs[1]
        need_b1 = has_b1 and needs[2]
        i = 3 if has_b1 else 2
        need_w2, need_b2 = needs[i], has_b2 and needs[i + 1]
        dy2 = _rows(dy)
        N = dy2.shape[0]
        dx = dw1 = db1 = dw2 = db2 = None
        if need_b2:
            db2 = cached_constant(self.xp, "ones", N, dy.dtype) @ dy2
        if need_w2:
            dw2 = dy2.T @ h
        if need_x or need_w1 or need_b1:
            dh = dy2 @ w2
            if kernels.relu_backward(dh, h, out=dh) is None:  # compiled: one threaded pass
                dh *= h > 0
            if need_b1:
                db1 = cached_constant(self.xp, "ones", N, dy.dtype) @ dh
            if need_w1:
                dw1 = dh.T @ _rows(x)
            if need_x:
                dx = (dh @ w1).reshape(x.shape)
        grads = [dx, dw1] + ([db1] if has_b1 else []) + [dw2] + ([db2] if has_b2 else [])
        return tuple(grads)


def feed_forward(x, w1, b1, w2, b2):
    """relu(x @ w1^T + b1) @ w2^T + b2 as one Function (b1, b2 may be None); the caller checks
    the shapes (the Transformer layers, whose Linear sizes agree by construction)."""
    params = [w1] + ([b1] if b1 is not None else []) + [w2] + ([b2] if b2 is not None else [])
    return FeedForwardFn.apply(x, *params, has_b1=b1 is not None, has_b2=b2 is not None)
