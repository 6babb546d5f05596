"""Module, Parameter and the containers: walking, modes, state dicts, hooks."""

import copy
from collections import OrderedDict

import numpy as np
import pytest
from helpers import MembersBlock, MembersNet, require_torch

import groundup as gu
from groundup import nn

torch = require_torch()


Block, Net = MembersBlock, MembersNet


class TBlock(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(4, 4)
        self.norm = torch.nn.LayerNorm(4)


class TNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(10, 4)
        self.blocks = torch.nn.ModuleList([TBlock(), TBlock()])
        self.bn = torch.nn.BatchNorm1d(4)
        self.heads = torch.nn.ModuleDict({"a": torch.nn.Linear(4, 2),
                                          "b": torch.nn.Linear(4, 3, bias=False)})
        self.scale = torch.nn.Parameter(torch.ones(1))


def torch_state(m):
    return {k: v.detach().numpy() for k, v in m.state_dict().items()}


# ------------------------------------------------------------------ Parameter
def test_parameter_basics():
    p = nn.Parameter(gu.zeros(2, 3))
    assert isinstance(p, gu.Tensor) and p.requires_grad and p.is_leaf
    assert p.shape == (2, 3) and p.dtype == gu.float32
    assert "Parameter containing" in repr(p)
    q = nn.Parameter(gu.zeros(2), requires_grad=False)
    assert not q.requires_grad
    t = gu.zeros(3, dtype=gu.float64)
    shared = nn.Parameter(t)
    assert shared.array is t.array and shared.dtype == gu.float64
    assert nn.Parameter(np.ones(3)).dtype == gu.float32
    i = nn.Parameter(gu.tensor([1, 2]), requires_grad=False)
    assert i.dtype == gu.int64
    with pytest.raises(RuntimeError, match="floating-point"):
        nn.Parameter(gu.tensor([1, 2]))


def test_parameter_in_computation_gets_grad():
    p = nn.Parameter(gu.tensor([1.0, 2.0]))
    (p * p).sum().backward()
    np.testing.assert_allclose(p.grad.numpy(), [2.0, 4.0])


# ------------------------------------------------------------------- walking
def test_named_parameters_order_and_names_match_torch():
    g, t = Net(), TNet()
    assert [n for n, _ in g.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert list(g.state_dict()) == list(t.state_dict())
    assert [n for n, _ in g.named_buffers()] == [n for n, _ in t.named_buffers()]
    assert [n for n, _ in g.named_modules()] == [n for n, _ in t.named_modules()
                                                 if n not in ("blocks", "heads")]


def test_parameters_walk_is_deterministic_and_skips_plain_tensors():
    g = Net()
    names = [n for n, _ in g.named_parameters()]
    assert names[0] == "scale"  # own parameters come before the children's
    assert "cache" not in names and "cache" not in g.state_dict()
    assert names == [n for n, _ in Net().named_parameters()]
    assert len(list(g.parameters())) == len(names)
    assert [n for n, _ in g.named_parameters(recurse=False)] == ["scale"]


def test_tuples_nested_lists_and_dicts():
    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.pair = (nn.Linear(2, 2), nn.Parameter(gu.zeros(1)))
            self.nested = {"x": [nn.Linear(2, 1, bias=False)]}

    names = [n for n, _ in M().named_parameters()]
    assert names == ["pair.1", "pair.0.weight", "pair.0.bias", "nested.x.0.weight"]


def test_shared_parameters_and_modules_count_once():
    class Tied(nn.Module):
        def __init__(self):
            super().__init__()
            self.a = nn.Linear(3, 3)
            self.b = self.a
            self.w = self.a.weight

    class TTied(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.a = torch.nn.Linear(3, 3)
            self.b = self.a
            self.w = self.a.weight

    m, t = Tied(), TTied()
    assert [n for n, _ in m.named_parameters()] == ["w", "a.bias"]
    assert [n for n, _ in m.named_parameters()] == [n for n, _ in t.named_parameters()]
    assert [n for n, _ in m.named_modules()] == ["", "a"]
    assert m.num_parameters() == 12
    # state_dict, like PyTorch's, lists every name
    assert list(m.state_dict()) == ["w", "a.weight", "a.bias", "b.weight", "b.bias"]
    assert list(m.state_dict()) == list(t.state_dict())


def test_children_modules_and_get_submodule():
    g = Net()
    kids = [n for n, _ in g.named_children()]
    assert kids == ["embed", "blocks.0", "blocks.1", "bn", "heads.a", "heads.b"]
    assert g.get_submodule("blocks.1.fc") is g.blocks[1].fc
    assert g.get_parameter("blocks.0.norm.bias") is g.blocks[0].norm.bias
    assert len(list(g.modules())) == 1 + 6 + 4
    with pytest.raises(AttributeError, match="no submodule"):
        g.get_submodule("nope")


def test_cycles_do_not_recurse_forever():
    a = nn.Sequential(nn.Linear(2, 2))
    b = nn.Sequential(a)
    a.parent = b
    assert [n for n, _ in b.named_modules()] == ["", "0", "0.0"]
    assert list(b.state_dict()) == ["0.0.weight", "0.0.bias"]
    b.eval()
    assert not a.training and not a[0].training and not b.training
    assert "(parent): <Sequential: cycle>" in repr(b)
    assert len([m for m in b.modules()]) == 3
    b.apply(lambda m: None)
    b.zero_grad()


# ----------------------------------------------------------- modes and grads
def test_train_eval_propagates():
    g = Net()
    assert g.training and all(m.training for m in g.modules())
    assert g.eval() is g
    assert not any(m.training for m in g.modules())
    g.train()
    assert all(m.training for m in g.modules())
    g.blocks[0].train(False)
    assert not g.blocks[0].fc.training and g.blocks[1].fc.training
    with pytest.raises(ValueError, match="bool"):
        g.train("yes")


def test_zero_grad_and_requires_grad():
    g = Net()
    for p in g.parameters():
        p.grad = gu.ones(*p.shape)
    g.zero_grad(set_to_none=False)
    assert all(p.grad is not None and not p.grad.numpy().any() for p in g.parameters())
    g.zero_grad()
    assert all(p.grad is None for p in g.parameters())
    g.requires_grad_(False)
    assert not any(p.requires_grad for p in g.parameters())
    assert g.num_parameters(trainable_only=True) == 0
    g.requires_grad_()
    assert g.num_parameters(trainable_only=True) == g.num_parameters()


def test_num_parameters_matches_torch():
    assert Net().num_parameters() == sum(p.numel() for p in TNet().parameters())


def test_apply_visits_children_first():
    seen = []
    m = nn.Sequential(nn.Linear(2, 2), nn.Sequential(nn.ReLU()))
    assert m.apply(lambda mod: seen.append(type(mod).__name__)) is m
    assert seen == ["Linear", "ReLU", "Sequential", "Sequential"]


def test_to_double_float_cast_floats_only():
    g = Net()
    g.embed.weight.grad = gu.zeros(10, 4)
    assert g.double() is g
    assert all(p.dtype == gu.float64 for p in g.parameters())
    assert g.embed.weight.grad.dtype == gu.float64
    assert g.bn.running_mean.dtype == gu.float64
    assert g.bn.num_batches_tracked.dtype == gu.int64
    g.float()
    assert all(p.dtype == gu.float32 for p in g.parameters())
    w = g.blocks[0].fc.weight
    g.to("cpu", gu.float64)
    assert g.blocks[0].fc.weight is w and w.dtype == gu.float64  # same Parameter objects
    g.to(dtype="float32")
    assert w.dtype == gu.float32
    with pytest.raises(TypeError, match="floating-point"):
        g.to(gu.int64)
    with pytest.raises(ValueError, match="unknown device"):
        g.to("tpu")


def test_to_takes_device_objects_dtype_names_and_tensors():
    g = Net()
    w = g.blocks[0].fc.weight
    assert g.to(gu.device("cpu")) is g and w.device == gu.device("cpu")
    g.to(gu.device("cpu"), gu.double)
    assert w.dtype == gu.float64
    g.to("float32")  # a dtype name is a dtype, not a device
    assert w.dtype == gu.float32
    g.to(gu.zeros(1, dtype=gu.float64))  # a tensor: its device and dtype
    assert w.dtype == gu.float64 and g.bn.num_batches_tracked.dtype == gu.int64
    g.to(device="cpu", dtype=gu.float, non_blocking=True)
    assert w.dtype == gu.float32 and g.blocks[0].fc.weight is w
    with pytest.raises(TypeError, match="at most a device and a dtype"):
        g.to("cpu", gu.float, gu.float)


def test_cuda_without_a_gpu_names_the_problem():
    if gu.cuda.is_available():
        pytest.skip("a GPU is usable here")
    g = Net()
    for call in (g.cuda, lambda: g.cuda(1), lambda: g.to("cuda:0"), lambda: g.to("mps")):
        with pytest.raises(RuntimeError, match="is not available"):
            call()
    assert all(p.device == gu.device("cpu") for p in g.parameters())


def test_module_py_imports_nothing_from_layers():
    """Module and Parameter sit below every layer: layers import module.py, never the reverse."""
    import ast

    import groundup.nn.module as module

    with open(module.__file__, encoding="utf-8") as f:
        tree = ast.parse(f.read())
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    assert not [m for m in imported if "layers" in m or m in ("losses", "functional")]
    assert not hasattr(module, "Sequential")
    assert nn.Sequential.__module__ == "groundup.nn.layers.container"


# -------------------------------------------------------------------- buffers
def test_register_buffer():
    m = nn.Module()
    m.register_buffer("steps", gu.tensor(0))
    m.register_buffer("tmp", np.zeros(2, np.float64), persistent=False)
    m.register_buffer("maybe", None)
    assert m.steps.dtype == gu.int64 and m.tmp.dtype == gu.float64
    assert [n for n, _ in m.named_buffers()] == ["steps", "tmp"]
    assert list(m.state_dict()) == ["steps"]
    m.steps = gu.tensor(5)  # re-assigning keeps it a buffer
    assert m.state_dict()["steps"] == 5
    with pytest.raises(KeyError, match="already exists"):
        m.training2 = 1
        m.register_buffer("training2", gu.zeros(1))
    with pytest.raises(KeyError, match="without '.'"):
        m.register_buffer("a.b", gu.zeros(1))


# ----------------------------------------------------------------- state dict
def test_state_dict_is_a_copy_of_arrays():
    g = Net()
    sd = g.state_dict()
    assert all(isinstance(v, np.ndarray) for v in sd.values())
    sd["scale"][...] = 7
    assert g.scale.numpy()[0] == 1
    kv = g.state_dict(keep_vars=True)
    assert kv["scale"] is g.scale and kv["bn.running_mean"] is g.bn.running_mean
    assert list(g.state_dict(prefix="model."))[0] == "model.scale"


def test_load_torch_state_dict_strictly():
    g, t = Net(), TNet()
    with torch.no_grad():
        t.bn.running_mean.uniform_()
        t.bn.num_batches_tracked += 3
    result = g.load_state_dict(torch_state(t))
    assert result.missing_keys == [] and result.unexpected_keys == []
    for k, v in torch_state(t).items():
        np.testing.assert_array_equal(g.state_dict()[k], v)
    assert int(g.bn.num_batches_tracked.item()) == 3
    # and the other way round
    t2 = TNet()
    t2.load_state_dict({k: torch.from_numpy(v) for k, v in g.state_dict().items()})
    for k, v in torch_state(t2).items():
        np.testing.assert_array_equal(g.state_dict()[k], v)


def test_load_accepts_tensors_and_casts_dtype():
    m = nn.Linear(3, 2)
    m.load_state_dict({"weight": gu.ones(2, 3, dtype=gu.float64), "bias": np.zeros(2)})
    assert m.weight.dtype == gu.float32 and m.weight.numpy().sum() == 6


def _snapshot(m):
    return {k: v.copy() for k, v in m.state_dict().items()}


def _unchanged(m, before):
    after = m.state_dict()
    return all(np.array_equal(before[k], after[k]) for k in before)


def test_load_state_dict_is_all_or_nothing():
    g = Net()
    before = _snapshot(g)
    good = {k: np.full_like(v, 3) for k, v in before.items()}
    bad = dict(good)
    bad["bn.running_var"] = np.ones(5, np.float32)
    with pytest.raises(RuntimeError) as e:
        g.load_state_dict(bad)
    msg = str(e.value)
    assert "bn.running_var" in msg and "(4,)" in msg and "(5,)" in msg and "unchanged" in msg
    assert _unchanged(g, before)

    missing = dict(good)
    del missing["heads.a.bias"]
    with pytest.raises(RuntimeError, match="Missing key.*heads.a.bias"):
        g.load_state_dict(missing)
    assert _unchanged(g, before)

    extra = dict(good, **{"blocks.2.fc.weight": np.zeros((4, 4), np.float32)})
    with pytest.raises(RuntimeError, match="Unexpected key.*blocks.2.fc.weight"):
        g.load_state_dict(extra)
    assert _unchanged(g, before)

    wrong_kind = dict(good, scale=np.array([1], np.int64))
    with pytest.raises(RuntimeError, match="dtype mismatch for scale"):
        g.load_state_dict(wrong_kind)
    assert _unchanged(g, before)


def test_load_state_dict_non_strict():
    g = Net()
    before = _snapshot(g)
    partial = {"scale": np.array([5.0], np.float32), "extra.weight": np.zeros(2)}
    missing, unexpected = g.load_state_dict(partial, strict=False)
    assert unexpected == ["extra.weight"]
    assert "scale" not in missing and "embed.weight" in missing
    assert g.scale.numpy()[0] == 5
    assert np.array_equal(g.embed.weight.numpy(), before["embed.weight"])
    # size mismatches are errors even when not strict, and nothing is loaded
    with pytest.raises(RuntimeError, match="size mismatch for scale"):
        g.load_state_dict({"scale": np.zeros(2, np.float32),
                           "embed.weight": np.zeros((10, 4), np.float32)}, strict=False)
    assert g.scale.numpy()[0] == 5 and g.embed.weight.numpy().any()


def test_load_keeps_parameter_identity():
    m = nn.Linear(3, 2)
    w = m.weight
    m.load_state_dict(nn.Linear(3, 2).state_dict())
    assert m.weight is w


def test_deepcopy():
    g = Net()
    h = copy.deepcopy(g)
    assert list(h.state_dict()) == list(g.state_dict())
    assert h.scale is not g.scale and isinstance(h.scale, nn.Parameter)
    h.scale.array[...] = 9
    assert g.scale.numpy()[0] == 1


# ---------------------------------------------------------------------- hooks
def test_forward_hooks():
    m = nn.Linear(2, 2)
    calls = []
    h1 = m.register_forward_pre_hook(lambda mod, args: calls.append("pre"))
    h2 = m.register_forward_hook(lambda mod, args, out: out * 0)
    y = m(gu.ones(1, 2))
    assert calls == ["pre"] and not y.numpy().any()
    h1.remove()
    h2.remove()
    assert m(gu.ones(1, 2)).numpy().any() and calls == ["pre"]


def test_module_without_forward():
    with pytest.raises(NotImplementedError, match="forward"):
        nn.Module()(gu.zeros(1))


def test_subclass_without_super_init_still_works():
    class Lazy(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(gu.zeros(2))

    m = Lazy()
    assert m.training and list(m.state_dict()) == ["w"]
    m.register_buffer("b", gu.zeros(1))
    assert list(m.state_dict()) == ["w", "b"]


# ----------------------------------------------------------------- containers
def test_sequential_behaviour():
    a, r, b = nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)
    s = nn.Sequential(a, r, b)
    assert len(s) == 3 and s[0] is a and s[-1] is b and list(s) == [a, r, b]
    sub = s[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [r, b]
    assert list(sub.state_dict()) == ["2.weight", "2.bias"]  # keys kept, as in PyTorch
    s.append(nn.Tanh())
    assert len(s) == 4 and isinstance(s[3], nn.Tanh)
    s.insert(0, nn.Identity())
    assert isinstance(s[0], nn.Identity) and s[1] is a
    del s[0]
    assert s[0] is a and [n for n, _ in s.named_children()] == ["0", "1", "2", "3"]
    s[3] = nn.Sigmoid()
    assert isinstance(s.pop(), nn.Sigmoid) and len(s) == 3
    with pytest.raises(IndexError, match="out of range"):
        s[5]
    with pytest.raises(TypeError, match="expected a Module"):
        nn.Sequential(nn.ReLU(), 3)
    named = nn.Sequential(OrderedDict(first=nn.Linear(2, 2), act=nn.ReLU()))
    assert isinstance(named.act, nn.ReLU) and named["first"] is named[0]
    assert list(named.state_dict()) == ["first.weight", "first.bias"]
    with pytest.raises(AttributeError, match="no attribute 'missing'"):
        _ = named.missing


def test_sequential_forward_chains():
    s = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
    x = gu.randn(5, 4)
    y = s(x)
    want = s[2](s[1](s[0](x)))
    np.testing.assert_allclose(y.numpy(), want.numpy())
    assert y.shape == (5, 2)


def test_sequential_matches_torch_state_dict_and_output():
    g = nn.Sequential(nn.Linear(4, 8), nn.BatchNorm1d(8), nn.ReLU(), nn.Linear(8, 2))
    t = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8), torch.nn.ReLU(),
                            torch.nn.Linear(8, 2))
    assert list(g.state_dict()) == list(t.state_dict())
    g.load_state_dict(torch_state(t))
    g.eval()
    t.eval()
    x = np.random.default_rng(0).standard_normal((3, 4)).astype(np.float32)
    np.testing.assert_allclose(g(gu.tensor(x)).numpy(), t(torch.tensor(x)).detach().numpy(),
                               rtol=1e-5, atol=1e-6)


def test_module_list():
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)])
    assert len(ml) == 3 and [n for n, _ in ml.named_children()] == ["0", "1", "2"]
    ml.append(nn.ReLU())
    ml.extend([nn.Tanh()])
    ml += [nn.Sigmoid()]
    assert len(ml) == 6 and isinstance(ml[-1], nn.Sigmoid)
    assert isinstance(ml[:2], nn.ModuleList) and len(ml[:2]) == 2
    del ml[0]
    assert [n for n, _ in ml.named_children()] == [str(i) for i in range(5)]
    assert list(ml.state_dict()) == ["0.weight", "0.bias", "1.weight", "1.bias"]
    assert len(nn.ModuleList()) == 0
    with pytest.raises(NotImplementedError):
        ml(gu.zeros(1))


def test_module_dict():
    md = nn.ModuleDict({"a": nn.Linear(2, 2), "b": nn.ReLU()})
    assert len(md) == 2 and list(md) == ["a", "b"] and "a" in md
    assert list(md.keys()) == ["a", "b"] and isinstance(md["b"], nn.ReLU)
    md["c"] = nn.Linear(2, 1)
    md.update([("d", nn.Tanh())])
    assert list(md.state_dict()) == ["a.weight", "a.bias", "c.weight", "c.bias"]
    assert isinstance(md.pop("d"), nn.Tanh)
    del md["b"]
    assert [k for k, _ in md.items()] == ["a", "c"]
    assert md.a is md["a"]
    with pytest.raises(KeyError, match="no key 'zz'"):
        md["zz"]
    with pytest.raises(TypeError, match="expected a Module"):
        md["e"] = 1
    tm = torch.nn.ModuleDict({"a": torch.nn.Linear(2, 2), "c": torch.nn.Linear(2, 1)})
    md.load_state_dict(torch_state(tm))
