"""One seeded random generator shared by initialisation, dropout, shuffling and sampling.

`manual_seed(s)` makes every random draw in groundup reproducible bit for bit
on the CPU. The state is a plain dict (JSON-serialisable), so checkpoints can
store it and resume exactly.

`Generator` is PyTorch's `torch.Generator`: a private stream of random numbers
that functions and loaders taking `generator=` draw from instead of the shared
one (`gu.Generator().manual_seed(0)`). It is backed by a NumPy Generator, and
`Generator().manual_seed(s)` draws exactly what `np.random.default_rng(s)` does.
"""

import json
import numbers

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


# ------------------------------------------------------------- bit generator states
_BIT_GENERATORS = {
    "PCG64": np.random.PCG64, "PCG64DXSM": np.random.PCG64DXSM,
    "Philox": np.random.Philox, "SFC64": np.random.SFC64,
}


def _generator_from_state(state, where):
    """A new np.random.Generator whose bit generator is in `state` (a bit_generator.state dict)."""
    name = state.get("bit_generator") if isinstance(state, dict) else None
    if name not in _BIT_GENERATORS:
        raise ValueError(
            f"{where}: not a generator state (expected a dict with 'bit_generator' one of "
            f"{sorted(_BIT_GENERATORS)}); got {state!r:.80}"
        )
    bit_generator = _BIT_GENERATORS[name]()
    try:
        bit_generator.state = state
    except (TypeError, ValueError, KeyError) as e:
        raise ValueError(f"{where}: invalid {name} state: {e}") from None
    return np.random.Generator(bit_generator)


# ------------------------------------------------------------------ Generator
_DEFAULT_SEED = 67280421310721  # what a fresh torch.Generator() starts from
_SEED_MASK = (1 << 64) - 1


def _check_device(device):
    name = getattr(device, "type", device)
    if device is not None and str(name) != "cpu":
        raise ValueError(f"Generator: device must be 'cpu' (the only device with a generator "
                         f"so far); got {device!r}")


class Generator:
    """A private random stream, as torch.Generator: pass it as `generator=`.

    `manual_seed(s)` seeds it (and returns it, so `Generator().manual_seed(0)`
    reads as in PyTorch); `seed()` seeds it from the operating system's entropy
    and returns the seed; `initial_seed()` is the last seed set;
    `get_state()` / `set_state()` save and restore it as a uint8 array (JSON
    text of the NumPy bit generator's state; no pickle).

    A fresh Generator starts from PyTorch's default seed (67280421310721), so
    two fresh Generators draw the same numbers. The numbers themselves are
    NumPy's, not PyTorch's: the same seed gives a different sequence from torch.
    """

    def __init__(self, device="cpu"):
        _check_device(device)
        self.manual_seed(_DEFAULT_SEED)

    @property
    def device(self):
        return "cpu"

    def manual_seed(self, seed):
        """Seed the generator with an int (negative ones wrap to 64 bits); returns self."""
        if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
            raise TypeError(f"Generator.manual_seed: seed must be an int; got "
                            f"{type(seed).__name__} {seed!r}")
        self._seed = int(seed) & _SEED_MASK
        self._rng = np.random.default_rng(self._seed)
        return self

    def seed(self):
        """Seed from the operating system's entropy; returns the seed drawn."""
        seed = int(np.random.SeedSequence().generate_state(1, np.uint64)[0])
        self.manual_seed(seed)
        return seed

    def initial_seed(self):
        """The seed this generator was last seeded with."""
        return self._seed

    def get_state(self):
        """The state as a 1-d uint8 array (restore it with set_state)."""
        text = json.dumps({"seed": self._seed, "state": self._rng.bit_generator.state})
        return np.frombuffer(text.encode("utf-8"), dtype=np.uint8).copy()

    def set_state(self, new_state):
        """Restore a state from get_state() (a uint8 array or Tensor); returns self."""
        array = getattr(new_state, "array", new_state)  # a gu.Tensor holds its array here
        array = np.asarray(array)
        if array.dtype != np.uint8 or array.ndim != 1:
            raise TypeError(f"Generator.set_state: expected the 1-d uint8 array from "
                            f"get_state(); got dtype {array.dtype}, shape {array.shape}")
        try:
            saved = json.loads(array.tobytes().decode("utf-8"))
            seed, state = int(saved["seed"]), saved["state"]
        except (ValueError, KeyError, TypeError, UnicodeDecodeError):
            raise ValueError("Generator.set_state: the array is not a state from "
                             "Generator.get_state()") from None
        self._rng = _generator_from_state(state, "Generator.set_state")
        self._seed = seed & _SEED_MASK
        return self

    def __repr__(self):
        return f"<groundup.Generator seed={self._seed}>"


def _numpy_rng(generator, where="generator"):
    """The np.random.Generator to draw from for a `generator=` argument.

    None -> the shared generator (so gu.manual_seed fixes the draws); a
    gu.Generator -> its own stream; a np.random.Generator is used as is.
    """
    if generator is None:
        return _generator
    if isinstance(generator, Generator):
        return generator._rng
    if isinstance(generator, np.random.Generator):
        return generator
    raise TypeError(f"{where} must be a groundup.Generator (or None for the shared one); got "
                    f"{type(generator).__name__}")
