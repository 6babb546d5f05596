"""What fit, evaluate and predict make of loader output: bad batches, losses, outputs."""

import helpers
import pytest

import groundup as gu
from groundup import nn
from groundup.train import evaluate, fit


def blobs(n=8, seed=0, classes=3):
    return helpers.blobs(n, seed, classes)


def loader(X, y, batch_size=16):
    return gu.data.DataLoader(gu.data.TensorDataset(X, y), batch_size=batch_size)


def mlp(seed=0):
    gu.manual_seed(seed)
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 3))


class TwoOutputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(2, 3)

    def forward(self, x):
        out = self.linear(x)
        return out, out


def test_clear_errors():
    X, y = blobs(8)
    model = mlp()
    opt = gu.optim.SGD(model.parameters(), lr=0.1)
    ce = nn.CrossEntropyLoss()
    with pytest.raises(ValueError, match="no batches"):
        fit(model, [], ce, opt, progress=False)
    with pytest.raises(ValueError, match=r"single number.*shape \(8,\)"):
        fit(model, loader(X, y, batch_size=8), nn.CrossEntropyLoss(reduction="none"), opt,
            progress=False)
    with pytest.raises(TypeError, match=r"\(inputs, targets\)"):
        fit(model, [gu.tensor(X)], ce, opt, progress=False)
    with pytest.raises(TypeError, match="dict"):
        fit(model, [{"x": X, "y": y}], ce, opt, progress=False)
    with pytest.raises(TypeError, match="train_loader must yield batches"):
        fit(model, (X, y), ce, opt, progress=False)
    two = TwoOutputs()
    with pytest.raises(TypeError, match="one Tensor"):
        evaluate(two, loader(X, y), metrics=("accuracy",))
