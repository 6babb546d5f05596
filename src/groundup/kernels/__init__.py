"""Tuned variants of hot ops and optimizer updates, chosen at one seam.

groundup's ops (ops/) and optimizers (optim/) are written as plain NumPy: that code is
the reference, the one their docstrings describe and the one that always runs without
the optional extra. NumPy runs each element-wise pass on one core and makes one pass
per operation, so an update such as Adam's is 13 passes over memory on one core. With
the `fast` extra installed (`pip install "groundup[fast]"`, which adds numba), the hot
ones run as compiled kernels instead: one pass, threaded over the cores that groundup's
thread policy gives (threads.py).

The seam: an op or optimizer calls a function of this package at the top of its
forward, backward or update. It returns the result (or True) when a tuned variant did
the work, and None (or False) when the caller runs its reference. A tuned variant is
used only where it measured faster, for NumPy float32/float64 arrays of at least
switch.MIN_SIZE elements (65,536; GROUNDUP_FAST_MIN_SIZE changes it). Each one is
tested equal to its reference in tests/kernels/, bit for bit where the arithmetic
allows. What is compiled (each module's docstring gives what it measured):

    prepare                     loads the path when an optimizer is built (optim.py)
    adam_, sgd_                 Adam / AdamW (amsgrad, weight decay, maximize), SGD with
                                momentum, dampening, Nesterov or weight decay: one pass,
                                bit-identical (optim.py; plain SGD is one BLAS axpy)
    layer_norm_forward/backward LayerNormFn (normalization.py)
    gelu_forward/backward       GELUFn, exact erf form (activation.py)
    gelu_tanh_forward/backward  GELUTanhFn, float32 (activation.py)
    relu_forward/backward       ReLUFn, threaded (activation.py)
    leaky_relu_forward          LeakyReLUFn's forward, one pass (activation.py)
    max_pool2d_forward/backward MaxPoolFn in 2-D: one pass each way (pool.py)
    softmax_rows, softmax_backward_
                                attention's row softmax and its backward (softmax.py)
    im2col, col2im              the tuned convolution's lowering and its transpose,
                                threaded (conv.py)
    lstm_forward/backward_steps the LSTM's and the GRU's whole time loop, float32, each
    gru_forward/backward_steps  step's GEMM called from the compiled loop (recurrent.py)

Switches: the environment variable GROUNDUP_FAST=0 turns the compiled path off for the
process; `kernels.use(False)` (or `kernels.disabled()`) for a `with` block;
`kernels.enabled()` says whether it is on.
"""

from .activation import (
    gelu_backward,
    gelu_forward,
    gelu_tanh_backward,
    gelu_tanh_forward,
    leaky_relu_forward,
    relu_backward,
    relu_forward,
)
from .conv import col2im, im2col
from .normalization import layer_norm_backward, layer_norm_forward
from .optim import adam_, prepare, sgd_
from .pool import max_pool2d_backward, max_pool2d_forward, saved_by_kernel
from .recurrent import (
    gru_backward_steps,
    gru_forward_steps,
    lstm_backward_steps,
    lstm_forward_steps,
)
from .softmax import softmax_backward_, softmax_rows
from .switch import available, disabled, enabled, use

__all__ = ["available", "enabled", "use", "disabled", "prepare", "adam_", "sgd_", "im2col",
           "col2im", "relu_forward", "relu_backward", "leaky_relu_forward",
           "layer_norm_forward", "layer_norm_backward", "gelu_forward", "gelu_backward",
           "gelu_tanh_forward", "gelu_tanh_backward",
           "max_pool2d_forward", "max_pool2d_backward", "saved_by_kernel",
           "lstm_forward_steps", "lstm_backward_steps", "gru_forward_steps",
           "gru_backward_steps", "softmax_rows", "softmax_backward_"]
