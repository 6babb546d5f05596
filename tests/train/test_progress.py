"""Progress output: one summary line per epoch on stdout, a tqdm bar only on terminals."""

import os
import subprocess
import sys

import numpy as np
import pytest

import groundup as gu
from groundup import nn
from groundup.train import EarlyStopping, LambdaCallback, ProgressBar, fit
from groundup.train.progress import format_seconds, format_summary, format_value


def problem(n=24, batch_size=8):
    rng = np.random.default_rng(0)
    y = np.arange(n) % 2
    X = (np.array([[-2.0, 0.0], [2.0, 0.0]])[y] + rng.standard_normal((n, 2))).astype(np.float32)
    gu.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 4), nn.ReLU(), nn.Linear(4, 2))
    data = gu.data.DataLoader(gu.data.TensorDataset(X, y), batch_size=batch_size)
    return model, data, gu.optim.SGD(model.parameters(), lr=0.1)


def test_format_helpers():
    assert format_value(0.123456) == "0.1235"
    assert format_value(12.5) == "12.5000"
    assert format_value(0.0) == "0.0000"
    assert format_value(1.5e-5) == "1.500e-05"
    assert format_value(123456.0) == "1.235e+05"
    assert format_value(float("nan")) == "nan"
    assert format_seconds(0.012) == "12ms"
    assert format_seconds(0.84) == "0.8s"
    assert format_seconds(83) == "1m23s"
    assert format_seconds(3 * 3600 + 120) == "3h02m"
    line = format_summary(3, 10, {"loss": 0.12341, "acc": 0.96123, "val_loss": 0.14562,
                                  "val_acc": 0.955, "lr": 1e-3}, 4210.4, 0.84)
    assert line == ("epoch  3/10  loss 0.1234  acc 0.9612  val_loss 0.1456  val_acc 0.9550  "
                    "lr 1.0e-03  4,210 samples/s  0.8s")
    assert format_summary(1, 1, {"loss": 1.0}) == "epoch 1/1  loss 1.0000"


def test_one_summary_line_per_epoch_on_stdout(capsys):
    model, data, opt = problem()
    fit(model, data, nn.CrossEntropyLoss(), opt, epochs=3, val_loader=data, progress=True)
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert len(lines) == 3
    for i, line in enumerate(lines, 1):
        assert line.startswith(f"epoch {i}/3  loss ")
        for part in ("  accuracy ", "  val_loss ", "  val_accuracy ", "  lr 1.0e-01  ",
                     " samples/s  "):
            assert part in line, (part, line)
        assert line.endswith("s")  # the epoch time
    assert err == ""  # stderr is not a terminal under capsys: no bar


def test_progress_false_prints_nothing(capsys):
    model, data, opt = problem()
    fit(model, data, nn.CrossEntropyLoss(), opt, epochs=2, val_loader=data,
        callbacks=[EarlyStopping(monitor="loss", patience=0, mode="max")], progress=False)
    assert capsys.readouterr() == ("", "")


def test_stop_reason_is_printed(capsys):
    model, data, opt = problem()
    fit(model, data, nn.CrossEntropyLoss(), opt, epochs=5,
        callbacks=[EarlyStopping(monitor="loss", patience=1, mode="max")], progress=True)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3  # epochs 1 and 2, then the reason
    assert lines[-1].startswith("early stopping at epoch 2: loss did not improve for 1 epoch (best")


def test_forced_bar_shows_loss_metric_and_throughput(capsys):
    model, data, opt = problem(n=32, batch_size=4)
    bar = ProgressBar(bar=True, min_interval=0.0)
    fit(model, data, nn.CrossEntropyLoss(), opt, epochs=1, progress=bar)
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 1
    assert "epoch 1/1" in err and "8/8" in err
    assert "loss " in err and "accuracy " in err and "samples/s" in err


def test_running_metric_is_sample_weighted():
    model, data, opt = problem(n=10, batch_size=4)
    bar = ProgressBar(bar=True, summary=False, min_interval=0.0)
    seen = {}

    def spy(state):
        seen[state.batch] = (bar._metric_sum, bar._metric_seen)

    fit(model, data, nn.CrossEntropyLoss(), opt, epochs=1, progress=bar,
        callbacks=[LambdaCallback(on_batch_end=spy)])
    assert [seen[b][1] for b in (1, 2)] == [0, 4]  # the spy runs before the bar's own update
    assert bar._metric_seen == 10


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX pipes")
def test_tqdm_and_matplotlib_are_not_imported_without_a_terminal(tmp_path):
    code = (
        "import sys, numpy as np, groundup as gu\n"
        "from groundup import nn\n"
        "import groundup.train, groundup.viz\n"
        "assert 'tqdm' not in sys.modules and 'matplotlib' not in sys.modules\n"
        "X = np.random.default_rng(0).standard_normal((8, 2)).astype(np.float32)\n"
        "y = np.arange(8) % 2\n"
        "m = nn.Linear(2, 2)\n"
        "d = gu.data.DataLoader(gu.data.TensorDataset(X, y), batch_size=4)\n"
        "gu.train.fit(m, d, nn.CrossEntropyLoss(), gu.optim.SGD(m.parameters(), lr=0.1))\n"
        "assert 'tqdm' not in sys.modules, 'tqdm imported'\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
    )
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env=env, timeout=60, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("epoch 1/1  loss ")
