"""Stopping training cleanly on Ctrl-C or a termination request.

GracefulInterrupt is a callback that, while `fit` runs, turns SIGINT (Ctrl-C) and
SIGTERM (what `kill` and most job schedulers send) into a request: the batch that
is running finishes, then `fit` raises TrainingInterrupted instead of being killed
halfway through an update. A ResumableCheckpoint in the same fit saves the state
at that batch first (in its on_train_end), so nothing done is lost:

    try:
        fit(model, loader, loss_fn, optimizer, epochs=40,
            callbacks=[ResumableCheckpoint("run/last.safetensors"), GracefulInterrupt()])
    except TrainingInterrupted as e:
        sys.exit(e.exit_status)          # 130 for SIGINT, 143 for SIGTERM, as shells expect

A second signal while the first is being handled stops at once (KeyboardInterrupt
for SIGINT, SystemExit for SIGTERM). The handlers are installed only in the main
thread and the previous ones are put back when training ends.
"""

import signal
import threading

from .callback_base import Callback

__all__ = ["TrainingInterrupted", "GracefulInterrupt"]


class TrainingInterrupted(Exception):
    """fit stopped between two batches because a callback set state.interrupted.

    Attributes: reason ("SIGINT", "SIGTERM", or what the callback set), epoch, batch
    (None when it stopped between epochs), exit_status (128 + the signal number for
    a signal, else 1) and history (the epochs completed).
    """

    def __init__(self, message, reason=None, epoch=None, batch=None):
        super().__init__(message)
        self.reason, self.epoch, self.batch = reason, epoch, batch
        self.history = None

    @property
    def exit_status(self):
        number = getattr(signal.Signals, str(self.reason), None)
        return 128 + int(number) if number is not None else 1


class GracefulInterrupt(Callback):
    """Make SIGINT and SIGTERM stop `fit` after the current batch (see the module docstring).

    signals: the signals to handle (names or numbers). Attribute `received`: the name of
    the signal that stopped training, or None.
    """

    def __init__(self, signals=("SIGINT", "SIGTERM")):
        self.signals = [signal.Signals[s] if isinstance(s, str) else signal.Signals(s)
                        for s in signals]
        self.received = None
        self._previous = {}
        self._state = None

    def on_train_begin(self, state):
        self.received = None
        self._state = state
        if threading.current_thread() is not threading.main_thread():
            return  # signal handlers can only be set from the main thread
        for sig in self.signals:
            self._previous[sig] = signal.signal(sig, self._handle)

    def _handle(self, signum, frame):
        name = signal.Signals(signum).name
        if self.received is not None:  # asked twice: stop now
            if signum == signal.SIGINT:
                raise KeyboardInterrupt
            raise SystemExit(128 + signum)
        self.received = name
        if self._state is not None:
            self._state.interrupted = name

    def on_train_end(self, state):
        for sig, previous in self._previous.items():
            signal.signal(sig, previous if previous is not None else signal.SIG_DFL)
        self._previous = {}
        self._state = None
