"""Plots of training runs and models, written as PNG files.

matplotlib is optional (``pip install groundup[plot]``) and imported only when a
plot is drawn. The figures are drawn with matplotlib's object API on the Agg
canvas: pyplot is never imported, so no window opens and the user's pyplot
backend is left alone. Each function writes its PNG through a temporary file and
a rename (a crash never leaves half an image) and returns the path.
"""

import math
import os

import numpy as np

__all__ = ["plot_history", "plot_confusion_matrix", "plot_decision_boundary", "plot_image_grid"]


def _figure(figsize):
    """A matplotlib Figure on an Agg canvas, or a clear ImportError."""
    try:
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure
    except ImportError as e:
        raise ImportError(
            "groundup.viz needs matplotlib, which is not installed: "
            "pip install groundup[plot]  (or: pip install matplotlib)"
        ) from e
    fig = Figure(figsize=figsize)
    FigureCanvasAgg(fig)
    return fig


def _save(fig, path, dpi):
    """Write the figure as PNG through a temporary file and a rename; returns the path."""
    from ..io import atomic_open

    path = os.fspath(path)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with atomic_open(path, "wb", what="plot") as f:
        fig.savefig(f, format="png", dpi=dpi)
    return path


def _numpy(x):
    if hasattr(x, "numpy") and not isinstance(x, np.ndarray):
        return x.numpy()
    return np.asarray(x)


# ------------------------------------------------------------------ history
def plot_history(history, path, title=None, dpi=100, best_epoch=None):
    """Learning curves: one panel for the loss and one per metric (train vs val), plus lr.

    history: a History or a dict of lists ({"loss": [...], "val_loss": [...], ...}).
    The loss panel marks the best epoch: `best_epoch` when given (the one a run
    selected, e.g. its best checkpoint's), else the epoch with the lowest val_loss.
    lr gets its own panel (log scale).
    """
    logs = getattr(history, "history", history)
    if not isinstance(logs, dict) or not logs or not any(len(v) for v in logs.values()):
        raise ValueError("plot_history: the history is empty (train at least one epoch)")
    n = max(len(v) for v in logs.values())
    epochs = list(getattr(history, "epochs", None) or range(1, n + 1))
    bases = []
    for key in logs:
        base = key[4:] if key.startswith("val_") else key
        if base not in bases:
            bases.append(base)
    panels = sorted(bases, key=lambda b: (b != "loss", b == "lr"))
    cols = min(len(panels), 3)
    rows = math.ceil(len(panels) / cols)
    fig = _figure((4.6 * cols, 3.3 * rows))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    marker = "o" if n <= 20 else None
    from matplotlib.ticker import MaxNLocator

    for ax, base in zip(axes, panels, strict=False):
        for key, label in ((base, "train"), ("val_" + base, "val")):
            if key in logs and not (base == "lr" and label == "val"):
                values = np.asarray(logs[key], dtype=np.float64)
                ax.plot(epochs[: len(values)], values, marker=marker, markersize=3,
                        label=label if base != "lr" else "lr")
        if base == "lr":
            values = np.asarray(logs["lr"], dtype=np.float64)
            if np.all(values[np.isfinite(values)] > 0):
                ax.set_yscale("log")
        if base == "loss" and best_epoch is not None:
            ax.axvline(best_epoch, color="gray", linestyle=":", linewidth=1,
                       label=f"best val (epoch {best_epoch})")
        elif base == "loss" and "val_loss" in logs:
            values = np.asarray(logs["val_loss"], dtype=np.float64)
            if np.isfinite(values).any():
                best = int(np.nanargmin(values))
                ax.axvline(epochs[best], color="gray", linestyle=":", linewidth=1,
                           label=f"best val (epoch {epochs[best]})")
        ax.set_title(base)
        ax.set_xlabel("epoch")
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.grid(True, alpha=0.3)
        if base != "lr":
            ax.legend(fontsize=8)
    for ax in axes[len(panels):]:
        ax.set_visible(False)
    if title:
        fig.suptitle(title)
    fig.tight_layout()
    return _save(fig, path, dpi)


