"""The autograd engine: graph recording, backward, grad modes, hooks, aliasing, errors."""

import gc

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu
from groundup import autograd
from groundup.autograd import Function, sum_to_shape

torch = require_torch()


def leaf(values, dtype=None):
    return gu.tensor(np.asarray(values, dtype=np.float64), dtype=dtype, requires_grad=True)


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
    g = np.random.default_rng(0).standard_normal(grad_shape)
    got = sum_to_shape(g, shape)
    assert got.shape == shape
    want = torch.tensor(g).sum_to_size(shape).numpy() if shape else g.sum()
    np.testing.assert_allclose(got, want)


# ----------------------------------------------------------------- grad modes
def test_no_grad_records_nothing():
    x = leaf([1.0, 2.0])
    with gu.no_grad():
        assert not gu.is_grad_enabled()
        y = x * 2.0 + x
        z = gu.exp(x)
    assert gu.is_grad_enabled()
    for t in (y, z):
        assert not t.requires_grad and t._ctx is None and t.grad_fn is None and t.is_leaf
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_enable_grad_inside_no_grad_and_set_grad_enabled():
    x = leaf([1.0])
    with gu.no_grad():
        with gu.enable_grad():
            assert (x * 2.0).requires_grad
        assert not (x * 2.0).requires_grad
    with gu.set_grad_enabled(False):
        assert not (x * 2.0).requires_grad
        with gu.set_grad_enabled(True):
            assert (x * 2.0).requires_grad
    assert gu.is_grad_enabled()


def test_grad_mode_decorators():
    x = leaf([1.0])

    @gu.no_grad()
    def f(t):
        return t * 2.0

    @gu.no_grad
    def g(t):
        return t * 2.0

    @gu.enable_grad()
    def h(t):
        return t * 2.0

    @gu.set_grad_enabled(False)
    def k(t):
        return t * 2.0

    assert f.__name__ == "f"
    assert not f(x).requires_grad and not g(x).requires_grad and not k(x).requires_grad
    with gu.no_grad():
        assert h(x).requires_grad
    assert gu.is_grad_enabled()


def test_grad_mode_restored_after_exception():
    with pytest.raises(ZeroDivisionError):
        with gu.no_grad():
            raise ZeroDivisionError
    assert gu.is_grad_enabled()

    @gu.no_grad()
    def boom():
        raise KeyError

    with pytest.raises(KeyError):
        boom()
    assert gu.is_grad_enabled()


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


# ------------------------------------------------------- the Function contract
class _Scale(Function):
    """y = a * k; records which gradients the engine asked for."""

    calls = []

    def forward(self, a, b, k=2.0):
        self.k = k
        type(self).calls.append(("forward", self.needs_input_grad))
        return a * k + b * 0

    def backward(self, dy):
        type(self).calls.append(("backward", self.needs_input_grad))
        assert self.needs_input_grad == (True, False)
        return dy * self.k, None


def test_needs_input_grad_is_honoured_and_known_in_forward():
    _Scale.calls = []
    a = leaf([1.0, 2.0])
    b = gu.tensor([5.0, 5.0])
    y = _Scale.apply(a, b, k=3.0)
    assert y.requires_grad and isinstance(y.grad_fn, _Scale)
    y.sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), [3.0, 3.0])
    assert b.grad is None
    assert _Scale.calls == [("forward", (True, False)), ("backward", (True, False))]
    with gu.no_grad():
        _Scale.apply(a, b)
    assert _Scale.calls[-1] == ("forward", (False, False))


def test_function_with_no_grad_inputs_records_nothing():
    y = _Scale.apply(gu.tensor([1.0]), gu.tensor([2.0]))
    assert not y.requires_grad and y.grad_fn is None


class _Wrong(Function):
    def forward(self, a):
        return a * 2

    def backward(self, dy):
        return dy[:1]


class _TooMany(Function):
    def forward(self, a):
        return a * 2

    def backward(self, dy):
        return dy, dy


def test_bad_backward_results_give_clear_errors():
    with pytest.raises(RuntimeError, match=r"_Wrong.backward returned a gradient of shape"):
        _Wrong.apply(leaf([1.0, 2.0, 3.0])).sum().backward()
    with pytest.raises(RuntimeError, match=r"_TooMany.backward returned 2 gradient"):
        _TooMany.apply(leaf([1.0])).sum().backward()


def test_none_gradient_paths_are_skipped():
    class _Stop(Function):
        def forward(self, a):
            return a.copy()

        def backward(self, dy):
            return None

    x = leaf([1.0, 2.0])
    y = _Stop.apply(x * 2.0) + x
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])
    z = _Stop.apply(leaf([1.0]) * 3.0)
    z.backward()  # nothing reaches the leaf: no error, no gradient


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


