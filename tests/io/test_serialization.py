"""Tests for groundup/io/serialization.py (gu.save / gu.load), structure.py and allowlist.py:
paths and file objects, nested checkpoints, whole modules rebuilt from allow-listed classes."""

import dataclasses
import io
import json
import pickle  # only to write a hostile test file; groundup never unpickles

import numpy as np
import pytest
from helpers import tmp_leftovers

import groundup as gu
from groundup import io as gio
from groundup import nn
from groundup.io import safetensors as gst


@pytest.fixture(autouse=True)
def _empty_allow_list():
    gu.serialization.clear_safe_globals()
    yield
    gu.serialization.clear_safe_globals()


def _name(obj):
    return f"{obj.__module__}.{obj.__qualname__}"


def _gelu(x):
    return nn.functional.gelu(x)


@dataclasses.dataclass(frozen=True)
class Config:
    widths: tuple = (4, 8)
    act: str = "relu"


class Block(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.fc = nn.Linear(n, n)
        self.act = _gelu
        self.scale = 0.5

    def forward(self, x):
        return self.act(self.fc(x)) * self.scale + x


class Net(nn.Module):
    def __init__(self, cfg=Config()):
        super().__init__()
        w0, w1 = cfg.widths
        self.cfg = cfg
        self.name, self.sizes, self.nothing, self.flag = "net", (w0, w1), None, True
        self.stem = nn.Sequential(nn.Linear(w0, w1), nn.BatchNorm1d(w1), nn.ReLU())
        self.blocks = nn.ModuleList([Block(w1), Block(w1)])
        self.heads = nn.ModuleDict({"a": nn.Linear(w1, 3), "b": nn.Linear(w1, 2)})
        self.heads["b"].extra = gu.ones(2)  # a plain Tensor attribute
        self.tied = self.stem[0]  # the same module twice
        self.register_buffer("mask", np.array([1.0, 0.0, 1.0], np.float32), persistent=False)
        self.dtype = gu.float32

    def forward(self, x):
        h = self.stem(x)
        for block in self.blocks:
            h = block(h)
        return self.heads["a"](h) * self.mask


def _net():
    gu.manual_seed(0)
    net = Net()
    net(gu.randn(5, 4))  # training mode: BatchNorm's running statistics move
    return net


class _Stream:
    """A file-like object with read() only (a pipe, a socket)."""

    def __init__(self, data):
        self._data = io.BytesIO(data)

    def read(self, n=-1):
        return self._data.read(n)


def _assert_same(got, want):
    assert type(got) is type(want), (type(got), type(want))
    if isinstance(want, dict):
        assert list(got) == list(want)
        for k in want:
            _assert_same(got[k], want[k])
    elif isinstance(want, (list, tuple)):
        assert len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            _assert_same(g, w)
    elif isinstance(want, (np.ndarray, np.generic)):
        assert got.dtype == want.dtype and np.shape(got) == np.shape(want)
        np.testing.assert_array_equal(got, want)
    elif isinstance(want, gu.Tensor):
        assert got.requires_grad == want.requires_grad
        _assert_same(got.numpy(), want.numpy())
    else:
        assert got == want


# --------------------------------------------------------- paths and file objects
def test_paths_and_file_objects_give_the_same_file(tmp_path):
    state = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "n": np.array(3)}
    gu.save(state, str(tmp_path / "a.safetensors"))
    gu.save(state, tmp_path / "b.safetensors")
    buffer = io.BytesIO()
    gu.save(state, buffer)
    with open(tmp_path / "c.safetensors", "wb") as f:
        gu.save(state, f)
    data = (tmp_path / "a.safetensors").read_bytes()
    assert buffer.getvalue() == data == (tmp_path / "c.safetensors").read_bytes()
    assert json.loads(data[8:8 + int.from_bytes(data[:8], "little")]).get("__metadata__") is None
    buffer.seek(0)
    _assert_same(gu.load(buffer), state)
    with open(tmp_path / "b.safetensors", "rb") as f:
        _assert_same(gu.load(f), state)
    _assert_same(gu.load(str(tmp_path / "c.safetensors")), state)
    _assert_same(gu.load(_Stream(data)), state)  # read() only: read whole
    assert gio.load_metadata(io.BytesIO(data)) == {}
    assert tmp_leftovers(tmp_path) == []