# --------------------------------------------------------- confusion matrix
def plot_confusion_matrix(cm, path, class_names=None, normalize=False, title=None, dpi=100):
    """A confusion matrix (rows: true class, columns: predicted) as a heat map with counts.

    cm: (C, C) counts, e.g. from gu.train.confusion_matrix. normalize=True shows
    each row as fractions of that class's samples.
    """
    cm = _numpy(cm)
    if cm.ndim != 2 or cm.shape[0] != cm.shape[1]:
        raise ValueError(f"plot_confusion_matrix: expected a square (C, C) matrix, got {cm.shape}")
    c = cm.shape[0]
    names = [str(i) for i in range(c)] if class_names is None else [str(s) for s in class_names]
    if len(names) != c:
        raise ValueError(
            f"plot_confusion_matrix: {len(names)} class names for a {c}x{c} matrix")
    values = cm.astype(np.float64)
    if normalize:
        totals = values.sum(axis=1, keepdims=True)
        values = np.divide(values, totals, out=np.zeros_like(values), where=totals > 0)
    size = min(max(4.0, 0.45 * c + 2.0), 16.0)
    fig = _figure((size + 1.0, size))
    ax = fig.subplots()
    image = ax.imshow(values, cmap="Blues", interpolation="nearest")
    fig.colorbar(image, ax=ax, fraction=0.046, pad=0.04)
    tilt = c > 6
    ax.set_xticks(range(c), labels=names, rotation=45 if tilt else 0,
                  ha="right" if tilt else "center")
    ax.set_yticks(range(c), labels=names)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    if c <= 25:
        high = values.max() / 2 if values.size else 0
        for i in range(c):
            for j in range(c):
                text = f"{values[i, j]:.2f}" if normalize else f"{int(cm[i, j])}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8 if c > 10 else 10,
                        color="white" if values[i, j] > high else "black")
    if c:
        accuracy = np.trace(cm) / max(cm.sum(), 1)
        ax.set_title(title or f"confusion matrix (accuracy {accuracy:.3f})")
    fig.tight_layout()
    return _save(fig, path, dpi)


# --------------------------------------------------------- decision boundary
def _labels(scores, threshold):
    scores = _numpy(scores)
    if scores.ndim == 2 and scores.shape[1] > 1:
        return scores.argmax(axis=1), None
    scores = scores.reshape(-1).astype(np.float64)
    if threshold is None:
        inside = scores.size and scores.min() >= 0 and scores.max() <= 1
        threshold = 0.5 if inside else 0.0
    return (scores > threshold).astype(np.int64), (scores, threshold)


def _predict_grid(model, points, batch_size=8192):
    """Model outputs on grid points: a Module in eval mode under no_grad, or a function."""
    is_module = hasattr(model, "parameters") and hasattr(model, "eval")
    if not is_module:
        return _numpy(model(points))
    from .. import no_grad, tensor

    dtype = np.float32
    for p in model.parameters():
        dtype = p.dtype
        break
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        with no_grad():
            outs = [_numpy(model(tensor(points[i:i + batch_size], dtype=dtype)))
                    for i in range(0, len(points), batch_size)]
    finally:
        model.train(was_training)
    return np.concatenate(outs)


def plot_decision_boundary(model, X, y, path, resolution=200, padding=0.1, threshold=None,
                           title=None, dpi=100):
    """Class regions of a 2-D classifier over the data's range, with the data on top.

    model: a gu.nn.Module (called on float Tensors (M, 2) in eval mode, no_grad), or
    a function from a float32 ndarray (M, 2) to scores. Scores (M, C) are read by
    argmax; binary scores (M,) / (M, 1) by threshold (None: 0.5 for probabilities
    in [0, 1], else 0 for logits), with the boundary drawn as a line.
    X: (N, 2) points; y: (N,) class labels.
    """
    X = _numpy(X).astype(np.float64)
    y = _numpy(y).reshape(-1)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_decision_boundary: X must be (N, 2) points, got {X.shape}")
    if len(y) != len(X):
        raise ValueError(
            f"plot_decision_boundary: {len(X)} points but {len(y)} labels")
    lo, hi = X.min(axis=0), X.max(axis=0)
    margin = np.maximum((hi - lo) * padding, 1e-3)
    xs = np.linspace(lo[0] - margin[0], hi[0] + margin[0], int(resolution))
    ys = np.linspace(lo[1] - margin[1], hi[1] + margin[1], int(resolution))
    xx, yy = np.meshgrid(xs, ys)
    grid = np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)  # (M, 2)
    labels, binary = _labels(_predict_grid(model, grid), threshold)
    y_int = y.astype(np.int64)
    k = int(max(labels.max(initial=0), y_int.max(initial=0))) + 1
    k = max(k, 2)
    fig = _figure((5.5, 4.8))
    ax = fig.subplots()
    import matplotlib
    from matplotlib.colors import ListedColormap

    base = matplotlib.colormaps["tab10" if k <= 10 else "tab20"]
    cmap = ListedColormap([base(i % base.N) for i in range(k)])
    levels = np.arange(k + 1) - 0.5
    ax.contourf(xx, yy, labels.reshape(xx.shape), levels=levels, cmap=cmap, alpha=0.3)
    if binary is not None:
        scores, thr = binary
        if scores.min() < thr < scores.max():
            ax.contour(xx, yy, scores.reshape(xx.shape), levels=[thr], colors="k",
                       linewidths=1)
    size = 50 if len(X) <= 20 else 25 if len(X) <= 200 else 10
    ax.scatter(X[:, 0], X[:, 1], c=y_int, cmap=cmap, vmin=-0.5, vmax=k - 0.5, s=size,
               edgecolors="k", linewidths=0.4)
    ax.set_xlim(xs[0], xs[-1])
    ax.set_ylim(ys[0], ys[-1])
    ax.set_title(title or "decision boundary")
    fig.tight_layout()
    return _save(fig, path, dpi)


