"""Metrics over whole epochs: classification and regression scores on arrays or Tensors.

Convention: every metric takes ``(y_true, y_pred)`` in that order, as scikit-learn
and Keras do, accepts NumPy arrays, Tensors or lists, and returns a Python float
(`confusion_matrix` returns an int64 array). `fit` calls ``fn(y_true, y_pred)`` with
the targets and the raw model outputs of a whole epoch, so a custom metric follows
the same order.

How predictions become class labels (`predicted_labels`):

- integer or bool predictions are labels already;
- float scores with one more axis than the targets are per-class scores (logits or
  probabilities alike): the label is the argmax over the class axis, which is
  axis 1 for (N, C, d1, ...) against targets (N, d1, ...) and the last axis for
  (..., C) against targets (...);
- float scores of the targets' shape, or (N, 1) against (N,), are binary scores:
  label 1 where the score exceeds `threshold`. With ``threshold=None`` scores that
  all lie in [0, 1] are read as probabilities (threshold 0.5) and any others as
  logits (threshold 0). A logit output can happen to lie in [0, 1], so pass
  ``threshold=0.0`` for logits (fit does this itself when the loss is
  BCEWithLogitsLoss);
- one-hot or probability targets (N, C) (rows summing to 1) with scores (N, C)
  compare argmaxes; other 0/1 targets of the scores' shape are multi-label and
  are compared element by element.

Float targets must hold whole numbers (0.0/1.0 from a BCE data set are fine);
others raise a clear error that suggests a regression metric.
"""

import math
import re
from functools import partial

import numpy as np

from ..tensor import Tensor

__all__ = [
    "accuracy", "top_k_accuracy", "precision", "recall", "f1", "confusion_matrix",
    "mse", "rmse", "mae", "r2", "predicted_labels", "METRICS", "get_metric",
    "resolve_metrics", "greater_is_better",
]


def _array(x, what, metric):
    """`x` as a NumPy array of numbers (Tensors are moved to the CPU)."""
    if isinstance(x, Tensor):
        x = x.numpy()
    elif not isinstance(x, np.ndarray):
        if hasattr(x, "get") and type(x).__module__.startswith("cupy"):
            x = x.get()
        x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"{metric}: {what} must be numbers, got an array of dtype {x.dtype}")
    return x


def _class_axis(p_shape, t_shape):
    """The class axis of scores `p_shape` against label targets `t_shape`, or None."""
    if len(p_shape) != len(t_shape) + 1:
        return None
    if len(p_shape) > 2 and p_shape[0] == t_shape[0] and p_shape[2:] == t_shape[1:]:
        return 1
    if p_shape[:-1] == t_shape:
        return len(p_shape) - 1
    return None


def _is_distribution(t):
    """Whether float targets (..., C) are one-hot or class probabilities (rows sum to 1)."""
    if t.dtype.kind != "f" or t.ndim < 2 or t.shape[-1] < 2 or not t.size:
        return False
    return bool(np.all(t >= 0) and np.allclose(t.sum(axis=-1), 1.0, atol=1e-4))


def _binary_labels(scores, threshold):
    if threshold is None:
        lo, hi = (float(scores.min()), float(scores.max())) if scores.size else (0.0, 1.0)
        threshold = 0.5 if lo >= 0.0 and hi <= 1.0 else 0.0
    return (scores > threshold).astype(np.int64)


def _target_labels(t, metric):
    if t.dtype.kind == "f":
        if t.size and not np.array_equal(t, np.round(t)):
            bad = t[t != np.round(t)].flat[0]
            raise ValueError(
                f"{metric}: targets are not class labels (found the non-integer value {bad:g}); "
                f"for a regression model use a regression metric such as 'mse' or 'mae', or "
                f"pass metrics=()"
            )
    return t.astype(np.int64, copy=False)


