"""A real `groundup train` process killed at random points, then resumed.

SIGINT (Ctrl-C) and SIGTERM: the process saves where it stopped and exits with 130 / 143;
`--resume` then ends with exactly the weights and history of an uninterrupted run. SIGKILL
(no chance to save): the checkpoint on disk holds at least every epoch the process had
reported as done, so at most the epoch in progress is lost, and resuming still ends bit
for bit where the uninterrupted run does. In every case the folder holds one run's files.

The kill points are drawn from a seeded generator (printed in every failure message), as
"after the line of epoch K, plus a fraction of an epoch".
"""

import os
import random
import signal
import subprocess
import time

import pytest

from .conftest import command, environment
from .support import assert_same_weights, history_epochs

EPOCHS = 8
# digits, a small mlp, batches of 16: about 80 batches and 30 ms per epoch; --threads 1 so
# that every process computes the same floating-point sums
ARGS = ["train", "mlp", "--hidden", "32", "--batch-size", "16", "--epochs", EPOCHS,
        "--threads", "1", "--save-every", "20", "--no-progress"]
SEED = 1234
RUN_FILES = {"last.safetensors", "best.safetensors", "config.json", "history.csv", "curves.png",
             "confusion.png"}


def _start(out):
    return subprocess.Popen(command() + [str(a) for a in ARGS] + ["--out", str(out)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=environment())


def _kill_after(proc, epoch, fraction, sig):
    """Send `sig` once the line of `epoch` is printed, plus `fraction` of an epoch's time;
    returns (stdout lines read, the last epoch reported before the signal)."""
    lines, last, started = [], 0, None
    for line in proc.stdout:
        lines.append(line)
        if line.startswith("epoch "):
            last = int(line.split()[1].split("/")[0])
            started = started or time.perf_counter()
            if last >= epoch:
                per_epoch = (time.perf_counter() - started) / max(last, 1)
                time.sleep(fraction * per_epoch)
                proc.send_signal(sig)
                break
    return lines, last


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("kill") / "straight"
    proc = _start(out)
    stdout, stderr = proc.communicate(timeout=120)
    assert proc.returncode == 0, stderr
    return out


def _plan(case):
    rng = random.Random(f"{SEED}-{case}")
    return rng.randint(1, EPOCHS - 2), rng.random()


@pytest.mark.parametrize("case, sig", [(0, signal.SIGINT), (1, signal.SIGTERM),
                                       (2, signal.SIGKILL), (3, signal.SIGKILL)])
def test_killed_training_resumes_to_the_uninterrupted_result(reference, tmp_path, case, sig):
    epoch, fraction = _plan(case)
    why = f"(seed {SEED}, case {case}: {sig.name} after epoch {epoch} + {fraction:.2f} epoch)"
    out = tmp_path / "run"
    proc = _start(out)
    _, reported = _kill_after(proc, epoch, fraction, sig)
    _, stderr = proc.communicate(timeout=120)
    if proc.returncode == 0:  # finished before the signal arrived: nothing to resume
        assert_same_weights(out / "last.safetensors", reference / "last.safetensors")
        return
    import groundup as gu

    saved = gu.io.load_metadata(out / "last.safetensors")
    if sig == signal.SIGKILL:
        assert proc.returncode == -signal.SIGKILL, why
        assert saved["epoch"] >= reported, f"the epochs reported done were lost {why}"
    else:
        assert proc.returncode == 128 + sig, f"{why}\n{stderr}"
        assert f"interrupted ({sig.name})" in stderr and "--resume" in stderr, stderr
        assert saved["extra"]["status"] == "interrupted", why
        assert saved["epoch"] >= reported, why
    # the history never runs ahead of the checkpoint by more than the epoch being written
    assert history_epochs(out)[-1] <= saved["epoch"] + 1, why
    resumed = subprocess.run(command() + ["train", "--resume", str(out), "--no-progress"],
                             capture_output=True, text=True, env=environment(), timeout=120)
    assert resumed.returncode == 0, f"{why}\n{resumed.stdout}\n{resumed.stderr}"
    assert_same_weights(out / "last.safetensors", reference / "last.safetensors")
    assert_same_weights(out / "best.safetensors", reference / "best.safetensors")
    assert history_epochs(out) == list(range(1, EPOCHS + 1)), why
    assert (out / "history.csv").read_text() == (reference / "history.csv").read_text(), why
    assert set(os.listdir(out)) == RUN_FILES, f"{sorted(os.listdir(out))} {why}"
