"""optim/named.py: NamedOptimizers, several optimizers seen as one."""

import numpy as np
import pytest

import groundup as gu


def _pair():
    gu.manual_seed(0)
    a, b = gu.nn.Linear(3, 2), gu.nn.Linear(2, 1)
    opt = gu.optim.NamedOptimizers(a=gu.optim.Adam(a.parameters(), lr=0.1, betas=(0.5, 0.999)),
                                   b=gu.optim.SGD(b.parameters(), lr=0.2))
    return a, b, opt


def test_each_part_steps_alone_and_schedulers_reach_all():
    a, b, opt = _pair()
    x = gu.randn(4, 3)
    before = b.weight.numpy().copy()
    b(a(x)).sum().backward()
    opt["a"].step()
    np.testing.assert_array_equal(b.weight.numpy(), before)
    assert len(opt.param_groups) == 2
    sched = gu.optim.lr_scheduler.LambdaLR(opt, lambda e: 0.5 ** e)
    sched.step()
    assert opt["a"].param_groups[0]["lr"] == pytest.approx(0.05)
    assert opt["b"].param_groups[0]["lr"] == pytest.approx(0.1)
    with pytest.raises(KeyError, match="holds a, b"):
        opt["c"]


def test_state_dict_round_trip_through_a_checkpoint(tmp_path):
    a, b, opt = _pair()
    model = gu.nn.Sequential(a, b)
    for _ in range(2):
        opt.zero_grad()
        model(gu.randn(4, 3)).sum().backward()
        opt.step()
    gu.io.save_checkpoint(tmp_path / "c.safetensors", model, optimizer=opt)
    a2, b2, opt2 = _pair()
    gu.io.load_checkpoint(tmp_path / "c.safetensors", gu.nn.Sequential(a2, b2), optimizer=opt2)
    sa, sb = opt["a"].state_dict()["state"], opt2["a"].state_dict()["state"]
    np.testing.assert_array_equal(np.asarray(sa[0]["exp_avg"]), np.asarray(sb[0]["exp_avg"]))
    with pytest.raises(ValueError, match="expected the states"):
        opt2.load_state_dict({"optimizers": {"a": opt["a"].state_dict()}})
    with pytest.raises(TypeError, match="Optimizer"):
        gu.optim.NamedOptimizers(a=object())
