"""gu.nn.utils.rnn (packing and padding variable-length batches) against torch.nn.utils.rnn."""

import numpy as np
import pytest
from helpers import check_op, randn, require_torch

import groundup as gu
from groundup.nn.utils import rnn

torch = require_torch()
tr = torch.nn.utils.rnn


def _packed_parts(p):
    """A PackedSequence's tensors (the index fields only when present)."""
    return tuple(t for t in p if t is not None)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("enforce_sorted,lengths", [(True, [4, 3, 3, 1]), (False, [2, 4, 1, 3])])
def test_pack_padded_sequence(batch_first, enforce_sorted, lengths):
    x = randn(4, 4, 3, seed=1)  # T = B = 4: the layouts differ only by batch_first

    def pack(lib, x):
        return _packed_parts(lib.pack_padded_sequence(x, lengths, batch_first, enforce_sorted))

    check_op(lambda x: pack(rnn, x), lambda x: pack(tr, x), x, gradcheck=True)


@pytest.mark.parametrize("shape", [(5, 3), (5, 3, 2, 2)])  # no trailing dims, two
def test_pack_padded_trailing_dims_and_tensor_lengths(shape):
    x = randn(*shape, seed=2)
    lengths = np.array([2, 5, 3])

    def pack(lib, x, lens):
        return _packed_parts(lib.pack_padded_sequence(x, lens, enforce_sorted=False))

    check_op(lambda x: pack(rnn, x, gu.tensor(lengths)),
             lambda x: pack(tr, x, torch.tensor(lengths)), x, gradcheck=False)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("total_length,padding_value", [(None, 0.0), (7, -1.5)])
def test_pad_packed_sequence(batch_first, total_length, padding_value):
    lengths = [3, 5, 1, 4]
    x = randn(5, 4, 2, seed=3)

    def pad(lib, x):
        p = lib.pack_padded_sequence(x, lengths, enforce_sorted=False)
        return lib.pad_packed_sequence(p, batch_first, padding_value, total_length)

    check_op(lambda x: pad(rnn, x), lambda x: pad(tr, x), x, gradcheck=True)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
def test_pad_sequence(batch_first, padding_side):
    seqs = [randn(3, 2, seed=4), randn(5, 2, seed=5), randn(1, 2, seed=6)]
    check_op(lambda *s: rnn.pad_sequence(s, batch_first, 0.5, padding_side),
             lambda *s: tr.pad_sequence(s, batch_first, 0.5, padding_side), *seqs)


def test_pad_sequence_integers_and_one_sequence():
    seqs = [np.arange(4), np.arange(2) + 7]
    got = rnn.pad_sequence([gu.tensor(s) for s in seqs], batch_first=True, padding_value=-1)
    want = tr.pad_sequence([torch.tensor(s) for s in seqs], batch_first=True, padding_value=-1)
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got.numpy(), want.numpy())
    one = rnn.pad_sequence([gu.ones(3, 2)])
    assert tuple(one.shape) == (3, 1, 2)


@pytest.mark.parametrize("enforce_sorted", [True, False])
def test_pack_sequence_and_unpack(enforce_sorted):
    lens = [5, 3, 2] if enforce_sorted else [2, 5, 3]
    seqs = [randn(n, 3, seed=n) for n in lens]

    def pack(lib, *s):
        return _packed_parts(lib.pack_sequence(list(s), enforce_sorted))

    check_op(lambda *s: pack(rnn, *s), lambda *s: pack(tr, *s), *seqs, gradcheck=False)
    check_op(lambda *s: rnn.unpack_sequence(rnn.pack_sequence(list(s), enforce_sorted)),
             lambda *s: tr.unpack_sequence(tr.pack_sequence(list(s), enforce_sorted)), *seqs,
             gradcheck=False)


def test_unpad_sequence():
    x = randn(4, 3, 2, seed=7)
    lengths = [4, 1, 3]  # (PyTorch's transposes its input in place: given a clone)
    check_op(lambda x: rnn.unpad_sequence(x, gu.tensor(lengths)),
             lambda x: tr.unpad_sequence(x.clone(), torch.tensor(lengths)), x, gradcheck=False)
    xb = randn(3, 4, 2, seed=8)
    check_op(lambda x: rnn.unpad_sequence(x, lengths, batch_first=True),
             lambda x: tr.unpad_sequence(x.clone(), torch.tensor(lengths), batch_first=True), xb,
             gradcheck=False)


