"""DataParallel: PyTorch's single-process, multi-GPU wrapper, on the CPU."""

from ..module import Module

__all__ = ["DataParallel"]


class DataParallel(Module):
    """Wrap `module` so that ported PyTorch code runs: `model = nn.DataParallel(model)`.

    With no GPU backend there is one device, the CPU, so calling the wrapper calls
    `module` with the same arguments (exactly what PyTorch's DataParallel does when no
    GPU is available): `device_ids` becomes [] and `output_device` None. The wrapped
    module is `.module`, so state dict keys get the prefix "module.", as in PyTorch.
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: module must be a gu.nn.Module, got "
                            f"{type(module).__name__}")
        if not isinstance(dim, int) or isinstance(dim, bool):
            raise TypeError(f"DataParallel: dim must be an int, got {type(dim).__name__}")
        self.module = module
        self.device_ids = []
        self.output_device = None
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
