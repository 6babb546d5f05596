"""Batch-innermost memory behind NCHW views: detection, conversion, views."""

import numpy as np

from groundup.ops.image_layout import (
    as_batch_last,
    batch_first_view,
    batch_last_array,
    is_batch_last,
)


def test_view_of_batch_last_memory_is_found_without_a_copy():
    chwn = np.arange(2 * 3 * 4 * 5, dtype=np.float32).reshape(2, 3, 4, 5)  # (C, H, W, N)
    nchw = batch_first_view(chwn)
    assert nchw.shape == (5, 2, 3, 4) and nchw[4, 1, 2, 3] == chwn[1, 2, 3, 4]
    assert is_batch_last(nchw)
    found = batch_last_array(nchw)
    assert found.shape == chwn.shape and np.shares_memory(found, chwn)
    assert as_batch_last(nchw) is not None and np.shares_memory(as_batch_last(nchw), chwn)


def test_ordinary_nchw_is_copied():
    x = np.arange(5 * 2 * 3 * 4, dtype=np.float32).reshape(5, 2, 3, 4)
    assert batch_last_array(x) is None and not is_batch_last(x)
    a = as_batch_last(x)
    assert a.flags.c_contiguous and not np.shares_memory(a, x)
    np.testing.assert_array_equal(batch_first_view(a), x)
    assert is_batch_last(x[:1])  # one batch item: both readings are the same memory


def test_signals_and_slices():
    cln = np.zeros((3, 7, 4))  # (C, L, N)
    assert is_batch_last(batch_first_view(cln))
    assert not is_batch_last(batch_first_view(cln)[:, :, 1:])  # a slice is not contiguous
    assert batch_last_array(np.zeros(3)) is None