def predicted_labels(y_true, y_pred, threshold=None, metric="predicted_labels"):
    """(true labels, predicted labels) as flat int64 arrays of equal length.

    See the module docstring for how scores become labels.
    """
    t = _array(y_true, "y_true", metric)
    p = _array(y_pred, "y_pred", metric)
    if p.dtype.kind in "biu":
        if p.ndim == t.ndim + 1 and p.shape[-1] == 1:
            p = p.reshape(p.shape[:-1])
        p_labels = p.astype(np.int64, copy=False)
    else:
        axis = _class_axis(p.shape, t.shape)
        if axis is not None:
            p_labels = p.argmax(axis=axis)
        elif p.shape == t.shape and _is_distribution(t):
            return t.argmax(axis=-1).ravel(), p.argmax(axis=-1).ravel()  # one-hot targets
        elif p.shape == t.shape or (p.ndim == t.ndim + 1 and p.shape[-1] == 1):
            p_labels = _binary_labels(p.reshape(t.shape), threshold)
        elif t.ndim == p.ndim + 1 and t.shape[-1] == 1 and t.shape[:-1] == p.shape:
            p_labels = _binary_labels(p, threshold)
            t = t.reshape(p.shape)
        else:
            raise ValueError(
                f"{metric}: cannot match predictions of shape {p.shape} to targets of shape "
                f"{t.shape}; expected scores (N, C) with targets (N,), or binary scores (N,) "
                f"or (N, 1). Metrics take (y_true, y_pred) in that order"
            )
    t_labels = _target_labels(t, metric)
    if t_labels.shape != p_labels.shape:
        if t_labels.size == p_labels.size and t_labels.squeeze().shape == p_labels.squeeze().shape:
            t_labels = t_labels.reshape(p_labels.shape)
        else:
            raise ValueError(
                f"{metric}: predictions give labels of shape {p_labels.shape} but the targets "
                f"have shape {t_labels.shape}. Metrics take (y_true, y_pred) in that order"
            )
    return t_labels.ravel(), p_labels.ravel()


# ---------------------------------------------------------------- classification
def accuracy(y_true, y_pred, threshold=None):
    """Fraction of samples whose predicted label equals the true label.

    y_pred: scores (N, C) (logits or probabilities: argmax), labels (N,), or binary
    scores (N,) / (N, 1) thresholded at `threshold` (None: 0.5 when every score is in
    [0, 1], else 0). Returns nan for no samples.
    """
    t, p = predicted_labels(y_true, y_pred, threshold, "accuracy")
    return float((t == p).mean()) if t.size else math.nan


def top_k_accuracy(y_true, y_pred, k=5):
    """Fraction of samples whose true class is among the k highest scores.

    y_pred: scores (N, C) (or (N, C, d1, ...) against targets (N, d1, ...)).
    A class tied with the true class's score does not push it out: the true class
    counts as in the top k when fewer than k classes score strictly higher.
    """
    t = _array(y_true, "y_true", "top_k_accuracy")
    p = _array(y_pred, "y_pred", "top_k_accuracy")
    axis = _class_axis(p.shape, t.shape)
    if axis is None or p.dtype.kind != "f":
        raise ValueError(
            f"top_k_accuracy: needs float scores with a class axis, e.g. (N, C) with targets "
            f"(N,); got predictions {p.shape} {p.dtype} and targets {t.shape}"
        )
    if int(k) < 1:
        raise ValueError(f"top_k_accuracy: k must be at least 1, got {k}")
    t = _target_labels(t, "top_k_accuracy")
    num_classes = p.shape[axis]
    if t.size and (t.min() < 0 or t.max() >= num_classes):
        raise ValueError(
            f"top_k_accuracy: target labels must lie in [0, {num_classes}), found "
            f"{t.min()}..{t.max()}"
        )
    if not t.size:
        return math.nan
    p = np.moveaxis(p, axis, -1)  # (..., C)
    true_score = np.take_along_axis(p, t[..., None], axis=-1)  # (..., 1)
    higher = (p > true_score).sum(axis=-1)
    return float((higher < int(k)).mean())


