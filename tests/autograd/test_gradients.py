"""Gradient arrays (autograd/gradients.py): summed back to their input's shape
(sum_to_shape), cast to the leaf's dtype, checked after hooks, and stored into .grad
without two tensors ever sharing one array."""

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu
from groundup.autograd import sum_to_shape


def leaf(values, dtype=None):
    return gu.tensor(np.asarray(values, dtype=np.float64), dtype=dtype, requires_grad=True)


def test_broadcast_gradients_are_summed_to_shape():
    a = leaf(np.ones((3, 1)))
    b = leaf(np.arange(4.0))
    c = leaf(2.0)
    y = (a + b) * c
    assert y.shape == (3, 4)
    y.sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (4,) and c.grad.shape == ()
    np.testing.assert_allclose(a.grad.numpy(), np.full((3, 1), 8.0))
    np.testing.assert_allclose(b.grad.numpy(), np.full(4, 6.0))
    np.testing.assert_allclose(c.grad.numpy(), 3 * (1 + np.arange(4.0)).sum())


@pytest.mark.parametrize("grad_shape,shape", [((2, 3, 4), (3, 4)), ((2, 3, 4), (3, 1)),
                                              ((2, 3, 4), (1, 1, 1)), ((2, 3, 4), ()),
                                              ((3, 4), (3, 4)), ((5, 1, 4), (1, 4))])
def test_sum_to_shape(grad_shape, shape):
    torch = require_torch()
    g = np.random.default_rng(0).standard_normal(grad_shape)
    got = sum_to_shape(g, shape)
    assert got.shape == shape
    want = torch.tensor(g).sum_to_size(shape).numpy() if shape else g.sum()
    np.testing.assert_allclose(got, want)


# ------------------------------------------------------------------ aliasing
def test_two_leaves_with_the_same_gradient_do_not_alias():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    (a + b).sum().backward()
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    a.grad.array += 1.0
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])


def test_leaf_gradient_never_aliases_a_pending_gradient():
    # Add hands the same array to a leaf and to a node still waiting to run;
    # accumulating into the leaf in place would corrupt that node's input
    for flip in (False, True):
        a = leaf([1.0, 2.0])
        s = a + a * 1.0
        t = a * 2.0
        y = ((t + s) if flip else (s + t)) * 1.0
        y.backward(gu.tensor([1.0, 1.0]))
        np.testing.assert_allclose(a.grad.numpy(), [4.0, 4.0])


def test_leaf_gradient_does_not_alias_callers_gradient_or_retained_grads():
    x = leaf([1.0, 2.0])
    g = np.array([1.0, 1.0], dtype=np.float32)
    y = x * 1.0
    z = y + 0.0
    y.retain_grad()
    z.backward(g)
    x.grad.array += 5.0
    y.grad.array += 7.0
    np.testing.assert_allclose(g, [1.0, 1.0])
    np.testing.assert_allclose(y.grad.numpy(), [8.0, 8.0])
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 6.0])


def test_gradient_dtype_matches_leaf():
    x = leaf([1.0, 2.0])
    w = leaf([1.0, 1.0], dtype=gu.float64)
    (x * w).sum().backward()
    assert x.grad.dtype == gu.float32 and w.grad.dtype == gu.float64


def test_accumulating_into_an_existing_grad_does_not_alias():
    a, b = leaf([1.0, 2.0]), leaf([3.0, 4.0])
    a.grad = gu.tensor([10.0, 10.0])
    s = a + b  # Add hands one array to both leaves; a adds it in place, b keeps it
    (s * 1.0).backward(gu.tensor([1.0, 1.0]))
    np.testing.assert_allclose(a.grad.numpy(), [11.0, 11.0])
    np.testing.assert_allclose(b.grad.numpy(), [1.0, 1.0])
    assert not np.shares_memory(a.grad.numpy(), b.grad.numpy())
    b.grad.array *= 3.0
    np.testing.assert_allclose(a.grad.numpy(), [11.0, 11.0])


def test_a_hook_returning_the_wrong_shape_is_an_error():
    x = gu.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: gu.tensor([1.0]))
    with pytest.raises(RuntimeError, match=r"returned a gradient of shape \(1,\) for a gradient "
                                           r"of shape \(2,\)"):
        (x * 2.0).sum().backward()
    assert x.grad is None