def test_text_mode_files_and_bad_targets_are_refused(tmp_path):
    with open(tmp_path / "t.txt", "w") as f, pytest.raises(TypeError, match="binary mode"):
        gu.save({"a": np.zeros(1)}, f)
    gu.save({"a": np.zeros(1)}, tmp_path / "t.txt")
    with open(tmp_path / "t.txt") as f, pytest.raises(TypeError, match="binary mode"):
        gu.load(f)
    with pytest.raises(TypeError, match="expected a path .* or a binary file object"):
        gu.load(42)
    with pytest.raises(TypeError, match="expected a path .* or a binary file object"):
        gu.save({"a": np.zeros(1)}, 3.5)


def test_pickles_in_file_objects_are_refused():
    with pytest.raises(gio.SafetensorsError, match="BytesIO object is not a safetensors file "
                                                    "\\(it looks like a Python pickle"):
        gu.load(io.BytesIO(pickle.dumps({"w": [1, 2]})))


# ------------------------------------------------------------ what comes back
def test_what_was_saved_comes_back(tmp_path):
    p = tmp_path / "s.safetensors"
    t = gu.tensor(np.ones((2, 2)), requires_grad=True)
    state = {"array": np.eye(2), "tensor": t, "param": nn.Parameter(gu.zeros(3)),
             "int_tensor": gu.tensor(np.arange(3))}
    gu.save(state, p)
    out = gu.load(p)
    _assert_same(out, state)
    assert isinstance(out["param"], nn.Parameter) and out["param"].requires_grad
    assert out["tensor"].dtype == np.float32 and out["tensor"].is_leaf
    assert set(gst.load(p)) == set(state)  # still plain safetensors, one tensor per name
    t = gu.randn(3)
    for obj in (None, 5, "text", [], (), t, np.arange(3), [t, {"again": t, "pair": (1, 2)}]):
        buffer = io.BytesIO()
        gu.save(obj, buffer)
        buffer.seek(0)
        _assert_same(gu.load(buffer), obj)
    buffer.seek(0)
    back = gu.load(buffer)
    assert back[1]["again"] is back[0]  # one Tensor saved twice comes back as one


def test_nested_checkpoint_dicts(tmp_path):
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4))
    opt = gu.optim.Adam(model.parameters(), lr=1e-2, betas=(0.8, 0.9))
    model(gu.randn(5, 3)).sum().backward()
    opt.step()
    ckpt = {"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 5,
            "loss": 0.25, "name": "run-1", "done": False, "none": None,
            "history": [1.0, 0.5, {"lr": 1e-3}], "pair": (1, "x"), "np_scalar": np.float32(1.5),
            "blob": b"\x00\xff", "dtype": np.dtype("float16"), "dtype_type": np.int64,
            "ints": {3: "three", 1: np.arange(2)}, "nan": float("nan")}
    buffer = io.BytesIO()
    gu.save(ckpt, buffer, metadata={"note": "nested"})
    out = gu.load(io.BytesIO(buffer.getvalue()))
    assert np.isnan(out.pop("nan")) and np.isnan(ckpt.pop("nan"))
    _assert_same(out, ckpt)
    names = set(gst.load(io.BytesIO(buffer.getvalue())))
    assert {"model.0.weight", "model.1.running_var", "optimizer.state.0.exp_avg",
            "np_scalar", "ints.1"} <= names
    assert gio.load_metadata(io.BytesIO(buffer.getvalue())) == {"note": "nested"}


def test_optimizer_state_round_trips_through_a_file(tmp_path):
    def setup():
        gu.manual_seed(1)
        model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
        return model, gu.optim.Adam(model.parameters(), lr=1e-2, amsgrad=True)

    def step(model, opt, seed):
        x = gu.tensor(np.random.default_rng(seed).standard_normal((6, 4)))
        opt.zero_grad()
        (model(x) ** 2).mean().backward()
        opt.step()

    model, opt = setup()
    for s in range(3):
        step(model, opt, s)
    p = tmp_path / "ckpt.safetensors"
    gu.save({"model": model.state_dict(), "optimizer": opt.state_dict(), "epoch": 3}, p)
    step(model, opt, 3)
    fresh, fresh_opt = setup()
    ckpt = gu.load(p)
    fresh.load_state_dict(ckpt["model"])
    fresh_opt.load_state_dict(ckpt["optimizer"])
    assert ckpt["epoch"] == 3
    step(fresh, fresh_opt, 3)
    for a, b in zip(model.parameters(), fresh.parameters(), strict=True):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_structures_that_cannot_be_described_are_refused(tmp_path):
    p = tmp_path / "x.safetensors"
    loop = [1]
    loop.append(loop)
    for obj, message in [({"a": {"__array__": 1}}, "'a.__array__'.*reserved"),
                         ({(1, 2): 3}, "all strings or all ints"),
                         ({"s": {1, 2}}, "'s'.*builtins.set"),
                         ([lambda x: x], "'0'.*lambda"), (loop, "'1': it contains itself")]:
        with pytest.raises(TypeError, match=message):
            gu.save(obj, p)
    assert not p.exists() and tmp_leftovers(tmp_path) == []


