"""Saving and loading: safetensors files with JSON metadata, written atomically, never pickle.

Families, one per file: `safetensors` (the file format itself: the flat
save/load of {name: array}, load_metadata, atomic_open, SafetensorsError),
`serialization` (gu.save / gu.load: state dicts, nested checkpoint dicts and
whole modules), `structure` (how objects become tensors plus a JSON
description), `allowlist` (the classes gu.load may rebuild) and `checkpoint`
(a whole training state in one file: save_checkpoint, load_checkpoint,
CHECKPOINT_FORMAT). This package re-exports their public names.
"""

from .allowlist import add_safe_globals, clear_safe_globals, get_safe_globals, safe_globals
from .checkpoint import CHECKPOINT_FORMAT, load_checkpoint, save_checkpoint
from .safetensors import SafetensorsError, atomic_open, load_metadata
from .serialization import get_unsafe_globals_in_checkpoint, load, save
from .structure import UntrustedClassError

__all__ = ["save", "load", "load_metadata", "save_checkpoint", "load_checkpoint",
           "atomic_open", "SafetensorsError", "UntrustedClassError", "add_safe_globals",
           "get_safe_globals", "clear_safe_globals", "safe_globals",
           "get_unsafe_globals_in_checkpoint"]
