"""Grad mode (autograd/grad_mode.py): no_grad, enable_grad, set_grad_enabled and
inference_mode as blocks, decorators and (set_grad_enabled) plain calls."""

import numpy as np
import pytest

import groundup as gu
from groundup import autograd


def leaf(values, dtype=None):
    return gu.tensor(np.asarray(values, dtype=np.float64), dtype=dtype, requires_grad=True)


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


def test_grad_mode_is_checked_at_apply_time():
    x = leaf([1.0])
    assert autograd.is_grad_enabled() is True
    with gu.no_grad():
        y = x * 2.0
    z = y * x  # y is a constant now, x still requires grad
    z.backward()
    assert x.grad.item() == 2.0


def test_inference_mode_records_nothing_in_all_its_forms():
    x = gu.ones(2, requires_grad=True)
    assert not gu.is_inference_mode_enabled()
    with gu.inference_mode():
        assert gu.is_inference_mode_enabled() and not gu.is_grad_enabled()
        assert (x * 2).grad_fn is None
        with gu.inference_mode(False):
            assert not gu.is_inference_mode_enabled() and gu.is_grad_enabled()
        assert gu.is_inference_mode_enabled()
    assert gu.is_grad_enabled() and not gu.is_inference_mode_enabled()

    @gu.inference_mode
    def bare():
        return (x * 2).requires_grad, gu.is_inference_mode_enabled()

    @gu.inference_mode()
    def called():
        return (x * 2).requires_grad, gu.is_inference_mode_enabled()

    assert bare() == (False, True) and called() == (False, True)
    assert gu.is_grad_enabled() and not gu.is_inference_mode_enabled()
    assert autograd.is_inference_mode_enabled is gu.is_inference_mode_enabled


def test_inference_mode_restores_after_an_exception():
    with pytest.raises(ValueError):
        with gu.inference_mode():
            raise ValueError
    assert gu.is_grad_enabled() and not gu.is_inference_mode_enabled()


def test_set_grad_enabled_as_a_plain_call_takes_effect_at_once():
    x = gu.ones(2, requires_grad=True)
    try:
        gu.set_grad_enabled(False)
        assert not gu.is_grad_enabled() and (x * 2).grad_fn is None
        gu.set_grad_enabled(True)
        assert gu.is_grad_enabled() and (x * 2).grad_fn is not None
    finally:
        gu.set_grad_enabled(True)


def test_set_grad_enabled_as_context_and_decorator_restores():
    with gu.set_grad_enabled(False):
        assert not gu.is_grad_enabled()
    assert gu.is_grad_enabled()
    with gu.no_grad():
        with gu.set_grad_enabled(True):
            assert gu.is_grad_enabled()
        assert not gu.is_grad_enabled()

    @gu.set_grad_enabled(False)
    def f():
        return gu.is_grad_enabled()

    assert gu.is_grad_enabled()  # decorating does not switch the mode
    assert f() is False and gu.is_grad_enabled()
