"""Pictures of convolutional networks: learned filters, feature maps, the worst mistakes.

Drawn with matplotlib (optional: pip install groundup[plot]) on the Agg canvas like
the other plots, written as PNG through a temporary file and a rename; each function
returns the path.

    viz.plot_filters(model.conv1.weight, "filters.png")
    viz.plot_feature_maps(model, X_test[0], "feature_maps.png")
    viz.plot_worst_errors(X_test, y_test, probs, "errors.png", class_names=names)
"""

import math
import textwrap

import numpy as np

from ..nn import Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d
from .plots import _as_images, _figure, _numpy, _save

__all__ = ["plot_filters", "plot_feature_maps", "plot_worst_errors", "conv_layers"]

_CONVS = (Conv1d, Conv2d, ConvTranspose1d, ConvTranspose2d)


def conv_layers(model):
    """[(dotted name, layer)] of the convolution layers of a model, in definition order."""
    return [(name, m) for name, m in model.named_modules() if isinstance(m, _CONVS)]


def _normalise(a, axes):
    """a rescaled to [0, 1] over `axes` (each slice on its own); constant slices become 0."""
    low = a.min(axis=axes, keepdims=True)
    span = a.max(axis=axes, keepdims=True) - low
    return np.divide(a - low, span, out=np.zeros_like(a), where=span > 0)


def _tile(tiles, cols, pad=1, fill=np.nan):
    """Tiles (n, h, w) or (n, h, w, 3) laid out `cols` per row on a canvas with padding
    (NaN by default: drawn in the background colour)."""
    n, h, w = tiles.shape[:3]
    rows = math.ceil(n / cols)
    canvas = np.full((rows * (h + pad) + pad, cols * (w + pad) + pad) + tiles.shape[3:], fill,
                     dtype=np.float32)
    for i in range(n):
        r, c = divmod(i, cols)
        canvas[pad + r * (h + pad):pad + r * (h + pad) + h,
               pad + c * (w + pad):pad + c * (w + pad) + w] = tiles[i]
    return canvas


def _show(ax, canvas, cmap):
    ax.imshow(canvas, cmap=cmap if canvas.ndim == 2 else None, vmin=0.0, vmax=1.0,
              interpolation="nearest")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)


