"""Variable-length batches for the recurrent layers, with PyTorch's API (torch.nn.utils.rnn).

A PackedSequence holds the steps of B sequences sorted by decreasing length, time-major:
data (sum of lengths, *) lists step 0 of every sequence, then step 1 of those that have one,
and so on; batch_sizes[t] is how many sequences have a step t. RNN, LSTM and GRU accept one
and run each sequence for its own length only (their padding neither changes outputs nor
gets a gradient), returning a PackedSequence and each sequence's state after its last step.

    seqs = [gu.randn(5, 8), gu.randn(3, 8), gu.randn(4, 8)]
    packed = pack_sequence(seqs, enforce_sorted=False)     # or pack_padded_sequence(x, lengths)
    out, h_n = gu.nn.GRU(8, 16)(packed)
    padded, lengths = pad_packed_sequence(out, batch_first=True)   # (3, 5, 16), [5, 3, 4]

Every function is differentiable: packing takes rows out of the padded tensor and padding
places them back (ops/recurrent_packed.py), each the other's backward. enforce_sorted=False
sorts by length with a stable sort (equal lengths keep their order; PyTorch's sort does not
promise that, so its packed data may list tied sequences in another order).
"""

from collections import namedtuple

import numpy as np

from ... import ops
from ...ops.common import as_tensor
from ...ops.recurrent_packed import place_rows, take_rows
from ...tensor import Tensor

__all__ = ["PackedSequence", "invert_permutation", "pack_padded_sequence",
           "pad_packed_sequence", "pad_sequence", "unpad_sequence", "pack_sequence",
           "unpack_sequence"]


def _ints(name, values, what):
    """A 1-D int64 NumPy array from a Tensor, array or list."""
    a = values.array if isinstance(values, Tensor) else values
    a = np.asarray(a)
    if a.ndim != 1 or (a.size and a.dtype.kind not in "iu"):
        raise TypeError(f"{name}: {what} must be a 1-D sequence of integers, got "
                        f"{a.dtype} of shape {a.shape}")
    return a.astype(np.int64)


def _index_tensor(values):
    """Index fields as int64 Tensors (one already is: kept, so they are shared as in PyTorch)."""
    if values is None or (isinstance(values, Tensor) and values.dtype == np.int64):
        return values
    return Tensor._wrap(_ints("PackedSequence", values, "indices"))


