"""The benchmarks' floors compute what they stand for."""

import os
import sys

import numpy as np
import pytest

import groundup as gu

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "benchmarks"))

import bench_train  # noqa: E402


@pytest.mark.parametrize("fold", [False, True])
def test_the_sgd_step_by_hand_is_groundups_sgd_step(fold):
    """bench_train's floor "SGD by hand in NumPy" (and its variant with the update folded
    into the weight-gradient GEMMs) makes the same update as gu.optim.SGD."""
    weights, batches = bench_train._data(np)
    by_hand = {k: v.copy() for k, v in weights.items()}
    step = bench_train._numpy_sgd(np, by_hand, batches, fold=fold)
    nn = gu.nn
    model = nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 256), nn.ReLU(),
                          nn.Linear(256, 10))
    model.load_state_dict({k: gu.tensor(v) for k, v in weights.items()})
    optimizer = gu.optim.SGD(model.parameters(), lr=0.01)
    for i in range(3):
        step(i)
        x, y = batches[i]
        loss = nn.functional.cross_entropy(model(gu.tensor(x)), gu.tensor(y))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    for k, v in model.state_dict().items():
        np.testing.assert_allclose(by_hand[k], np.asarray(v), rtol=0, atol=1e-6, err_msg=k)
        assert not np.array_equal(by_hand[k], weights[k]), k  # the step did change it
