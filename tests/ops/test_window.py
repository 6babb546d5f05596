"""Window and layout helpers (ops/window.py): output sizes, views, layouts, first maxima."""

import numpy as np

from groundup.ops.window import (
    Axis,
    empty_in_layout,
    first_max_hits,
    first_max_offsets,
    in_layout,
    layout_order,
    window_views,
)


def test_axis_sizes_follow_pytorch():
    assert Axis(28, 2, 2, 0).n == 14 and Axis(28, 2, 2, 0).tiles
    assert Axis(7, 3, 2, 1).n == 4 and not Axis(7, 3, 2, 1).tiles
    a = Axis(6, 3, 3, 0, 1, ceil_mode=True)  # 6 / 3 exactly: ceil adds nothing
    assert a.n == 2 and a.extra == 0
    b = Axis(8, 3, 2, 0, 1, ceil_mode=True)  # the last window starts at 6 and reaches 8
    assert b.n == 4 and b.extra == 1 and b.padded == 9
    c = Axis(5, 2, 2, 1, 1, ceil_mode=True)  # a window starting in the right padding is dropped
    assert c.n == 3 and c.padded == 7


def test_window_views_are_views():
    a = np.arange(10.0)
    views = window_views(a, 0, 3, 2, 1, 4)
    assert all(np.shares_memory(v, a) for v in views)
    np.testing.assert_array_equal(views[2], [2, 4, 6, 8])


def test_layouts_follow_the_input():
    chwn = np.zeros((3, 4, 5, 2)).transpose(3, 0, 1, 2)  # (N, C, H, W) view, batch innermost
    assert layout_order(chwn) == (1, 2, 3, 0)
    out = empty_in_layout(np, chwn, (2, 3, 2, 2), fill=1.0)
    assert out.shape == (2, 3, 2, 2) and layout_order(out) == (1, 2, 3, 0) and out.all()
    c = np.ones((2, 3, 4, 5))
    assert in_layout(np, c, c) is c
    moved = in_layout(np, c, chwn)
    assert layout_order(moved) == (1, 2, 3, 0)
    np.testing.assert_array_equal(moved, c)


def test_first_maximum_masks_and_offsets():
    views = [np.array([1.0, 5, 2, 0]), np.array([3.0, 5, 1, 0]), np.array([3.0, 4, 2, 0])]
    m = np.maximum(np.maximum(views[0], views[1]), views[2])
    hits = [np.broadcast_to(h, (4,)).copy() for h in first_max_hits(np, views, m)]
    np.testing.assert_array_equal(np.stack(hits), [[0, 1, 1, 1], [1, 0, 0, 0], [0, 0, 0, 0]])
    np.testing.assert_array_equal(first_max_offsets(np, views, m), [1, 0, 0, 0])
