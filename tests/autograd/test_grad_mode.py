"""Grad mode (autograd/grad_mode.py): no_grad, enable_grad, set_grad_enabled and
inference_mode as blocks, decorators and (set_grad_enabled) plain calls; per thread."""

import threading

import numpy as np
import pytest

import groundup as gu
from groundup import autograd
from groundup.autograd import grad_mode


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


# ------------------------------------------------------------- per thread, as in PyTorch
def _in_thread(fn):
    """fn() run in a new thread; its result (or its exception, raised here)."""
    out = {}

    def run():
        try:
            out["value"] = fn()
        except BaseException as e:  # pragma: no cover - shown by the re-raise
            out["error"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out["value"]


def test_no_grad_in_one_thread_leaves_another_recording():
    x = gu.ones(3, requires_grad=True)
    inside, go_on = threading.Event(), threading.Event()
    seen = {}

    def worker():
        with gu.no_grad():
            inside.set()
            go_on.wait(10)
            seen["worker"] = (gu.is_grad_enabled(), (x * 2).grad_fn)

    t = threading.Thread(target=worker)
    t.start()
    assert inside.wait(10)
    try:
        assert gu.is_grad_enabled()  # this thread still records
        y = (x * 3).sum()
        assert y.grad_fn is not None
        y.backward()
        np.testing.assert_array_equal(x.grad.numpy(), [3.0, 3.0, 3.0])
    finally:
        go_on.set()
        t.join()
    assert seen["worker"] == (False, None)
    assert grad_mode._grad_enabled is True  # every thread records again: the fast flag


def test_a_new_thread_starts_with_grad_mode_on():
    x = gu.ones(2, requires_grad=True)
    with gu.no_grad(), gu.inference_mode():
        enabled, fn, inference = _in_thread(
            lambda: (gu.is_grad_enabled(), (x * 2).grad_fn, gu.is_inference_mode_enabled()))
        assert not gu.is_grad_enabled() and (x * 2).grad_fn is None
    assert enabled and fn is not None and not inference


def test_a_plain_set_grad_enabled_call_switches_only_its_thread():
    x = gu.ones(2, requires_grad=True)

    def worker():
        gu.set_grad_enabled(False)  # for good, in this thread only
        return gu.is_grad_enabled(), (x * 2).grad_fn

    assert _in_thread(worker) == (False, None)
    assert gu.is_grad_enabled() and (x * 2).grad_fn is not None


def test_a_thread_that_ends_without_recording_stops_counting():
    """The fast flag comes back once the threads that switched recording off are gone."""
    _in_thread(lambda: gu.set_grad_enabled(False))
    assert grad_mode._grad_enabled is True
    assert gu.is_grad_enabled()
