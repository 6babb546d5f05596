"""Auxiliary losses carried by a layer's output: attach_aux_loss.

A layer with a loss of its own (the load-balancing loss of a mixture of experts) hands
it to training by attaching it to its output: the forward value is the output, unchanged;
the backward passes the output's gradient through and gives the auxiliary loss the
gradient 1, as if it had been added to whatever loss the output flows into. The training
loop needs no special case: any loss computed from the output trains the auxiliary term too
(the figure it reports is the main loss alone).
"""

from ..autograd import Function
from .common import as_tensor

__all__ = ["attach_aux_loss"]


class AttachAuxLossFn(Function):
    """y = x                       x: S, aux: () -> y: S
    dx = dy        daux = 1       (d(L + aux)/daux, whatever the loss L built on y)
    saved: nothing."""

    def forward(self, x, aux):
        self.aux_dtype = aux.dtype
        return x.view()

    def backward(self, dy):
        need = self.needs_input_grad
        daux = self.xp.ones((), self.aux_dtype) if need[1] else None
        return (dy if need[0] else None), daux


def attach_aux_loss(output, aux):
    """`output`, carrying the 0-d loss `aux`: the backward of any loss built on the result
    also back-propagates `aux` (with gradient 1). Scale `aux` before attaching it."""
    output, aux = as_tensor(output), as_tensor(aux)
    if aux.ndim != 0:
        raise ValueError(f"attach_aux_loss: aux must be a 0-d loss; got shape {tuple(aux.shape)}")
    return AttachAuxLossFn.apply(output, aux)
