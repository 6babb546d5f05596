"""The tuned optimizer updates of groundup.kernels equal the NumPy reference of optim/.

The compiled kernels (the `fast` extra) must match bit for bit: they compute the same
operations in the same order and dtype. Plain SGD's BLAS axpy (a fused multiply-add)
matches to rounding. Sizes straddle the kernels' threaded chunks and odd lengths.
"""

import numpy as np
import pytest

import groundup as gu
from groundup import kernels
from groundup.optim import SGD, Adam, AdamW

needs_numba = pytest.mark.skipif(not kernels.available(),
                                 reason="the compiled path needs numba (the `fast` extra)")

SHAPES = [(3,), (70001,), (257, 300)]


def _run(cls, kw, shape, dtype, compiled, steps=4, seed=0):
    """Parameters and optimizer state after `steps` steps, on the compiled path or not."""
    rng = np.random.default_rng(seed)
    p = gu.tensor(rng.standard_normal(shape), dtype=dtype, requires_grad=True)
    opt = cls([p], **kw)
    with kernels.use(compiled):
        for _ in range(steps):
            p.grad = gu.tensor(rng.standard_normal(shape), dtype=dtype)
            opt.step()
    state = {k: v for k, v in opt.state[p].items() if isinstance(v, np.ndarray)}
    assert p.dtype == dtype
    return p.numpy(), state


def _assert_same(a, b):
    np.testing.assert_array_equal(a[0], b[0])
    assert a[1].keys() == b[1].keys()
    for k in a[1]:
        np.testing.assert_array_equal(a[1][k], b[1][k], err_msg=k)


ADAM = [
    (Adam, dict()),
    (Adam, dict(lr=0.1, amsgrad=True)),
    (Adam, dict(lr=0.1, weight_decay=0.1, maximize=True)),
    (Adam, dict(lr=0.1, betas=(0.5, 0.9), eps=1e-3)),  # lerp weight 0.5: the other form
    (Adam, dict(lr=0.1, betas=(0.0, 0.99))),
    (AdamW, dict(lr=0.1, weight_decay=0.3, amsgrad=True, maximize=True)),
]
SGDS = [
    dict(lr=0.1, momentum=0.9),
    dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.1),
    dict(lr=0.1, momentum=0.9, nesterov=True, weight_decay=0.05, maximize=True),
    dict(lr=0.1, weight_decay=0.2),
    dict(lr=0.1, maximize=True),
]


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("cls, kw", ADAM)
def test_compiled_adam_is_bit_identical(cls, kw, shape, dtype, monkeypatch):
    monkeypatch.setattr(kernels.switch, "MIN_SIZE", 0)
    _assert_same(_run(cls, kw, shape, dtype, True), _run(cls, kw, shape, dtype, False))


@needs_numba
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("shape", SHAPES)
@pytest.mark.parametrize("kw", SGDS)
def test_compiled_sgd_is_bit_identical(kw, shape, dtype, monkeypatch):
    monkeypatch.setattr(kernels.switch, "MIN_SIZE", 0)
    _assert_same(_run(SGD, kw, shape, dtype, True), _run(SGD, kw, shape, dtype, False))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_plain_sgd_axpy_matches_the_reference(dtype, monkeypatch):
    tuned = _run(SGD, dict(lr=0.1), (70001,), dtype, False)
    monkeypatch.setattr(kernels, "sgd_", lambda *args: False)
    reference = _run(SGD, dict(lr=0.1), (70001,), dtype, False)
    tol = 1e-6 if dtype == np.float32 else 1e-14
    np.testing.assert_allclose(tuned[0], reference[0], rtol=tol, atol=tol)


@needs_numba
def test_kernels_are_used_from_min_size_on(monkeypatch):
    calls = []
    mod = kernels.switch.load("compiled_optim")
    monkeypatch.setattr(mod, "adam", lambda *args: calls.append(args[0].size))
    monkeypatch.setattr(kernels.switch, "MIN_SIZE", 100)
    for n in (99, 100):
        p, g = (np.ones(n, np.float32) for _ in range(2))
        m, v = np.zeros(n, np.float32), np.zeros(n, np.float32)
        with kernels.use(True):
            done = kernels.adam_(p, g, m, v, None, 1, 1e-3, 0.9, 0.999, 1e-8, 0.0, False, False)
        assert done  # below MIN_SIZE by the nine-pass BLAS form
    assert calls == [100]


@needs_numba
def test_unsuitable_arrays_fall_back_to_the_reference(monkeypatch):
    monkeypatch.setattr(kernels.switch, "MIN_SIZE", 0)
    p = np.ones((4, 6), np.float32)
    ok = dict(p=p, grad=np.ones_like(p), m=np.zeros_like(p), v=np.zeros_like(p))
    args = (None, 1, 1e-3, 0.9, 0.999, 1e-8, 0.0, False, False)
    with kernels.use(True):
        assert kernels.adam_(*ok.values(), *args)
        assert not kernels.adam_(p, np.ones((6, 4), np.float32).T, ok["m"], ok["v"], *args)
        assert not kernels.adam_(p, ok["grad"].astype(np.float64), ok["m"], ok["v"], *args)
        half = np.ones((4, 6), np.float16)
        assert not kernels.adam_(half, half.copy(), half * 0, half * 0, *args)
    with kernels.use(False):
        assert not kernels.adam_(*ok.values(), *args)


@needs_numba
def test_building_an_optimizer_loads_the_compiled_path(monkeypatch):
    monkeypatch.setattr(kernels.switch, "MIN_SIZE", 0)
    with kernels.use(True):
        gu.optim.SGD([gu.zeros(3, requires_grad=True)], lr=0.1)
    assert "compiled_optim" in kernels.switch._loaded
