"""Saving and loading: safetensors files with JSON metadata, written atomically, never pickle.

Two families, one per file: `safetensors` (the file format itself: save, load,
load_metadata, atomic_open, SafetensorsError) and `checkpoint` (a whole
training state in one such file: save_checkpoint, load_checkpoint,
CHECKPOINT_FORMAT). This package re-exports their public names.
"""

from .checkpoint import CHECKPOINT_FORMAT, load_checkpoint, save_checkpoint
from .safetensors import SafetensorsError, atomic_open, load, load_metadata, save

__all__ = ["save", "load", "load_metadata", "save_checkpoint", "load_checkpoint",
           "atomic_open", "SafetensorsError"]
