"""The in-place change clock: how backward knows that a saved value was overwritten.

Every in-place change of a tensor's memory (an in-place method, `x[...] = v`, an
optimizer step) calls `mark_changed`, which advances one process-wide clock and
logs the byte range that changed. A recorded node keeps the clock of its forward
(`Function.stamp`); at backward, a node older than the clock looks for a logged
change newer than itself that overlaps an array it saved (`changed_since`). Byte
ranges, not tensors, are compared, so views, `detach()` aliases and saved outputs
are caught as well as the tensor itself.
"""

import collections

import numpy as np

try:
    from numpy.lib.array_utils import byte_bounds
except ImportError:  # NumPy < 2
    byte_bounds = np.byte_bounds

_ndarray = np.ndarray
_changes = 0  # in-place changes so far, process-wide: the clock of Tensor._version
_changed = collections.deque(maxlen=4096)  # (clock, first byte, end byte) of recent changes


def mark_changed(tensor, span=None):
    """Record an in-place change of `tensor`'s memory; its `_version` becomes the new clock.
    span: `byte_range(tensor.array)` when the caller has it already."""
    global _changes
    _changes += 1
    tensor._version = _changes
    lo, hi = byte_range(tensor.array) if span is None else span
    if hi > lo:
        _changed.append((_changes, lo, hi))


def changed_since(stamp, arrays):
    """The first of `arrays` whose memory changed in place after clock `stamp`, else None."""
    recent = []
    for clock, lo, hi in reversed(_changed):  # newest first: stop at the stamp
        if clock <= stamp:
            break
        recent.append((lo, hi))
    if not recent:
        return None
    for s in arrays:
        if not hasattr(s, "shape"):
            continue
        lo, hi = byte_range(s)
        if hi > lo and any(a < hi and lo < b for a, b in recent):
            return s
    return None


def byte_range(array):
    """(first byte, one past the last byte) an array can touch; (0, 0) when unknown."""
    if type(array) is _ndarray:
        return byte_bounds(array) if array.size else (0, 0)
    try:  # CuPy: device pointers
        lo = int(array.data.ptr)
        return lo, lo + int(array.nbytes)
    except (AttributeError, TypeError):
        return 0, 0