# ------------------------------------------------------------------- filters
def plot_filters(weight, path, max_filters=64, title=None, dpi=100):
    """The kernels of a convolution as a grid of small images, each rescaled to [0, 1].

    weight: (out_channels, in_channels, kH, kW), as Conv2d.weight (a Tensor, a
    Parameter, an array, or the layer itself); Conv1d's (out, in, k) are drawn as
    1 x k strips. Three input channels are drawn as one RGB image per filter, one
    channel as one gray image; otherwise each filter is a row of its input
    channels (at most 8). At most `max_filters` images are drawn.
    """
    if hasattr(weight, "weight") and not hasattr(weight, "shape"):
        weight = weight.weight
    w = _numpy(weight).astype(np.float32)
    if w.ndim == 3:
        w = w[:, :, None, :]
    if w.ndim != 4 or not w.size:
        raise ValueError(f"plot_filters: expected convolution weights (out_channels, "
                         f"in_channels, kH, kW) or (out_channels, in_channels, k), got shape "
                         f"{tuple(_numpy(weight).shape)}")
    out, cin = w.shape[:2]
    if cin in (1, 3):  # one gray or RGB image per filter
        shown = min(out, max_filters)
        tiles = _normalise(w[:shown], (1, 2, 3)).transpose(0, 2, 3, 1)
        tiles = tiles[..., 0] if cin == 1 else tiles
        cols, what = math.ceil(math.sqrt(shown)), "RGB" if cin == 3 else "gray"
    else:  # a row of input channels per filter
        cols = min(cin, 8)
        shown = max(1, min(out, max_filters // cols))
        tiles = _normalise(w[:shown, :cols], (2, 3)).reshape(shown * cols, *w.shape[2:])
        what = f"rows: filters, columns: input channels 1-{cols} of {cin}"
    canvas = _tile(tiles, cols)
    rows = math.ceil(len(tiles) / cols)
    fig = _figure((min(max(0.5 * cols + 0.5, 2.5), 9.0), min(max(0.5 * rows + 0.9, 2.5), 9.0)))
    ax = fig.add_axes((0.02, 0.02, 0.96, 0.86))
    _show(ax, canvas, "gray")
    fig.suptitle(title or f"filters: {shown} of {out}, {w.shape[2]}x{w.shape[3]} ({what})",
                 fontsize=9)
    return _save(fig, path, dpi)


# -------------------------------------------------------------- feature maps
def _one_input(x, ndim, where):
    a = _numpy(x).astype(np.float32)
    while a.ndim < ndim:
        a = a[None]
    if a.ndim != ndim or a.shape[0] != 1:
        want = "(C, H, W) or (1, C, H, W)" if ndim == 4 else "(C, L) or (1, C, L)"
        raise ValueError(f"{where}: expected one input {want}, got shape "
                         f"{tuple(_numpy(x).shape)}")
    return a


def plot_feature_maps(model, x, path, max_channels=8, title=None, dpi=100):
    """What each convolution of `model` outputs for one input: the input, then a row per
    convolution layer (in the order they run) of its first `max_channels` channels, each
    rescaled to [0, 1]. The outputs are caught with forward hooks while the model runs
    once in eval mode under no_grad.

    x: one input, (C, H, W) or (1, C, H, W) (a gray (H, W) is taken as one channel);
    for Conv1d models (C, L) or (1, C, L).
    """
    from .. import no_grad, tensor

    if not hasattr(model, "register_forward_hook"):
        raise TypeError(f"plot_feature_maps: model must be a gu.nn.Module, got "
                        f"{type(model).__name__}")
    convs = conv_layers(model)
    if not convs:
        raise ValueError("plot_feature_maps: the model has no convolution layer (Conv1d, "
                         "Conv2d, ConvTranspose1d, ConvTranspose2d)")
    two_d = any(isinstance(m, (Conv2d, ConvTranspose2d)) for _, m in convs)
    a = _one_input(x, 4 if two_d else 3, "plot_feature_maps")
    dtype = next((p.dtype for p in model.parameters()), np.float32)
    caught, handles = [], []
    for name, layer in convs:
        def hook(module, args, output, name=name):
            if not any(m is module for _, m, _ in caught):
                caught.append((name, module, np.array(_numpy(output)[0], dtype=np.float32)))
        handles.append(layer.register_forward_hook(hook))
    was_training = getattr(model, "training", False)
    model.eval()
    try:
        with no_grad():
            model(tensor(a, dtype=dtype))
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    rows = [("input", a[0])] + [(f"{name} ({type(m).__name__}, {out.shape[0]} channels)", out)
                                for name, m, out in caught]
    fig = _figure((max(1.1 * max_channels, 4.0), 1.35 * len(rows) + 0.4))
    axes = fig.subplots(len(rows), 1, squeeze=False)[:, 0]
    for ax, (label, maps) in zip(axes, rows, strict=True):
        maps = maps[:max_channels]
        if maps.ndim == 2:  # 1-D maps (C, L): one strip per channel, stacked
            canvas = _normalise(maps, (1,))
        elif label == "input" and len(maps) == 3:  # an RGB image
            canvas = _normalise(maps, (0, 1, 2)).transpose(1, 2, 0)
        else:
            canvas = _tile(_normalise(maps, (1, 2)), len(maps), pad=max(1, maps.shape[1] // 14))
        _show(ax, canvas, "viridis" if label != "input" else "gray")
        ax.set_title(label, fontsize=8, loc="left")
    fig.suptitle(title or "feature maps for one input", fontsize=10)
    fig.tight_layout()
    return _save(fig, path, dpi)


# -------------------------------------------------------------- worst errors
def _probabilities(p):
    """Rows of p as probabilities: kept when they already are, else a softmax (logits)."""
    if p.size and p.min() >= 0 and np.allclose(p.sum(axis=1), 1.0, atol=1e-3):
        return p
    e = np.exp(p - p.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def plot_worst_errors(images, labels, probs, path, class_names=None, k=16, title=None, dpi=100,
                      confidence=None):
    """The k images the model gets most wrong: misclassified, by the probability it gave the
    wrong class (highest first), each titled "true -> predicted (p)".

    images: (N, C, H, W), (N, H, W) or (N, H, W, C); labels: (N,) class ids; probs:
    (N, K) probabilities (logits are turned into probabilities by a softmax). With no
    mistakes the picture says so. confidence: None for the above; else the name of what
    probs holds, per-class scores in [0, 1] used as they are (a CapsNet's capsule lengths:
    "length (probability the digit is present)"), which the title then gives.
    """
    a = _numpy(images)
    y = _numpy(labels).reshape(-1).astype(np.int64)
    p = _numpy(probs).astype(np.float64)
    if a.ndim not in (3, 4) or (a.ndim == 4 and a.shape[1] not in (1, 3, 4)
                                and a.shape[-1] not in (1, 3, 4)):
        raise ValueError(f"plot_worst_errors: images must be (N, C, H, W) with 1, 3 or 4 "
                         f"channels, (N, H, W) or (N, H, W, C), got shape {a.shape}")
    if p.ndim != 2 or len(p) != len(a) or len(y) != len(a):
        raise ValueError(f"plot_worst_errors: expected probs (N, K) and labels (N,) for N = "
                         f"{len(a)} images, got probs {p.shape} and labels {y.shape}")
    if len(y) and (y.min() < 0 or y.max() >= p.shape[1]):
        raise ValueError(f"plot_worst_errors: labels must lie in 0..{p.shape[1] - 1} (probs has "
                         f"{p.shape[1]} classes), got {int(y.min())}..{int(y.max())}")
    names = [str(i) for i in range(p.shape[1])] if class_names is None else \
        [str(n) for n in class_names]
    if len(names) != p.shape[1]:
        raise ValueError(f"plot_worst_errors: {len(names)} class names for {p.shape[1]} classes")
    if confidence is None:
        p = _probabilities(p)
    elif p.size and (p.min() < 0 or p.max() > 1 + 1e-6):
        raise ValueError(f"plot_worst_errors: {confidence} scores must lie in [0, 1], got "
                         f"{p.min():.3g}..{p.max():.3g}")
    pred = p.argmax(axis=1)
    wrong = np.flatnonzero(pred != y)
    worst = wrong[np.argsort(-p[wrong, pred[wrong]], kind="stable")][:max(int(k), 0)]
    if not len(worst):
        fig = _figure((4.0, 1.5))
        fig.text(0.5, 0.5, f"no misclassified images among {len(a)}", ha="center", va="center")
        return _save(fig, path, dpi)
    shown = _as_images(a[worst])
    cols = math.ceil(math.sqrt(len(worst)))
    rows = math.ceil(len(worst) / cols)
    heading = textwrap.fill(  # about 12 characters of 9-point text to the inch
        title or f"the {len(worst)} worst of {len(wrong)} errors in {len(a)} images "
        f"(true -> predicted ({confidence or 'probability'}))", width=max(30, 23 * cols))
    fig = _figure((1.9 * cols, 1.9 * rows + 0.35 + 0.15 * heading.count("\n") + 0.15))
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    for ax, i, image in zip(axes, worst, shown, strict=False):
        _show(ax, image, "gray")
        ax.set_title(f"{names[y[i]]} -> {names[pred[i]]} ({p[i, pred[i]]:.2f})", fontsize=8)
    for ax in axes[len(worst):]:
        ax.set_visible(False)
    fig.suptitle(heading, fontsize=9)
    fig.tight_layout()
    return _save(fig, path, dpi)
