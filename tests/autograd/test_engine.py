"""The backward pass (autograd/engine.py): graph walking, accumulation, hooks, retain_grad,
retain_graph, and the grad() / backward() functions PyTorch programs call (with inputs=),
checked against PyTorch."""

import gc

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu

torch = require_torch()

RNG = np.random.default_rng(0)


def leaf(values, dtype=None):
    return gu.tensor(np.asarray(values, dtype=np.float64), dtype=dtype, requires_grad=True)


def pair(*shape):
    """The same random float64 leaf in groundup and in PyTorch."""
    a = RNG.standard_normal(shape)
    return (gu.tensor(a, dtype=gu.float64, requires_grad=True),
            torch.tensor(a, requires_grad=True))


def close(gu_tensors, torch_tensors):
    assert len(gu_tensors) == len(torch_tensors)
    for g, t in zip(gu_tensors, torch_tensors, strict=True):
        if t is None:
            assert g is None
        else:
            np.testing.assert_allclose(g.numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-12)


def graph(lib, a, b, c):
    """Two outputs from three inputs, with a shared middle value h."""
    h = (a * b).tanh() if lib is gu else torch.tanh(a * b)
    y1 = (h * c).sum()
    y2 = h.exp() + c
    return h, y1, y2


# ---------------------------------------------------------------- deep graphs
def test_100k_op_chain_backpropagates_without_recursion():
    x = leaf([1.0])
    c = gu.tensor([1.0])
    y = x
    for i in range(100_000):
        y = y * c if i % 2 else y + c
    y.backward()
    np.testing.assert_array_equal(x.grad.numpy(), [1.0])
    np.testing.assert_array_equal(y.numpy(), [50_001.0])
    del y  # dropping a 100k-deep graph must not overflow the C stack either
    gc.collect()


def test_deep_graph_is_freed_by_reference_counting():
    x = leaf([2.0])
    y = x
    for _ in range(20_000):
        y = y * 1.0
    node = y.grad_fn
    import weakref

    ref = weakref.ref(node)
    del node, y
    assert ref() is None  # no reference cycles between tensors and nodes


# --------------------------------------------------------------- accumulation
def test_gradient_accumulates_over_several_uses():
    x = leaf([1.0, 2.0, 3.0])
    y = x * x + x * 3.0 + x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy() + 4)


def test_same_tensor_twice_in_one_op():
    x = leaf([1.0, -2.0])
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, -4.0])
    y = leaf([3.0])
    (y + y).backward()
    np.testing.assert_allclose(y.grad.numpy(), [2.0])


def test_gradient_accumulates_across_backward_calls():
    x = leaf([1.0, 2.0])
    (x * 3.0).sum().backward()
    g = x.grad
    (x * x).sum().backward()
    assert x.grad is g  # accumulated into the same tensor, as in PyTorch
    np.testing.assert_allclose(x.grad.numpy(), [3.0 + 2.0, 3.0 + 4.0])
    x.grad = None
    (x * 2.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_diamond_graph_matches_torch():
    data = np.array([[0.5, -1.0, 2.0], [1.5, 0.3, -0.7]])
    x = gu.tensor(data, requires_grad=True)
    tx = torch.tensor(data, dtype=torch.float32, requires_grad=True)
    for lib, t in ((gu, x), (torch, tx)):
        a = lib.exp(t) * 2.0
        b = t * t - a
        c = lib.sin(a) + b * a
        (c * t).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-5, atol=1e-6)


# ------------------------------------------------------ detach, hooks, retain
def test_detach_shares_memory_and_cuts_the_graph():
    x = leaf([1.0, 2.0])
    y = x * 2.0
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None
    assert np.shares_memory(d.numpy(), y.numpy())
    z = d * x
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])  # no path through d
    y2 = x * 1.0
    assert y2.detach_() is y2 and y2.is_leaf and not y2.requires_grad


def test_requires_grad_():
    x = gu.tensor([1.0, 2.0])
    assert not x.requires_grad
    assert x.requires_grad_() is x and x.requires_grad
    (x * x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])
    x.requires_grad_(False)
    assert not (x * 2.0).requires_grad
    with pytest.raises(RuntimeError, match="floating"):
        gu.tensor([1, 2]).requires_grad_()
    with pytest.raises(RuntimeError, match="non-leaf"):
        (leaf([1.0]) * 2.0).requires_grad_(False)


