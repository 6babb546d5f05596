"""Tests for groundup/io/checkpoint.py: checkpoints (model, optimizer-shaped state, scheduler,
loader, RNG) in one safetensors file."""

import dataclasses

import numpy as np
import pytest
from helpers import tmp_leftovers

import groundup as gu
from groundup import io as gio
from groundup.data import DataLoader, TensorDataset


class FakeModule:
    """The Module contract io relies on: state_dict() / load_state_dict(d, strict=True)."""

    def __init__(self, seed=0, out=3):
        rng = np.random.default_rng(seed)
        self.params = {"0.weight": rng.standard_normal((out, 2)).astype(np.float32),
                       "0.bias": np.zeros(out, np.float32),
                       "1.num_batches_tracked": np.array(4, dtype=np.int64)}

    def state_dict(self):
        return {k: v.copy() for k, v in self.params.items()}

    def load_state_dict(self, state, strict=True):
        assert strict
        for k in self.params:
            self.params[k] = np.array(state[k])


class FakeOptimizer:
    """gu.optim's state_dict: {"state": {int: {name: array|number}}, "param_groups": [...]}."""

    def __init__(self, steps=0):
        self.state = {i: {"step": steps, "exp_avg": np.full(3, float(steps), np.float32),
                          "max_exp_avg_sq": np.array(0.5)} for i in range(2)}
        self.param_groups = [{"lr": 1e-3, "betas": (0.9, 0.999), "eps": 1e-8,
                              "amsgrad": True, "params": [0, 1]}]

    def state_dict(self):
        return {"state": self.state, "param_groups": self.param_groups}

    def load_state_dict(self, sd):
        self.state, self.param_groups = sd["state"], sd["param_groups"]


class FakeScheduler:
    def __init__(self):
        self.sd = {"last_epoch": 0, "best": float("inf"), "base_lrs": [0.1], "mode": "min"}

    def state_dict(self):
        return dict(self.sd)

    def load_state_dict(self, sd):
        self.sd = dict(sd)


@dataclasses.dataclass
class Config:
    hidden: int = 16
    act: str = "relu"


def test_checkpoint_round_trip(tmp_path):
    p = tmp_path / "ckpt.safetensors"
    model, opt, sched = FakeModule(seed=1), FakeOptimizer(steps=5), FakeScheduler()
    sched.sd["last_epoch"] = 7
    loader = DataLoader(TensorDataset(np.arange(20.0)), batch_size=3, shuffle=True, seed=4)
    it = iter(loader)
    next(it)
    gu.manual_seed(123)
    gu.randn(3)
    gio.save_checkpoint(p, model, optimizer=opt, scheduler=sched, epoch=7, loader=loader,
                        extra={"history": [1.0, 0.5], "best": np.array([0.25])},
                        config=Config(hidden=32))
    after_save = gu.randn(4).numpy()
    names = set(gu.load(p))
    assert {"model.0.weight", "model.0.bias", "model.1.num_batches_tracked",
            "optimizer.state.0.exp_avg", "optimizer.state.1.max_exp_avg_sq",
            "extra.best"} <= names
    meta = gio.load_metadata(p)
    assert meta["format"] == "groundup.checkpoint" and meta["epoch"] == 7

    model2, opt2, sched2 = FakeModule(seed=2), FakeOptimizer(), FakeScheduler()
    loader2 = DataLoader(TensorDataset(np.arange(20.0)), batch_size=3, shuffle=True, seed=0)
    gu.manual_seed(0)
    info = gio.load_checkpoint(p, model=model2, optimizer=opt2, scheduler=sched2,
                               loader=loader2)
    np.testing.assert_array_equal(gu.randn(4).numpy(), after_save)  # RNG restored exactly
    for k, v in model.params.items():
        np.testing.assert_array_equal(model2.params[k], v)
        assert model2.params[k].dtype == v.dtype
    assert opt2.state[0]["step"] == 5 and isinstance(opt2.state[0]["step"], int)
    assert set(opt2.state) == {0, 1}  # int keys come back as ints
    np.testing.assert_array_equal(opt2.state[1]["exp_avg"], np.full(3, 5.0, np.float32))
    assert opt2.state[1]["max_exp_avg_sq"].shape == ()
    assert opt2.param_groups == opt.param_groups
    assert opt2.param_groups[0]["betas"] == (0.9, 0.999)  # tuples stay tuples
    assert sched2.sd == sched.sd and sched2.sd["best"] == float("inf")
    assert info["epoch"] == 7 and info["config"] == {"hidden": 32, "act": "relu"}
    assert info["extra"]["history"] == [1.0, 0.5]
    np.testing.assert_array_equal(info["extra"]["best"], [0.25])
    assert set(info["model"]) == set(model.params)
    rest_original = [b[0].numpy().tolist() for b in it]
    rest_resumed = [b[0].numpy().tolist() for b in loader2]
    assert rest_resumed == rest_original  # the loader continues mid-epoch


