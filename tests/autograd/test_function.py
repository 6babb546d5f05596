"""Function (autograd/function.py): the contract of the internal Functions (raw arrays,
needs_input_grad, clear errors), and PyTorch-style custom Functions (`gu.autograd.Function`
with static forward/backward and a ctx), each checked against the same Function written for
PyTorch and by gradcheck."""

import numpy as np
import pytest
from helpers import require_torch

import groundup as gu
from groundup.autograd import Function, FunctionCtx

torch = require_torch()

RNG = np.random.default_rng(1)


def leaf(values, dtype=None):
    return gu.tensor(np.asarray(values, dtype=np.float64), dtype=dtype, requires_grad=True)


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


# -------------------------------------------------------- PyTorch-style Functions
def make(lib):
    """The same custom Functions, written against `lib` (groundup or torch)."""

    class Exp(lib.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            y = x.exp()
            ctx.save_for_backward(y)
            return y

        @staticmethod
        def backward(ctx, dy):
            (y,) = ctx.saved_tensors
            return dy * y

    class ScaledMul(lib.autograd.Function):
        """a * b * scale; `scale` is a Python number (it gets no gradient)."""

        @staticmethod
        def forward(ctx, a, scale, b):
            ctx.save_for_backward(a, b)
            ctx.scale = scale
            ctx.seen = ctx.needs_input_grad
            return a * b * scale

        @staticmethod
        def backward(ctx, dy):
            a, b = ctx.saved_tensors
            da = dy * b * ctx.scale if ctx.needs_input_grad[0] else None
            db = dy * a * ctx.scale if ctx.needs_input_grad[2] else None
            return da, None, db

    class SignSplit(lib.autograd.Function):
        """(x * 2, x > 0 as a float mask): the mask is marked non-differentiable."""

        @staticmethod
        def forward(ctx, x):
            mask = (x > 0) * 1.0 if lib is gu else (x > 0).to(x.dtype)
            ctx.mark_non_differentiable(mask)
            return x * 2, mask

        @staticmethod
        def backward(ctx, dy, dmask):
            return dy * 2

    class SumDiff(lib.autograd.Function):
        """(a + b, a - b): two outputs."""

        @staticmethod
        def forward(ctx, a, b):
            return a + b, a - b

        @staticmethod
        def backward(ctx, ds, dd):
            return ds + dd, ds - dd

    return Exp, ScaledMul, SignSplit, SumDiff


GU, TH = make(gu), make(torch)


def pair(*shape):
    a = RNG.standard_normal(shape)
    return (gu.tensor(a, dtype=gu.float64, requires_grad=True),
            torch.tensor(a, requires_grad=True))


def close(g, t):
    if t is None:
        assert g is None
        return
    np.testing.assert_allclose(g.numpy(), t.detach().numpy(), rtol=1e-12, atol=1e-12)


def test_exp_with_a_saved_output_matches_torch_and_gradcheck():
    gexp, texp = GU[0], TH[0]
    gx, tx = pair(2, 3)
    gy, ty = gexp.apply(gx), texp.apply(tx)
    close(gy, ty)
    assert repr(gy.grad_fn) == "<ExpBackward>" and gy.grad_fn.name() == "ExpBackward"
    assert isinstance(gy.grad_fn, FunctionCtx)
    w = RNG.standard_normal((2, 3))
    gy.backward(gu.tensor(w, dtype=gu.float64))
    ty.backward(torch.tensor(w))
    close(gx.grad, tx.grad)
    assert gu.autograd.gradcheck(gexp.apply, [RNG.standard_normal((2, 3))])
    assert gu.autograd.gradcheck is gu.gradcheck


def test_a_non_tensor_argument_gets_no_gradient():
    gmul, tmul = GU[1], TH[1]
    (ga, ta), (gb, tb) = pair(3), pair(3)
    gy, ty = gmul.apply(ga, 2.5, gb), tmul.apply(ta, 2.5, tb)
    close(gy, ty)
    gy.sum().backward()
    ty.sum().backward()
    close(ga.grad, ta.grad)
    close(gb.grad, tb.grad)
    assert gu.gradcheck(lambda a, b: gmul.apply(a, 0.5, b), [RNG.standard_normal(3),
                                                            RNG.standard_normal(3)])


def test_keyword_arguments_bind_to_forward_parameters_as_in_torch():
    gmul, tmul = GU[1], TH[1]
    (ga, ta), (gb, tb) = pair(3), pair(3)
    gy, ty = gmul.apply(ga, b=gb, scale=3.0), tmul.apply(ta, b=tb, scale=3.0)
    close(gy, ty)
    assert gy.grad_fn.seen == ty.grad_fn.seen == (True, False, True)
    gy.sum().backward()
    ty.sum().backward()
    close(gb.grad, tb.grad)
    with pytest.raises(TypeError, match="ScaledMul.apply: .*unexpected keyword.*bogus"):
        gmul.apply(ga, 1.0, gb, bogus=1)


def test_needs_input_grad_matches_torch():
    gmul, tmul = GU[1], TH[1]
    ga, ta = pair(3)
    gb, tb = gu.tensor([1.0, 2.0, 3.0], dtype=gu.float64), torch.tensor([1.0, 2.0, 3.0],
                                                                        dtype=torch.float64)
    gy, ty = gmul.apply(ga, 2.0, gb), tmul.apply(ta, 2.0, tb)
    assert gy.grad_fn.seen == ty.grad_fn.seen == (True, False, False)
    gy.sum().backward()
    ty.sum().backward()
    close(ga.grad, ta.grad)
    assert gb.grad is None
    with gu.no_grad():
        y = gmul.apply(ga, 2.0, gb)
    assert y.grad_fn is None and not y.requires_grad


def test_mark_non_differentiable_and_materialized_zeros():
    gsplit, tsplit = GU[2], TH[2]
    gx, tx = pair(4)
    (gy, gm), (ty, tm) = gsplit.apply(gx), tsplit.apply(tx)
    close(gm, tm)
    assert not gm.requires_grad and not tm.requires_grad and gm.grad_fn is None
    assert gy.grad_fn.name() == "SignSplitBackward"
    (gy * gm).sum().backward()
    (ty * tm).sum().backward()
    close(gx.grad, tx.grad)


def test_two_outputs_one_used_gets_zeros_for_the_other():
    gsd, tsd = GU[3], TH[3]
    (ga, ta), (gb, tb) = pair(3), pair(3)
    (gs, _), (ts, _) = gsd.apply(ga, gb), tsd.apply(ta, tb)
    (gs * 3.0).sum().backward()
    (ts * 3.0).sum().backward()
    close(ga.grad, ta.grad)
    close(gb.grad, tb.grad)
    ga.grad = gb.grad = None
    (gs, gd) = gsd.apply(ga, gb)
    (gs.sum() + (gd * 2.0).sum()).backward(retain_graph=True)
    np.testing.assert_allclose(ga.grad.numpy(), [3.0] * 3)
    np.testing.assert_allclose(gb.grad.numpy(), [-1.0] * 3)
    assert gu.gradcheck(lambda a, b: gsd.apply(a, b), [RNG.standard_normal(2),
                                                      RNG.standard_normal(2)])
    (dd,) = gu.autograd.grad(gs.sum() + (gd * 5.0).sum(), [gd])  # a non-leaf output as input
    np.testing.assert_allclose(dd.numpy(), [5.0] * 3)


def test_set_materialize_grads_false_passes_none():
    seen = []

    class Pair(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.set_materialize_grads(False)
            return x * 1.0, x * 2.0

        @staticmethod
        def backward(ctx, d1, d2):
            seen.append((d1 is None, d2 is None))
            return (0 if d1 is None else d1) + (0 if d2 is None else d2 * 2)

    x = gu.tensor([1.0, 2.0], requires_grad=True)
    Pair.apply(x)[1].sum().backward()
    assert seen == [(True, False)]
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


def test_forward_runs_without_recording_and_outputs_are_new_tensors():
    inside = []

    class Identity(Function):
        @staticmethod
        def forward(ctx, x):
            inside.append((gu.is_grad_enabled(), (x * 1.0).grad_fn))
            return x

        @staticmethod
        def backward(ctx, dy):
            inside.append(gu.is_grad_enabled())
            return dy

    x = gu.tensor([1.0, 2.0], requires_grad=True)
    y = Identity.apply(x)
    assert y is not x and x.is_leaf and not y.is_leaf
    assert np.shares_memory(y.numpy(), x.numpy())
    y.sum().backward()
    assert inside == [(False, None), False]
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0])


