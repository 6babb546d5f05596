"""Plots (matplotlib, optional: pip install groundup[plot]; loaded on first plot) and image
grids: make_grid (NumPy only) and save_image (Pillow: pip install "groundup[images]"); pictures
of convolutional networks: plot_filters, plot_feature_maps, plot_worst_errors; attention maps:
record_attention, plot_attention, plot_model_attention."""

from .attention import plot_attention, plot_model_attention, record_attention
from .cnn import conv_layers, plot_feature_maps, plot_filters, plot_worst_errors
from .images import make_grid, save_image
from .plots import plot_confusion_matrix, plot_decision_boundary, plot_history, plot_image_grid
from .regions import (
                      plot_expert_map,
                      plot_expert_usage,
                      plot_model_experts,
                      plot_model_regions,
                      plot_rbf_centres,
                      plot_regression_fit,
)

__all__ = ["plot_history", "plot_confusion_matrix", "plot_decision_boundary", "plot_image_grid",
           "make_grid", "save_image", "plot_filters", "plot_feature_maps", "plot_worst_errors",
           "conv_layers", "plot_attention", "plot_model_attention", "record_attention",
           "plot_expert_map", "plot_expert_usage", "plot_model_experts", "plot_model_regions",
           "plot_rbf_centres", "plot_regression_fit"]