def test_checkpoint_is_validated_before_anything_changes(tmp_path):
    p = tmp_path / "ckpt.safetensors"
    gio.save_checkpoint(p, FakeModule(), optimizer=FakeOptimizer(steps=2), epoch=1)
    target_opt = FakeOptimizer(steps=9)
    wrong_shape = FakeModule(out=4)
    weights = wrong_shape.state_dict()
    gu.manual_seed(77)
    rng = gu.get_rng_state()
    with pytest.raises(ValueError, match=r"shape mismatches.*0\.weight: checkpoint \(3, 2\), "
                                         r"model \(4, 2\)"):
        gio.load_checkpoint(p, model=wrong_shape, optimizer=target_opt)
    assert target_opt.state[0]["step"] == 9 and gu.get_rng_state() == rng
    np.testing.assert_array_equal(wrong_shape.params["0.weight"], weights["0.weight"])

    extra_key = FakeModule()
    extra_key.params["2.weight"] = np.zeros(1, np.float32)
    with pytest.raises(ValueError, match=r"missing keys \['2.weight'\]"):
        gio.load_checkpoint(p, model=extra_key)
    two_groups = FakeOptimizer()
    two_groups.param_groups = [{"lr": 0.1, "params": [0]}, {"lr": 0.2, "params": [1]}]
    with pytest.raises(ValueError, match=r"groups of sizes \[2\]; this optimizer has \[1, 1\]"):
        gio.load_checkpoint(p, model=FakeModule(), optimizer=two_groups)
    with pytest.raises(ValueError, match="holds no scheduler state"):
        gio.load_checkpoint(p, model=FakeModule(), scheduler=FakeScheduler())
    loader = DataLoader(np.zeros(5), batch_size=2)
    with pytest.raises(ValueError, match="holds no loader state"):
        gio.load_checkpoint(p, loader=loader)
    assert gu.get_rng_state() == rng
    gio.load_checkpoint(p, restore_rng=False)
    assert gu.get_rng_state() == rng
    plain = tmp_path / "plain.safetensors"
    gu.save({"w": np.zeros(1)}, plain)
    with pytest.raises(gio.SafetensorsError, match="not a groundup checkpoint"):
        gio.load_checkpoint(plain)


def test_checkpoint_save_errors(tmp_path):
    p = tmp_path / "c.safetensors"
    with pytest.raises(TypeError, match="extra.fn is a function"):
        gio.save_checkpoint(p, FakeModule(), extra={"fn": lambda: 0})
    with pytest.raises(TypeError, match="optimizer has no state_dict"):
        gio.save_checkpoint(p, FakeModule(), optimizer=object())
    with pytest.raises(ValueError, match="reserved key '__array__'"):
        gio.save_checkpoint(p, FakeModule(), extra={"__array__": 1})
    with pytest.raises(ValueError, match="both named 'extra.a.b'"):
        gio.save_checkpoint(p, FakeModule(), extra={"a.b": np.zeros(1), "a": {"b": np.ones(1)}})
    assert not p.exists() and tmp_leftovers(tmp_path) == []
    gio.save_checkpoint(p, None, extra={"only": "metadata"})
    assert gio.load_checkpoint(p)["extra"] == {"only": "metadata"}


def test_checkpoint_with_real_module_and_optimizers(tmp_path):
    """gu.nn.Module + gu.optim: a resumed run takes exactly the steps of an uninterrupted one."""

    class Net(gu.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = gu.nn.Parameter(gu.randn(2, 3))
            self.b = gu.nn.Parameter(gu.zeros(3))
            self.register_buffer("count", gu.tensor(np.array(0)))

        def forward(self, x):
            return x * self.w + self.b

    x = gu.tensor(np.random.default_rng(0).standard_normal((2, 3)))

    def step(model, opt):
        opt.zero_grad()
        y = model(x)
        (y * y).backward(gu.ones(2, 3))
        opt.step()

    for make in (lambda ps: gu.optim.Adam(ps, lr=0.01, amsgrad=True),
                 lambda ps: gu.optim.SGD(ps, lr=0.1, momentum=0.9)):
        gu.manual_seed(0)
        model = Net()
        opt = make(model.parameters())
        step(model, opt)
        step(model, opt)
        p = tmp_path / "real.safetensors"
        gio.save_checkpoint(p, model, optimizer=opt, epoch=2)
        assert "model.w" in gu.load(p) and "model.count" in gu.load(p)
        model2 = Net()
        opt2 = make(model2.parameters())
        assert gio.load_checkpoint(p, model=model2, optimizer=opt2)["epoch"] == 2
        assert opt2.state_dict()["param_groups"] == opt.state_dict()["param_groups"]
        step(model, opt)
        step(model2, opt2)
        for a, b in zip(model.parameters(), model2.parameters(), strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy())
        gu.save(model.state_dict(), p)
        assert list(gu.load(p)) == ["w", "b", "count"]
        gu.save(model, p)  # the whole module, rebuilt from an allow-listed class
        with gu.serialization.safe_globals([Net]):
            assert list(gu.load(p).state_dict()) == ["w", "b", "count"]
