"""gu.nn.functional: thin wrappers over groundup.ops."""

from helpers import require_torch

import groundup as gu
import groundup.nn.functional as F

torch = require_torch()
TF = torch.nn.functional


def test_namespace_reexports_ops():
    for name in ("relu", "gelu", "softmax", "log_softmax", "sigmoid", "tanh", "layer_norm",
                 "batch_norm", "group_norm", "reshape", "sum", "dropout", "embedding",
                 "bilinear"):
        assert callable(getattr(F, name)), name
        assert name in F.__all__
    assert F.relu is gu.ops.relu and F.layer_norm is gu.ops.layer_norm
    for module in ("normalization", "activation", "linalg", "common"):  # no submodules
        assert module not in F.__all__
    assert F.norm is gu.norm  # the p-norm function, not a module
