"""History: the per-epoch logs of a training run (Keras-like), with CSV and plots.

``history.history`` is a dict of lists, one value per epoch, keyed like the logs
("loss", "accuracy", "val_loss", "val_accuracy", "lr", ...); ``history.epochs``
holds the epoch numbers (counted from 1, as printed). A key that appears only in
some epochs holds nan in the others, so every list has ``len(history)`` values.
"""

import csv
import io
import math
import numbers
import os
from collections import namedtuple

from .metrics import greater_is_better

__all__ = ["History", "Best", "atomic_write_text"]

Best = namedtuple("Best", ["epoch", "value", "logs"])
Best.__doc__ = "The best epoch of a History: its number, the monitored value and all its logs."


def atomic_write_text(path, text):
    """Write `text` to `path` through a temporary file in the same directory, then rename.

    A crash leaves either the old file or the new one, never half of one. The
    parent directory is created if needed.
    """
    from ..io import atomic_open

    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_open(path, "w", what="write") as f:
        f.write(text)
    return path


def csv_text(rows, keys):
    """CSV text with an "epoch" column then `keys`; floats written exactly (repr)."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["epoch"] + list(keys))
    for row in rows:
        writer.writerow([row.get("epoch", "")] + [_cell(row.get(k)) for k in keys])
    return buf.getvalue()


def _cell(value):
    if value is None:
        return ""
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        return repr(float(value))  # exact round trip (and not "np.float64(...)")
    return value


def _parse(value, path, line, column):
    if value == "":
        return math.nan
    try:
        return float(value)
    except ValueError:
        raise ValueError(
            f"{path}: line {line}, column {column!r}: {value!r} is not a number"
        ) from None


class History:
    """Per-epoch logs of a training run.

    Example::

        history = fit(model, loader, loss_fn, optimizer, epochs=10, val_loader=val)
        history["val_loss"]          # list of 10 floats
        history.best("val_accuracy")  # Best(epoch=7, value=0.97, logs={...})
        history.to_csv("runs/history.csv"); history.plot("runs/curves.png")
    """

    def __init__(self, history=None, epochs=None):
        self.history = {k: list(v) for k, v in (history or {}).items()}
        n = len(next(iter(self.history.values()))) if self.history else 0
        for key, values in self.history.items():
            if len(values) != n:
                raise ValueError(
                    f"History: every key needs one value per epoch; {key!r} has {len(values)}, "
                    f"expected {n}"
                )
        self.epochs = list(epochs) if epochs is not None else list(range(1, n + 1))
        if len(self.epochs) != n:
            raise ValueError(f"History: {len(self.epochs)} epoch numbers for {n} epochs of logs")
        self.stop_reason = None

    # ----------------------------------------------------------- recording
    def append(self, epoch, logs):
        """Add one epoch's logs (a dict of numbers); missing keys get nan."""
        n = len(self.epochs)
        for key in logs:
            if key not in self.history:
                self.history[key] = [math.nan] * n
        for key, values in self.history.items():
            value = logs.get(key, math.nan)
            values.append(float(value) if isinstance(value, numbers.Real) else value)
        self.epochs.append(int(epoch))

    def extend(self, other):
        """Append every epoch of another History (e.g. after resuming a run)."""
        for i, epoch in enumerate(other.epochs):
            self.append(epoch, {k: v[i] for k, v in other.history.items()})
        if other.stop_reason is not None:
            self.stop_reason = other.stop_reason
        return self

    # ------------------------------------------------------------- reading
    def __getitem__(self, key):
        try:
            return self.history[key]
        except KeyError:
            raise KeyError(
                f"History has no key {key!r}; it has {', '.join(self.history) or 'no keys'}"
            ) from None

    def __contains__(self, key):
        return key in self.history

    def __len__(self):
        return len(self.epochs)

    def __iter__(self):
        return iter(self.history)

    def keys(self):
        return self.history.keys()

    def items(self):
        return self.history.items()

    def row(self, index):
        """The logs of the epoch at position `index` (negative counts from the end)."""
        return {k: v[index] for k, v in self.history.items()}

    def last(self):
        """The logs of the last epoch (an empty dict before any)."""
        return self.row(-1) if self.epochs else {}

    def best(self, monitor="val_loss", mode="auto"):
        """Best(epoch, value, logs) of the epoch with the best `monitor` value.

        mode "auto" maximises accuracy-like keys (accuracy, f1, r2, top5, ...) and
        minimises the rest (losses, errors); nan epochs are skipped; ties go to the
        earliest epoch.
        """
        values = self[monitor]
        if mode == "auto":
            mode = "max" if greater_is_better(monitor) else "min"
        if mode not in ("min", "max"):
            raise ValueError(f"History.best: mode must be 'min', 'max' or 'auto', got {mode!r}")
        best_i = None
        for i, v in enumerate(values):
            if v is None or v != v:
                continue
            if best_i is None or (v < values[best_i] if mode == "min" else v > values[best_i]):
                best_i = i
        if best_i is None:
            raise ValueError(f"History.best: {monitor!r} has no finite value")
        return Best(self.epochs[best_i], values[best_i], self.row(best_i))

    def __repr__(self):
        return f"History(epochs={len(self)}, keys={list(self.history)})"

    # ----------------------------------------------------------- files
    def to_csv(self, path):
        """Write one row per epoch ("epoch" then every key) atomically; returns the path."""
        rows = [dict(self.row(i), epoch=e) for i, e in enumerate(self.epochs)]
        return atomic_write_text(path, csv_text(rows, list(self.history)))

    @classmethod
    def from_csv(cls, path):
        """Read a History written by `to_csv` or by the CSVLogger callback."""
        path = os.fspath(path)
        with open(path, newline="") as f:
            reader = csv.reader(f)
            try:
                header = next(reader)
            except StopIteration:
                raise ValueError(f"{path}: empty file, expected a CSV header") from None
            if not header or header[0] != "epoch":
                raise ValueError(f"{path}: the first column must be 'epoch', got {header[:1]}")
            keys = header[1:]
            history = cls({k: [] for k in keys})
            for line, cells in enumerate(reader, start=2):
                if not cells:
                    continue
                if len(cells) != len(header):
                    raise ValueError(
                        f"{path}: line {line} has {len(cells)} cells, the header has {len(header)}"
                    )
                epoch = _parse(cells[0], path, line, "epoch")
                for key, cell in zip(keys, cells[1:], strict=True):
                    history.history[key].append(_parse(cell, path, line, key))
                history.epochs.append(int(epoch))
        return history

    def plot(self, path, **kwargs):
        """Learning curves (loss and each metric, train vs val) as a PNG; returns the path."""
        from ..viz import plot_history

        return plot_history(self, path, **kwargs)
