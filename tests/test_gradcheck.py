"""gu.gradcheck: passes on correct gradients, names the input and element on wrong ones."""

import re

import numpy as np
import pytest

import groundup as gu
from groundup import Function, GradcheckError


def data(*shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def test_passes_on_correct_functions():
    assert gu.gradcheck(lambda x: gu.exp(x) * x, [data(3, 2)])
    assert gu.gradcheck(lambda a, b: a * b + a / (b * b + 1), [data(2, 3), data(3, seed=1)])
    assert gu.gradcheck(lambda x: x, data(4))  # a single array is accepted too
    assert gu.gradcheck(lambda x: (x * 2.0).sum(), (data(5),))


def test_multiple_outputs_and_non_float_passthrough():
    def fn(x, k, flag):
        assert isinstance(k, int) and flag is None
        return x * k, gu.sin(x), x > 0

    assert gu.gradcheck(fn, [data(3), 3, None])


def test_tensor_inputs_are_copied_to_float64_and_only_grad_ones_checked():
    x = gu.tensor(data(2, 2), requires_grad=True)  # float32
    c = gu.tensor(data(2, 2, seed=1))  # no grad: not perturbed
    seen = []

    def fn(a, b):
        seen.append((a.dtype, b.dtype))
        return a * b

    assert gu.gradcheck(fn, [x, c])
    assert all(d == (gu.float64, gu.float64) for d in seen)
    assert x.dtype is gu.float32 and x.grad is None  # the caller's tensors are untouched


def test_non_contiguous_tensor_input_is_perturbed_correctly():
    base = gu.Tensor._wrap(np.asfortranarray(data(3, 4)))  # F-ordered float64 array
    base.requires_grad_()
    assert gu.gradcheck(lambda a: a * a, [base])


class _WrongGrad(Function):
    """y = a * b, but backward returns a wrong gradient for b at element (1, 2)."""

    def forward(self, a, b):
        self.save_for_backward(a, b)
        return a * b

    def backward(self, dy):
        a, b = self.saved
        db = dy * a
        db[1, 2] += 0.5
        return dy * b, db


def test_wrong_backward_raises_naming_input_and_element():
    a, b = data(2, 3), data(2, 3, seed=1)
    with pytest.raises(GradcheckError, match=r"input 1 \(shape \(2, 3\)\), element \(1, 2\)"):
        gu.gradcheck(lambda x, y: _WrongGrad.apply(x, y), [a, b])
    assert gu.gradcheck(lambda x, y: _WrongGrad.apply(x, y), [a, b],
                        raise_exception=False) is False
    assert issubclass(GradcheckError, AssertionError)


def test_message_reports_both_values_and_count():
    class _Double(Function):
        def forward(self, x):
            return x * 1.0

        def backward(self, dy):
            return dy * 2.0

    with pytest.raises(GradcheckError) as err:
        gu.gradcheck(lambda x: _Double.apply(x), [data(4)])
    msg = str(err.value)
    assert "input 0" in msg and "element (0,)" in msg
    m = re.search(r"backward gives (\S+), finite differences give (\S+) ", msg)
    assert m, msg
    assert float(m.group(1)) == pytest.approx(2 * float(m.group(2)), rel=1e-6)
    assert "4 of 4 elements disagree" in msg


def test_missing_gradient_is_caught():
    class _NoGrad(Function):
        def forward(self, a, b):
            return a + b

        def backward(self, dy):
            return dy, None

    with pytest.raises(GradcheckError, match="input 1"):
        gu.gradcheck(lambda a, b: _NoGrad.apply(a, b), [data(3), data(3, seed=1)])


def test_errors_when_nothing_to_check():
    with pytest.raises(GradcheckError, match="no input requires grad"):
        gu.gradcheck(lambda x: x * 2, [gu.tensor([1.0])])
    with pytest.raises(GradcheckError, match="does not depend"):
        gu.gradcheck(lambda x: gu.ones(2), [data(2)])