# ---------------------------------------------------------------- whole modules
def test_whole_model_round_trip(tmp_path):
    net = _net()
    p = tmp_path / "net.safetensors"
    gu.save(net, p, metadata={"epoch": 2})
    names = {n for n, _ in [*net.named_parameters(), *net.named_buffers()]}
    assert names <= set(gst.load(p))  # stored once each, under their state-dict names
    with gu.serialization.safe_globals([Net, Block, Config, _gelu]):
        back = gu.load(p)
    assert type(back) is Net and back.training
    assert back.cfg == net.cfg and type(back.cfg) is Config
    assert (back.name, back.sizes, back.nothing, back.flag) == ("net", (4, 8), None, True)
    assert back.dtype is np.float32 and back.blocks[0].act is _gelu
    assert type(back.stem) is nn.Sequential and type(back.blocks) is nn.ModuleList
    assert type(back.heads) is nn.ModuleDict and back.tied is back.stem[0]
    assert all(type(p_) is nn.Parameter for p_ in back.parameters())
    assert [n for n, _ in back.named_parameters()] == [n for n, _ in net.named_parameters()]
    _assert_same(back.state_dict(), net.state_dict())
    np.testing.assert_array_equal(back.mask.numpy(), net.mask.numpy())  # non-persistent too
    assert back.stem[1].num_batches_tracked.dtype == np.int64
    assert gio.load_metadata(p) == {"epoch": 2}
    x = gu.randn(7, 4)
    for mode in ("eval", "train"):
        getattr(net, mode)(), getattr(back, mode)()
        np.testing.assert_array_equal(back(x).numpy(), net(x).numpy())
    back(x).sum().backward()  # trainable as it is
    assert back.stem[0].weight.grad is not None


def test_groundup_modules_need_no_allow_list_and_map_location():
    model = nn.Sequential(nn.Linear(3, 2), nn.Tanh(), nn.LayerNorm(2)).eval()
    buffer = io.BytesIO()
    gu.save(model, buffer)
    for kwargs in ({}, {"weights_only": False}, {"map_location": "cpu"}):
        buffer.seek(0)
        back = gu.load(buffer, **kwargs)
        assert not back.training and back[2].normalized_shape == (2,)
        x = gu.randn(4, 3)
        np.testing.assert_array_equal(back(x).numpy(), model(x).numpy())
    with pytest.raises(TypeError, match="map_location.*dicts and functions are not supported"):
        gu.load(buffer, map_location={"cuda:0": "cpu"})
    with pytest.raises(TypeError, match="weights_only must be"):
        gu.load(buffer, weights_only="yes")


def test_a_class_not_allowed_is_refused_with_the_call_that_allows_it(tmp_path):
    p = tmp_path / "net.safetensors"
    gu.save(_net(), p)
    name = f"{Net.__module__}.Net"
    with pytest.raises(gio.UntrustedClassError) as e:
        gu.load(p)
    msg = str(e.value)
    assert name in msg and f"{Block.__module__}.Block" in msg and "_gelu" in msg
    assert "gu.serialization.safe_globals([Net, Config, Block, _gelu])" in msg
    assert "gu.serialization.add_safe_globals([" in msg
    with pytest.raises(gio.UntrustedClassError, match="Block"):
        gu.load(p, weights_only=False)  # never bypasses the allow list
    assert sorted(gu.serialization.get_unsafe_globals_in_checkpoint(p)) == sorted(
        [name, f"{Config.__module__}.Config", f"{Block.__module__}.Block",
         f"{_gelu.__module__}._gelu"])
    gu.serialization.add_safe_globals([Net, Block, Config, _gelu])
    assert gu.serialization.get_unsafe_globals_in_checkpoint(p) == []
    assert type(gu.load(p)) is Net


