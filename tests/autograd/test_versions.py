"""The in-place change clock (autograd/versions.py): version counts, and backward refusing
a node whose saved values were changed in place (directly, through views and aliases)."""

import numpy as np
import pytest

import groundup as gu


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