def test_setup_context_style_and_once_differentiable():
    from groundup.autograd.function import once_differentiable

    class Square(Function):
        @staticmethod
        def forward(x):
            return x * x

        @staticmethod
        def setup_context(ctx, inputs, output):
            (ctx.x,) = inputs

        @staticmethod
        @once_differentiable
        def backward(ctx, dy):
            return dy * 2 * ctx.x

    assert gu.autograd.function.once_differentiable is once_differentiable
    assert gu.autograd.function.Function is Function  # a real module, as torch's
    assert gu.autograd.function.__file__.endswith("function.py")
    assert gu.gradcheck(Square.apply, [RNG.standard_normal(3)])


def test_retain_graph_keeps_saved_tensors_and_their_in_place_change_is_caught():
    gexp = GU[0]
    x = gu.tensor([0.5, 1.0], requires_grad=True)
    y = gexp.apply(x)
    y.sum().backward(retain_graph=True)
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp([0.5, 1.0]), rtol=1e-6)
    with pytest.raises(RuntimeError, match="second time.*Exp"):
        y.sum().backward()
    y = gexp.apply(x)
    z = y.sum()
    with gu.no_grad():
        y.mul_(2.0)  # Exp saved y
    with pytest.raises(RuntimeError, match="Exp saved .* changed in place"):
        z.backward()


