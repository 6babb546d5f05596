"""gu.nn.utils, as torch.nn.utils: gradient clipping and parameter vectors (clip_grad.py),
spectral_norm / remove_spectral_norm (spectral_norm.py),
and variable-length batches for the recurrent layers (gu.nn.utils.rnn: PackedSequence,
pack_padded_sequence, pad_packed_sequence, pad_sequence, pack_sequence, ...)."""

from . import rnn
from .clip_grad import *  # noqa: F403
from .spectral_norm import remove_spectral_norm, spectral_norm  # noqa: F401