def test_ties_keep_their_order_and_round_trip():
    # a stable sort: equal lengths stay in input order, and unpacking restores the batch
    seqs = [gu.tensor(np.full((n, 1), i, np.float32)) for i, n in enumerate([2, 3, 2, 3, 1])]
    p = rnn.pack_sequence(seqs, enforce_sorted=False)
    assert p.sorted_indices.numpy().tolist() == [1, 3, 0, 2, 4]
    assert p.unsorted_indices.numpy().tolist() == [2, 0, 3, 1, 4]
    assert p.batch_sizes.numpy().tolist() == [5, 4, 2]
    for a, b in zip(rnn.unpack_sequence(p), seqs, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_packed_sequence_is_a_namedtuple():
    p = rnn.pack_sequence([gu.ones(3, 2), gu.ones(1, 2)])
    data, batch_sizes, sorted_indices, unsorted_indices = p
    assert data is p.data and sorted_indices is None and unsorted_indices is None
    assert batch_sizes.dtype == np.int64 and batch_sizes.numpy().tolist() == [2, 1, 1]
    assert p._fields == ("data", "batch_sizes", "sorted_indices", "unsorted_indices")
    assert repr(p).startswith("PackedSequence(data=")
    q = rnn.PackedSequence((data, [2, 1, 1]))  # a (data, batch_sizes) pair
    assert q.batch_sizes.numpy().tolist() == [2, 1, 1]
    r = rnn.PackedSequence(data, batch_sizes, np.array([1, 0]))
    assert r.unsorted_indices.numpy().tolist() == [1, 0]
    assert p.double().data.dtype == np.float64 and p.float() is p and p.to("cpu") is p
    assert p.double().batch_sizes is p.batch_sizes and not p.is_cuda
    assert rnn.invert_permutation(gu.tensor([2, 0, 1])).numpy().tolist() == [1, 2, 0]
    assert rnn.invert_permutation(None) is None


def test_padding_gets_no_gradient():
    x = gu.randn(4, 3, 2, requires_grad=True)
    p = rnn.pack_padded_sequence(x, [4, 2, 1])
    (p.data * 2).sum().backward()
    mask = np.zeros((4, 3, 1), np.float32)
    for b, n in enumerate([4, 2, 1]):
        mask[:n, b] = 1
    np.testing.assert_array_equal(x.grad.numpy(), np.broadcast_to(2 * mask, (4, 3, 2)))


def test_errors():
    x = gu.randn(4, 3, 2)
    with pytest.raises(ValueError, match=r"pack_padded_sequence: lengths must be sorted in "
                                         r"decreasing order .*\[1, 4, 2\].*enforce_sorted=False"):
        rnn.pack_padded_sequence(x, [1, 4, 2])
    with pytest.raises(ValueError, match=r"needs a length larger than 0, got lengths "
                                         r"\[4, 2, 0\]"):
        rnn.pack_padded_sequence(x, [4, 2, 0])
    with pytest.raises(ValueError, match=r"len\(lengths\) to be the batch size 3 .*got 2"):
        rnn.pack_padded_sequence(x, [4, 2])
    with pytest.raises(ValueError, match=r"a length of 5 exceeds the input's 4 steps"):
        rnn.pack_padded_sequence(x, [5, 2, 1])
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        rnn.pack_padded_sequence(gu.randn(4), [4])
    with pytest.raises(TypeError, match="lengths must be a 1-D sequence of integers"):
        rnn.pack_padded_sequence(x, [4.0, 2.0, 1.0])
    p = rnn.pack_padded_sequence(x, [4, 2, 1])
    with pytest.raises(ValueError, match=r"total_length to be at least .*\(4\), got "
                                         r"total_length=3"):
        rnn.pad_packed_sequence(p, total_length=3)
    with pytest.raises(TypeError, match="pad_packed_sequence: expected a PackedSequence"):
        rnn.pad_packed_sequence(x)
    with pytest.raises(ValueError, match="padding_side must be 'left' or 'right'"):
        rnn.pad_sequence([x], padding_side="middle")
    with pytest.raises(ValueError, match="empty list"):
        rnn.pad_sequence([])
    with pytest.raises(ValueError, match=r"sequence 1 is \(2, 3\)"):
        rnn.pad_sequence([gu.ones(3, 2), gu.ones(2, 3)])
    with pytest.raises(ValueError, match="expected a permutation"):
        rnn.invert_permutation([0, 0, 1])