def test_grad_mode_is_checked_at_apply_time():
    x = leaf([1.0])
    assert autograd.is_grad_enabled() is True
    with gu.no_grad():
        y = x * 2.0
    z = y * x  # y is a constant now, x still requires grad
    z.backward()
    assert x.grad.item() == 2.0


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


# ------------------------------------------------------------ version counter


def test_inplace_methods_count_versions():
    t = gu.tensor([1.0, 2.0])
    assert t.version == 0
    seen = [t.version]
    for change in (lambda: t.add_(1.0), lambda: t.mul_(2.0), lambda: t.__setitem__(0, 5.0)):
        change()
        seen.append(t.version)
    assert seen == sorted(set(seen))  # grows with every change
    assert (t + 1).version == 0  # a fresh result starts at 0


def test_optimizer_step_between_forward_and_backward_is_an_error():
    w = gu.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    x = gu.tensor([[1.0, 1.0]])
    loss = (x @ w).sum()  # matmul saves w for the gradient of x... and x for w's
    w.grad = gu.zeros(2, 2)
    gu.optim.SGD([w], lr=0.1).step()
    assert w.version > 0
    with pytest.raises(RuntimeError, match=r"MatmulFn saved .* changed in place"):
        loss.backward()
    assert w.grad.numpy().tolist() == [[0.0, 0.0], [0.0, 0.0]]  # nothing was written


def test_inplace_change_under_no_grad_of_a_saved_input_is_an_error():
    w = gu.tensor([1.0, 2.0], requires_grad=True)
    x = gu.tensor([3.0, 4.0])
    y = (w * x).sum()
    with gu.no_grad():
        x.mul_(10.0)
    with pytest.raises(RuntimeError, match="Mul"):
        y.backward()


def test_change_of_an_input_the_op_did_not_keep_is_fine():
    w = gu.tensor([1.0, 2.0], requires_grad=True)
    x = gu.tensor([3.0, 4.0])
    y = (w + x).sum()  # addition keeps nothing for backward
    z = gu.relu(x * 1.0 + w).sum()  # relu keeps its output, not its input
    with gu.no_grad():
        x.add_(1.0)
    y.backward()
    z.backward()
    assert w.grad.numpy().tolist() == [2.0, 2.0]


def test_a_fresh_forward_after_the_step_backpropagates():
    w = gu.tensor([1.0, 2.0], requires_grad=True)
    opt = gu.optim.SGD([w], lr=0.5)
    for _ in range(2):
        loss = (w * w).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    np.testing.assert_allclose(w.numpy(), [0.0, 0.0])


def test_changes_through_views_aliases_and_saved_outputs_are_caught():
    def check(change):
        x = gu.tensor([1.0, 2.0, 3.0])
        w = gu.tensor([1.0, 2.0], requires_grad=True)
        z = (x[0:2] * w).sum()  # Mul saved the view x[0:2]
        with gu.no_grad():
            change(x)
        with pytest.raises(RuntimeError, match="changed in place"):
            z.backward()

    check(lambda x: x.add_(10.0))  # the base of a saved view
    check(lambda x: x.detach().add_(10.0))  # an alias of the same memory
    check(lambda x: x[0:1].mul_(0.0))  # another view into it

    x = gu.tensor([0.0, 1.0], requires_grad=True)
    y = x.exp()  # Exp saves its output
    z = y.sum()
    with gu.no_grad():
        y.mul_(0.0)
    with pytest.raises(RuntimeError, match="ExpFn saved"):
        z.backward()


def test_a_step_through_a_transposed_weight_is_caught():
    w = gu.randn(5, 3, requires_grad=True)
    loss = ((gu.randn(4, 3) @ w.T).tanh()).pow(2).sum()  # matmul saved the view w.T
    w.grad = gu.ones_like(w)
    gu.optim.SGD([w], lr=0.5).step()
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


def test_change_of_unrelated_memory_is_fine():
    w = gu.tensor([1.0, 2.0], requires_grad=True)
    other = gu.tensor([5.0])
    z = (w * w).sum()
    with gu.no_grad():
        other.add_(1.0)
    z.backward()
    assert w.grad.numpy().tolist() == [2.0, 4.0]


def test_a_hook_returning_the_wrong_shape_is_an_error():
    x = gu.tensor([1.0, 2.0], requires_grad=True)
    x.register_hook(lambda g: gu.tensor([1.0]))
    with pytest.raises(RuntimeError, match=r"returned a gradient of shape \(1,\) for a gradient "
                                           r"of shape \(2,\)"):
        (x * 2.0).sum().backward()
    assert x.grad is None
