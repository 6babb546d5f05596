"""One seeded random generator shared by initialisation, dropout, shuffling and sampling.

`manual_seed(s)` makes every random draw in groundup reproducible bit for bit
on the CPU. The state is a plain dict (JSON-serialisable), so checkpoints can
store it and resume exactly.
"""

import numpy as np

_generator = np.random.default_rng(0)


def manual_seed(seed):
    """Reset the shared generator to `seed` (an int)."""
    global _generator
    _generator = np.random.default_rng(int(seed))
    return _generator


seed = manual_seed


def get_generator():
    """The shared np.random.Generator."""
    return _generator


def get_rng_state():
    """The generator's state as a JSON-serialisable dict."""
    return _generator.bit_generator.state


def set_rng_state(state):
    """Restore a state returned by get_rng_state()."""
    _generator.bit_generator.state = state