def test_hook_on_leaf_replaces_gradient_and_sees_the_summed_gradient():
    x = leaf([1.0, 2.0])
    seen = []

    def hook(g):
        seen.append(g.numpy().copy())
        return g * 10.0

    x.register_hook(hook)
    (x * 2.0 + x * 3.0).sum().backward()
    assert len(seen) == 1  # once per pass, with the sum of both uses, as in PyTorch
    np.testing.assert_allclose(seen[0], [5.0, 5.0])
    np.testing.assert_allclose(x.grad.numpy(), [50.0, 50.0])


def test_hook_returning_none_observes_only():
    x = leaf([1.0])
    calls = []
    x.register_hook(lambda g: calls.append(g.item()))
    (x * 4.0).backward()
    assert calls == [4.0] and x.grad.item() == 4.0


def test_hook_on_non_leaf_replaces_gradient_upstream():
    x = leaf([1.0, 2.0])
    tx = torch.tensor([1.0, 2.0], requires_grad=True)
    for t in (x, tx):
        y = t * t
        y.register_hook(lambda g: g * 2.0)
        (y * 3.0).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy())
    np.testing.assert_allclose(x.grad.numpy(), [12.0, 24.0])
    with pytest.raises(RuntimeError, match="does not require grad"):
        gu.tensor([1.0]).register_hook(lambda g: g)


def test_retain_grad_keeps_non_leaf_gradient():
    x = leaf([1.0, 2.0])
    y = x * 3.0
    z = y * y
    y.retain_grad()
    assert y.retains_grad and not z.retains_grad
    z.sum().backward()
    np.testing.assert_allclose(y.grad.numpy(), 2 * y.numpy())
    assert z.grad is None  # not retained
    np.testing.assert_allclose(x.grad.numpy(), 18 * x.numpy())


def test_retain_grad_sees_hook_result():
    x = leaf([1.0])
    y = x * 2.0
    y.register_hook(lambda g: g * 5.0)
    y.retain_grad()
    (y * 1.0).backward()
    assert y.grad.item() == 5.0 and x.grad.item() == 10.0


# --------------------------------------------------------------- retain_graph
def test_retain_graph_allows_second_backward_with_doubled_grads():
    x = leaf([1.0, 2.0])
    y = (gu.exp(x) * x).sum()
    y.backward(retain_graph=True)
    first = x.grad.numpy().copy()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * first)


def test_second_backward_without_retain_graph_raises():
    x = leaf([1.0, 2.0])
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        y.backward()


def test_saved_values_are_freed_after_backward():
    x = leaf([1.0, 2.0])
    y = x * x
    node = y.grad_fn
    assert node.saved
    y.sum().backward()
    assert node.saved is None


def test_backward_on_non_scalar_needs_gradient():
    x = leaf([[1.0, 2.0], [3.0, 4.0]])
    y = x * 2.0
    with pytest.raises(RuntimeError, match=r"single-element.*\(2, 2\)"):
        y.backward()
    with pytest.raises(RuntimeError, match=r"gradient has shape \(2,\)"):
        y.backward(gu.ones(2))
    y.backward(gu.tensor([[1.0, 0.0], [0.0, 1.0]]))
    np.testing.assert_allclose(x.grad.numpy(), [[2.0, 0.0], [0.0, 2.0]])
    z = x * 1.0
    z.backward(np.ones((2, 2)))  # an ndarray gradient works too
    np.testing.assert_allclose(x.grad.numpy(), [[3.0, 1.0], [1.0, 3.0]])


def test_backward_of_a_leaf_and_errors():
    x = leaf([3.0])
    x.backward()
    assert x.grad.item() == 1.0
    with pytest.raises(RuntimeError, match="does not require grad"):
        gu.tensor([1.0]).backward()
    with pytest.raises(NotImplementedError, match="create_graph"):
        (x * 2.0).backward(create_graph=True)


# --------------------------------------------------------------------- grad()
def test_grad_matches_torch_with_several_inputs_and_outputs():
    (ga, ta), (gb, tb), (gc, tc) = pair(3), pair(3), pair(3)
    _, gy1, gy2 = graph(gu, ga, gb, gc)
    _, ty1, ty2 = graph(torch, ta, tb, tc)
    w = RNG.standard_normal(3)
    gw = gu.tensor(w, dtype=gu.float64)
    got = gu.autograd.grad([gy1, gy2], [ga, gb, gc], grad_outputs=[None, gw])
    want = torch.autograd.grad([ty1, ty2], [ta, tb, tc], grad_outputs=[None, torch.tensor(w)])
    assert isinstance(got, tuple)
    close(got, want)
    assert ga.grad is None and gb.grad is None and gc.grad is None  # no .grad is touched


