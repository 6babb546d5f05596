"""`gu.serialization`, as `torch.serialization`: save, load and the allow list of classes.

    gu.save(model, "model.safetensors")
    with gu.serialization.safe_globals([MyModel]):
        model = gu.load("model.safetensors")

Files are safetensors, never pickle; see groundup.io.serialization for what
can be saved and groundup.io.allowlist for how classes are allowed.
"""

from .io import (
    SafetensorsError,
    UntrustedClassError,
    add_safe_globals,
    clear_safe_globals,
    get_safe_globals,
    get_unsafe_globals_in_checkpoint,
    load,
    safe_globals,
    save,
)

__all__ = ["save", "load", "add_safe_globals", "get_safe_globals", "clear_safe_globals",
           "safe_globals", "get_unsafe_globals_in_checkpoint", "SafetensorsError",
           "UntrustedClassError"]
