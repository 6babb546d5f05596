"""Progress reporting for fit: a per-batch tqdm bar on terminals, one line per epoch always.

The summary line goes to stdout, so CI logs stay readable:

    epoch  3/10  loss 0.1234  accuracy 0.9612  val_loss 0.1456  val_accuracy 0.9550
    lr 1.0e-03  4,210 samples/s  0.8s          (all on one line)

The bar (running loss, running value of the first metric, samples/s) is drawn on
stderr only when stderr is a terminal and tqdm is installed; tqdm is imported only
then. Its text is refreshed at most every `min_interval` seconds, so drawing it
costs next to nothing per batch.
"""

import math
import sys
import time

import numpy as np

from .callbacks import Callback

__all__ = ["ProgressBar", "format_summary", "format_value"]


def format_value(value):
    """A log value with 4 decimals, or 4 significant digits in e-notation when tiny/huge."""
    if value is None:
        return "-"
    value = float(value)
    if not math.isfinite(value):
        return str(value)
    if value != 0 and (abs(value) < 1e-3 or abs(value) >= 1e5):
        return f"{value:.3e}"
    return f"{value:.4f}"


def format_seconds(seconds):
    """12ms, 0.8s, 1m23s, 3h02m."""
    if seconds < 0.1:
        return f"{seconds * 1000:.0f}ms"
    if seconds < 60:
        return f"{seconds:.1f}s"
    minutes, sec = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{sec:02d}s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m"


def format_summary(epoch, epochs, logs, samples_per_second=None, seconds=None):
    """The one-line epoch summary, e.g. "epoch 3/10  loss 0.1234  ...  lr 1.0e-03  0.8s".

    Every log key is shown in order, then lr, throughput and the epoch's wall time.
    """
    width = len(str(epochs)) if epochs else 0
    parts = [f"epoch {epoch:>{width}d}/{epochs}" if epochs else f"epoch {epoch}"]
    for key, value in logs.items():
        if key == "lr":
            continue
        parts.append(f"{key} {format_value(value)}")
    if "lr" in logs:
        parts.append(f"lr {float(logs['lr']):.1e}")
    if samples_per_second is not None and math.isfinite(samples_per_second):
        parts.append(f"{int(round(samples_per_second)):,} samples/s")
    if seconds is not None:
        parts.append(format_seconds(seconds))
    return "  ".join(parts)


def _stderr_is_terminal():
    try:
        return sys.stderr.isatty()
    except (AttributeError, ValueError):
        return False


class ProgressBar(Callback):
    """The fit progress callback (added by ``fit(progress=True)``).

    bar: None draws a tqdm bar when stderr is a terminal; True/False force it.
    summary: print the per-epoch line to stdout. min_interval: seconds between bar
    text updates (the loop is not slowed by formatting every batch).
    """

    rank_zero_only = True  # under several ranks only rank 0 runs it (fit, replicas.py)

    def __init__(self, bar=None, summary=True, min_interval=0.1):
        self.bar_wanted = bar
        self.summary = summary
        self.min_interval = min_interval
        self.bar = None
        self._tqdm = None

    def on_train_begin(self, state):
        self._tqdm = None
        wanted = _stderr_is_terminal() if self.bar_wanted is None else self.bar_wanted
        if wanted:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            self._tqdm = tqdm

    def on_epoch_begin(self, state):
        self.epoch_start = time.perf_counter()
        self._last_update = 0.0
        self._seen = 0
        self._loss_sum = 0.0
        self._metric_sum = 0.0
        self._metric_seen = 0
        self._scored = 0
        if self._tqdm is not None:
            desc = f"epoch {state.epoch}/{state.epochs}" if state.epochs else f"epoch {state.epoch}"
            self.bar = self._tqdm(total=state.num_batches, desc=desc, unit="batch", leave=False,
                                  file=sys.stderr, dynamic_ncols=True,
                                  mininterval=self.min_interval)

    def on_batch_end(self, state):
        if self.bar is None:
            return
        n = state.batch_logs.get("size", 0)
        self._seen += n
        self._loss_sum += state.batch_logs.get("loss", math.nan) * n
        # to the batch's number: an epoch resumed halfway starts where it stopped
        self.bar.update(state.batch - getattr(self.bar, "n", state.batch - 1))
        now = time.perf_counter()
        if now - self._last_update >= self.min_interval or state.batch == state.num_batches:
            self._last_update = now
            text = f"loss {format_value(self._loss_sum / max(self._seen, 1))}"
            metric = self._running_metric(state)
            if metric is not None:
                text += f"  {state.metric_fns[0][0]} {format_value(metric)}"
            rate = self._seen / max(now - self.epoch_start, 1e-9)
            text += f"  {int(round(rate)):,} samples/s"
            self.bar.set_postfix_str(text, refresh=True)

    def _running_metric(self, state):
        """The first metric over the epoch so far, updated only when the bar is redrawn.

        The batches since the last redraw are scored together and folded into a
        sample-weighted mean (exact for accuracy-like metrics, close for F1), so the
        cost per epoch stays one pass over the outputs.
        """
        outputs, targets = state.epoch_outputs, state.epoch_targets
        if not state.metric_fns or not outputs or len(outputs) <= self._scored:
            return self._metric_sum / self._metric_seen if self._metric_seen else None
        new_out = outputs[self._scored:]
        new_tgt = targets[self._scored:]
        self._scored = len(outputs)
        try:
            y_pred = np.concatenate(new_out) if len(new_out) > 1 else new_out[0]
            y_true = np.concatenate(new_tgt) if len(new_tgt) > 1 else new_tgt[0]
            value = float(state.metric_fns[0][1](y_true, y_pred))
        except Exception:  # a metric that cannot score part of an epoch: show the loss only
            value = math.nan
        if math.isfinite(value):
            self._metric_sum += value * len(y_true)
            self._metric_seen += len(y_true)
        return self._metric_sum / self._metric_seen if self._metric_seen else None

    def _close_bar(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def on_epoch_end(self, state):
        self._close_bar()
        if self.summary:
            seconds = time.perf_counter() - self.epoch_start
            # samples trained in this process (an epoch resumed halfway counts its second half)
            samples = getattr(state, "timed_samples", 0) or state.epoch_samples
            rate = samples / state.train_seconds if state.train_seconds > 0 else None
            line = format_summary(state.epoch, state.epochs, state.logs, rate, seconds)
            print(line, file=sys.stdout, flush=True)

    def on_train_end(self, state):
        self._close_bar()
        if self.summary and state.stop_reason:
            print(state.stop_reason, file=sys.stdout, flush=True)