def test_internal_functions_keep_their_own_apply():
    from groundup.ops.elementwise import MulFn

    assert MulFn.apply.__func__ is Function.apply.__func__
    assert GU[0].apply.__func__ is not Function.apply.__func__
    assert not isinstance((gu.ones(1, requires_grad=True) * 2).grad_fn, FunctionCtx)


# --------------------------------------------------------------------- errors
def _fn(forward, backward):
    return type("Bad", (Function,), {"forward": staticmethod(forward),
                                     "backward": staticmethod(backward)})


def test_errors_name_the_function():
    x = gu.tensor([1.0, 2.0], requires_grad=True)
    too_few = _fn(lambda ctx, a, k: a * k, lambda ctx, d: d)
    with pytest.raises(RuntimeError, match=r"Bad.backward returned 1 gradient\(s\), but "
                                           r"Bad.forward took 2 argument"):
        too_few.apply(x, 2.0).sum().backward()
    non_tensor = _fn(lambda ctx, a, k: a * k, lambda ctx, d: (d, d))
    with pytest.raises(RuntimeError, match="gradient for argument 1 of forward, which is not "
                                           "a Tensor"):
        non_tensor.apply(x, 2.0).sum().backward()
    wrong_shape = _fn(lambda ctx, a: a * 1.0, lambda ctx, d: d[:1] * gu.ones(3))
    with pytest.raises(RuntimeError, match=r"Bad.backward returned a gradient of shape \(3,\) "
                                           r"for an input of shape \(2,\)"):
        wrong_shape.apply(x).sum().backward()
    not_tensor_out = _fn(lambda ctx, a: a.numpy(), lambda ctx, d: d)
    with pytest.raises(TypeError, match="Bad.forward must return a Tensor .* got ndarray"):
        not_tensor_out.apply(x)
    saves_number = _fn(lambda ctx, a: ctx.save_for_backward(a, 3) or a, lambda ctx, d: d)
    with pytest.raises(TypeError, match="Bad: save_for_backward takes Tensors .* int"):
        saves_number.apply(x)
    extra_nones = _fn(lambda ctx, a: a * 3.0, lambda ctx, d: (d * 3.0, None, None))
    extra_nones.apply(x).sum().backward()  # trailing Nones are allowed, as in torch
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 3.0])


def test_forgetting_staticmethod_is_an_error_at_class_creation():
    with pytest.raises(TypeError, match="Forgot.forward.*must be a @staticmethod"):
        class Forgot(Function):
            def forward(ctx, x):
                return x

            def backward(ctx, dy):
                return dy
