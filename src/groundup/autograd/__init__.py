"""gu.autograd: reverse-mode automatic differentiation, as torch.autograd.

    grad_mode.py   no_grad, enable_grad, set_grad_enabled, inference_mode (the grad-mode state)
    versions.py    the in-place change clock: mark_changed, and what backward checks with it
    function.py    Function: one differentiable primitive and its graph node; PyTorch-style
                   custom Functions with their ctx (FunctionCtx), once_differentiable
    gradients.py   what happens to one gradient array: sum_to_shape, hooks, storing into .grad
    engine.py      backward() and grad(): the walk from the outputs to the leaves

Imports inside flow one way: grad_mode, versions <- function <- gradients <- engine.
Grad mode is per thread, as in PyTorch. `gu.autograd.gradcheck` is set by groundup/__init__.py
(gradcheck.py builds Tensors, so autograd cannot import it).
"""

from . import function
from .engine import _register_tensor_type, backward, grad
from .function import Function, FunctionCtx, once_differentiable
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradients import sum_to_shape
from .versions import mark_changed
