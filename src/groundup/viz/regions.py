"""Pictures of models over their input space: which expert of a mixture of experts handles
which region (plot_expert_map), how much each expert is used (plot_expert_usage), an RBF
network's centres over its decision regions (plot_rbf_centres), and a regression's fitted
function (plot_regression_fit). plot_model_experts draws the first two for any model holding
a MixtureOfExperts, plot_model_regions those and the RBF picture (what `groundup train`
calls)."""

import numpy as np

from .plots import _figure, _numpy, _save

__all__ = ["plot_expert_map", "plot_expert_usage", "plot_model_experts", "plot_model_regions",
           "plot_rbf_centres", "plot_regression_fit", "find_layer"]


def find_layer(model, cls_name):
    """The first submodule of `model` whose class is called `cls_name`, or None."""
    for m in model.modules():
        if type(m).__name__ == cls_name:
            return m
    return None


def _grid(X, resolution, padding=0.1):
    lo, hi = X.min(axis=0), X.max(axis=0)
    margin = np.maximum((hi - lo) * padding, 1e-3)
    xs = np.linspace(lo[0] - margin[0], hi[0] + margin[0], int(resolution))
    ys = np.linspace(lo[1] - margin[1], hi[1] + margin[1], int(resolution))
    xx, yy = np.meshgrid(xs, ys)
    return xx, yy, np.stack([xx.ravel(), yy.ravel()], axis=1).astype(np.float32)


def _run(model, X):
    """model(X) under no_grad in eval mode (the mode restored), as an ndarray."""
    import groundup as gu

    was = model.training
    model.eval()
    try:
        with gu.no_grad():
            return model(gu.tensor(np.asarray(X, dtype=np.float32))).numpy()
    finally:
        model.train(was)


def _cmap(k):
    import matplotlib
    from matplotlib.colors import ListedColormap

    base = matplotlib.colormaps["tab10" if k <= 10 else "tab20"]
    return ListedColormap([base(i % base.N) for i in range(k)])


def plot_expert_map(model, moe, X, y, path, resolution=150, title=None, dpi=100):
    """The 2-D input plane coloured by the expert with the largest gate (argmax of
    moe.router_probs after model(grid)), the data on top (marker colour: class).

    model: the whole network, called on (M, 2) float32 points; moe: its MixtureOfExperts.
    """
    X = _numpy(X).astype(np.float64)
    y = _numpy(y).reshape(-1).astype(np.int64)
    if X.ndim != 2 or X.shape[1] != 2:
        raise ValueError(f"plot_expert_map: X must be (N, 2) points, got {X.shape}")
    xx, yy, grid = _grid(X, resolution)
    _run(model, grid)
    experts = moe.router_probs.numpy().reshape(len(grid), -1).argmax(1)
    n = moe.num_experts
    fig = _figure((5.5, 4.8))
    ax = fig.subplots()
    ax.contourf(xx, yy, experts.reshape(xx.shape), levels=np.arange(n + 1) - 0.5,
                cmap=_cmap(n), alpha=0.35)
    classes = int(y.max(initial=0)) + 1
    for c, marker in zip(range(classes), "o^sDvP*X<>" * 4):
        pts = X[y == c]
        ax.scatter(pts[:, 0], pts[:, 1], marker=marker, s=12, facecolors="none",
                   edgecolors="k", linewidths=0.6, label=f"class {c}")
    from matplotlib.patches import Patch

    handles = [Patch(color=_cmap(n)(e), alpha=0.5, label=f"expert {e}") for e in range(n)]
    ax.legend(handles=handles, loc="upper right", fontsize=7, framealpha=0.8)
    ax.set_xlim(xx[0, 0], xx[0, -1])
    ax.set_ylim(yy[0, 0], yy[-1, 0])
    ax.set_title(title or "regions of the experts (largest gate)")
    fig.tight_layout()
    return _save(fig, path, dpi)


def plot_expert_usage(counts, path, title=None, dpi=100):
    """A bar per expert: the fraction of the rows routed to it (counts: (N,) numbers)."""
    counts = np.asarray(_numpy(counts), dtype=np.float64).reshape(-1)
    frac = counts / max(counts.sum(), 1.0)
    n = len(counts)
    fig = _figure((max(3.5, 0.6 * n + 2), 3.2))
    ax = fig.subplots()
    ax.bar(np.arange(n), frac, color=[_cmap(n)(e) for e in range(n)], edgecolor="k")
    ax.axhline(1.0 / n, color="k", linestyle="--", linewidth=1, label="even use")
    ax.set_xticks(np.arange(n))
    ax.set_xlabel("expert")
    ax.set_ylabel("fraction of routed rows")
    ax.legend(fontsize=8)
    ax.set_title(title or "expert usage")
    fig.tight_layout()
    return _save(fig, path, dpi)


def plot_model_experts(model, X, y, out_dir):
    """For a model holding a MixtureOfExperts: experts.png (the map, for 2-D inputs) and
    expert_usage.png (usage on X) in out_dir; [] for other models. X: model inputs."""
    import os

    moe = find_layer(model, "MixtureOfExperts")
    X = _numpy(X)
    if moe is None or not len(X):
        return []
    _run(model, X)
    counts = moe.expert_counts if moe.k is not None else np.bincount(
        moe.router_probs.numpy().reshape(len(X), -1).argmax(1), minlength=moe.num_experts)
    paths = []
    if X.ndim == 2 and X.shape[1] == 2:
        paths.append(plot_expert_map(model, moe, X, y, os.path.join(out_dir, "experts.png")))
    paths.append(plot_expert_usage(counts, os.path.join(out_dir, "expert_usage.png"),
                                   title=f"expert usage on {len(X)} test samples"))
    return paths