def test_the_allow_list_and_its_context_manager():
    sg = gu.serialization
    sg.add_safe_globals([Net])
    with sg.safe_globals([Block, (Config, "old.Config")]):
        assert sg.get_safe_globals() == [Net, Block, (Config, "old.Config")]
        sg.add_safe_globals([_gelu])
    assert sg.get_safe_globals() == [Net]
    with pytest.raises(RuntimeError), sg.safe_globals([Block]):
        raise RuntimeError
    assert sg.get_safe_globals() == [Net]
    sg.clear_safe_globals()
    assert sg.get_safe_globals() == []
    for bad in (Net, [Net()], [(Net, 3)], ["Net"]):
        with pytest.raises(TypeError, match="add_safe_globals"):
            sg.add_safe_globals(bad)


def test_a_class_saved_under_another_name_loads_by_an_alias():
    class Tiny(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(2, 2)

    buffer = io.BytesIO()
    gu.save(Tiny(), buffer)
    saved = f"{Tiny.__module__}.{Tiny.__qualname__}"
    moved = type("Tiny", (nn.Module,), {"__module__": "elsewhere", "__qualname__": "Tiny"})
    buffer.seek(0)
    with gu.serialization.safe_globals([moved]), pytest.raises(
            gio.UntrustedClassError, match=r"elsewhere.Tiny is allowed.*allow it as \(Tiny, '"):
        gu.load(buffer)
    buffer.seek(0)
    with gu.serialization.safe_globals([(moved, saved)]):
        back = gu.load(buffer)
    assert type(back) is moved and back.fc.weight.shape == (2, 2)


def test_undescribable_attributes_are_refused_at_save_time(tmp_path):
    p = tmp_path / "net.safetensors"
    gu.save({"a": np.ones(2)}, p)
    before = p.read_bytes()
    net = _net()
    net.blocks[1].act = lambda x: x
    with pytest.raises(TypeError, match="'blocks.1.act': it is a lambda"):
        gu.save(net, p)
    net = _net()
    with open(tmp_path / "log.txt", "w") as log:
        net.heads["a"].log = log
        with pytest.raises(TypeError, match="'heads.a.log': it is a _io.TextIOWrapper"):
            gu.save(net, p)
    net = _net()
    net.stem[0].thing = object()
    with pytest.raises(TypeError, match="'stem.0.thing': it is a builtins.object"):
        gu.save(net, io.BytesIO())
    hooked = nn.Linear(2, 2)
    hooked.register_forward_hook(lambda m, a, out: out)
    with pytest.raises(TypeError, match="'_forward_hooks.*lambda"):
        gu.save(hooked, p)
    assert p.read_bytes() == before and tmp_leftovers(tmp_path) == []


def test_a_module_in_a_dict_and_a_cycle(tmp_path):
    net = nn.Sequential(nn.Linear(2, 2))
    net[0].owner = net  # points back up the tree
    buffer = io.BytesIO()
    gu.save({"model": net, "epoch": 1}, buffer)
    buffer.seek(0)
    out = gu.load(buffer)
    assert out["epoch"] == 1 and out["model"][0].owner is out["model"]
    x = gu.randn(3, 2)
    np.testing.assert_array_equal(out["model"](x).numpy(), net(x).numpy())


def test_malformed_descriptions_are_refused(tmp_path):
    def forged(description):
        meta = {"groundup": "{}", "groundup.object": json.dumps(
            {"format": "groundup.object", "version": 1, "object": description})}
        raw = json.dumps({"__metadata__": meta}).encode()
        return io.BytesIO(len(raw).to_bytes(8, "little") + raw)

    cases = [({"__array__": "missing"}, "missing tensor"),
             ({"__module__": "groundup.nn.layers.linear.Linear", "id": "x", "attributes": {}},
              "'id'"),
             ({"__module_ref__": 7}, "unknown module"),
             ({"__dtype__": "not-a-dtype"}, "unknown dtype"),
             ({"__global__": _name(nn.functional.relu)}, None)]
    for description, message in cases:
        if message is None:
            assert gu.load(forged(description)) is nn.functional.relu
            continue
        with pytest.raises(gio.SafetensorsError, match=message):
            gu.load(forged(description))
    with pytest.raises(gio.UntrustedClassError, match="os.system"):
        gu.load(forged({"__global__": "os.system"}))
    with pytest.raises(gio.UntrustedClassError, match="groundup.io.safetensors.os"):
        gu.load(forged({"__global__": "groundup.io.safetensors.os"}))
    with pytest.raises(gio.UntrustedClassError, match="groundup.nn.Linear"):  # a re-export
        gu.load(forged({"__global__": "groundup.nn.Linear"}))
