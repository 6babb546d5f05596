"""GracefulInterrupt: Ctrl-C / SIGTERM stop fit after the current batch, with a last save."""

import os
import signal

import pytest

import groundup as gu
from groundup import nn
from groundup.train import (
    Callback,
    GracefulInterrupt,
    ResumableCheckpoint,
    TrainingInterrupted,
    fit,
)


class SendSignal(Callback):
    def __init__(self, sig, batch):
        self.sig, self.at = sig, batch

    def on_batch_begin(self, state):
        if state.epoch == 2 and state.batch == self.at:
            os.kill(os.getpid(), self.sig)  # arrives inside the batch


@pytest.mark.parametrize("sig, status", [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_finishes_the_batch_saves_and_raises(tmp_path, sig, status):
    X, y = gu.data.datasets.blobs(n=64, seed=0)
    gu.manual_seed(0)
    model = nn.Linear(2, 3)
    opt = gu.optim.SGD(model.parameters(), lr=0.1)
    loader = gu.data.DataLoader(gu.data.TensorDataset(X, y), batch_size=8, shuffle=True, seed=0)
    before = signal.getsignal(sig)
    ckpt = ResumableCheckpoint(tmp_path / "last.safetensors", monitor=None)
    handler = GracefulInterrupt()
    with pytest.raises(TrainingInterrupted) as info:
        fit(model, loader, nn.CrossEntropyLoss(), opt, epochs=4, progress=False,
            callbacks=[handler, SendSignal(sig, 3), ckpt])
    e = info.value
    assert (e.reason, e.epoch, e.batch, e.exit_status) == (sig.name, 2, 3, status)
    assert handler.received == sig.name and signal.getsignal(sig) is before  # put back
    meta = gu.io.load_metadata(tmp_path / "last.safetensors")
    assert meta["extra"]["fit"]["batch"] == 3 and meta["epoch"] == 1


def test_a_second_signal_stops_at_once():
    handler = GracefulInterrupt()
    handler._handle(signal.SIGTERM, None)
    assert handler.received == "SIGTERM"
    with pytest.raises(KeyboardInterrupt):
        handler._handle(signal.SIGINT, None)
    with pytest.raises(SystemExit):
        handler._handle(signal.SIGTERM, None)
