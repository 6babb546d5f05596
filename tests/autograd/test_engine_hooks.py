"""Post-accumulate-grad hooks and queue_callback: what data-parallel training builds on.

A leaf's post-accumulate hook runs once its .grad holds the pass's whole gradient,
while the rest of backward still runs; a queued callback runs once every gradient
of the pass is stored.
"""

import numpy as np
import pytest

import groundup as gu
from groundup.autograd import gradients
from groundup.autograd.engine import queue_callback


def _net():
    gu.manual_seed(0)
    return gu.nn.Linear(3, 4), gu.nn.Linear(4, 2)


def test_hooks_fire_as_each_leaf_is_done_before_backward_reaches_the_input():
    lin1, lin2 = _net()
    events = []
    for name, p in [("w1", lin1.weight), ("b1", lin1.bias), ("w2", lin2.weight),
                    ("b2", lin2.bias)]:
        p.register_post_accumulate_grad_hook(
            lambda t, name=name: events.append((name, t.grad.numpy().copy())))
    x = gu.randn(5, 3, requires_grad=True)
    h = x * 1.0
    h.register_hook(lambda g: events.append(("input", None)))
    lin2(lin1(h).relu()).sum().backward()
    names = [e[0] for e in events]
    assert names == ["w2", "b2", "w1", "b1", "input"]
    for name, grad in events[:4]:  # each hook saw the final gradient
        p = {"w1": lin1.weight, "b1": lin1.bias, "w2": lin2.weight, "b2": lin2.bias}[name]
        assert np.array_equal(grad, p.grad.numpy())


def test_a_leaf_used_twice_fires_once_with_the_sum_and_accumulates_in_place():
    w = gu.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    w.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.numpy().copy()))
    ((w * 3.0).sum() + (w * w).sum()).backward()
    assert len(seen) == 1 and seen[0].tolist() == [5.0, 7.0]
    (w * 2.0).sum().backward()  # accumulates into the existing .grad
    assert len(seen) == 2 and seen[1].tolist() == [7.0, 9.0]


def test_a_leaf_that_is_the_root_and_register_hook_run_first():
    w = gu.tensor([1.0, 2.0], requires_grad=True)
    order = []
    w.register_hook(lambda g: order.append("grad hook") or g * 2.0)
    w.register_post_accumulate_grad_hook(lambda t: order.append(t.grad.numpy().tolist()))
    w.backward(gu.tensor([1.0, 1.0]))
    assert order == ["grad hook", [2.0, 2.0]]


def test_no_hook_for_grad_or_unreached_leaves_and_remove_unregisters():
    w = gu.tensor([1.0], requires_grad=True)
    other = gu.tensor([1.0], requires_grad=True)
    calls = []
    handle = w.register_post_accumulate_grad_hook(lambda t: calls.append("w"))
    other.register_post_accumulate_grad_hook(lambda t: calls.append("other"))
    gu.autograd.grad((w * 2.0).sum(), [w])  # grad() stores nothing: no hook
    assert calls == []
    (w * 2.0).sum().backward()
    assert calls == ["w"]
    handle.remove()
    (w * 2.0).sum().backward()
    assert calls == ["w"] and id(w) not in gradients._post_accumulate


def test_hooks_go_away_with_their_tensor():
    w = gu.tensor([1.0], requires_grad=True)
    w.register_post_accumulate_grad_hook(lambda t: None)
    key = id(w)
    assert key in gradients._post_accumulate
    del w
    assert key not in gradients._post_accumulate


def test_refused_on_non_leaves_and_tensors_without_grad():
    x = gu.tensor([1.0], requires_grad=True)
    with pytest.raises(RuntimeError, match="non-leaf"):
        (x * 2.0).register_post_accumulate_grad_hook(lambda t: None)
    with pytest.raises(RuntimeError, match="does not require grad"):
        gu.tensor([1.0]).register_post_accumulate_grad_hook(lambda t: None)


def test_queue_callback_runs_after_every_gradient_is_stored():
    lin1, lin2 = _net()
    seen = []

    def at_end():
        seen.append([p.grad is not None for p in (lin1.weight, lin1.bias)])

    lin2.weight.register_post_accumulate_grad_hook(lambda t: queue_callback(at_end))
    lin2(lin1(gu.randn(2, 3))).sum().backward()
    assert seen == [[True, True]]
    with pytest.raises(RuntimeError, match="no backward pass is running"):
        queue_callback(at_end)
    x = gu.tensor([1.0], requires_grad=True)
    x.register_hook(lambda g: queue_callback(3))
    with pytest.raises(TypeError, match="expected a function"):
        (x * 2.0).sum().backward()
