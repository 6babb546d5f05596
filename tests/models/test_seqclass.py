"""models/seqclass.py: images read row by row by a recurrent network, then classified."""

import numpy as np
import pytest

import groundup as gu
from groundup.models.seqclass import SeqClassConfig, SeqClassifier


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_rows_are_the_steps(cell):
    gu.manual_seed(0)
    model = SeqClassifier(SeqClassConfig(input_shape=[1, 6, 5], num_classes=3, hidden=[7, 4],
                                         cell=cell))
    x = gu.tensor(np.random.default_rng(0).normal(size=(2, 1, 6, 5)))
    assert model(x).shape == (2, 3)
    # the image (N, 1, H, W) is the sequence (N, H, W): the same model on [H, W] sequences
    seq = SeqClassifier(SeqClassConfig(input_shape=[6, 5], num_classes=3, hidden=[7, 4],
                                       cell=cell))
    seq.load_state_dict(model.state_dict())
    np.testing.assert_allclose(seq(x.reshape(2, 6, 5)).array, model(x).array, rtol=1e-6)
    assert [r.hidden_size for r in model.rnns] == [7, 4]


def test_channels_join_each_row():
    model = SeqClassifier(SeqClassConfig(input_shape=[3, 4, 5], num_classes=2, hidden=8))
    assert model.rnns[0].input_size == 15 and model(gu.zeros(2, 3, 4, 5)).shape == (2, 2)


@pytest.mark.parametrize("overrides,fragment", [
    ({"input_shape": [64]}, "input_shape must be"),
    ({"hidden": []}, "hidden must be"),
    ({"cell": "rnn"}, "unknown cell"),
    ({"dropout": 1.0}, "dropout"),
])
def test_bad_config_is_refused(overrides, fragment):
    with pytest.raises(ValueError, match=fragment):
        SeqClassifier(SeqClassConfig(**overrides))


def test_wrong_input_shape_is_named():
    model = SeqClassifier(SeqClassConfig())
    with pytest.raises(ValueError, match=r"SeqClassifier: expected input \(N, 1, 8, 8\)"):
        model(gu.zeros(2, 64))


def test_learns_digits_read_row_by_row():
    """A few hundred steps on the bundled digits (8 rows of 8 pixels): well above the 10%
    of chance on the test images."""
    from groundup.data.datasets import load_digits

    gu.manual_seed(0)
    X, y = load_digits(split="train")
    Xt, yt = load_digits(split="test")
    X, Xt = X.reshape(-1, 1, 8, 8), Xt.reshape(-1, 1, 8, 8)
    model = SeqClassifier(SeqClassConfig(hidden=[48]))
    opt = gu.optim.Adam(model.parameters(), lr=5e-3)
    loader = gu.data.DataLoader(gu.data.TensorDataset(X, y), batch_size=64, shuffle=True,
                                seed=0)
    gu.train.fit(model, loader, gu.nn.functional.cross_entropy, opt, epochs=10, metrics=(),
                 progress=False, clip_grad_norm=1.0)
    model.eval()
    with gu.no_grad():
        accuracy = (model(gu.tensor(Xt)).array.argmax(1) == yt).mean()
    assert accuracy > 0.85, accuracy


def test_registered_with_a_clipping_recipe():
    from groundup.models import recipes, registry

    model = registry.build("seqclass", input_shape=[1, 28, 28], hidden=[16])
    assert model(gu.zeros(2, 1, 28, 28)).shape == (2, 10)  # MNIST-sized: 28 steps of 28
    assert recipes.get("seqclass").grad_clip is not None
