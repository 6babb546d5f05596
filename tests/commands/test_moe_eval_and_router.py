"""`groundup eval` on a mixture-of-experts run (accuracy and the cross-entropy it trains
with), and a gpt whose feed-forward layers are MixtureOfExperts (`--moe N`) exposing its
router probabilities."""

import numpy as np

import groundup as gu
from groundup import nn
from groundup.commands.runs import load_run
from groundup.data import spec as data_spec


def test_eval_of_a_moe_run_reports_accuracy_and_cross_entropy(tmp_path, gu_main):
    run = tmp_path / "moe"
    gu_main("train", "moe", "--epochs", "3", "--out", run, "--no-progress")
    line = next(x for x in gu_main("eval", run).stdout.splitlines()
                if x.startswith("spirals (test split)"))
    accuracy = float(line.split("accuracy ")[1].split()[0])
    loss = float(line.split(" loss ")[1].split()[0])
    path, kind, meta, model, info = load_run(str(run), None)
    split = data_spec.load("spirals", seed=0, val_split=0.1)
    model.eval()
    with gu.no_grad():
        logits = model(gu.tensor(data_spec.apply_scaling(split.X_test, info["scaling"])))
    z = logits.numpy().astype(np.float64)
    z -= z.max(1, keepdims=True)
    ce = -(z[np.arange(len(z)), split.y_test] - np.log(np.exp(z).sum(1))).mean()
    assert abs(loss - ce) < 1e-3, (line, ce)
    assert abs(accuracy - (z.argmax(1) == split.y_test).mean()) < 1e-3


def test_gpt_feed_forward_mixture_returns_its_router_probabilities():
    gu.manual_seed(0)
    model = gu.models.build("gpt", vocab_size=12, width=16, layers=2, heads=2, context=16,
                            moe=4)
    mixtures = [m for m in model.modules() if isinstance(m, nn.MixtureOfExperts)]
    assert len(mixtures) == 2
    ids = gu.tensor(np.tile(np.arange(12), (3, 1))[:, :10])
    with gu.no_grad():
        model(ids)
    for moe in mixtures:
        probs = moe.router_probs.numpy()
        assert probs.shape[-1] == 4 and probs.size == 3 * 10 * 4
        assert probs.min() >= 0
        np.testing.assert_allclose(probs.reshape(-1, 4).sum(1), 1.0, rtol=1e-5)
        assert not moe.router_probs.requires_grad