class PackedSequence(namedtuple("PackedSequence_",
                                ["data", "batch_sizes", "sorted_indices", "unsorted_indices"])):
    """A packed batch of variable-length sequences (build it with pack_padded_sequence or
    pack_sequence rather than by hand).

    Attributes:
        data (Tensor): (sum of lengths, *): the steps of the sorted sequences, time-major.
        batch_sizes (Tensor, int64): (T,): how many sequences have step t.
        sorted_indices (Tensor or None): batch column b of data holds input sequence
            sorted_indices[b] (None: the input was already sorted).
        unsorted_indices (Tensor or None): the inverse permutation (original order back).
    A tuple like PyTorch's: `data, batch_sizes, sorted_indices, unsorted_indices = packed`.
    """

    __slots__ = ()

    def __new__(cls, data, batch_sizes=None, sorted_indices=None, unsorted_indices=None):
        if batch_sizes is None:
            if not (isinstance(data, (list, tuple)) and len(data) == 2):
                raise TypeError("PackedSequence: give data and batch_sizes, or one pair "
                                "(data, batch_sizes)")
            data, batch_sizes = data
        if unsorted_indices is None:
            unsorted_indices = invert_permutation(sorted_indices)
        return super().__new__(cls, as_tensor(data), _index_tensor(batch_sizes),
                               _index_tensor(sorted_indices), _index_tensor(unsorted_indices))

    def to(self, *args, **kwargs):
        """data.to(...) (dtype and/or device); self when nothing changes."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        return type(self)(data, self.batch_sizes, self.sorted_indices, self.unsorted_indices)

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None):
        return self.to("cuda" if device is None else device)

    def double(self):
        return self.to("float64")

    def float(self):
        return self.to("float32")

    def half(self):
        return self.to("float16")

    def long(self):
        return self.to("int64")

    def int(self):
        return self.to("int32")

    def short(self):
        return self.to("int16")

    def char(self):
        return self.to("int8")

    def byte(self):
        return self.to("uint8")

    @property
    def is_cuda(self):
        return self.data.is_cuda

    def is_pinned(self):
        return False

    def pin_memory(self):
        return self


def invert_permutation(permutation):
    """The inverse of a permutation (an int64 Tensor), or None for None."""
    if permutation is None:
        return None
    p = _ints("invert_permutation", permutation, "permutation")
    if not np.array_equal(np.sort(p), np.arange(p.size)):
        raise ValueError(f"invert_permutation: expected a permutation of 0 .. {p.size - 1}, "
                         f"got {p.tolist()}")
    inverse = np.empty_like(p)
    inverse[p] = np.arange(p.size)
    return Tensor._wrap(inverse)


def _steps(batch_sizes):
    """(t, b) of every row of packed data, in its order (time-major, b < batch_sizes[t])."""
    B = int(batch_sizes[0]) if batch_sizes.size else 0
    return np.nonzero(np.arange(B)[None, :] < batch_sizes[:, None])


def _flat(t, b, T, B, batch_first):
    """Row numbers of positions (t, b) in a padded tensor reshaped to (T*B, *)."""
    return b * T + t if batch_first else t * B + b


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Pack a padded batch (T, B, *) (or (B, T, *) with batch_first) of sequences of the
    given lengths into a PackedSequence. enforce_sorted=True expects lengths in decreasing
    order; False sorts them (stably) and records the permutation."""
    name = "pack_padded_sequence"
    x = as_tensor(input)
    if x.ndim < 2:
        raise ValueError(f"{name}: expected an input of at least 2 dimensions (seq, batch, *), "
                         f"got shape {tuple(x.shape)}")
    lengths = _ints(name, lengths, "lengths")
    T, B = (x.shape[1], x.shape[0]) if batch_first else x.shape[:2]
    if lengths.size != B:
        raise ValueError(f"{name}: expected len(lengths) to be the batch size {B} (input "
                         f"{tuple(x.shape)}, batch_first={batch_first}), got {lengths.size}")
    order = None
    if enforce_sorted:
        if np.any(lengths[:-1] < lengths[1:]):
            raise ValueError(f"{name}: lengths must be sorted in decreasing order when "
                             f"enforce_sorted is True, got {lengths.tolist()}; pass "
                             f"enforce_sorted=False to sort them")
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
    if B == 0 or lengths[-1] <= 0:
        raise ValueError(f"{name}: every sequence needs a length larger than 0, got lengths "
                         f"{lengths.tolist()}")
    if lengths[0] > T:
        raise ValueError(f"{name}: a length of {int(lengths[0])} exceeds the input's {T} "
                         f"steps (input {tuple(x.shape)}, batch_first={batch_first})")
    batch_sizes = np.count_nonzero(lengths[None, :] > np.arange(lengths[0])[:, None], axis=1)
    t, b = _steps(batch_sizes)
    column = b if order is None else order[b]
    data = take_rows(x.reshape(T * B, *x.shape[2:]), _flat(t, column, T, B, batch_first))
    return PackedSequence(data, batch_sizes, order)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """The inverse of pack_padded_sequence: (padded (T, B, *) or (B, T, *), lengths int64),
    in the original batch order. T is the longest length, or total_length when given."""
    name = "pad_packed_sequence"
    if not isinstance(sequence, PackedSequence):
        raise TypeError(f"{name}: expected a PackedSequence, got {type(sequence).__name__}")
    batch_sizes = _ints(name, sequence.batch_sizes, "batch_sizes")
    T, B = batch_sizes.size, int(batch_sizes[0])
    if total_length is not None:
        if total_length < T:
            raise ValueError(f"{name}: expected total_length to be at least the length of the "
                             f"longest sequence ({T}), got total_length={total_length}")
        T = int(total_length)
    t, b = _steps(batch_sizes)
    lengths = np.count_nonzero(batch_sizes[:, None] > np.arange(B)[None, :], axis=0)
    unsorted = sequence.unsorted_indices
    if unsorted is not None:  # sorted column b goes back to column u^-1[b]
        unsorted = unsorted.array
        b = invert_permutation(unsorted).array[b]
        lengths = lengths[unsorted]
    data = sequence.data
    padded = place_rows(data, _flat(t, b, T, B, batch_first), T * B, padding_value)
    shape = (B, T) if batch_first else (T, B)
    return padded.reshape(*shape, *data.shape[1:]), Tensor._wrap(lengths.astype(np.int64))


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stack sequences (L_i, *) into one (T, B, *) tensor (or (B, T, *)), T the longest
    L_i, the rest filled with padding_value on the right (or the left)."""
    name = "pad_sequence"
    if padding_side not in ("right", "left"):
        raise ValueError(f"{name}: padding_side must be 'left' or 'right', got "
                         f"{padding_side!r}")
    if isinstance(sequences, Tensor):
        sequences = [sequences[i] for i in range(sequences.shape[0])]
    try:
        seqs = [as_tensor(s) for s in sequences]
    except TypeError:
        raise TypeError(f"{name}: expected a list of Tensors, got "
                        f"{type(sequences).__name__}") from None
    if not seqs:
        raise ValueError(f"{name}: received an empty list of sequences")
    for i, s in enumerate(seqs):
        if s.ndim == 0 or s.shape[1:] != seqs[0].shape[1:] or s.dtype != seqs[0].dtype:
            raise ValueError(f"{name}: every sequence must be (L, *) with the same trailing "
                             f"shape and dtype as the first, {tuple(seqs[0].shape[1:])} "
                             f"{seqs[0].dtype}; sequence {i} is {tuple(s.shape)} {s.dtype}")
    lengths = np.array([s.shape[0] for s in seqs], np.int64)
    T, B = int(lengths.max()), len(seqs)
    b = np.repeat(np.arange(B), lengths)
    starts = np.cumsum(lengths) - lengths
    t = np.arange(int(lengths.sum())) - starts[b]
    if padding_side == "left":
        t = t + (T - lengths)[b]
    flat = seqs[0] if B == 1 else ops.cat(seqs, 0)
    padded = place_rows(flat, _flat(t, b, T, B, batch_first), T * B, padding_value)
    shape = (B, T) if batch_first else (T, B)
    return padded.reshape(*shape, *seqs[0].shape[1:])


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences (L_i, *) inside a padded (T, B, *) (or (B, T, *)) tensor."""
    x = as_tensor(padded_sequences)
    lengths = _ints("unpad_sequence", lengths, "lengths")
    B = x.shape[0] if batch_first else x.shape[1]
    if lengths.size != B:
        raise ValueError(f"unpad_sequence: expected {B} lengths (the batch of "
                         f"{tuple(x.shape)}), got {lengths.size}")
    if batch_first:
        return [x[i, :int(n)] for i, n in enumerate(lengths)]
    return [x[:int(n), i] for i, n in enumerate(lengths)]


def pack_sequence(sequences, enforce_sorted=True):
    """pack_padded_sequence(pad_sequence(sequences), their lengths, enforce_sorted=...)."""
    seqs = [as_tensor(s) for s in sequences]
    lengths = [s.shape[0] if s.ndim else 0 for s in seqs]
    return pack_padded_sequence(pad_sequence(seqs), lengths, enforce_sorted=enforce_sorted)


def unpack_sequence(packed_sequences):
    """The list of sequences inside a PackedSequence, in their original order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
