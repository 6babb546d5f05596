"""Plots (matplotlib, optional: pip install groundup[plot]; loaded on first plot) and image
grids: make_grid (NumPy only) and save_image (Pillow: pip install "groundup[images]"); pictures
of convolutional networks: plot_filters, plot_feature_maps, plot_worst_errors."""

from .cnn import conv_layers, plot_feature_maps, plot_filters, plot_worst_errors
from .images import make_grid, save_image
from .plots import plot_confusion_matrix, plot_decision_boundary, plot_history, plot_image_grid

__all__ = ["plot_history", "plot_confusion_matrix", "plot_decision_boundary", "plot_image_grid",
           "make_grid", "save_image", "plot_filters", "plot_feature_maps", "plot_worst_errors",
           "conv_layers"]