def test_grad_of_a_single_tensor_returns_a_one_element_tuple():
    ga, ta = pair(2, 3)
    got = gu.autograd.grad((ga * ga).sum(), ga)
    want = torch.autograd.grad((ta * ta).sum(), ta)
    assert isinstance(got, tuple) and len(got) == 1
    close(got, want)


def test_grad_with_respect_to_a_non_leaf_input():
    (ga, ta), (gb, tb), (gc, tc) = pair(4), pair(4), pair(4)
    gh, gy1, _ = graph(gu, ga, gb, gc)
    th, ty1, _ = graph(torch, ta, tb, tc)
    close(gu.autograd.grad(gy1, [gh, ga]), torch.autograd.grad(ty1, [th, ta]))
    assert gh.grad is None


def test_grad_leaves_existing_grads_alone_and_returns_arrays_it_owns():
    ga, _ = pair(3)
    ga.grad = gu.ones(3, dtype=gu.float64)
    g = gu.tensor(np.ones(3), dtype=gu.float64)
    (dx,) = gu.autograd.grad(ga * 1.0, ga, grad_outputs=g)
    np.testing.assert_array_equal(ga.grad.numpy(), np.ones(3))
    assert not np.shares_memory(dx.numpy(), g.numpy())
    assert dx.dtype == gu.float64 and not dx.requires_grad


def test_grad_unused_inputs():
    (ga, ta), (gz, tz) = pair(2), pair(2)
    gy, ty = (ga * 2.0).sum(), (ta * 2.0).sum()
    with pytest.raises(RuntimeError, match=r"input 1 \(shape \(2,\)\) was not used.*allow_unused"):
        gu.autograd.grad(gy, [ga, gz], retain_graph=True)
    got = gu.autograd.grad(gy, [ga, gz], allow_unused=True, retain_graph=True)
    close(got, torch.autograd.grad(ty, [ta, tz], allow_unused=True, retain_graph=True))
    got = gu.autograd.grad(gy, [ga, gz], materialize_grads=True, retain_graph=True)
    close(got, torch.autograd.grad(ty, [ta, tz], materialize_grads=True, retain_graph=True))
    with pytest.raises(ValueError, match="materialize_grads=True needs allow_unused"):
        gu.autograd.grad(gy, [gz], allow_unused=False, materialize_grads=True)


def test_grad_with_retain_graph_twice_then_freed():
    (ga, ta), (gb, tb) = pair(3), pair(3)
    gy = (ga.exp() * gb).sum()
    ty = (ta.exp() * tb).sum()
    first = gu.autograd.grad(gy, [ga, gb], retain_graph=True)
    second = gu.autograd.grad(gy, [ga, gb], retain_graph=True)
    want = torch.autograd.grad(ty, [ta, tb])
    close(first, want)
    close(second, want)
    gu.autograd.grad(gy, [ga])  # frees the graph
    with pytest.raises(RuntimeError, match="second time.*retain_graph=True"):
        gu.autograd.grad(gy, [ga])


