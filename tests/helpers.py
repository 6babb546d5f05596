"""The shared test harness: check an op against PyTorch and finite differences.

check_op(gu_fn, torch_fn, *inputs) runs three checks:
1. forward in float32 against PyTorch (outputs, including integer outputs exactly);
2. backward in float32 against PyTorch, with the same random upstream gradient;
3. float64: forward/backward against PyTorch at tight tolerance, and gu.gradcheck.

`inputs` are NumPy arrays (float arrays become tensors that require grad;
integer/bool arrays become plain tensors) or other Python values passed as is.
`layout="transposed"` feeds every float input of 2+ dims as a transposed view
(non-contiguous), `layout="sliced"` as a strided slice of a bigger array.
"""

import os

import numpy as np
import pytest

import groundup as gu


def require_torch():
    """The torch module, or skip; fails instead when GROUNDUP_REQUIRE_TORCH=1."""
    try:
        import torch
    except ImportError:
        if os.environ.get("GROUNDUP_REQUIRE_TORCH") == "1":
            raise
        pytest.skip("PyTorch (the test oracle) is not installed")
    torch.set_num_threads(1)
    return torch


def _outputs(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def _prepare(inputs, dtype, layout, torch):
    """Leaves (to read gradients from) and the arguments passed to the functions."""
    gu_leaves, th_leaves, gu_args, th_args = [], [], [], []
    for a in inputs:
        if isinstance(a, np.ndarray) and a.dtype.kind == "f":
            a = a.astype(dtype)
            if layout == "transposed" and a.ndim >= 2:
                base = np.ascontiguousarray(np.swapaxes(a, -1, -2))
                g = gu.tensor(base, dtype=dtype, requires_grad=True)
                t = torch.tensor(base, requires_grad=True)
                gu_args.append(g.transpose(-1, -2))
                th_args.append(t.transpose(-1, -2))
            elif layout == "sliced" and a.ndim >= 1:
                shape = a.shape[:-1] + (2 * a.shape[-1],)
                base = np.zeros(shape, dtype)
                base[..., ::2] = a
                g = gu.tensor(base, dtype=dtype, requires_grad=True)
                t = torch.tensor(base, requires_grad=True)
                gu_args.append(g[..., ::2])
                th_args.append(t[..., ::2])
            else:
                g = gu.tensor(a, dtype=dtype, requires_grad=True)
                t = torch.tensor(a, requires_grad=True)
                gu_args.append(g)
                th_args.append(t)
            gu_leaves.append(g)
            th_leaves.append(t)
        elif isinstance(a, np.ndarray):
            gu_args.append(gu.tensor(a))
            th_args.append(torch.tensor(a))
        else:
            gu_args.append(a)
            th_args.append(a)
    return gu_leaves, th_leaves, gu_args, th_args


def _compare(name, got, want, atol, rtol):
    want = np.asarray(want)
    assert got.shape == want.shape, f"{name}: shape {got.shape} != PyTorch's {want.shape}"
    if want.dtype.kind in "iub":
        np.testing.assert_array_equal(got, want, err_msg=name)
    else:
        np.testing.assert_allclose(got, want, atol=atol, rtol=rtol, err_msg=name)


def check_op(gu_fn, torch_fn, *inputs, atol=1e-5, rtol=1e-4, grad=True, gradcheck=True,
             layout="contiguous", float64=True, gradcheck_atol=1e-5, gradcheck_rtol=1e-3,
             seed=0):
    """Forward and backward against PyTorch in float32 (and float64), then gradcheck."""
    torch = require_torch()
    dtypes = [np.float32] + ([np.float64] if float64 else [])
    for dtype in dtypes:
        tol = (atol, rtol) if dtype == np.float32 else (atol * 1e-4, rtol * 1e-4)
        gl, tl, ga, ta = _prepare(inputs, dtype, layout, torch)
        gouts = _outputs(gu_fn(*ga))
        touts = _outputs(torch_fn(*ta))
        assert len(gouts) == len(touts), "number of outputs differs from PyTorch's"
        rng = np.random.default_rng(seed)
        g_total, t_total = None, None
        for k, (go, to) in enumerate(zip(gouts, touts)):
            got = go.numpy()
            want = to.detach().numpy()
            if want.dtype.kind == "f":
                assert got.dtype == dtype, \
                    f"output {k}: dtype {got.dtype}, expected {np.dtype(dtype)}"
            _compare(f"forward output {k} ({np.dtype(dtype)})", got, want, *tol)
            if grad and go.requires_grad and to.requires_grad:
                w = rng.standard_normal(got.shape).astype(dtype)
                gt = (go * gu.tensor(w, dtype=dtype)).sum()
                tt = (to * torch.tensor(w)).sum()
                g_total = gt if g_total is None else g_total + gt
                t_total = tt if t_total is None else t_total + tt
        if grad and g_total is not None:
            g_total.backward()
            t_total.backward()
            for i, (g, t) in enumerate(zip(gl, tl)):
                want = np.zeros(g.shape, dtype) if t.grad is None else t.grad.numpy()
                got = np.zeros(g.shape, dtype) if g.grad is None else g.grad.numpy()
                assert got.dtype == dtype, \
                    f"grad {i}: dtype {got.dtype}, expected {np.dtype(dtype)}"
                _compare(f"gradient of input {i} ({np.dtype(dtype)})", got, want, *tol)
    if grad and gradcheck:
        gl, _, ga, _ = _prepare(inputs, np.float64, "contiguous", torch)
        others = [a for a in ga]
        float_pos = [i for i, a in enumerate(inputs)
                     if isinstance(a, np.ndarray) and a.dtype.kind == "f"]

        def fn(*leaves):
            args = list(others)
            for p, leaf in zip(float_pos, leaves):
                args[p] = leaf
            return gu_fn(*args)

        gu.gradcheck(fn, gl, atol=gradcheck_atol, rtol=gradcheck_rtol)


def blobs(n, seed=0, classes=3):
    """Well-separated Gaussian blobs in 2-D: X (n, 2) float32, y (n,) int64 (classes <= 3)."""
    rng = np.random.default_rng(seed)
    centers = np.array([[0.0, 3.0], [3.0, -2.0], [-3.0, -2.0]])[:classes]
    y = np.arange(n) % classes
    X = (centers[y] + 0.5 * rng.standard_normal((n, 2))).astype(np.float32)
    return X, y.astype(np.int64)


def blob_loader(batch_size=8, n=24):
    """A DataLoader over blobs(n), in order."""
    X, y = blobs(n)
    return gu.data.DataLoader(gu.data.TensorDataset(X, y), batch_size=batch_size)


def tanh_sgd_setup(lr=0.05, seed=0):
    """A seeded 2-8-3 tanh classifier for the blobs and an SGD optimizer over it."""
    gu.manual_seed(seed)
    model = gu.nn.Sequential(gu.nn.Linear(2, 8), gu.nn.Tanh(), gu.nn.Linear(8, 3))
    return model, gu.optim.SGD(model.parameters(), lr=lr)


class MembersBlock(gu.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = gu.nn.Linear(4, 4)
        self.norm = gu.nn.LayerNorm(4)


class MembersNet(gu.nn.Module):
    """Members in plain lists/dicts, a nested module and an own Parameter."""

    def __init__(self):
        super().__init__()
        self.embed = gu.nn.Embedding(10, 4)
        self.blocks = [MembersBlock(), MembersBlock()]
        self.bn = gu.nn.BatchNorm1d(4)
        self.heads = {"a": gu.nn.Linear(4, 2), "b": gu.nn.Linear(4, 3, bias=False)}
        self.scale = gu.nn.Parameter(gu.ones(1))
        self.note = "not a member"
        self.cache = gu.zeros(3)  # a plain tensor: neither parameter nor buffer


def tmp_leftovers(directory):
    """Temporary files an atomic write left behind in `directory` (should be none)."""
    return [n for n in os.listdir(directory) if n.endswith(".tmp")]


def mask(*shape, seed=0):
    """Deterministic boolean test data, about half True."""
    return np.asarray(np.random.default_rng(seed).random(shape) > 0.5)


# pairs of operand shapes for binary ops: plain, broadcast, size-1, 0-d and empty
BINARY_SHAPES = [
    ((3, 4), (3, 4)),
    ((2, 3, 4), (4,)),
    ((2, 1, 4), (3, 1)),
    ((1, 1), (3, 2)),
    ((), (2, 3)),
    ((0, 3), (3,)),
    ((5,), ()),
]


def randn(*shape, seed=0, positive=False, low=None):
    """Deterministic float64 test data; positive=True shifts it away from zero."""
    rng = np.random.default_rng(seed)
    a = np.asarray(rng.standard_normal(shape))
    if positive:
        a = np.asarray(np.abs(a) + 0.5)  # (NumPy arithmetic on a 0-d array gives a scalar)
    return a


def _flat_outputs(out):
    """Nested tuples/lists of outputs (e.g. an LSTM's (y, (h, c))) as one flat list."""
    if isinstance(out, (tuple, list)):
        return [o for item in out for o in _flat_outputs(item)]
    return [out]


def check_layer(gu_layer, torch_layer, *inputs, atol=1e-5, rtol=1e-4, float64=True, seed=0,
                grad=True):
    """A layer against PyTorch's with the same weights, in float32 (and float64).

    Copies torch_layer.state_dict() (as ndarrays) into gu_layer with a strict
    load_state_dict, sets gu_layer's training mode to torch_layer's, then compares
    the outputs, the gradients of every float input and of every parameter (by name:
    both must have the same named_parameters), and the state dicts after the forward
    (running statistics). `inputs` follow check_op: float arrays become leaves that
    require grad, integer arrays plain tensors, other values pass as they are.
    """
    torch = require_torch()
    dtypes = [np.float32] + ([np.float64] if float64 else [])
    for dtype in dtypes:
        tol = (atol, rtol) if dtype == np.float32 else (atol * 1e-4, rtol * 1e-4)
        torch_layer.to(torch.float32 if dtype == np.float32 else torch.float64)
        gu_layer.to(dtype)
        gu_layer.train(torch_layer.training)
        state = {k: v.detach().cpu().numpy() for k, v in torch_layer.state_dict().items()}
        gu_layer.load_state_dict(state, strict=True)
        gu_layer.zero_grad()
        torch_layer.zero_grad()
        gl, tl, ga, ta = _prepare(inputs, dtype, "contiguous", torch)
        gouts = _flat_outputs(gu_layer(*ga))
        touts = _flat_outputs(torch_layer(*ta))
        assert len(gouts) == len(touts), "number of outputs differs from PyTorch's"
        rng = np.random.default_rng(seed)
        g_total = t_total = None
        for k, (go, to) in enumerate(zip(gouts, touts, strict=True)):
            got, want = go.numpy(), to.detach().numpy()
            if want.dtype.kind == "f":
                assert got.dtype == dtype, f"output {k}: dtype {got.dtype}, not {np.dtype(dtype)}"
            _compare(f"forward output {k} ({np.dtype(dtype)})", got, want, *tol)
            if grad and go.requires_grad and to.requires_grad:
                w = rng.standard_normal(got.shape).astype(dtype)
                gt = (go * gu.tensor(w, dtype=dtype)).sum()
                tt = (to * torch.tensor(w)).sum()
                g_total = gt if g_total is None else g_total + gt
                t_total = tt if t_total is None else t_total + tt
        g_state = gu_layer.state_dict()
        for key, value in torch_layer.state_dict().items():
            _compare(f"state {key!r} after forward ({np.dtype(dtype)})", g_state[key],
                     value.detach().numpy(), *tol)
        if not (grad and g_total is not None):
            continue
        g_total.backward()
        t_total.backward()
        for i, (g, t) in enumerate(zip(gl, tl, strict=True)):
            want = np.zeros(g.shape, dtype) if t.grad is None else t.grad.numpy()
            got = np.zeros(g.shape, dtype) if g.grad is None else g.grad.numpy()
            _compare(f"gradient of input {i} ({np.dtype(dtype)})", got, want, *tol)
        g_params = dict(gu_layer.named_parameters())
        t_params = dict(torch_layer.named_parameters())
        assert list(g_params) == list(t_params), (
            f"parameter names {list(g_params)} differ from PyTorch's {list(t_params)}")
        for name, tp in t_params.items():
            gp = g_params[name]
            want = np.zeros(tp.shape, dtype) if tp.grad is None else tp.grad.numpy()
            got = np.zeros(gp.shape, dtype) if gp.grad is None else gp.grad.numpy()
            assert got.dtype == dtype, f"grad of {name}: dtype {got.dtype}"
            _compare(f"gradient of parameter {name!r} ({np.dtype(dtype)})", got, want, *tol)


# ------------------------------------------------------------ optimizers
OPTIM_SHAPES = [(3, 4), (5,)]


def run_optimizer_pair(gu_cls, torch_cls, steps=10, dtype=np.float32, group_kw=None, skip=(), **kw):
    """Same initial values and gradient sequence through a groundup and a torch optimizer.

    group_kw: per-group overrides for two groups (one tensor each); skip: (step, index)
    pairs whose gradient is None in both.
    """
    torch = require_torch()
    rng = np.random.default_rng(0)
    inits = [rng.standard_normal(s).astype(dtype) for s in OPTIM_SHAPES]
    grads = [[rng.standard_normal(s).astype(dtype) for s in OPTIM_SHAPES] for _ in range(steps)]
    gp = [gu.tensor(a, dtype=dtype, requires_grad=True) for a in inits]
    tp = [torch.tensor(a, requires_grad=True) for a in inits]
    if group_kw:
        gopt = gu_cls([{"params": [p], **g} for p, g in zip(gp, group_kw, strict=True)], **kw)
        topt = torch_cls([{"params": [p], **g} for p, g in zip(tp, group_kw, strict=True)], **kw)
    else:
        gopt, topt = gu_cls(gp, **kw), torch_cls(tp, **kw)
    for k in range(steps):
        for i, (p, q) in enumerate(zip(gp, tp, strict=True)):
            if (k, i) in skip:
                p.grad, q.grad = None, None
            else:
                p.grad, q.grad = gu.tensor(grads[k][i], dtype=dtype), torch.tensor(grads[k][i])
        gopt.step()
        topt.step()
    return gp, tp, gopt, topt


def assert_params_match(gp, tp, dtype=np.float32):
    tol = dict(rtol=1e-6, atol=3e-7) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-13)
    for p, q in zip(gp, tp, strict=True):
        assert p.numpy().dtype == dtype
        np.testing.assert_allclose(p.numpy(), q.detach().numpy(), **tol)


def assert_resume_matches(cls, kw, fresh_kw=None):
    """5 steps, state_dict, load into a fresh optimizer (built with fresh_kw), 5 more steps:
    the parameters equal those of 10 uninterrupted steps, bit for bit."""
    rng = np.random.default_rng(1)
    init = [rng.standard_normal(s) for s in OPTIM_SHAPES]
    grads = [[rng.standard_normal(s) for s in OPTIM_SHAPES] for _ in range(10)]

    def steps(params, opt, ks):
        for k in ks:
            for p, g in zip(params, grads[k], strict=True):
                p.grad = gu.tensor(g)
            opt.step()

    straight = [gu.tensor(a, requires_grad=True) for a in init]
    steps(straight, cls(straight, **kw), range(10))
    first = [gu.tensor(a, requires_grad=True) for a in init]
    opt = cls(first, **kw)
    steps(first, opt, range(5))
    resumed = [gu.tensor(p.numpy(), requires_grad=True) for p in first]
    opt2 = cls(resumed, **(fresh_kw or {}))
    opt2.load_state_dict(opt.state_dict())
    steps(resumed, opt2, range(5, 10))
    for a, b in zip(resumed, straight, strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())
