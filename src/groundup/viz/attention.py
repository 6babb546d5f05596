"""Attention maps: record the attention weights of a model's MultiheadAttention layers for
one input, and draw them, one row per layer and one panel per head.

Transformer layers call their attention with need_weights=False (the fused path, which
never forms the weights). `record_attention(model)` is a context manager that, while it
is open, has every MultiheadAttention inside `model` compute its weights per head and
keep a copy; the layers' outputs are unchanged:

    with viz.record_attention(model) as maps:
        model(x[:1])
    maps["encoder.layers.0.self_attn"].shape            # (1, heads, L, S)
    viz.plot_attention({k: w[0] for k, w in maps.items()}, "attention.png")

Drawn with matplotlib (optional: pip install groundup[plot]) like the other plots.
"""

import contextlib
import inspect

import numpy as np

from ..autograd import no_grad
from ..nn import MultiheadAttention
from .plots import _figure, _numpy, _save

__all__ = ["record_attention", "plot_attention", "plot_model_attention"]

MAX_HEADS = 8   # panels per row at most
MAX_LAYERS = 8  # rows at most


@contextlib.contextmanager
def record_attention(model):
    """Inside the block, each MultiheadAttention of `model` records the weights of its
    latest call in the yielded dict {dotted module name: array (N, heads, L, S)} (L
    queries, S keys; rows sum to 1). Its outputs are what they would be otherwise, and a
    caller that asked for weights gets them as it asked (averaged over heads or not)."""
    maps, patched = {}, []
    for name, module in model.named_modules():
        if isinstance(module, MultiheadAttention):
            module.__dict__["forward"] = _recording(module, name, maps)
            patched.append(module)
    try:
        yield maps
    finally:
        for module in patched:
            module.__dict__.pop("forward", None)


def _recording(module, name, maps):
    signature = inspect.signature(type(module).forward)

    def forward(*args, **kwargs):
        call = signature.bind(module, *args, **kwargs)
        call.apply_defaults()
        wanted = call.arguments["need_weights"]
        average = call.arguments["average_attn_weights"]
        call.arguments.update(need_weights=True, average_attn_weights=False)
        output, weights = type(module).forward(*call.args, **call.kwargs)
        maps[name] = np.array(weights.detach().numpy())        # (N, H, L, S)
        if not wanted:
            return output, None
        return output, weights.mean(axis=1) if average else weights

    return forward


def plot_attention(weights, path, labels=None, title=None, cmap="viridis", dpi=100):
    """Attention weights for one input, a panel per head.

    weights: (L, S) or (H, L, S) (an array or Tensor) for one map, or a dict
    {layer name: (H, L, S)} for one row of panels per layer (at most MAX_LAYERS rows of
    MAX_HEADS heads). labels: (query labels, key labels), or a dict {layer name: (query
    labels, key labels)}, written along the axes when given. Returns the path.
    """
    maps = weights if isinstance(weights, dict) else {"": weights}
    if not maps:
        raise ValueError("plot_attention: no attention weights to draw")
    rows = []
    for name, w in list(maps.items())[:MAX_LAYERS]:
        a = _numpy(w).astype(np.float32)
        if a.ndim == 2:
            a = a[None]
        if a.ndim != 3:
            raise ValueError(f"plot_attention: {name or 'weights'}: expected (L, S) or "
                             f"(heads, L, S) for one input, got shape {a.shape}")
        rows.append((name, a[:MAX_HEADS]))
    cols = max(a.shape[0] for _, a in rows)
    size = 2.2
    fig = _figure((cols * size + 0.4, len(rows) * size + (0.5 if title else 0.2)))
    for r, (name, a) in enumerate(rows):
        pair = labels.get(name) if isinstance(labels, dict) else labels
        for h in range(a.shape[0]):
            ax = fig.add_subplot(len(rows), cols, r * cols + h + 1)
            ax.imshow(a[h], cmap=cmap, vmin=0.0, vmax=max(float(a[h].max()), 1e-6),
                      interpolation="nearest", aspect="auto")
            _ticks(ax, pair, a.shape[1:])
            ax.set_title(f"head {h}", fontsize=7)
            if h == 0 and name:
                ax.set_ylabel(name, fontsize=7)
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return _save(fig, path, dpi)


def _ticks(ax, pair, shape):
    ax.tick_params(labelsize=6, length=0)
    if pair is None:
        ax.set_xticks([])
        ax.set_yticks([])
        return
    queries, keys = (list(map(str, p)) if p is not None else None for p in pair)
    for labels, n, set_ticks, set_labels in ((queries, shape[0], ax.set_yticks,
                                              ax.set_yticklabels),
                                             (keys, shape[1], ax.set_xticks,
                                              ax.set_xticklabels)):
        if labels is not None and len(labels) == n:
            set_ticks(range(n))
            set_labels(labels)
        else:
            set_ticks([])


def plot_model_attention(model, inputs, path, labels=None, title=None, dpi=100):
    """Run `model(*inputs)` on one input (a batch of 1) in eval mode under
    record_attention and draw every attention layer's map; returns the path, or None
    when the model has no MultiheadAttention."""
    if not any(isinstance(m, MultiheadAttention) for m in model.modules()):
        return None
    inputs = inputs if isinstance(inputs, tuple) else (inputs,)
    was_training = model.training
    model.eval()
    try:
        with no_grad(), record_attention(model) as maps:
            model(*inputs)
    finally:
        model.train(was_training)
    return plot_attention({name: w[0] for name, w in maps.items()}, path, labels=labels,
                          title=title, dpi=dpi)