def plot_model_regions(model, X, y, out_dir):
    """The input-space pictures that apply to `model` on inputs X (classes y), written in
    out_dir: plot_model_experts' for a MixtureOfExperts, centres.png for an RBF layer on 2-D
    inputs; [] when none applies."""
    import os

    paths = plot_model_experts(model, X, y, out_dir)
    rbf = find_layer(model, "RBF")
    X = _numpy(X)
    if rbf is not None and X.ndim == 2 and X.shape[1] == 2 and len(X):
        paths.append(plot_rbf_centres(model, rbf, X, y, os.path.join(out_dir, "centres.png")))
    return paths


def plot_rbf_centres(model, rbf, X, y, path, resolution=150, title=None, dpi=100):
    """A 2-D RBF classifier: its decision regions, the data, and its centres (black crosses,
    each with a circle of its width)."""
    X = _numpy(X).astype(np.float64)
    y = _numpy(y).reshape(-1).astype(np.int64)
    c = rbf.centres.numpy().astype(np.float64)
    w = np.abs(rbf.widths.numpy().astype(np.float64))
    xx, yy, grid = _grid(np.concatenate([X, c]), resolution)
    labels = _run(model, grid).argmax(1)
    k = max(int(labels.max(initial=0)), int(y.max(initial=0))) + 1
    fig = _figure((5.5, 4.8))
    ax = fig.subplots()
    ax.contourf(xx, yy, labels.reshape(xx.shape), levels=np.arange(k + 1) - 0.5,
                cmap=_cmap(k), alpha=0.3)
    ax.scatter(X[:, 0], X[:, 1], c=y, cmap=_cmap(k), vmin=-0.5, vmax=k - 0.5, s=10,
               edgecolors="k", linewidths=0.3)
    from matplotlib.patches import Circle

    for (cx, cy), r in zip(c, w):
        ax.add_patch(Circle((cx, cy), r, fill=False, color="k", alpha=0.25, linewidth=0.6))
    ax.scatter(c[:, 0], c[:, 1], marker="x", color="k", s=30, linewidths=1.2,
               label=f"{len(c)} centres")
    ax.legend(loc="upper right", fontsize=8)
    ax.set_xlim(xx[0, 0], xx[0, -1])
    ax.set_ylim(yy[0, 0], yy[-1, 0])
    ax.set_aspect("equal", adjustable="box")
    ax.set_title(title or "RBF centres and decision regions")
    fig.tight_layout()
    return _save(fig, path, dpi)


def plot_regression_fit(model, X, t, path, centres=None, resolution=200, title=None, dpi=100):
    """A regression's fit: for 1-D inputs the data, the fitted curve and (optional) the
    centres' positions; for 2-D inputs the fitted surface as a colour map with the data
    points coloured by their targets. X: (N, 1) or (N, 2); t: (N,) or (N, 1) targets."""
    X = _numpy(X).astype(np.float64)
    t = _numpy(t).astype(np.float64).reshape(len(X), -1)[:, 0]
    fig = _figure((5.5, 4.2))
    ax = fig.subplots()
    if X.shape[1] == 1:
        lo, hi = X.min(), X.max()
        pad = 0.05 * (hi - lo + 1e-9)
        grid = np.linspace(lo - pad, hi + pad, int(resolution))[:, None]
        pred = _run(model, grid).reshape(len(grid), -1)[:, 0]
        ax.scatter(X[:, 0], t, s=8, color="0.55", label="data")
        ax.plot(grid[:, 0], pred, color="C3", linewidth=2, label="fit")
        if centres is not None:
            c = _numpy(centres).reshape(-1)
            ax.plot(c, np.full_like(c, t.min() - 0.1 * (t.max() - t.min())), "k|",
                    markersize=12, label=f"{len(c)} centres")
        ax.set_xlabel("x")
        ax.set_ylabel("y")
        ax.legend(fontsize=8)
    elif X.shape[1] == 2:
        xx, yy, grid = _grid(X, resolution // 2, padding=0.0)
        pred = _run(model, grid).reshape(len(grid), -1)[:, 0].reshape(xx.shape)
        lo, hi = min(pred.min(), t.min()), max(pred.max(), t.max())
        im = ax.contourf(xx, yy, pred, levels=20, cmap="viridis", vmin=lo, vmax=hi)
        ax.scatter(X[:, 0], X[:, 1], c=t, cmap="viridis", vmin=lo, vmax=hi, s=10,
                   edgecolors="k", linewidths=0.3)
        if centres is not None:
            c = _numpy(centres)
            ax.scatter(c[:, 0], c[:, 1], marker="x", color="w", s=25, linewidths=1.2)
        fig.colorbar(im, ax=ax)
    else:
        raise ValueError(f"plot_regression_fit: inputs must have 1 or 2 features; got "
                         f"{X.shape[1]}")
    ax.set_title(title or "fitted function")
    fig.tight_layout()
    return _save(fig, path, dpi)
