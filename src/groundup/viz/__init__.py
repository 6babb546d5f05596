"""Plots (matplotlib, optional: pip install groundup[plot]; loaded on first plot) and image
grids: make_grid (NumPy only) and save_image (Pillow: pip install "groundup[images]")."""

from .images import make_grid, save_image
from .plots import plot_confusion_matrix, plot_decision_boundary, plot_history, plot_image_grid

__all__ = ["plot_history", "plot_confusion_matrix", "plot_decision_boundary", "plot_image_grid",
           "make_grid", "save_image"]
