"""Plots (matplotlib, optional: pip install groundup[plot]); matplotlib loads on first plot."""

from .plots import plot_confusion_matrix, plot_decision_boundary, plot_history, plot_image_grid

__all__ = ["plot_history", "plot_confusion_matrix", "plot_decision_boundary", "plot_image_grid"]
