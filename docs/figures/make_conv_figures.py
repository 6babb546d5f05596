"""Draw the pictures of docs/03-convolutions.md into docs/images/.

    python docs/figures/make_conv_figures.py

- conv-im2col.png: im2col of a 4x4 input with a 3x3 kernel (one window and its column
  highlighted), and the matrix product that gives the output;
- conv-filters.png: the first-layer kernels of the tutorial's CNN. The tutorial's code
  blocks are run as they are (in a temporary folder, on the NumPy reference path, as
  tests/test_docs.py runs them), and the picture they draw is the one copied here, so
  the figure is exactly what a reader running the tutorial gets.

Needs matplotlib.
"""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from tutorial import IMAGES, draw, sizes  # noqa: E402

HIGHLIGHT = "#f4a259"  # the window, its column and its output pixel
EDGE = "#c0632a"


def _grid(ax, values, highlight=(), title="", fmt="{:g}", row_labels=None):
    """values (rows, cols) drawn as a table of cells; cells in `highlight` filled."""
    rows, cols = len(values), len(values[0])
    for r in range(rows):
        for c in range(cols):
            on = (r, c) in highlight
            ax.add_patch(Rectangle((c, rows - 1 - r), 1, 1, facecolor=HIGHLIGHT if on
                                   else "white", edgecolor="0.55", linewidth=0.8))
            ax.text(c + 0.5, rows - 0.5 - r, fmt.format(values[r][c]), ha="center",
                    va="center", fontsize=8)
    if row_labels:
        for r, label in enumerate(row_labels):
            ax.text(-0.15, rows - 0.5 - r, label, ha="right", va="center", fontsize=6.5,
                    color="0.35")
    ax.set_xlim(-1.1 if row_labels else -0.1, cols + 0.1)
    ax.set_ylim(-0.1, rows + 0.1)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.set_title(title, fontsize=8.5)


def im2col_figure(path):
    """Input with window (0, 1) outlined, its column in unfold(x, 3), the output pixel."""
    H = W = 4
    k = 3
    x = [[r * W + c for c in range(W)] for r in range(H)]
    windows = [(i, j) for i in range(H - k + 1) for j in range(W - k + 1)]
    cols = [[x[i + p][j + q] for (i, j) in windows] for p in range(k) for q in range(k)]
    pick = 1  # the window at output position (0, 1)
    wi, wj = windows[pick]

    fig = plt.figure(figsize=(7.2, 3.0))
    a = fig.add_axes((0.02, 0.18, 0.25, 0.62))
    b = fig.add_axes((0.36, 0.04, 0.30, 0.84))
    c = fig.add_axes((0.76, 0.30, 0.20, 0.40))
    window = {(wi + p, wj + q) for p in range(k) for q in range(k)}
    _grid(a, x, window, "input x  (4x4)")
    a.add_patch(Rectangle((wj, H - wi - k), k, k, fill=False, edgecolor=EDGE, linewidth=2))
    labels = [f"({p},{q})" for p in range(k) for q in range(k)]
    _grid(b, cols, {(r, pick) for r in range(k * k)},
          "F.unfold(x, 3): columns  (9 x 4)", row_labels=labels)
    b.add_patch(Rectangle((pick, 0), 1, k * k, fill=False, edgecolor=EDGE, linewidth=2))
    names = [[f"y[{i},{j}]" for j in range(W - k + 1)] for i in range(H - k + 1)]
    _grid(c, names, {(wi, wj)}, "output  (2x2)", fmt="{}")
    fig.text(0.295, 0.49, "\u2192", fontsize=20, ha="center", va="center")
    fig.text(0.705, 0.49, "\u2192", fontsize=20, ha="center", va="center")
    fig.text(0.86, 0.16, "y = w.reshape(1, 9) @ columns\n(one dot product per column)",
             fontsize=7.5, ha="center", va="center")
    fig.savefig(path, dpi=110)
    plt.close(fig)


def main():
    IMAGES.mkdir(exist_ok=True)
    im2col_figure(IMAGES / "conv-im2col.png")
    sizes(["conv-im2col.png"])
    draw("03-convolutions.md", {"filters.png": "conv-filters.png"})


if __name__ == "__main__":
    main()