def test_grad_only_runs_the_part_of_the_graph_it_needs():
    calls = []

    class Tap(gu.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1.0

        @staticmethod
        def backward(ctx, dy):
            calls.append("tap")
            return dy

    ga, _ = pair(3)
    h = Tap.apply(ga) * 2.0
    y = (h * h).sum()
    (dh,) = gu.autograd.grad(y, h, retain_graph=True)
    np.testing.assert_allclose(dh.numpy(), 2 * h.numpy())
    assert calls == []  # nothing below h ran
    (dx,) = gu.autograd.grad(y, ga)
    assert calls == ["tap"]
    np.testing.assert_allclose(dx.numpy(), 8 * ga.numpy())


def test_grad_hooks_run_and_retain_grad_keeps_the_gradient_as_in_torch():
    def build(a):
        a.register_hook(lambda g: g * 10)
        h = a * 2
        h.retain_grad()
        h.register_hook(lambda g: g * 3)
        return h, (h * h).sum()

    (ga, ta) = pair(2)
    (gh, gy), (th, ty) = build(ga), build(ta)
    close(gu.autograd.grad(gy, [ga]), torch.autograd.grad(ty, [ta]))
    close([gh.grad], [th.grad])
    assert ga.grad is None


def test_grad_of_a_tensor_with_respect_to_itself_and_repeated_inputs():
    ga, ta = pair(3)
    gy, ty = ga * ga, ta * ta
    w = RNG.standard_normal(3)
    close(gu.autograd.grad(gy, [gy, ga, ga], grad_outputs=gu.tensor(w, dtype=gu.float64)),
          torch.autograd.grad(ty, [ty, ta, ta], grad_outputs=torch.tensor(w)))
    close(gu.autograd.grad(ga.sum(), [ga]), torch.autograd.grad(ta.sum(), [ta]))


def test_grad_errors():
    ga, _ = pair(2, 2)
    y = ga * 2.0
    with pytest.raises(RuntimeError, match=r"single-element.*\(2, 2\)"):
        gu.autograd.grad(y, ga)
    with pytest.raises(RuntimeError, match=r"gradient has shape \(3,\).*\(2, 2\)"):
        gu.autograd.grad(y, ga, grad_outputs=gu.ones(3))
    with pytest.raises(RuntimeError, match="input 0 does not require grad"):
        gu.autograd.grad(y.sum(), gu.ones(2, 2))
    with pytest.raises(RuntimeError, match="tensor 0 does not require grad"):
        gu.autograd.grad([gu.ones(2).sum()], ga)
    with pytest.raises(RuntimeError, match=r"2 gradient\(s\) for 1 tensor"):
        gu.autograd.grad([y.sum()], ga, grad_outputs=[None, None])
    with pytest.raises(NotImplementedError, match="create_graph=True.*higher-order"):
        gu.autograd.grad(y.sum(), ga, create_graph=True)
    with pytest.raises(NotImplementedError, match="create_graph=True.*higher-order"):
        y.sum().backward(create_graph=True)
    with pytest.raises(NotImplementedError, match="is_grads_batched"):
        gu.autograd.grad(y.sum(), ga, is_grads_batched=True)
    with pytest.raises(TypeError, match="inputs must be Tensors"):
        gu.autograd.grad(y.sum(), [np.ones(2)])


# ------------------------------------------------------ backward() and inputs=
def test_backward_function_with_several_tensors_matches_torch():
    (ga, ta), (gb, tb), (gc, tc) = pair(3), pair(3), pair(3)
    _, gy1, gy2 = graph(gu, ga, gb, gc)
    _, ty1, ty2 = graph(torch, ta, tb, tc)
    w = RNG.standard_normal(3)
    gu.autograd.backward([gy1, gy2], grad_tensors=[None, gu.tensor(w, dtype=gu.float64)])
    torch.autograd.backward([ty1, ty2], grad_tensors=[None, torch.tensor(w)])
    close([ga.grad, gb.grad, gc.grad], [ta.grad, tb.grad, tc.grad])


def test_backward_inputs_accumulates_only_into_those_tensors():
    (ga, ta), (gb, tb), (gc, tc) = pair(3), pair(3), pair(3)
    gh, gy1, _ = graph(gu, ga, gb, gc)
    th, ty1, _ = graph(torch, ta, tb, tc)
    gy1.backward(inputs=[gb, gh], retain_graph=True)
    ty1.backward(inputs=[tb, th], retain_graph=True)
    assert ga.grad is None and gc.grad is None
    close([gb.grad, gh.grad], [tb.grad, th.grad])
    gu.autograd.backward(gy1, inputs=gb)  # accumulates a second time
    torch.autograd.backward(ty1, inputs=tb)
    close([gb.grad], [tb.grad])


def test_backward_passes_in_two_threads_at_once_keep_to_their_own():
    """Each thread's pass has its own state (the queue of queue_callback): two threads
    that backpropagate at the same time get the gradients a lone pass gets."""
    import threading

    from groundup.autograd.engine import queue_callback

    rng = np.random.default_rng(0)
    w0 = rng.standard_normal((64, 64)).astype(np.float32)
    xs = [rng.standard_normal((32, 64)).astype(np.float32) for _ in range(2)]

    def grads(x, out, rounds):
        for _ in range(rounds):
            w = gu.tensor(w0, requires_grad=True)
            h = (gu.tensor(x) @ w).tanh()
            h.register_hook(lambda g: queue_callback(lambda: None) or g)
            (h @ w).sum().backward()
            out.append(w.grad.numpy())

    alone = [[], []]
    for k in (0, 1):
        grads(xs[k], alone[k], 1)
    got = [[], []]
    threads = [threading.Thread(target=grads, args=(xs[k], got[k], 200)) for k in (0, 1)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for k in (0, 1):
        assert len(got[k]) == 200
        for g in got[k]:
            np.testing.assert_array_equal(g, alone[k][0])