def confusion_matrix(y_true, y_pred, num_classes=None, threshold=None):
    """Counts (num_classes, num_classes) int64: row = true class, column = predicted class.

    y_pred may be labels or scores (see `accuracy`). num_classes defaults to the
    number of score columns, else to the largest label + 1 (at least 2 for binary scores).
    """
    t, p = predicted_labels(y_true, y_pred, threshold, "confusion_matrix")
    if num_classes is None:
        pa = _array(y_pred, "y_pred", "confusion_matrix")
        ta = _array(y_true, "y_true", "confusion_matrix")
        axis = _class_axis(pa.shape, ta.shape) if pa.dtype.kind == "f" else None
        biggest = int(max(t.max(initial=-1), p.max(initial=-1))) + 1
        num_classes = pa.shape[axis] if axis is not None else max(biggest, 1)
        if pa.dtype.kind == "f" and axis is None:
            num_classes = max(num_classes, 2)
    num_classes = int(num_classes)
    for what, labels in (("true", t), ("predicted", p)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(
                f"confusion_matrix: {what} labels must lie in [0, {num_classes}), found "
                f"{labels.min()}..{labels.max()}"
            )
    counts = np.bincount(t * num_classes + p, minlength=num_classes * num_classes)
    return counts.astype(np.int64, copy=False).reshape(num_classes, num_classes)


def _per_class(y_true, y_pred, num_classes, threshold, metric):
    """tp, predicted count, true count per class, and the mask of classes that occur."""
    cm = confusion_matrix(y_true, y_pred, num_classes, threshold).astype(np.float64)
    tp = np.diag(cm)
    predicted = cm.sum(axis=0)
    actual = cm.sum(axis=1)
    return tp, predicted, actual, (predicted + actual) > 0


def _ratio(num, den):
    """num / den with 0 where den is 0 (the zero-division rule)."""
    out = np.zeros_like(num)
    np.divide(num, den, out=out, where=den > 0)
    return out


def _average(per_class, present, actual, average, metric):
    if average is None or average == "none":
        return per_class
    if not present.any():
        return math.nan
    if average == "macro":
        return float(per_class[present].mean())
    if average == "weighted":
        return float((per_class * actual).sum() / actual.sum()) if actual.sum() else math.nan
    raise ValueError(
        f"{metric}: average must be 'macro', 'micro', 'weighted' or None, got {average!r}"
    )


def _score(kind, y_true, y_pred, num_classes, average, threshold):
    tp, predicted, actual, present = _per_class(y_true, y_pred, num_classes, threshold, kind)
    if average == "micro":  # single-label: micro precision = recall = f1 = accuracy
        total = actual.sum()
        return float(tp.sum() / total) if total else math.nan
    if kind == "precision":
        per_class = _ratio(tp, predicted)
    elif kind == "recall":
        per_class = _ratio(tp, actual)
    else:
        per_class = _ratio(2 * tp, predicted + actual)  # 2PR / (P + R) = 2tp / (2tp + fp + fn)
    return _average(per_class, present, actual, average, kind)


def precision(y_true, y_pred, num_classes=None, average="macro", threshold=None):
    """Precision tp / (tp + fp) per class, macro-averaged by default.

    The macro average is over the classes that occur in y_true or y_pred; a class
    never predicted has precision 0. average: "macro", "micro", "weighted" (by
    support) or None (the per-class array).
    """
    return _score("precision", y_true, y_pred, num_classes, average, threshold)


def recall(y_true, y_pred, num_classes=None, average="macro", threshold=None):
    """Recall tp / (tp + fn) per class, macro-averaged by default (see `precision`)."""
    return _score("recall", y_true, y_pred, num_classes, average, threshold)


def f1(y_true, y_pred, num_classes=None, average="macro", threshold=None):
    """F1 = 2 P R / (P + R) per class, macro-averaged by default (see `precision`)."""
    return _score("f1", y_true, y_pred, num_classes, average, threshold)


# -------------------------------------------------------------------- regression
def _regression_pair(y_true, y_pred, metric):
    t = _array(y_true, "y_true", metric).astype(np.float64, copy=False)
    p = _array(y_pred, "y_pred", metric).astype(np.float64, copy=False)
    if p.shape != t.shape:
        if p.size == t.size and p.squeeze().shape == t.squeeze().shape:
            p = p.reshape(t.shape)  # (N, 1) predictions against (N,) targets
        else:
            raise ValueError(
                f"{metric}: predictions of shape {p.shape} do not match targets of shape "
                f"{t.shape}"
            )
    return t, p


def mse(y_true, y_pred):
    """Mean squared error over all elements."""
    t, p = _regression_pair(y_true, y_pred, "mse")
    return float(np.mean((p - t) ** 2)) if t.size else math.nan


def rmse(y_true, y_pred):
    """Root of the mean squared error."""
    return math.sqrt(mse(y_true, y_pred))


def mae(y_true, y_pred):
    """Mean absolute error over all elements."""
    t, p = _regression_pair(y_true, y_pred, "mae")
    return float(np.mean(np.abs(p - t))) if t.size else math.nan


def r2(y_true, y_pred):
    """Coefficient of determination 1 - SS_res / SS_tot.

    For (N, D) targets, the mean of the D per-column scores. A constant target
    column scores 1.0 when predicted exactly and 0.0 otherwise.
    """
    t, p = _regression_pair(y_true, y_pred, "r2")
    if t.ndim == 0 or t.shape[0] < 2:
        return math.nan
    t2 = t.reshape(t.shape[0], -1)
    p2 = p.reshape(t.shape[0], -1)
    ss_res = ((t2 - p2) ** 2).sum(axis=0)
    ss_tot = ((t2 - t2.mean(axis=0)) ** 2).sum(axis=0)
    scores = np.where(ss_tot > 0, 1.0 - _ratio(ss_res, ss_tot), np.where(ss_res == 0, 1.0, 0.0))
    return float(scores.mean())


# ---------------------------------------------------------------------- registry
METRICS = {
    "accuracy": accuracy,
    "acc": accuracy,
    "precision": precision,
    "recall": recall,
    "f1": f1,
    "mse": mse,
    "rmse": rmse,
    "mae": mae,
    "r2": r2,
}
"""Metric names usable in ``fit(metrics=...)``; "topK" (top1, top5, ...) is also understood."""

_GREATER = ("acc", "precision", "recall", "f1", "r2", "auc", "top", "score", "iou", "dice")
_TOPK = re.compile(r"^top[_-]?(\d+)(?:_acc(?:uracy)?)?$")


def get_metric(name):
    """The metric function registered under `name` ("accuracy", "f1", "top5", ...)."""
    if callable(name):
        return name
    key = str(name).lower()
    if key in METRICS:
        return METRICS[key]
    match = _TOPK.match(key)
    if match:
        fn = partial(top_k_accuracy, k=int(match.group(1)))
        fn.__name__ = key
        return fn
    raise ValueError(
        f"unknown metric {name!r}; known: {', '.join(sorted(METRICS))}, top1, top5, ... "
        f"(or pass a function f(y_true, y_pred) -> float)"
    )


def _name_of(fn):
    name = getattr(fn, "__name__", None)
    if name is None and isinstance(fn, partial):
        name = getattr(fn.func, "__name__", None)
    if name is None or name == "<lambda>":
        raise ValueError(
            "a metric function needs a name for the logs: pass metrics={'name': fn} "
            "instead of an anonymous function"
        )
    return name


def resolve_metrics(metrics):
    """[(name, fn), ...] from None, a name, a function, a sequence of them, or {name: fn}."""
    if metrics is None:
        return []
    if isinstance(metrics, (str, bytes)) or callable(metrics):
        metrics = [metrics]
    if isinstance(metrics, dict):
        items = [(str(k), get_metric(v)) for k, v in metrics.items()]
    else:
        items = [(m if isinstance(m, str) else _name_of(m), get_metric(m)) for m in metrics]
    names = [name for name, _ in items]
    for name in names:
        if name == "loss" or name.startswith("val_") or name == "lr":
            raise ValueError(f"metric name {name!r} is reserved for the logs; choose another")
        if names.count(name) > 1:
            raise ValueError(f"metric name {name!r} appears twice in metrics={names}")
    return items


def greater_is_better(name):
    """Whether a larger value of the logged quantity `name` is better (accuracy, f1, ...)."""
    key = str(name).lower()
    if key.startswith("val_"):
        key = key[4:]
    if "loss" in key or "error" in key or key in ("mse", "rmse", "mae", "lr"):
        return False
    return any(key.startswith(g) or g in key for g in _GREATER)