# --------------------------------------------------------------- image grid
def _as_images(images):
    """(N, H, W) grayscale or (N, H, W, 3|4) colour, floats in [0, 1]."""
    a = _numpy(images)
    if a.ndim == 2:
        a = a[None]
    if a.ndim == 4:
        if a.shape[1] in (1, 3, 4) and a.shape[-1] not in (1, 3, 4):
            a = np.moveaxis(a, 1, -1)  # NCHW -> NHWC
        if a.shape[-1] == 1:
            a = a[..., 0]
        elif a.shape[-1] not in (3, 4):
            raise ValueError(
                f"plot_image_grid: 4-D images need 1, 3 or 4 channels (N, C, H, W) or "
                f"(N, H, W, C), got {a.shape}")
    if a.ndim not in (3, 4):
        raise ValueError(
            f"plot_image_grid: expected images (N, H, W), (N, C, H, W) or (N, H, W, C), "
            f"got shape {a.shape}")
    if a.dtype == np.uint8:
        return a.astype(np.float32) / 255.0
    a = a.astype(np.float32)
    if not a.size:
        return a
    lo, hi = float(np.nanmin(a)), float(np.nanmax(a))
    if lo < 0.0 or hi > 1.0:
        a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    return a


def plot_image_grid(images, path, labels=None, nrow=8, cmap="gray", title=None, padding=2,
                    dpi=100):
    """Images tiled in a grid, `nrow` images per row, with optional labels.

    images: (N, H, W), (N, 1|3, H, W) or (N, H, W, 3) arrays or Tensors; uint8 is
    read as 0..255, floats outside [0, 1] are rescaled to it. labels: one per image
    (class names or numbers), drawn in the corner of each tile.
    """
    a = _as_images(images)
    n, h, w = a.shape[:3]
    if n == 0:
        raise ValueError("plot_image_grid: no images")
    if labels is not None:
        labels = list(_numpy(labels).reshape(-1)) if not isinstance(labels, list) else labels
        if len(labels) != n:
            raise ValueError(f"plot_image_grid: {len(labels)} labels for {n} images")
    cols = min(int(nrow), n)
    rows = math.ceil(n / cols)
    pad = int(padding)
    shape = (rows * (h + pad) + pad, cols * (w + pad) + pad) + a.shape[3:]
    canvas = np.ones(shape, dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, cols)
        top, left = pad + r * (h + pad), pad + c * (w + pad)
        canvas[top:top + h, left:left + w] = a[i]
    scale = max(0.6, min(1.2, 12.0 / max(cols, rows)))
    fig = _figure((max(cols * scale, 2.0), max(rows * scale + (0.4 if title else 0), 2.0)))
    ax = fig.add_axes((0, 0, 1, 0.94 if title else 1))
    ax.imshow(canvas, cmap=cmap if a.ndim == 3 else None, vmin=0.0, vmax=1.0,
              interpolation="nearest")
    ax.set_axis_off()
    if labels is not None:
        for i, label in enumerate(labels):
            r, c = divmod(i, cols)
            ax.text(pad + c * (w + pad) + 0.5, pad + r * (h + pad) + 0.5, str(label),
                    ha="left", va="top", fontsize=7, color="black",
                    bbox={"facecolor": "white", "alpha": 0.7, "pad": 1, "linewidth": 0})
    if title:
        fig.suptitle(title)
    return _save(fig, path, dpi)
